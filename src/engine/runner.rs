//! The demo engine on its own tokio task: a tick every 100 ms moves the replay on, commands are
//! carried out as they come, and events go out in batches.

use super::command::Command;
use super::demo::DemoEngine;
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
