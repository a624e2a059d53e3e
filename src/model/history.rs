//! A bounded ring buffer that counts what it dropped, so memory stays flat under a flood.

use std::collections::VecDeque;

/// The most recent `capacity` items, oldest first, and the number dropped to stay bounded.
#[derive(Debug, Clone)]
pub struct History<T> {
    items: VecDeque<T>,
    capacity: usize,
    dropped: u64,
}

impl<T> History<T> {
    /// An empty history keeping at most `capacity` items (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            items: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
            dropped: 0,
        }
    }

    /// Appends an item, dropping the oldest when full.
    pub fn push(&mut self, item: T) {
        if self.items.len() == self.capacity {
            self.items.pop_front();
            self.dropped += 1;
        }
        self.items.push_back(item);
    }

    /// How many items were dropped since the start.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Number of items kept.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_and_counts_the_dropped() {
        let mut history = History::new(3);
        for i in 0..5 {
            history.push(i);
        }
        assert_eq!(history.iter().copied().collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(history.dropped(), 2);
    }
}
