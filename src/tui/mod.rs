//! The terminal UI (ratatui): one model ([`app::App`]), changed by `apply` (engine events) and
//! `update` (key actions), drawn by pure view functions; the engine runs on its own task.

pub mod action;
pub mod app;
pub mod app_dossier;
pub mod app_fleet;
pub mod app_period;
pub mod app_restrict;
mod ban_time_text;
pub mod dossier_pane;
pub mod fleet_view;
pub mod keymap;
pub mod period;
pub mod run;
pub mod terminal;
pub mod theme;
mod update;
pub mod views;

use crate::engine::live::LiveEngine;
use crate::engine::{DemoEngine, runner};
use crate::fail2ban::date::Zone;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

/// How the UI looks and reacts.
#[derive(Debug, Clone)]
pub struct UiOptions {
    /// The theme.
    pub theme: theme::Theme,
    /// The keymap.
    pub keymap: keymap::Keymap,
    /// Time between two readings of fail2ban's ban tables (live mode).
    pub refresh: Duration,
    /// GeoIP files, in order.
    pub geoip: Vec<std::path::PathBuf>,
    /// Whether dossiers ask the reverse DNS for an address's name.
    pub reverse_dns: bool,
    /// Seconds a restriction applied here waits for its confirmation.
    pub restrict_rollback: u64,
}

/// The theme asked for by name or path, else the one that suits this terminal.
pub fn choose_theme(asked: Option<&str>) -> anyhow::Result<theme::Theme> {
    let chosen = match asked {
        Some(name) => theme::Theme::load(name),
        None => theme::Theme::for_terminal(
            std::env::var("TERM").ok().as_deref(),
            std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        ),
    };
    Ok(chosen?)
}

/// The default keys, with a user's keymap file on top when one is given.
pub fn choose_keymap(file: Option<&Path>) -> anyhow::Result<keymap::Keymap> {
    let keymap = match file {
        Some(path) => {
            let text = crate::state_file::read_named(path, 1 << 20)?;
            keymap::Keymap::with_user_file(&text, &path.display().to_string())
        }
        None => keymap::Keymap::default_keys(),
    };
    Ok(keymap?)
}

/// Starts the demo in `dir` at `speed` and runs the UI until the user quits.
pub async fn run_demo(dir: &Path, speed: f64, options: UiOptions) -> anyhow::Result<()> {
    let engine = DemoEngine::load(dir, speed)?;
    let mut operators = vec![engine.operator()];
    operators.extend(crate::engine::operator::ssh_client_address());
    let mut app = app::App::new(
        engine.jails(),
        options.keymap,
        engine.zone(),
        operators,
        true,
    );
    app.restrict_rollback = options.restrict_rollback;
    let (command_tx, command_rx) = mpsc::channel(16);
    let (event_tx, event_rx) = mpsc::channel(256);
    let engine_task = tokio::spawn(runner::run_demo(engine, command_rx, event_tx));
    // The demo's own made-up countries for its documentation addresses come first.
    let paths = DemoEngine::geoip_files(dir)
        .into_iter()
        .chain(options.geoip)
        .collect();
    let result = run::run(app, options.theme, event_rx, command_tx, paths, None).await;
    engine_task.abort();
    result
}

/// Opens the UI on the real server configured in `fail2ban_dir`, through `socket`, auditing
/// actions in `state_dir`.
pub async fn run_live(
    fail2ban_dir: &Path,
    socket: &Path,
    state_dir: &Path,
    options: UiOptions,
) -> anyhow::Result<()> {
    let operators = crate::engine::operator::operator_addresses(Path::new("/var/run/utmp"));
    let engine = LiveEngine::load(fail2ban_dir, socket, state_dir, operators.first().copied())?;
    let mut app = app::App::new(
        engine.jails(),
        options.keymap,
        Zone::Local,
        operators,
        false,
    );
    app.restrict_rollback = options.restrict_rollback;
    let (command_tx, command_rx) = mpsc::channel(16);
    let (event_tx, event_rx) = mpsc::channel(256);
    let engine_task = tokio::spawn(runner::run_live(
        engine,
        options.refresh,
        command_rx,
        event_tx,
    ));
    let inspector = run::Inspector {
        fail2ban_dir: fail2ban_dir.to_path_buf(),
        socket: socket.to_path_buf(),
        reverse_dns: options.reverse_dns,
    };
    let (theme, geoip) = (options.theme, options.geoip);
    let result = run::run(app, theme, event_rx, command_tx, geoip, Some(inspector)).await;
    engine_task.abort();
    result
}

/// Opens the UI on every host of a fleet, each through its own bantop over SSH, auditing
/// actions in `state_dir` too.
pub async fn run_fleet(
    hosts: Vec<crate::fleet::Host>,
    state_dir: &Path,
    options: UiOptions,
) -> anyhow::Result<()> {
    let control_dir = crate::fleet::ssh::control_dir().map_err(anyhow::Error::msg)?;
    let operators = crate::engine::operator::operator_addresses(Path::new("/var/run/utmp"));
    let mut app = app::App::new(Vec::new(), options.keymap, Zone::Local, operators, false);
    app.fleet = Some(fleet_view::FleetView::new(hosts.clone()));
    let engine = crate::engine::fleet::FleetEngine {
        hosts,
        control_dir,
        audit: crate::engine::audit::AuditLog::new(state_dir),
        refresh: options.refresh,
    };
    let (command_tx, command_rx) = mpsc::channel(16);
    let (event_tx, event_rx) = mpsc::channel(256);
    let engine_task = tokio::spawn(crate::engine::fleet::run(engine, command_rx, event_tx));
    let (theme, geoip) = (options.theme, options.geoip);
    let result = run::run(app, theme, event_rx, command_tx, geoip, None).await;
    engine_task.abort();
    result
}
