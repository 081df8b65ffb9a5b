//! One `KsnWorld` per scenario: the topology that Given steps describe, then (from the first step that needs
//! it) the simulated world running on its own thread, and what the last action gave.

use cucumber::World;
use ksnsim_harness::topology::{EndpointSpec, KsnKind, Mode, ProxySpec, Servers, Topology};
use ksnsim_harness::world::{ActionOutcome, EndpointAction, Fault, HarnessError, SimWorld, WorldThread};
use std::fmt;

/// The state of one scenario.
#[derive(World)]
#[world(init = Self::new)]
pub struct KsnWorld {
    /// The world's seed: derived from the scenario's place (or given, to replay).
    pub seed: u64,
    /// `features/x.feature:LINE`, for messages and replay commands.
    pub scenario_id: String,
    topology: Topology,
    running: Option<WorldThread>,
    /// What each endpoint's last action gave.
    pub last: std::collections::BTreeMap<String, ActionOutcome>,
}

impl fmt::Debug for KsnWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KsnWorld")
            .field("scenario", &self.scenario_id)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl KsnWorld {
    async fn new() -> Result<Self, std::convert::Infallible> {
        // Nothing is there until Given steps say so: not even a KSN server.
        let servers = Servers {
            global: false,
            ..Servers::default()
        };
        let topology = Topology {
            name: "scenario".into(),
            tick_ms: 100,
            servers,
            proxies: Vec::new(),
            endpoints: Vec::new(),
        };
        Ok(Self {
            seed: 0,
            scenario_id: String::new(),
            topology,
            running: None,
            last: Default::default(),
        })
    }

    /// The topology, while Given steps still describe it.
    pub fn topology_mut(&mut self) -> Result<&mut Topology, String> {
        if self.running.is_some() {
            return Err(
                "the world is already running: put Given steps that add hosts or servers before any When"
                    .into(),
            );
        }
        Ok(&mut self.topology)
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    pub fn add_proxy(
        &mut self,
        name: &str,
        ksn: Option<KsnKind>,
        upstream: Option<&str>,
    ) -> Result<(), String> {
        let spec = ProxySpec::new(name, ksn, upstream.map(str::to_owned));
        self.topology_mut()?.proxies.push(spec);
        Ok(())
    }

    pub fn add_endpoint(&mut self, name: &str, mode: Mode) -> Result<(), String> {
        let spec = EndpointSpec {
            name: name.into(),
            count: 1,
            mode,
            ksn: KsnKind::Global,
            license: None,
            behind: None,
            direct_when_proxy_unavailable: false,
            allow_public_dns: true,
            accepted_statement: None,
            task_running: true,
            queue_capacity: None,
            colocated: false,
        };
        self.topology_mut()?.endpoints.push(spec);
        Ok(())
    }

    pub fn endpoint_mut(&mut self, name: &str) -> Result<&mut EndpointSpec, String> {
        let known: Vec<String> = self.topology.endpoints.iter().map(|e| e.name.clone()).collect();
        self.topology_mut()?
            .endpoints
            .iter_mut()
            .find(|e| e.name == name)
            .ok_or_else(|| {
                format!(
                    "no endpoint {name:?} in this scenario (known: {})",
                    known.join(", ")
                )
            })
    }

    pub fn proxy_mut(&mut self, name: &str) -> Result<&mut ProxySpec, String> {
        self.topology_mut()?
            .proxies
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| format!("no proxy {name:?}"))
    }

    /// The running world, built from the topology on first use.
    pub fn running(&mut self) -> Result<&WorldThread, String> {
        if self.running.is_none() {
            self.topology
                .validate(&self.scenario_id)
                .map_err(|e| e.to_string())?;
            let thread = WorldThread::spawn(self.topology.clone(), self.seed).map_err(|e| e.to_string())?;
            self.running = Some(thread);
        }
        Ok(self.running.as_ref().expect("set just above"))
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Runs `job` on the simulated world.
    pub async fn with_world<R: Send + 'static>(
        &mut self,
        job: impl FnOnce(&mut SimWorld) -> Result<R, HarnessError> + Send + 'static,
    ) -> Result<R, String> {
        let thread = self.running()?;
        thread
            .call(job)
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }

    /// Makes `host` act, remembering the outcome for later Then steps.
    pub async fn act(&mut self, host: &str, action: EndpointAction) -> Result<ActionOutcome, String> {
        let owned = host.to_owned();
        let outcome = self.with_world(move |world| world.act(&owned, action)).await?;
        self.last.insert(host.to_owned(), outcome.clone());
        Ok(outcome)
    }

    pub async fn fault(&mut self, fault: Fault) -> Result<(), String> {
        self.with_world(move |world| world.apply(fault)).await
    }

    /// The last outcome of `host`'s actions.
    pub fn last_of(&self, host: &str) -> Result<&ActionOutcome, String> {
        self.last
            .get(host)
            .ok_or_else(|| format!("{host} has not done anything yet in this scenario"))
    }
}
