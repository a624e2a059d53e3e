//! The fail2ban world: its configuration files (ini with includes and interpolation), filters
//! compiled into matchers, date detection, jail settings and drop-in rendering.

pub mod backtrack;
pub mod config;
pub mod database;
pub mod date;
pub mod date_template;
pub mod dropin;
pub mod duration;
pub mod filter;
pub mod filter_conf;
pub mod host_tags;
pub mod ini;
pub mod iso_date;
pub mod jail_conf;
pub mod log_scan;
pub mod mlfid;
pub mod options;
pub mod pattern;
pub mod prefilter;
pub mod server;
pub mod socket_client;
pub mod strptime;
pub mod tags;

pub use config::{Config, ConfigError};
pub use filter::{Filter, FilterError, FilterMatch};
pub use jail_conf::{JailConfError, read_jails};
