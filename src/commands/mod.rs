//! The one-shot commands (`status`, `jails`, `unban`, `ban`, `whitelist`, `ports`, `check`, `acl check`): each gathers its facts through the
//! library and writes text or JSON to the given output, returning the process exit status.

pub mod acl;
pub mod actions;
pub mod check;
pub mod events;
pub mod firewall;
pub mod fleet;
pub mod inspect;
pub mod jails;
pub mod places;
pub mod ports;
pub mod regex;
pub mod report;
pub mod restrict;
pub mod status;
mod whitelists;

/// Exit status: done, nothing wrong.
pub const OK: u8 = 0;
/// Exit status: done, and something needs the operator's attention (a failed check, a denial).
pub const ATTENTION: u8 = 1;

/// The GeoIP files, read on a blocking thread; a file that cannot be used is a warning on
/// standard error (the output stays what it is), and the others are used.
pub(crate) async fn load_geoip(
    paths: &[std::path::PathBuf],
) -> anyhow::Result<crate::geoip::GeoIp> {
    let paths = paths.to_vec();
    let (geoip, problems) =
        tokio::task::spawn_blocking(move || crate::geoip::GeoIp::load(&paths)).await?;
    warn_geoip(&problems);
    Ok(geoip)
}

/// Each GeoIP file that cannot be used, as one warning on standard error.
pub(crate) fn warn_geoip(problems: &[crate::geoip::GeoIpError]) {
    for problem in problems {
        eprintln!(
            "bantop: warning: {}",
            crate::model::sanitize::sanitize(&problem.to_string())
        );
    }
}
