//! fail2ban's configuration files: the ini dialect, a file merged with its includes and
//! `.local`, `%(name)s` and `<tag>` substitution, the jails and filters read from them, time
//! values, and bantop's whitelist drop-in written back into `jail.d/`.

pub mod dropin;
pub mod duration;
pub mod filter_conf;
mod ini;
pub mod jail_conf;
mod merged;
mod options;
mod tags;

pub use filter_conf::FilterConf;
pub use merged::{Config, ConfigError, Section};
