//! Latency of the requests of a load run: a histogram of microseconds with a bounded number of buckets
//! (log-linear, as HdrHistogram: exact below 128 µs, then 64 buckets per power of two, so a percentile is
//! within 1.6% of the true value), cheap to record into and to merge across connections.

use std::time::Duration;

/// Values below this are counted exactly, one bucket each.
const EXACT_BELOW: u64 = 128;
/// Buckets per power of two above [`EXACT_BELOW`] (the mantissa bits kept).
const SUB_BUCKET_BITS: u32 = 6;
const SUB_BUCKETS: u64 = 1 << SUB_BUCKET_BITS;
/// The largest latency counted as itself; longer ones count as this (about 73 minutes).
const MAX_MICROS: u64 = 1 << 32;

/// How many buckets cover 0..=MAX_MICROS.
fn bucket_count() -> usize {
    // Powers of two from 2^7 (EXACT_BELOW) to 2^32, SUB_BUCKETS each.
    (EXACT_BELOW + (32 - 7 + 1) * SUB_BUCKETS) as usize
}

/// The bucket of `micros`.
fn bucket_of(micros: u64) -> usize {
    let micros = micros.min(MAX_MICROS);
    if micros < EXACT_BELOW {
        return micros as usize;
    }
    let exponent = 63 - micros.leading_zeros(); // 7..=32
    let mantissa = (micros >> (exponent - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
    (EXACT_BELOW + u64::from(exponent - 7) * SUB_BUCKETS + mantissa) as usize
}

/// The largest value that falls in bucket `index` (what a percentile reports: never an underestimate).
fn bucket_top(index: usize) -> u64 {
    let index = index as u64;
    if index < EXACT_BELOW {
        return index;
    }
    let exponent = (index - EXACT_BELOW) / SUB_BUCKETS + 7;
    let mantissa = (index - EXACT_BELOW) % SUB_BUCKETS;
    let step = 1u64 << (exponent - u64::from(SUB_BUCKET_BITS));
    (1u64 << exponent) + mantissa * step + step - 1
}

/// Latencies of many requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total: u64,
    max_micros: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            counts: vec![0; bucket_count()],
            total: 0,
            max_micros: 0,
        }
    }
}

impl LatencyHistogram {
    /// Counts one request that took `latency`.
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket_of(micros)] += 1;
        self.total += 1;
        self.max_micros = self.max_micros.max(micros.min(MAX_MICROS));
    }

    /// Adds the requests of `other`.
    pub fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max_micros = self.max_micros.max(other.max_micros);
    }

    /// Requests counted.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The latency that `quantile` (0.0..=1.0) of the requests did not exceed, in microseconds (the top of
    /// its bucket, at most the largest seen); `None` when nothing was recorded.
    pub fn quantile_micros(&self, quantile: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let quantile = quantile.clamp(0.0, 1.0);
        // The rank of the request at this quantile, 1-based: at least the first, at most the last.
        let rank = ((quantile * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(bucket_top(index).min(self.max_micros));
            }
        }
        Some(self.max_micros)
    }

    /// The longest latency recorded, in microseconds.
    pub fn max_micros(&self) -> u64 {
        self.max_micros
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn small_values_are_exact_and_percentiles_pick_the_right_rank() {
        let mut histogram = LatencyHistogram::default();
        for n in 1..=100 {
            histogram.record(micros(n));
        }
        assert_eq!(histogram.count(), 100);
        assert_eq!(histogram.quantile_micros(0.50), Some(50));
        assert_eq!(histogram.quantile_micros(0.99), Some(99));
        assert_eq!(histogram.quantile_micros(0.999), Some(100));
        assert_eq!(histogram.quantile_micros(0.0), Some(1));
        assert_eq!(histogram.max_micros(), 100);
    }

    #[test]
    fn large_values_are_within_the_bucket_precision_and_never_underestimated() {
        for value in [128u64, 129, 1_000, 4_321, 65_537, 1_234_567, 987_654_321] {
            let mut histogram = LatencyHistogram::default();
            histogram.record(micros(value));
            histogram.record(micros(value * 2));
            let p = histogram.quantile_micros(0.5).unwrap();
            assert!(p >= value, "{value}: {p} is an underestimate");
            assert!(
                (p - value) as f64 <= value as f64 / SUB_BUCKETS as f64,
                "{value}: {p} is off by more than one bucket"
            );
        }
    }

    #[test]
    fn a_tail_of_slow_requests_shows_in_p99_and_p999_only() {
        let mut histogram = LatencyHistogram::default();
        for _ in 0..9_880 {
            histogram.record(micros(100));
        }
        for _ in 0..100 {
            histogram.record(micros(5_000));
        }
        for _ in 0..20 {
            histogram.record(micros(80_000));
        }
        assert_eq!(histogram.quantile_micros(0.5), Some(100));
        let p99 = histogram.quantile_micros(0.99).unwrap();
        assert!((5_000..5_100).contains(&p99), "{p99}");
        let p999 = histogram.quantile_micros(0.999).unwrap();
        assert!((80_000..81_300).contains(&p999), "{p999}");
    }

    #[test]
    fn merging_adds_counts_and_keeps_the_max() {
        let mut a = LatencyHistogram::default();
        let mut b = LatencyHistogram::default();
        a.record(micros(10));
        b.record(micros(20));
        b.record(micros(3_000));
        a.merge(&b);
        assert_eq!(a.count(), 3);
        assert_eq!(a.quantile_micros(0.34), Some(20));
        assert_eq!(a.max_micros(), 3_000);
        assert_eq!(LatencyHistogram::default().quantile_micros(0.5), None);
    }

    #[test]
    fn every_value_maps_to_a_bucket_whose_top_is_not_below_it() {
        for value in (0..200_000u64)
            .step_by(7)
            .chain([MAX_MICROS - 1, MAX_MICROS, u64::MAX])
        {
            let index = bucket_of(value);
            assert!(index < bucket_count(), "{value} -> {index}");
            assert!(bucket_top(index) >= value.min(MAX_MICROS), "{value}");
        }
    }
}
