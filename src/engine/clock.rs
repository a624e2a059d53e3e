//! The demo's replay clock: log time advancing at `speed` times real time, pausable.

/// Slowest and fastest replay factors.
const SPEED_RANGE: (f64, f64) = (0.25, 3600.0);

/// Log time driven by real time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayClock {
    /// Current log time, epoch seconds.
    pub now: f64,
    /// Log seconds per real second.
    pub speed: f64,
    /// Whether time stands still.
    pub paused: bool,
}

impl ReplayClock {
    /// A running clock at `start` (speed is clamped to the supported range).
    pub fn new(start: f64, speed: f64) -> Self {
        Self {
            now: start,
            speed: speed.clamp(SPEED_RANGE.0, SPEED_RANGE.1),
            paused: false,
        }
    }

    /// Moves log time on by `real_seconds` of real time.
    pub fn advance(&mut self, real_seconds: f64) {
        if !self.paused {
            self.now += real_seconds * self.speed;
        }
    }

    /// Doubles the speed, up to the limit.
    pub fn faster(&mut self) {
        self.speed = (self.speed * 2.0).min(SPEED_RANGE.1);
    }

    /// Halves the speed, down to the limit.
    pub fn slower(&mut self) {
        self.speed = (self.speed / 2.0).max(SPEED_RANGE.0);
    }
}

/// The wall clock, epoch seconds.
pub fn now_epoch() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advances_by_speed_and_stops_when_paused() {
        let mut clock = ReplayClock::new(1000.0, 60.0);
        clock.advance(0.5);
        assert_eq!(clock.now, 1030.0);
        clock.paused = true;
        clock.advance(10.0);
        assert_eq!(clock.now, 1030.0);
        clock.faster();
        assert_eq!(clock.speed, 120.0);
        assert_eq!(ReplayClock::new(0.0, 1e9).speed, 3600.0);
    }
}
