//! fail2ban's configuration files as fail2ban's client reads them: the ini dialect, a file
//! merged with its includes and `.local`, `%(name)s` and `<tag>` substitution, filters and
//! actions read for a jail, the command stream each jail becomes, time values, and bantop's
//! whitelist drop-in written back into `jail.d/`.

mod arithmetic;
mod definition;
pub mod dropin;
pub mod duration;
pub mod filter_conf;
mod ini;
pub mod jail_conf;
pub mod jail_reader;
mod merged;
mod options;
mod python_values;
pub mod resolved_jail;
mod stream;
mod tags;

pub use filter_conf::FilterConf;
pub use merged::{Config, ConfigError, Origin, Section};
pub use resolved_jail::{JailsReport, ResolvedJail, SkippedJail, TimeValue};
