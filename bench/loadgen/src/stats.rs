//! Latency distributions, merged from any source and read as percentiles.

use std::collections::BTreeMap;

/// Counts of latencies, by microsecond (or bucket floor).
#[derive(Clone, Debug, Default)]
pub struct Latencies(BTreeMap<u64, usize>);

impl Latencies {
    pub fn add(&mut self, micros: u64, count: usize) {
        *self.0.entry(micros).or_default() += count;
    }

    pub fn count(&self) -> usize {
        self.0.values().sum()
    }

    /// The latency `fraction` of the samples are at or under, in milliseconds.
    pub fn percentile_ms(&self, fraction: f64) -> f64 {
        let total = self.count();
        if total == 0 {
            return 0.0;
        }
        let rank = ((total as f64) * fraction).ceil().max(1.0) as usize;
        let mut seen = 0;
        for (us, n) in &self.0 {
            seen += n;
            if seen >= rank {
                return *us as f64 / 1000.0;
            }
        }
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_read_the_rank() {
        let mut l = Latencies::default();
        for us in 1..=100 {
            l.add(us * 1000, 1);
        }
        assert_eq!(l.percentile_ms(0.5), 50.0);
        assert_eq!(l.percentile_ms(0.99), 99.0);
    }
}
