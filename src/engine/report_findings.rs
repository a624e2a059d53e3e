//! The report's findings in words, the lines an operator acts on: accounts brute-forced,
//! international numbers probed, provisioning files guessed from outside, failures the jails
//! miss.

use crate::model::report::Report;

/// Failures on one account that make it worth a line.
const ACCOUNT_FAILURES: u64 = 20;
/// Sources on one account that make it worth a line.
const ACCOUNT_SOURCES: usize = 5;
/// Accounts named at most.
const ACCOUNTS_NAMED: usize = 5;

/// What in `report` needs the operator's attention.
pub fn findings(report: &Report) -> Vec<String> {
    let mut findings = Vec::new();
    for account in report
        .targets
        .accounts
        .iter()
        .filter(|a| a.failures >= ACCOUNT_FAILURES || a.sources >= ACCOUNT_SOURCES)
        .take(ACCOUNTS_NAMED)
    {
        let what = if account.jail.starts_with("sshd") {
            format!("SSH user {}", account.account)
        } else {
            format!("account {} ({})", account.account, account.jail)
        };
        findings.push(format!(
            "{what}: {} failures from {} addresses: check its password and who may log in with it",
            account.failures, account.sources
        ));
    }
    for destination in report.targets.calls_by_destination() {
        findings.push(format!(
            "{} calls to +{} ({}) numbers rejected: international calls are being probed{}",
            destination.calls,
            destination.calling_code,
            destination.country,
            if destination.high_cost {
                ", to a destination toll fraud often calls"
            } else {
                ""
            }
        ));
    }
    for files in report
        .targets
        .provisioning
        .iter()
        .filter(|files| files.outside_sources > 0)
    {
        findings.push(format!(
            "provisioning files {} asked for from {} addresses outside the private networks: phone credentials may be guessed",
            files.pattern, files.outside_sources
        ));
    }
    for spot in &report.blind_spots {
        findings.push(format!(
            "{} misses {} failures that fail2ban's {} filter finds (from {} addresses)",
            spot.jail, spot.failures, spot.filter, spot.sources
        ));
    }
    findings
}
