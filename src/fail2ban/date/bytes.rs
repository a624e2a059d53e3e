//! The small readers the hand-made date readers share (`syslog`, `access`, `iso`): fields of
//! ASCII digits, an expected byte, month names, the leading symbols a template skips. Each
//! reads at `at` and moves it past what it read, or leaves `None`.

/// `^(?:\W{0,2})?`: where the date may start, after at most two leading ASCII symbols;
/// `None` when a third or a non-ASCII byte comes first.
pub(super) fn after_leading_symbols(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at < bytes.len() && !is_word(bytes[at]) {
        if !bytes[at].is_ascii() || at == 2 {
            return None;
        }
        at += 1;
    }
    Some(at)
}

/// `%b`: the months, in order.
const MONTHS: [&[u8; 3]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

/// `%b` at `at`: the month (1-12) its name says, in any case (the templates' `(?i)`).
pub(super) fn month(bytes: &[u8], at: &mut usize) -> Option<u32> {
    let month = name_in(bytes.get(*at..*at + 3)?, &MONTHS)? + 1;
    *at += 3;
    Some(month)
}

/// `%d` at `at`: a day of the month, two characters (` 7`, `07`, `17`, `31`).
pub(super) fn day_of_month(bytes: &[u8], at: &mut usize) -> Option<u32> {
    let day = match *bytes.get(*at..*at + 2)? {
        [b' ' | b'0', low @ b'1'..=b'9'] => u32::from(low - b'0'),
        [high @ b'1'..=b'2', low] if low.is_ascii_digit() => {
            u32::from(high - b'0') * 10 + u32::from(low - b'0')
        }
        [b'3', low @ b'0'..=b'1'] => 30 + u32::from(low - b'0'),
        _ => return None,
    };
    *at += 2;
    Some(day)
}

/// `%H:%M:%S` at `at` (`[0-1]?\d|2[0-3]`: the first takes both digits of 00-19; of 20-23 only
/// the second lets the `:` follow).
pub(super) fn time_of_day(bytes: &[u8], at: &mut usize) -> Option<chrono::NaiveTime> {
    let hour = two_digits(bytes, at, b'2').filter(|hour| *hour <= 23)?;
    expect(bytes, at, b':')?;
    let minute = two_digits(bytes, at, b'5')?;
    expect(bytes, at, b':')?;
    let second = two_digits(bytes, at, b'5')?;
    chrono::NaiveTime::from_hms_opt(hour, minute, second)
}

/// The index of the name (any case, as the templates' `(?i)`) that `word` is.
pub(super) fn name_in(word: &[u8], names: &[&[u8; 3]]) -> Option<u32> {
    let position = names
        .iter()
        .position(|name| word.eq_ignore_ascii_case(name.as_slice()))?;
    u32::try_from(position).ok()
}

/// Two digits at `at`, the first at most `high` (a field `[0-high]?\d` takes both greedily).
fn two_digits(bytes: &[u8], at: &mut usize, high: u8) -> Option<u32> {
    match *bytes.get(*at..*at + 2)? {
        [first, second] if (b'0'..=high).contains(&first) && second.is_ascii_digit() => {
            *at += 2;
            Some(u32::from(first - b'0') * 10 + u32::from(second - b'0'))
        }
        _ => None,
    }
}

/// `%ExY` at `at`: four digits whose first three are `200` up to `max_year_prefix`.
pub(super) fn year_in(bytes: &[u8], at: &mut usize, max_year_prefix: u32) -> Option<i32> {
    let value = four_digits(bytes, at)?;
    (200..=max_year_prefix)
        .contains(&(value / 10))
        .then_some(())?;
    i32::try_from(value).ok()
}

/// Four digits at `at`.
fn four_digits(bytes: &[u8], at: &mut usize) -> Option<u32> {
    let digits = bytes.get(*at..*at + 4)?;
    digits.iter().all(u8::is_ascii_digit).then_some(())?;
    *at += 4;
    Some(
        digits
            .iter()
            .fold(0, |value, digit| value * 10 + u32::from(digit - b'0')),
    )
}

/// `wanted` at `at`.
pub(super) fn expect(bytes: &[u8], at: &mut usize, wanted: u8) -> Option<()> {
    (bytes.get(*at) == Some(&wanted)).then(|| *at += 1)
}

/// A word character for the regex (`\w`), among ASCII bytes.
pub(super) fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}
