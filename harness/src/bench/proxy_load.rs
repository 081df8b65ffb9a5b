//! The load generator: C keep-alive connections in a closed loop (each sends its next request when the last
//! answer is in) for a fixed duration, every request's latency into a histogram, answers counted by class.
//! Bounded: by the duration, by a request count per connection, and by a timeout on every exchange.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;
use tokio::time::Instant;

use super::connection::{Connection, Target};
use super::latency::LatencyHistogram;
use super::workloads::{RequestStream, Workload};

/// A bound on requests per connection, whatever the machine's speed.
const MAX_PER_CONNECTION: u64 = 20_000_000;
/// After a failed connect, how long a connection waits before it tries again (no busy loop on a dead port).
const RECONNECT_PAUSE: Duration = Duration::from_millis(20);

/// How hard and how long to load a target.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoadShape {
    pub connections: usize,
    pub duration: Duration,
    /// The longest one exchange may take before it counts as an error (and its connection is made again).
    pub request_timeout: Duration,
}

/// What one load run measured.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadFigures {
    /// Answers with a 2xx status.
    pub ok: u64,
    /// Answers with another status.
    pub non_2xx: u64,
    /// The first non-2xx status seen, for the message.
    pub first_non_2xx: Option<u16>,
    /// Exchanges that failed (connect, I/O, framing, timeout).
    pub errors: u64,
    /// The first failure, for the message.
    pub first_error: Option<String>,
    /// Latency of every answer (2xx or not).
    pub latency: LatencyHistogram,
    /// From the moment every connection was open to the last answer.
    pub elapsed: Duration,
}

impl LoadFigures {
    /// 2xx answers per second.
    pub(crate) fn ok_per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn merge(&mut self, other: Self) {
        self.ok += other.ok;
        self.non_2xx += other.non_2xx;
        self.first_non_2xx = self.first_non_2xx.or(other.first_non_2xx);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.latency.merge(&other.latency);
    }
}

/// Runs `workload` against `target` with `shape`; `epoch` keeps miss objects unique across runs.
///
/// The connections are shared out over generator threads, one per core, each with a single-threaded runtime
/// of its own (as wrk runs one event loop per thread): no task ever moves between threads. Against the static
/// answer this raised the generator's ceiling from 29,000 to 37,000 requests/s on the shared 2-core machine.
pub(crate) async fn run_load(
    target: &Target,
    workload: Workload,
    warm_objects: usize,
    epoch: u64,
    shape: LoadShape,
) -> LoadFigures {
    let connections = shape.connections.max(1);
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(connections);
    let ready = Arc::new(Barrier::new(connections + 1));
    let mut results = Vec::new();
    let mut figures = LoadFigures::default();
    for thread in 0..threads {
        // Connections thread, thread + threads, ...: every thread gets its share, all at once.
        let streams: Vec<RequestStream> = (thread..connections)
            .step_by(threads)
            .map(|index| RequestStream::new(workload, warm_objects, epoch, index))
            .collect();
        let (done, result) = tokio::sync::oneshot::channel();
        let (target, ready_here) = (target.clone(), ready.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("ksnsim-load-{thread}"))
            .spawn(move || {
                let _ = done.send(generator_thread(target, streams, shape, ready_here));
            });
        match spawned {
            Ok(_) => results.push(result),
            Err(err) => {
                note_error(&mut figures, format!("a load thread did not start: {err}"));
                return figures;
            }
        }
    }
    ready.wait().await;
    let started = Instant::now();
    for result in results {
        match result.await {
            Ok(measured) => figures.merge(measured),
            Err(_) => note_error(&mut figures, "a load thread ended without its figures".to_owned()),
        }
    }
    figures.elapsed = started.elapsed();
    figures
}

/// One generator thread: its connections on a runtime of its own, their figures merged.
fn generator_thread(
    target: Target,
    streams: Vec<RequestStream>,
    shape: LoadShape,
    ready: Arc<Barrier>,
) -> LoadFigures {
    let mut figures = LoadFigures::default();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            note_error(&mut figures, format!("a load runtime did not start: {err}"));
            // The others must not wait for these connections at the barrier.
            return futures::executor::block_on(async {
                for _ in &streams {
                    ready.wait().await;
                }
                figures
            });
        }
    };
    runtime.block_on(async {
        let workers: Vec<_> = streams
            .into_iter()
            .map(|stream| tokio::spawn(connection_loop(target.clone(), stream, shape, ready.clone())))
            .collect();
        for worker in workers {
            match worker.await {
                Ok(measured) => figures.merge(measured),
                Err(err) => note_error(&mut figures, format!("a load task failed: {err}")),
            }
        }
        figures
    })
}

/// One connection: open it, wait for the others, then send and read until the duration is over. One timer
/// bounds the whole loop (the duration and one request timeout past it): a hung exchange counts as an error
/// at the end, and no timer is set and cancelled per request.
async fn connection_loop(
    target: Target,
    mut requests: RequestStream,
    shape: LoadShape,
    ready: Arc<Barrier>,
) -> LoadFigures {
    let mut figures = LoadFigures::default();
    let mut connection = open(&target, shape, &mut figures).await;
    ready.wait().await;
    let deadline = Instant::now() + shape.duration;
    let hard_end = tokio::time::sleep_until(deadline + shape.request_timeout);
    tokio::pin!(hard_end);
    let mut request = Vec::with_capacity(1024);
    let mut sent = 0u64;
    while Instant::now() < deadline && sent < MAX_PER_CONNECTION {
        let Some(open_connection) = connection.as_mut() else {
            tokio::time::sleep(RECONNECT_PAUSE).await;
            connection = open(&target, shape, &mut figures).await;
            continue;
        };
        requests.next_into(&mut request);
        sent += 1;
        // Timed from before the write: the whole cycle a client waits for its answer.
        let started = Instant::now();
        let exchanged = tokio::select! {
            biased;
            exchanged = open_connection.exchange(&request) => exchanged,
            () = &mut hard_end => {
                note_error(&mut figures, format!("no answer within {:?} after the run's end", shape.request_timeout));
                break;
            }
        };
        match exchanged {
            Ok(answered) => {
                figures.latency.record(started.elapsed());
                if (200..300).contains(&answered.status) {
                    figures.ok += 1;
                } else {
                    figures.non_2xx += 1;
                    figures.first_non_2xx.get_or_insert(answered.status);
                }
                if answered.closes {
                    connection = open(&target, shape, &mut figures).await;
                }
            }
            Err(err) => {
                note_error(&mut figures, err.to_string());
                connection = open(&target, shape, &mut figures).await;
            }
        }
    }
    figures
}

async fn open(target: &Target, shape: LoadShape, figures: &mut LoadFigures) -> Option<Connection> {
    match tokio::time::timeout(shape.request_timeout, Connection::open(target)).await {
        Ok(Ok(connection)) => Some(connection),
        Ok(Err(err)) => {
            note_error(figures, format!("connect: {err}"));
            None
        }
        Err(_) => {
            note_error(
                figures,
                format!("connect: no connection within {:?}", shape.request_timeout),
            );
            None
        }
    }
}

fn note_error(figures: &mut LoadFigures, message: String) {
    figures.errors += 1;
    figures.first_error.get_or_insert(message);
}

/// How the lookups that warm a cache were answered.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Warmed {
    pub ok: usize,
    pub first_non_2xx: Option<u16>,
}

/// Sends each of `lookups` once, over `connections` connections side by side, bounded by `within`: what
/// warms a proxy's cache before a measurement. A failed exchange ends the warming with its error.
pub(crate) async fn warm_up(
    target: &Target,
    lookups: Vec<Vec<u8>>,
    connections: usize,
    within: Duration,
) -> Result<Warmed, String> {
    let lookups = Arc::new(lookups);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let deadline = Instant::now() + within;
    let workers: Vec<_> = (0..connections.max(1))
        .map(|_| {
            let (target, lookups, next) = (target.clone(), lookups.clone(), next.clone());
            tokio::spawn(async move {
                let mut connection = Connection::open(&target).await.map_err(|e| e.to_string())?;
                let mut warmed = Warmed::default();
                loop {
                    let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(request) = lookups.get(at) else {
                        return Ok::<_, String>(warmed);
                    };
                    let left = deadline.saturating_duration_since(Instant::now());
                    let answered = tokio::time::timeout(left, connection.exchange(request))
                        .await
                        .map_err(|_| format!("warming the cache took longer than {within:?}"))?
                        .map_err(|e| e.to_string())?;
                    if (200..300).contains(&answered.status) {
                        warmed.ok += 1;
                    } else {
                        warmed.first_non_2xx.get_or_insert(answered.status);
                    }
                    if answered.closes {
                        connection = Connection::open(&target).await.map_err(|e| e.to_string())?;
                    }
                }
            })
        })
        .collect();
    let mut warmed = Warmed::default();
    for worker in workers {
        let theirs = worker.await.map_err(|e| e.to_string())??;
        warmed.ok += theirs.ok;
        warmed.first_non_2xx = warmed.first_non_2xx.or(theirs.first_non_2xx);
    }
    Ok(warmed)
}
