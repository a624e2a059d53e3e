//! The time the events view, the header's counts and sparklines and the dossier cover: the last
//! hour, day, week or 30 days (`t` cycles; what the App does with it: `app_period.rs`).

/// A period to look back over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The last hour.
    Hour,
    /// The last 24 hours.
    Day,
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Month,
}

/// Minutes of failure counts kept per jail: the longest period.
pub const KEPT_MINUTES: i64 = 30 * 24 * 60;

impl Period {
    /// Its length in seconds.
    pub fn seconds(self) -> f64 {
        match self {
            Period::Hour => 3600.0,
            Period::Day => 86_400.0,
            Period::Week => 7.0 * 86_400.0,
            Period::Month => 30.0 * 86_400.0,
        }
    }

    /// The next one (`t`), back to the hour after 30 days.
    pub fn next(self) -> Period {
        match self {
            Period::Hour => Period::Day,
            Period::Day => Period::Week,
            Period::Week => Period::Month,
            Period::Month => Period::Hour,
        }
    }

    /// As the header shows it.
    pub fn label(self) -> &'static str {
        match self {
            Period::Hour => "1h",
            Period::Day => "24h",
            Period::Week => "7d",
            Period::Month => "30d",
        }
    }

    /// Minutes per sparkline bar for `bars` bars: the period spread over them, a minute at
    /// least (the bars then reach further back than the period).
    pub fn bar_minutes(self, bars: i64) -> i64 {
        let minutes = (self.seconds() / 60.0) as i64;
        (minutes + bars.max(1) - 1) / bars.max(1)
    }
}
