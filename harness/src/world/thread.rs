//! A world on its own thread. turmoil's `Sim` is not `Send` and must not run inside a tokio runtime, so each
//! world lives on a plain thread and async code (cucumber steps) sends it closures and awaits their results.
//! Scenarios therefore run in parallel, one thread each, and each world stays single-threaded: determinism
//! does not depend on how the threads are scheduled.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread::JoinHandle;

use super::{HarnessError, SimWorld};
use crate::topology::Topology;

type Job = Box<dyn FnOnce(&mut SimWorld) + Send>;

/// The handle to a world running on its own thread.
pub struct WorldThread {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl WorldThread {
    /// Builds the world of `topology` on a new thread.
    pub fn spawn(topology: Topology, seed: u64) -> Result<Self, HarnessError> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (built_tx, built_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(format!("world-{seed}"))
            .spawn(move || {
                let mut world = match catch_unwind(AssertUnwindSafe(|| SimWorld::build(&topology, seed))) {
                    Ok(Ok(world)) => {
                        let _ = built_tx.send(Ok(()));
                        world
                    }
                    Ok(Err(err)) => return drop(built_tx.send(Err(err))),
                    Err(panic) => {
                        return drop(built_tx.send(Err(HarnessError::Simulation(describe(&panic)))));
                    }
                };
                while let Ok(job) = inbox.recv() {
                    job(&mut world);
                }
            })
            .map_err(|err| HarnessError::Setup(format!("cannot start a world thread: {err}")))?;
        built_rx
            .recv()
            .map_err(|_| HarnessError::Setup("the world thread ended while building".into()))??;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `job` on the world and awaits its result. A panic inside is reported as a harness error.
    pub async fn call<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut SimWorld) -> R + Send + 'static,
    ) -> Result<R, HarnessError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.post(tx, job)?;
        rx.await
            .map_err(|_| HarnessError::Simulation("the world thread stopped".into()))?
    }

    /// Runs `job` on the world from synchronous code.
    pub fn call_blocking<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut SimWorld) -> R + Send + 'static,
    ) -> Result<R, HarnessError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.post(tx, job)?;
        rx.blocking_recv()
            .map_err(|_| HarnessError::Simulation("the world thread stopped".into()))?
    }

    fn post<R: Send + 'static>(
        &self,
        reply: tokio::sync::oneshot::Sender<Result<R, HarnessError>>,
        job: impl FnOnce(&mut SimWorld) -> R + Send + 'static,
    ) -> Result<(), HarnessError> {
        let job: Job = Box::new(move |world| {
            let result = catch_unwind(AssertUnwindSafe(|| job(world)))
                .map_err(|panic| HarnessError::Simulation(format!("panicked: {}", describe(&panic))));
            let _ = reply.send(result);
        });
        let jobs = self
            .jobs
            .as_ref()
            .ok_or_else(|| HarnessError::Simulation("the world is closed".into()))?;
        jobs.send(job)
            .map_err(|_| HarnessError::Simulation("the world thread stopped".into()))
    }
}

impl Drop for WorldThread {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn describe(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".into())
}
