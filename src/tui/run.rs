//! The UI task: one `tokio::select!` over terminal input, engine event batches, signals (TERM,
//! HUP, INT, QUIT: each ends the UI with the terminal restored) and the next frame; events are
//! drained in batches and the screen is redrawn only when something changed, at most ~30 times
//! a second. Idle, the task sleeps.

use super::app::App;
use super::terminal::TerminalGuard;
use super::theme::Theme;
use super::views;
use crate::engine::Command;
use crate::engine::dossier::{DossierRequest, gather};
use crate::engine::period_history::read_period;
use crate::geoip::GeoIp;
use crate::model::EngineEvent;
use ratatui::crossterm::event::{self, Event};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// Shortest time between two frames.
const FRAME: Duration = Duration::from_millis(33);

/// Where an address's whole history is read when its dossier opens (a real server; the demo
/// has none: its replay is the history).
#[derive(Debug, Clone)]
pub struct Inspector {
    /// fail2ban's configuration directory.
    pub fail2ban_dir: PathBuf,
    /// fail2ban's socket.
    pub socket: PathBuf,
    /// Whether dossiers ask the reverse DNS for an address's name.
    pub reverse_dns: bool,
}

impl Inspector {
    /// Reads the logs' history from `since` to `until` on a task of its own and sends it to
    /// `done`.
    fn read_history(&self, (since, until): (f64, f64), done: mpsc::Sender<EngineEvent>) {
        let dir = self.fail2ban_dir.clone();
        let now = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
        tokio::spawn(async move {
            let history = read_period(&dir, since, until, now, crate::tui::app::HISTORY).await;
            let _ = done
                .send(EngineEvent::PeriodHistory(Box::new(history)))
                .await;
        });
    }

    /// Gathers the dossier of `address` over the last `seconds` on a task of its own (reading
    /// every log may take seconds; the UI goes on), places it with `geoip`, and sends it to
    /// `done`.
    fn gather(
        &self,
        address: std::net::IpAddr,
        seconds: f64,
        geoip: Arc<GeoIp>,
        done: mpsc::Sender<EngineEvent>,
    ) {
        let request = DossierRequest {
            address,
            fail2ban_dir: self.fail2ban_dir.clone(),
            socket: self.socket.clone(),
            since: Some(seconds as u64),
            journal_file: None,
            now: chrono::Utc::now().timestamp_micros() as f64 / 1e6,
            geoip,
            reverse_dns: self.reverse_dns,
        };
        tokio::spawn(async move {
            let dossier = gather(request).await;
            let _ = done.send(EngineEvent::Dossier(Box::new(dossier))).await;
        });
    }
}

/// Runs the UI until the user quits or a signal asks to stop; the terminal is restored on return.
pub async fn run(
    mut app: App,
    theme: Theme,
    mut events: mpsc::Receiver<Vec<EngineEvent>>,
    commands: mpsc::Sender<Command>,
    geoip_files: Vec<PathBuf>,
    inspector: Option<Inspector>,
) -> anyhow::Result<()> {
    let (dossier_tx, mut dossiers) = mpsc::channel::<EngineEvent>(4);
    // The GeoIP files are read on a thread while the UI starts: the first frame does not wait
    // for them, and the country column comes when they are read.
    let mut geoip_load = tokio::task::spawn_blocking(move || GeoIp::load(&geoip_files));
    let mut geoip_loading = true;
    // Each of these would end the process with the tty raw and the alternate screen on; the
    // loop ends instead and the guard restores the terminal. Raw mode makes Ctrl-C and Ctrl-\
    // keys, but INT and QUIT still come from `kill` and from whatever stops a session.
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;
    let mut guard = TerminalGuard::enter()?;
    let (key_tx, mut keys) = mpsc::channel::<Event>(64);
    // crossterm's reader blocks; it lives on its own thread and ends with the process.
    std::thread::spawn(move || {
        while let Ok(event) = event::read() {
            if key_tx.blocking_send(event).is_err() {
                break;
            }
        }
    });
    // A frame is drawn when something changed and the last one is at least FRAME old; with
    // nothing changed the task sleeps (no wake-ups to find nothing to draw).
    let mut next_frame = tokio::time::Instant::now();
    let mut dirty = true;
    let mut engine_running = true;
    while !app.should_quit {
        tokio::select! {
            Some(input) = keys.recv() => {
                for command in app.handle_event(input) {
                    if commands.send(command).await.is_err() {
                        app.status = Some((false, "the engine has stopped: nothing can be changed".to_string()));
                    }
                }
                dirty = true;
            }
            loaded = &mut geoip_load, if geoip_loading => {
                geoip_loading = false;
                if let Ok((geoip, problems)) = loaded {
                    app.geoip = Arc::new(geoip);
                    if let Some(problem) = problems.first() {
                        app.status = Some((false, format!("GeoIP: {problem}")));
                    }
                }
                dirty = true;
            }
            Some(dossier) = dossiers.recv() => {
                app.apply(dossier);
                dirty = true;
            }
            batch = events.recv(), if engine_running => match batch {
                Some(batch) => {
                    batch.into_iter().for_each(|event| app.apply(event));
                    while let Ok(more) = events.try_recv() {
                        more.into_iter().for_each(|event| app.apply(event));
                    }
                    dirty = true;
                }
                None => {
                    engine_running = false;
                    app.status = Some((false, "the engine has stopped".to_string()));
                    dirty = true;
                }
            },
            _ = terminate.recv() => break,
            _ = hangup.recv() => break,
            _ = interrupt.recv() => break,
            _ = quit.recv() => break,
            _ = tokio::time::sleep_until(next_frame), if dirty => {
                guard.terminal.draw(|frame| views::render(frame, &app, &theme))?;
                dirty = false;
                next_frame = tokio::time::Instant::now() + FRAME;
            }
        }
        // What a key or an engine event asked to be read (the engine's first clock asks for
        // a period switched before it).
        if let Some(inspector) = &inspector {
            if let Some(address) = app.dossier_wanted.take() {
                let geoip = Arc::clone(&app.geoip);
                inspector.gather(address, app.period.seconds(), geoip, dossier_tx.clone());
            }
            if let Some(span) = app.history_wanted.take() {
                let label = app.period.label();
                app.status = Some((true, format!("reading the logs of the last {label}…")));
                inspector.read_history(span, dossier_tx.clone());
                dirty = true;
            }
        }
    }
    drop(guard);
    Ok(())
}
