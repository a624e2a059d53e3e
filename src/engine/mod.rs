//! The engine: sources -> filters -> jail state -> events, and the execution of the operator's
//! commands. It runs on its own tokio task; consumers get [`EngineEvent`] batches.
//!
//! [`EngineEvent`]: crate::model::EngineEvent

pub mod audit;
pub mod ban_tables;
pub mod blind_spots;
pub mod clock;
pub mod command;
pub mod demo;
pub mod demo_sides;
pub mod dossier;
pub mod execute;
pub mod exposure;
pub mod fleet;
pub mod fleet_command;
pub mod history;
pub mod ignore_command;
pub mod jail_state;
pub mod live;
pub mod manual_bans;
pub mod operator;
pub mod period_history;
pub mod pipeline;
pub mod refusal;
pub mod report;
pub mod report_findings;
pub mod restrictions;
pub mod reverse_dns;
pub mod runner;
pub mod server_sides;
pub mod whitelist;

pub use command::{Command, PlanContext};
pub use demo::{DemoEngine, DemoError};
