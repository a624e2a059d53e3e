//! The terminal UI (ratatui): one model ([`app::App`]), changed by `apply` (engine events) and
//! `update` (key actions), drawn by pure view functions; the engine runs on its own task.

pub mod action;
pub mod app;
pub mod keymap;
pub mod run;
pub mod sanitize;
pub mod terminal;
pub mod theme;
mod update;
pub mod views;

use crate::engine::live::LiveEngine;
use crate::engine::{DemoEngine, runner};
use crate::fail2ban::date::Zone;
use std::path::Path;
use tokio::sync::mpsc;

/// The theme asked for by name or path, else the one that suits this terminal.
pub fn choose_theme(asked: Option<&str>) -> anyhow::Result<theme::Theme> {
    let chosen = match asked {
        Some(name) => theme::Theme::load(name),
        None => theme::Theme::for_terminal(
            std::env::var("TERM").ok().as_deref(),
            std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        ),
    };
    chosen.map_err(anyhow::Error::msg)
}

/// Starts the demo in `dir` at `speed` and runs the UI until the user quits.
pub async fn run_demo(dir: &Path, speed: f64, theme: theme::Theme) -> anyhow::Result<()> {
    let engine = DemoEngine::load(dir, speed)?;
    let keymap = keymap::Keymap::default_keys().map_err(anyhow::Error::msg)?;
    let mut operators = vec![engine.operator()];
    operators.extend(crate::engine::operator::ssh_client_address());
    let app = app::App::new(engine.jails(), keymap, engine.zone(), operators, true);
    let (command_tx, command_rx) = mpsc::channel(16);
    let (event_tx, event_rx) = mpsc::channel(256);
    let engine_task = tokio::spawn(runner::run_demo(engine, command_rx, event_tx));
    let result = run::run(app, theme, event_rx, command_tx).await;
    engine_task.abort();
    result
}

/// Opens the UI on the real server configured in `fail2ban_dir`, through `socket`.
pub async fn run_live(
    fail2ban_dir: &Path,
    socket: &Path,
    theme: theme::Theme,
) -> anyhow::Result<()> {
    let operators = crate::engine::operator::operator_addresses(Path::new("/var/run/utmp"));
    let engine = LiveEngine::load(fail2ban_dir, socket, operators.first().copied())?;
    let keymap = keymap::Keymap::default_keys().map_err(anyhow::Error::msg)?;
    let app = app::App::new(engine.jails(), keymap, Zone::Local, operators, false);
    let (command_tx, command_rx) = mpsc::channel(16);
    let (event_tx, event_rx) = mpsc::channel(256);
    let engine_task = tokio::spawn(runner::run_live(engine, command_rx, event_tx));
    let result = run::run(app, theme, event_rx, command_tx).await;
    engine_task.abort();
    result
}
