//! The checklist's items from a report over the last day (`bantop check`): what the attackers
//! are after (accounts brute-forced, international numbers probed, provisioning files asked
//! for from outside) and the failures no jail counts.

use crate::model::check::{CheckItem, Status};
use crate::model::report::Report;

/// The two items `report` gives.
pub fn items(report: &Report) -> Vec<CheckItem> {
    let hours = ((report.until - report.since) / 3600.0).round();
    let targets: Vec<&String> = report
        .findings
        .iter()
        .filter(|finding| !finding.contains(" misses "))
        .collect();
    let targeted = if targets.is_empty() {
        CheckItem::new(
            "what the attackers are after",
            Status::Pass,
            format!(
                "no account, dialled number or provisioning file stands out in the last {hours} h"
            ),
            "",
        )
    } else {
        CheckItem::new(
            "what the attackers are after",
            Status::Warn,
            targets
                .iter()
                .map(|finding| finding.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            "bantop report lists the accounts, numbers and files with their sources",
        )
    };
    let missed = if report.blind_spots.is_empty() {
        CheckItem::new(
            "failures no jail counts",
            Status::Pass,
            format!("the stock filters find nothing the jails miss in the last {hours} h"),
            "",
        )
    } else {
        let spots: Vec<String> = report
            .blind_spots
            .iter()
            .map(|spot| {
                format!(
                    "{} misses {} failures that fail2ban's {} filter finds (from {} addresses)",
                    spot.jail, spot.failures, spot.filter, spot.sources
                )
            })
            .collect();
        let fixes: Vec<String> = report
            .blind_spots
            .iter()
            .map(|spot| format!("add to {}'s filter: {}", spot.jail, spot.failregex))
            .collect();
        CheckItem::new(
            "failures no jail counts",
            Status::Warn,
            spots.join("; "),
            fixes.join("; "),
        )
    };
    vec![targeted, missed]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::report::BlindSpot;

    #[test]
    fn findings_and_blind_spots_make_warnings() {
        let mut report = Report {
            since: 0.0,
            until: 86_400.0,
            ..Report::default()
        };
        let quiet = items(&report);
        assert!(quiet.iter().all(|item| item.status == Status::Pass));
        report.findings = vec![
            "16 calls to +972 (IL) numbers rejected: international calls are being probed".into(),
            "asterisk-wazo misses 8 failures that fail2ban's asterisk filter finds (from 1 addresses)".into(),
        ];
        report.blind_spots = vec![BlindSpot {
            jail: "asterisk-wazo".into(),
            filter: "asterisk".into(),
            failures: 8,
            sources: 1,
            failregex: "^<HOST> tried".into(),
            ..BlindSpot::default()
        }];
        let found = items(&report);
        assert_eq!(found[0].status, Status::Warn);
        assert!(found[0].reason.contains("+972") && !found[0].reason.contains("misses"));
        assert_eq!(found[1].status, Status::Warn);
        assert!(found[1].fix.contains("^<HOST> tried"));
    }
}
