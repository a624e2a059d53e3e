//! Plain data shared by every layer: failures, bans, jail settings, engine events.
//! Nothing here does I/O or knows about the terminal.

pub mod address;
pub mod address_ranges;
pub mod audit;
pub mod ban;
pub mod ban_increment;
pub mod calling_codes;
pub mod check;
pub mod configuration;
pub mod dialled;
pub mod dossier;
pub mod event;
pub mod firewall;
pub mod fleet;
pub mod history;
pub mod jail;
pub mod period;
pub mod place;
pub mod port;
pub mod report;
pub mod restriction;
pub mod sanitize;
pub mod summary;
pub mod targets;
pub mod whitelist;

pub use audit::AuditEntry;
pub use ban::{Ban, BanLengthCaveat, BanOrigin, BanPlace};
pub use event::{EngineEvent, EventKind, Failure, LogEvent};
pub use history::History;
pub use jail::JailSettings;
pub use place::{Place, PlaceSource};
pub use whitelist::WhitelistEntry;
