//! Numbers that rejected calls went to (toll-fraud probes in Wazo's `xivo-initconfig`
//! context) and where each goes: the outside-line prefix a PBX user dials first (`0`, `9`),
//! the international prefix (`00`, `011`, `+`), the country calling code and its country, and
//! whether the destination is one toll fraud often calls.

use super::calling_codes::{CALLING_CODES, HIGH_COST_CODES, HIGH_COST_NANP_AREAS, NANP_AREAS};
use serde::Serialize;

/// Longest dialled number kept (an attacker writes it).
const MAX_NUMBER_CHARS: usize = 32;

/// Where a dialled number goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Destination {
    /// The country calling code (`972`), when the number is international.
    pub calling_code: Option<String>,
    /// Its country (ISO 3166 code; `--` for a non-geographic code such as satellite).
    pub country: Option<String>,
    /// Whether toll fraud often calls it (premium, satellite, small-island ranges).
    pub high_cost: bool,
}

/// The number a rejected call went to, from Asterisk's line in either form (before 16.15:
/// `Call from '...' (UDP:ip:port) to extension 'N' rejected ...`; since: `PJSIP/x: Call
/// (UDP:ip:port) to extension 'N' rejected ...`), bounded in length.
pub fn dialled_number(line: &str) -> Option<String> {
    let start = line.find(" to extension '")? + " to extension '".len();
    let rest = &line[start..];
    let end = rest.find("' rejected")?;
    let number: String = rest[..end].chars().take(MAX_NUMBER_CHARS).collect();
    (!number.is_empty()).then_some(number)
}

/// Where `number` goes, as a PBX user dials it: `+CC...`, or an international prefix (`00`,
/// `011`), possibly after an outside-line digit (`0`, `9`): `90119725954049` is Israel. A
/// number that is none of these is national: no calling code.
pub fn destination(number: &str) -> Destination {
    let international = match number.strip_prefix('+') {
        Some(rest) => Some(rest),
        None => ["", "0", "9"].iter().find_map(|outside| {
            let after = number.strip_prefix(outside)?;
            ["00", "011"].iter().find_map(|prefix| {
                let rest = after.strip_prefix(prefix)?;
                calling_code(rest).map(|_| rest)
            })
        }),
    };
    let Some(rest) = international else {
        return Destination::default();
    };
    let Some((code, country)) = calling_code(rest) else {
        return Destination::default();
    };
    let area = rest.get(1..4).filter(|_| code == "1");
    let country = area
        .and_then(|area| NANP_AREAS.iter().find(|(a, _)| *a == area))
        .map_or(country, |(_, country)| *country);
    let high_cost = HIGH_COST_CODES.contains(&code)
        || area.is_some_and(|area| HIGH_COST_NANP_AREAS.contains(&area));
    Destination {
        calling_code: Some(code.to_string()),
        country: Some(country.to_string()),
        high_cost,
    }
}

/// The calling code `digits` start with (codes are prefix-free) and its country.
fn calling_code(digits: &str) -> Option<(&'static str, &'static str)> {
    (1..=3).find_map(|len| {
        let code = digits.get(..len)?;
        CALLING_CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(c, country)| (*c, *country))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(number: &str) -> Option<String> {
        destination(number).country
    }

    #[test]
    fn international_prefixes_and_outside_lines() {
        assert_eq!(country("+972595404900").as_deref(), Some("IL"));
        assert_eq!(country("00972595404900").as_deref(), Some("IL"));
        assert_eq!(country("011972595404900").as_deref(), Some("IL"));
        assert_eq!(
            country("90119725954049").as_deref(),
            Some("IL"),
            "9, then 011"
        );
        assert_eq!(
            country("000441234567890").as_deref(),
            Some("GB"),
            "0, then 00"
        );
        assert_eq!(country("9005352345678").as_deref(), Some("CU"));
        assert_eq!(
            country("+18765550123").as_deref(),
            Some("JM"),
            "NANP area 876"
        );
        assert_eq!(country("01112125550123").as_deref(), Some("US"));
        assert_eq!(
            country("0112125550123").as_deref(),
            Some("MA"),
            "011, then 212"
        );
        assert_eq!(country("+8816"), Some("--".to_string()), "satellite");
        assert_eq!(country("1001"), None, "an extension");
        assert_eq!(country("0612345678"), None, "a national number");
        assert_eq!(country("+"), None);
    }

    #[test]
    fn high_cost_destinations_are_flagged() {
        assert!(destination("9005352345678").high_cost, "Cuba");
        assert!(destination("+18765550123").high_cost, "Jamaica");
        assert!(destination("+8816123").high_cost, "satellite");
        assert!(!destination("+12125550123").high_cost, "New York");
        assert!(!destination("0033123456789").high_cost, "France");
    }

    #[test]
    fn the_number_from_both_forms_of_the_line_bounded() {
        let old = "NOTICE[1] res_pjsip_session.c: Call from '1001' (UDP:203.0.113.50:5060) to extension '90119725954049' rejected because extension not found in context 'xivo-initconfig'.";
        let new = "NOTICE[1] res_pjsip_session.c: PJSIP/trunk-0001: Call (UDP:203.0.113.50:5060) to extension '0046812345' rejected because extension not found in context 'xivo-initconfig'.";
        assert_eq!(dialled_number(old).as_deref(), Some("90119725954049"));
        assert_eq!(dialled_number(new).as_deref(), Some("0046812345"));
        let long = format!("Call to extension '{}' rejected", "9".repeat(500));
        assert_eq!(dialled_number(&long).map(|n| n.len()), Some(32));
        assert_eq!(dialled_number("Call to extension '' rejected"), None);
    }
}
