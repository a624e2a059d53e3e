//! Ban times in words: how a jail's repeated bans get longer (`bantime.increment`), the time a
//! new ban would get, and how long a ban bantop worked out lasts.

use crate::fail2ban::duration::format_seconds;
use crate::model::ban_increment::{BanIncrement, BanTimeOutcome, ban_seconds};
use crate::model::{Ban, BanLengthCaveat};

/// How many of the next bans' times a jail's settings show.
const NEXT_BANS_SHOWN: u32 = 3;

/// How a jail's repeated bans get longer, from its `bantime` (positive): the times of the next
/// bans and the limits, e.g. `then 20m 40m 1h…, max 1h, + up to 5m, all jails`.
pub fn increment_text(bantime: i64, increment: &BanIncrement) -> String {
    if bantime <= 0 {
        return "permanent bans stay permanent".to_string();
    }
    let next: Vec<String> = (1..=NEXT_BANS_SHOWN)
        .filter_map(
            |earlier_bans| match ban_seconds(bantime, increment, earlier_bans) {
                BanTimeOutcome::Seconds { seconds, .. } => {
                    Some(format_seconds(seconds.round() as i64))
                }
                BanTimeOutcome::CustomFormula(_) => None,
            },
        )
        .collect();
    let mut parts = vec![if next.is_empty() {
        "fail2ban's formula".to_string()
    } else {
        format!("then {}…", next.join(" "))
    }];
    if let Some(maxtime) = increment.maxtime {
        parts.push(format!("max {}", format_seconds(maxtime)));
    }
    if let Some(rndtime) = increment.rndtime {
        parts.push(random_text(rndtime));
    }
    if increment.overalljails {
        parts.push("all jails".to_string());
    }
    parts.join(", ")
}

/// The time a new ban gets, e.g. `40m`, `40m + up to 5m`, `fail2ban's formula`.
pub fn outcome_text(outcome: &BanTimeOutcome) -> String {
    match outcome {
        BanTimeOutcome::Seconds {
            seconds,
            random_below,
        } => {
            let time = format_seconds(seconds.round() as i64);
            match random_below {
                Some(rndtime) => format!("{time} {}", random_text(*rndtime)),
                None => time,
            }
        }
        BanTimeOutcome::CustomFormula(_) => "fail2ban's formula".to_string(),
    }
}

/// How long `ban` lasts, e.g. `for 40m`, `for 40m + up to 5m`, `permanently`.
pub fn ban_length_text(ban: &Ban) -> String {
    let Some(until) = ban.until else {
        return "permanently".to_string();
    };
    let time = format_seconds((until - ban.since).round() as i64);
    match ban.length_caveat {
        None => format!("for {time}"),
        Some(BanLengthCaveat::PlusRandomBelow(rndtime)) => {
            format!("for {time} {}", random_text(rndtime))
        }
        Some(BanLengthCaveat::CustomFormula) => "for fail2ban's formula time".to_string(),
    }
}

/// fail2ban's random part of an increased ban (`bantime.rndtime`).
fn random_text(rndtime: i64) -> String {
    format!("+ up to {}", format_seconds(rndtime))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BanOrigin;

    #[test]
    fn increments_show_the_next_bans_and_the_limits() {
        let doubling = BanIncrement {
            maxtime: Some(3600),
            ..BanIncrement::default()
        };
        assert_eq!(increment_text(600, &doubling), "then 20m 40m 1h…, max 1h");
        let everything = BanIncrement {
            factor: 1.5,
            multipliers: vec![1, 5, 30],
            maxtime: Some(86_400),
            rndtime: Some(300),
            overalljails: true,
            ..BanIncrement::default()
        };
        assert_eq!(
            increment_text(600, &everything),
            "then 1h15m 7h30m 7h30m…, max 1d, + up to 5m, all jails"
        );
        let custom = BanIncrement {
            formula: Some("ban.Time * 3".to_string()),
            ..BanIncrement::default()
        };
        assert_eq!(increment_text(600, &custom), "fail2ban's formula");
        assert_eq!(
            increment_text(-1, &doubling),
            "permanent bans stay permanent"
        );
    }

    #[test]
    fn a_ban_says_what_its_time_leaves_out() {
        let ban = |length_caveat| Ban {
            jail: "sshd".into(),
            ip: std::net::IpAddr::from([203, 0, 113, 5]),
            since: 100.0,
            until: Some(2500.0),
            count: 2,
            failures: 5,
            evidence: Vec::new(),
            origin: BanOrigin::Jail,
            length_caveat,
        };
        assert_eq!(ban_length_text(&ban(None)), "for 40m");
        assert_eq!(
            ban_length_text(&ban(Some(BanLengthCaveat::PlusRandomBelow(60)))),
            "for 40m + up to 1m"
        );
        assert_eq!(
            ban_length_text(&ban(Some(BanLengthCaveat::CustomFormula))),
            "for fail2ban's formula time"
        );
        let permanent = Ban {
            until: None,
            ..ban(None)
        };
        assert_eq!(ban_length_text(&permanent), "permanently");
        assert_eq!(
            outcome_text(&BanTimeOutcome::Seconds {
                seconds: 2400.0,
                random_below: Some(60)
            }),
            "40m + up to 1m"
        );
    }
}
