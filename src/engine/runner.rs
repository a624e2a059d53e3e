//! The engines on their own tokio task: the demo's replay moves on every 100 ms; the live
//! engine reads fail2ban's ban tables every `refresh` and after each command. Events go out in
//! batches.

use super::command::Command;
use super::demo::DemoEngine;
use super::live::LiveEngine;
use crate::model::EngineEvent;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How often the replay moves on.
const TICK: Duration = Duration::from_millis(100);

/// Runs `engine` until the command channel closes or nobody listens to the events.
pub async fn run_demo(
    mut engine: DemoEngine,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Vec<EngineEvent>>,
) {
    if events.send(engine.opening_events()).await.is_err() {
        return;
    }
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last = Instant::now();
    loop {
        let batch = tokio::select! {
            _ = interval.tick() => {
                let elapsed = last.elapsed().as_secs_f64();
                last = Instant::now();
                engine.tick(elapsed)
            }
            command = commands.recv() => match command {
                Some(command) => engine.execute(command),
                None => return,
            },
        };
        if !batch.is_empty() && events.send(batch).await.is_err() {
            return;
        }
    }
}

/// Runs the live engine until the command channel closes or nobody listens to the events.
pub async fn run_live(
    mut engine: LiveEngine,
    refresh: Duration,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Vec<EngineEvent>>,
) {
    if events.send(engine.opening_events().await).await.is_err() {
        return;
    }
    let mut lines = engine.start_sources();
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    let mut poll = tokio::time::interval(refresh.max(Duration::from_secs(1)));
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let batch = tokio::select! {
            _ = clock.tick() => vec![EngineEvent::Clock(chrono::Utc::now().timestamp_micros() as f64 / 1e6)],
                        _ = poll.tick() => engine.poll().await,
            Some(batch) = lines.recv() => engine.take_lines(batch),
            command = commands.recv() => match command {
                Some(command) => engine.execute(command).await,
                None => return,
            },
        };
        if !batch.is_empty() && events.send(batch).await.is_err() {
            return;
        }
    }
}
