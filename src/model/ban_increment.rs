//! How long fail2ban 1.0.2 bans an address again when `bantime.increment = true`.
//!
//! fail2ban's observer (`server/observer.py`, `incrBanTime`) looks the address up in its
//! database before writing the new ban. The row of the jail (or, with
//! `bantime.overalljails`, the sum over every jail's row) holds `bancount`: how many times the
//! address was banned there. A first ban finds no row and keeps the jail's `bantime` as it is;
//! later bans run the jail's formula (`server/jail.py`, `setBanTimeExtra`) with `ban.Count` =
//! that stored count, so the second ban uses count 1. `fail2ban-client set JAIL unbanip` deletes
//! the rows, and with them the count; bans that end by themselves keep it until `dbpurgeage`.

/// A jail's `bantime.*` settings, already converted to numbers (`maxtime` and `rndtime` in
/// seconds, as fail2ban's `str2seconds` gives them).
#[derive(Debug, Clone, PartialEq)]
pub struct BanIncrement {
    /// `bantime.factor`: `banFactor` in the formula, or a multiplier of `multipliers`.
    pub factor: f64,
    /// `bantime.formula` as written; `None` (or blank) is fail2ban's default formula.
    pub formula: Option<String>,
    /// `bantime.multipliers`, indexed by the ban count; when not empty the formula is unused.
    pub multipliers: Vec<i64>,
    /// `bantime.maxtime`: the longest an increased ban lasts, before the random part.
    pub maxtime: Option<i64>,
    /// `bantime.rndtime`: an increased ban gets a random number of seconds below this added.
    pub rndtime: Option<i64>,
    /// `bantime.overalljails`: the caller's ban count sums every jail's, not only this one's.
    pub overalljails: bool,
}

impl Default for BanIncrement {
    /// fail2ban's defaults: factor 1, the default formula, nothing else.
    fn default() -> Self {
        BanIncrement {
            factor: 1.0,
            formula: None,
            multipliers: Vec::new(),
            maxtime: None,
            rndtime: None,
            overalljails: false,
        }
    }
}

/// What bantop can tell about the length of a ban.
#[derive(Debug, Clone, PartialEq)]
pub enum BanTimeOutcome {
    /// fail2ban bans for `seconds`, plus a random part when `rndtime` applies.
    Seconds {
        /// The ban's length; negative means permanent, as in fail2ban.
        seconds: f64,
        /// The random part is at least 0 and below this (`rndtime`), added after `maxtime`.
        random_below: Option<i64>,
    },
    /// The jail's own `bantime.formula`, a Python expression bantop does not evaluate.
    CustomFormula(String),
}

/// fail2ban's default `bantime.formula`.
pub const DEFAULT_FORMULA: &str = "ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor";

/// The default formula stops doubling after this many bans.
const LAST_DOUBLING: u32 = 20;

/// How long fail2ban bans an address whose database row counts `ban_count` earlier bans, in a
/// jail whose `bantime` is `bantime` and whose `bantime.increment` is on.
pub fn ban_seconds(bantime: i64, increment: &BanIncrement, ban_count: u32) -> BanTimeOutcome {
    let unchanged = BanTimeOutcome::Seconds {
        seconds: bantime as f64,
        random_below: None,
    };
    // observer.py: permanent bans and first bans are left as they are.
    if bantime <= 0 || ban_count == 0 {
        return unchanged;
    }
    let Some(increased) = increased_seconds(bantime as f64, increment, ban_count) else {
        return BanTimeOutcome::CustomFormula(increment.formula.clone().unwrap_or_default());
    };
    let capped = match increment.maxtime {
        Some(maxtime) => increased.min(maxtime as f64),
        None => increased,
    };
    BanTimeOutcome::Seconds {
        seconds: capped,
        random_below: increment.rndtime,
    }
}

/// The multipliers' or the formula's ban time, before `maxtime`; `None` for a custom formula.
fn increased_seconds(bantime: f64, increment: &BanIncrement, ban_count: u32) -> Option<f64> {
    let by_count = usize::try_from(ban_count)
        .ok()
        .and_then(|count| increment.multipliers.get(count));
    if let Some(multiplier) = by_count.or(increment.multipliers.last()) {
        return Some(bantime * increment.factor * *multiplier as f64);
    }
    if !is_default_formula(increment.formula.as_deref()) {
        return None;
    }
    let doublings = ban_count.min(LAST_DOUBLING);
    let doubled = bantime * f64::from(1u32 << doublings) * increment.factor;
    Some(doubled.max(bantime))
}

/// Whether `formula` is fail2ban's default one, spaces aside (or not set at all).
fn is_default_formula(formula: Option<&str>) -> bool {
    let without_spaces =
        |text: &str| -> String { text.chars().filter(|c| !c.is_whitespace()).collect() };
    formula.is_none_or(|written| {
        let written = without_spaces(written);
        written.is_empty() || written == without_spaces(DEFAULT_FORMULA)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BANTIME: i64 = 600;

    fn seconds_for_counts(increment: &BanIncrement) -> Vec<f64> {
        (0..=6)
            .map(|count| match ban_seconds(BANTIME, increment, count) {
                BanTimeOutcome::Seconds { seconds, .. } => seconds,
                other => panic!("count {count}: {other:?}"),
            })
            .collect()
    }

    // The expected lists are what fail2ban 1.0.2's own Jail.setBanTimeExtra formula gives,
    // except count 0, which fail2ban never passes to it (a first ban keeps `bantime`).

    #[test]
    fn default_formula_doubles_from_the_second_ban() {
        let expected = [600.0, 1200.0, 2400.0, 4800.0, 9600.0, 19200.0, 38400.0];
        assert_eq!(seconds_for_counts(&BanIncrement::default()), expected);
    }

    #[test]
    fn factor_multiplies_the_default_formula_but_not_the_first_ban() {
        let increment = BanIncrement {
            factor: 2.0,
            ..BanIncrement::default()
        };
        let expected = [600.0, 2400.0, 4800.0, 9600.0, 19200.0, 38400.0, 76800.0];
        assert_eq!(seconds_for_counts(&increment), expected);
    }

    #[test]
    fn a_factor_below_one_never_shortens_the_formula_below_bantime() {
        let increment = BanIncrement {
            factor: 0.25,
            ..BanIncrement::default()
        };
        let expected = [600.0, 600.0, 600.0, 1200.0, 2400.0, 4800.0, 9600.0];
        assert_eq!(seconds_for_counts(&increment), expected);
    }

    #[test]
    fn multipliers_are_indexed_by_count_and_the_last_one_repeats() {
        let increment = BanIncrement {
            multipliers: vec![1, 5, 30, 60],
            ..BanIncrement::default()
        };
        let expected = [600.0, 3000.0, 18000.0, 36000.0, 36000.0, 36000.0, 36000.0];
        assert_eq!(seconds_for_counts(&increment), expected);
    }

    #[test]
    fn multipliers_take_the_factor_and_ignore_the_formula() {
        let increment = BanIncrement {
            factor: 2.0,
            formula: Some("ban.Time * 3".to_string()),
            multipliers: vec![1, 5, 30, 60],
            ..BanIncrement::default()
        };
        let expected = [600.0, 6000.0, 36000.0, 72000.0, 72000.0, 72000.0, 72000.0];
        assert_eq!(seconds_for_counts(&increment), expected);
    }

    #[test]
    fn maxtime_caps_increased_bans_only() {
        let increment = BanIncrement {
            factor: 2.0,
            maxtime: Some(3600),
            ..BanIncrement::default()
        };
        let expected = [600.0, 2400.0, 3600.0, 3600.0, 3600.0, 3600.0, 3600.0];
        assert_eq!(seconds_for_counts(&increment), expected);
        let below_bantime = BanIncrement {
            maxtime: Some(300),
            ..BanIncrement::default()
        };
        assert_eq!(
            seconds_for_counts(&below_bantime),
            [600.0, 300.0, 300.0, 300.0, 300.0, 300.0, 300.0]
        );
    }

    #[test]
    fn maxtime_caps_multipliers() {
        let increment = BanIncrement {
            multipliers: vec![1, 5, 30, 60],
            maxtime: Some(3600),
            ..BanIncrement::default()
        };
        let expected = [600.0, 3000.0, 3600.0, 3600.0, 3600.0, 3600.0, 3600.0];
        assert_eq!(seconds_for_counts(&increment), expected);
    }

    #[test]
    fn the_default_formula_stops_doubling_at_twenty() {
        let seconds = |count| ban_seconds(1, &BanIncrement::default(), count);
        let twenty_doublings = BanTimeOutcome::Seconds {
            seconds: f64::from(1u32 << 20),
            random_below: None,
        };
        assert_eq!(seconds(20), twenty_doublings);
        assert_eq!(seconds(u32::MAX), twenty_doublings);
    }

    #[test]
    fn rndtime_is_reported_as_a_bound_on_increased_bans_only() {
        let increment = BanIncrement {
            maxtime: Some(1000),
            rndtime: Some(60),
            ..BanIncrement::default()
        };
        assert_eq!(
            ban_seconds(BANTIME, &increment, 0),
            BanTimeOutcome::Seconds {
                seconds: 600.0,
                random_below: None
            }
        );
        assert_eq!(
            ban_seconds(BANTIME, &increment, 3),
            BanTimeOutcome::Seconds {
                seconds: 1000.0,
                random_below: Some(60)
            }
        );
    }

    #[test]
    fn permanent_bans_stay_permanent() {
        assert_eq!(
            ban_seconds(-1, &BanIncrement::default(), 4),
            BanTimeOutcome::Seconds {
                seconds: -1.0,
                random_below: None
            }
        );
    }

    #[test]
    fn the_default_formula_is_recognised_whatever_its_spacing() {
        for written in [
            DEFAULT_FORMULA,
            "ban.Time*(1<<(ban.Count if ban.Count<20 else 20))*banFactor",
            "  ban.Time * ( 1 << ( ban.Count if ban.Count < 20 else 20 ) ) * banFactor ",
            "",
        ] {
            let increment = BanIncrement {
                formula: Some(written.to_string()),
                ..BanIncrement::default()
            };
            assert_eq!(seconds_for_counts(&increment)[2], 2400.0, "{written:?}");
        }
    }

    #[test]
    fn a_custom_formula_is_reported_not_evaluated() {
        let formula = "ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)";
        let increment = BanIncrement {
            formula: Some(formula.to_string()),
            ..BanIncrement::default()
        };
        assert_eq!(
            ban_seconds(BANTIME, &increment, 1),
            BanTimeOutcome::CustomFormula(formula.to_string())
        );
        assert_eq!(
            ban_seconds(BANTIME, &increment, 0),
            BanTimeOutcome::Seconds {
                seconds: 600.0,
                random_below: None
            },
            "a first ban does not run the formula"
        );
    }
}
