//! The figures of a proxy benchmark: one sample per target, workload, connection count and round, and the
//! rows of the table (each figure the median of its rounds). Serialized as `bench.json`.

use serde::Serialize;

use super::workloads::Workload;

/// The `format_version` of `bench.json`; bumped when a reader would misread a new file.
pub const BENCH_FORMAT_VERSION: u32 = 1;

/// What was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// The static answer: the load generator's ceiling.
    Ceiling,
    /// The mock KSN straight over TLS: the upstream's own rate.
    Upstream,
    /// A proxy under test, in front of the mock KSN.
    Proxy,
}

/// One measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub round: usize,
    /// 2xx answers per second.
    pub requests_per_second: f64,
    pub p50_micros: u64,
    pub p99_micros: u64,
    pub p999_micros: u64,
    pub ok: u64,
    pub non_2xx: u64,
    pub errors: u64,
    /// Requests that reached the mock KSN during the measurement (`None`: no upstream behind the target).
    pub upstream_requests: Option<u64>,
    /// Resident bytes of the proxy's process group before and after the warm set was cached (this round).
    pub rss_before_warm: Option<u64>,
    pub rss_after_warm: Option<u64>,
    /// CPU seconds the proxy's process group used during the measurement (`None`: not a proxy started as a
    /// command, or no `/proc`).
    pub cpu_seconds: Option<f64>,
}

impl Sample {
    /// Upstream requests per client request answered.
    pub fn upstream_per_request(&self) -> Option<f64> {
        let answered = self.ok + self.non_2xx;
        self.upstream_requests
            .map(|upstream| upstream as f64 / answered.max(1) as f64)
    }

    /// The proxy's CPU microseconds per answered request (2xx or not).
    pub fn cpu_micros_per_request(&self) -> Option<f64> {
        let answered = self.ok + self.non_2xx;
        self.cpu_seconds
            .filter(|_| answered > 0)
            .map(|seconds| seconds * 1e6 / answered as f64)
    }
}

/// The samples of one target, workload and connection count.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub target: String,
    pub kind: TargetKind,
    pub workload: Workload,
    pub connections: usize,
    pub samples: Vec<Sample>,
    /// The first non-2xx status or failure seen, to say what went wrong.
    pub first_problem: Option<String>,
}

/// One row of the table: medians over the rounds.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    pub target: String,
    pub kind: TargetKind,
    pub workload: Workload,
    pub connections: usize,
    pub rounds: usize,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub upstream_per_request: Option<f64>,
    /// CPU microseconds the proxy's processes spent per answered request (proxies started as commands).
    pub cpu_micros_per_request: Option<f64>,
    /// Bytes of resident memory per cached entry of the warm set (`warm` rows of proxies started as commands).
    pub rss_bytes_per_entry: Option<f64>,
    /// Resident bytes of the proxy's process group once the warm set was cached.
    pub rss_after_warm_bytes: Option<u64>,
    /// Totals over the rounds.
    pub non_2xx: u64,
    pub errors: u64,
    pub first_problem: Option<String>,
    /// Requests per second of each round, to show the spread behind the median.
    pub requests_per_second_by_round: Vec<f64>,
}

impl BenchRow {
    /// The row of `measured`, with `warm_objects` entries for the memory figure.
    pub fn from_measured(measured: &Measured, warm_objects: usize) -> Self {
        let samples = &measured.samples;
        let rps: Vec<f64> = samples.iter().map(|s| s.requests_per_second).collect();
        let ms = |pick: fn(&Sample) -> u64| {
            median(
                &samples
                    .iter()
                    .map(|s| pick(s) as f64 / 1000.0)
                    .collect::<Vec<_>>(),
            )
            .unwrap_or(0.0)
        };
        let upstream: Vec<f64> = samples.iter().filter_map(Sample::upstream_per_request).collect();
        let cpu: Vec<f64> = samples
            .iter()
            .filter_map(Sample::cpu_micros_per_request)
            .collect();
        let per_entry: Vec<f64> = samples
            .iter()
            .filter_map(|s| {
                Some((s.rss_after_warm? as f64 - s.rss_before_warm? as f64) / warm_objects.max(1) as f64)
            })
            .collect();
        let after: Vec<f64> = samples
            .iter()
            .filter_map(|s| s.rss_after_warm.map(|b| b as f64))
            .collect();
        Self {
            target: measured.target.clone(),
            kind: measured.kind,
            workload: measured.workload,
            connections: measured.connections,
            rounds: samples.len(),
            requests_per_second: median(&rps).unwrap_or(0.0),
            p50_ms: ms(|s| s.p50_micros),
            p99_ms: ms(|s| s.p99_micros),
            p999_ms: ms(|s| s.p999_micros),
            upstream_per_request: median(&upstream),
            cpu_micros_per_request: median(&cpu),
            rss_bytes_per_entry: median(&per_entry),
            rss_after_warm_bytes: median(&after).map(|b| b as u64),
            non_2xx: samples.iter().map(|s| s.non_2xx).sum(),
            errors: samples.iter().map(|s| s.errors).sum(),
            first_problem: measured.first_problem.clone(),
            requests_per_second_by_round: rps,
        }
    }
}

/// The whole benchmark: how it ran, on what, and its rows.
#[derive(Debug, Clone, Serialize)]
pub struct ProxyBenchReport {
    pub format_version: u32,
    /// CPUs this process could use.
    pub cores: usize,
    /// `/proc/loadavg`'s 1-minute load at the start and the end (other work on the machine shows here).
    pub load_at_start: Option<f64>,
    pub load_at_end: Option<f64>,
    pub duration_ms: u64,
    pub rounds: usize,
    pub warm_objects: usize,
    pub connections: Vec<usize>,
    pub workloads: Vec<Workload>,
    /// The proxies and their commands, in table order.
    pub proxies: Vec<(String, String)>,
    pub rows: Vec<BenchRow>,
    /// What was not measured and why, and anything else the reader must know.
    pub notes: Vec<String>,
}

/// The median (the mean of the middle two for an even count); `None` for no values.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    })
}

/// The 1-minute load average, from `/proc/loadavg`.
pub(crate) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(round: usize, rps: f64, p99: u64, upstream: Option<u64>) -> Sample {
        Sample {
            round,
            requests_per_second: rps,
            p50_micros: p99 / 2,
            p99_micros: p99,
            p999_micros: p99 * 2,
            ok: 1000,
            non_2xx: 0,
            errors: 0,
            upstream_requests: upstream,
            rss_before_warm: Some(10_000_000),
            rss_after_warm: Some(10_000_000 + 1_000 * 250 * round as u64),
            cpu_seconds: Some(0.01 * round as f64),
        }
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_row_takes_the_median_of_each_figure_over_its_rounds() {
        let measured = Measured {
            target: "ksn-proxy".into(),
            kind: TargetKind::Proxy,
            workload: Workload::Warm,
            connections: 8,
            samples: vec![
                sample(1, 100.0, 3000, Some(10)),
                sample(2, 300.0, 1000, Some(0)),
                sample(3, 200.0, 2000, Some(20)),
            ],
            first_problem: None,
        };
        let row = BenchRow::from_measured(&measured, 1000);
        assert_eq!(row.requests_per_second, 200.0);
        assert_eq!(row.p99_ms, 2.0);
        assert_eq!(row.p999_ms, 4.0);
        assert_eq!(row.upstream_per_request, Some(0.01));
        // 0.01, 0.02 and 0.03 s over 1000 answers each: 10, 20 and 30 us per request.
        assert!(
            row.cpu_micros_per_request
                .is_some_and(|us| (us - 20.0).abs() < 1e-9)
        );
        assert_eq!(row.rss_bytes_per_entry, Some(500.0));
        assert_eq!(row.requests_per_second_by_round, vec![100.0, 300.0, 200.0]);
    }
}
