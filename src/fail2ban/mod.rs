//! The fail2ban world, in parts that depend one way only: `config` reads its files (and
//! writes bantop's drop-in), `pattern` turns its regexes into matchers, `date` finds the time
//! in a log line, `dns` resolves host names as its `DNSUtils` does, `filter` matches log lines
//! as a compiled filter, and `server` talks to a running fail2ban (its socket and its
//! database).

pub mod config;
pub mod date;
pub mod dns;
pub mod filter;
pub mod pattern;
pub mod server;

// The paths the rest of bantop (and its tests and benches) has always used.
pub use config::{Config, ConfigError, dropin, duration, filter_conf, jail_conf};
pub use date::strptime;
pub use filter::{CompiledFilter, Filter, FilterError, FilterMatch, FilterState, log_scan};
pub use jail_conf::{JailConfError, read_jails};
pub use pattern::host_tags;
pub use server::{database, socket_client};
