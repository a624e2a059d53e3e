//! Address ranges with their country, sorted, found by binary search: the in-memory form of a
//! tor-geoipdb file. Kept as three parallel vectors (starts, ends, countries) so an IPv4 range
//! costs 10 bytes and an IPv6 range 34, with no padding.

use super::error::LineProblem;

/// A country code as two upper-case ASCII letters.
pub type CountryCode = [u8; 2];

/// Disjoint ranges of addresses (as integers: `u32` for IPv4, `u128` for IPv6), ascending.
#[derive(Debug, Default)]
pub struct CountryRanges<T> {
    starts: Vec<T>,
    ends: Vec<T>,
    countries: Vec<CountryCode>,
}

impl<T: Copy + Ord> CountryRanges<T> {
    /// Room for `count` more ranges, so that loading does not leave grown-out vectors behind.
    pub fn reserve(&mut self, count: usize) {
        self.starts.reserve_exact(count);
        self.ends.reserve_exact(count);
        self.countries.reserve_exact(count);
    }

    /// Appends `start..=end`, which must start after the last range ends.
    pub fn push(&mut self, start: T, end: T, country: CountryCode) -> Result<(), LineProblem> {
        if end < start {
            return Err(LineProblem::Reversed);
        }
        if self.ends.last().is_some_and(|&last| start <= last) {
            return Err(LineProblem::NotAscending);
        }
        self.starts.push(start);
        self.ends.push(end);
        self.countries.push(country);
        Ok(())
    }

    /// The country of the range holding `address`, if one does.
    pub fn country_of(&self, address: T) -> Option<CountryCode> {
        let index = self
            .starts
            .partition_point(|&start| start <= address)
            .checked_sub(1)?;
        let end = *self.ends.get(index)?;
        if address <= end {
            self.countries.get(index).copied()
        } else {
            None
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_range_holding_an_address_and_nothing_in_gaps() {
        let mut ranges = CountryRanges::<u32>::default();
        assert_eq!(ranges.country_of(5), None);
        ranges
            .push(10, 19, *b"FR")
            .unwrap_or_else(|e| panic!("{e}"));
        ranges
            .push(20, 20, *b"DE")
            .unwrap_or_else(|e| panic!("{e}"));
        ranges
            .push(30, u32::MAX, *b"US")
            .unwrap_or_else(|e| panic!("{e}"));
        let found: Vec<_> = [0, 9, 10, 19, 20, 21, 29, 30, u32::MAX]
            .into_iter()
            .map(|a| ranges.country_of(a))
            .collect();
        assert_eq!(
            found,
            [
                None,
                None,
                Some(*b"FR"),
                Some(*b"FR"),
                Some(*b"DE"),
                None,
                None,
                Some(*b"US"),
                Some(*b"US")
            ]
        );
    }

    #[test]
    fn reversed_and_overlapping_ranges_are_refused() {
        let mut ranges = CountryRanges::<u128>::default();
        assert_eq!(ranges.push(5, 4, *b"FR"), Err(LineProblem::Reversed));
        ranges.push(5, 9, *b"FR").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ranges.push(9, 12, *b"DE"), Err(LineProblem::NotAscending));
        assert_eq!(ranges.push(0, 1, *b"DE"), Err(LineProblem::NotAscending));
        assert_eq!(ranges.country_of(0), None);
        assert_eq!(ranges.country_of(10), None);
        assert_eq!(ranges.country_of(9), Some(*b"FR"));
    }
}
