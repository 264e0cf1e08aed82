//! The active resource manager (Flink's native Kubernetes mode): the leading JobManager
//! starts TaskManagers as jobs need slots, replaces the ones that fail, and stops the
//! ones that stay idle. Where the TaskManagers run is a [`WorkerDriver`]'s business
//! (pods, in [`kubernetes`]); what to start and stop is [`Plan`]'s, a pure function of
//! what the driver and the registry report, so the policy is tested without either.
//!
//! - **Demand**: allocations that wait for slots register what they want; whatever the
//!   free slots and the slots of workers still starting do not cover is started, a
//!   worker per `slots` slots, up to `max_workers`.
//! - **Failure**: a worker that ended (its pod failed, or was deleted) is removed; one
//!   that does not register within `registration_timeout` (an image that cannot be
//!   pulled, a pod that cannot be scheduled), or whose TaskManager was lost and did not
//!   come back as long, is stopped. The runs on it fail and restart, and their demand
//!   starts a replacement. Workers that fail before they register count as start
//!   failures: past `max_start_failures` a minute, no worker starts until the rate drops.
//! - **Idle**: a worker whose slots no run has held for `idle_timeout`, while no
//!   allocation waits, is retired (no run gets its slots) and stopped.
//!
//! Only the leader manages workers, and it adopts the workers of the leader before it
//! (they register with it under high availability).

#[cfg(feature = "kubernetes")]
pub mod kubernetes;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::jobmanager::registry::{Capacity, Registry, TaskManagerLoad};

/// Starts and stops the processes TaskManagers run in (Flink's ResourceManagerDriver).
pub trait WorkerDriver: Send + Sync + Debug {
    /// How many slots each worker's TaskManager offers.
    fn slots_per_worker(&self) -> usize;

    /// Starts a worker; returns its name, which its TaskManager registers with.
    fn start_worker(&self) -> Result<String, String>;

    /// Stops worker `name` (gone already is no error).
    fn stop_worker(&self, name: &str) -> Result<(), String>;

    /// The workers of this cluster, also those an earlier leader started.
    fn workers(&self) -> Result<Vec<Worker>, String>;
}

/// A worker as its driver reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Worker {
    /// Its name: its TaskManager's.
    pub name: String,
    /// How it is doing.
    pub phase: WorkerPhase,
}

/// How a worker is doing, as its driver sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkerPhase {
    /// Asked for, not yet running (a pod being scheduled, its image pulled).
    Starting,
    /// Its process runs.
    Running,
    /// It ended, and why (a failed pod's reason and exit code).
    Ended(String),
}

/// How the resource manager starts and stops workers.
#[derive(Clone, Debug)]
pub struct ResourceOptions {
    /// The most workers it keeps at once (`None`: no limit).
    pub max_workers: Option<usize>,
    /// How long a worker may take to register, or to come back once its TaskManager was
    /// lost, before it is stopped (Flink's
    /// `resourcemanager.taskmanager-registration.timeout`).
    pub registration_timeout: Duration,
    /// How long a worker may go without a run before it is stopped (Flink's
    /// `resourcemanager.taskmanager-timeout`).
    pub idle_timeout: Duration,
    /// At this many workers a minute that fail before they register, no new one starts
    /// until the rate drops (Flink's `resourcemanager.start-worker.max-failure-rate`).
    pub max_start_failures: usize,
    /// How often it looks.
    pub interval: Duration,
    /// Keep the workers an earlier JobManager started (under high availability they
    /// register with the new leader); else they are stopped, since they look for a
    /// JobManager that is gone.
    pub adopt: bool,
}

impl Default for ResourceOptions {
    fn default() -> Self {
        ResourceOptions {
            max_workers: None,
            registration_timeout: Duration::from_secs(300),
            idle_timeout: Duration::from_secs(30),
            max_start_failures: 10,
            interval: Duration::from_millis(500),
            adopt: true,
        }
    }
}

/// What [`Plan::decide`] asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start this many workers.
    Start(usize),
    /// Stop a worker that failed.
    Stop {
        /// The worker.
        name: String,
        /// Why.
        why: String,
    },
    /// Retire and stop an idle worker (only if it is still idle when retired).
    Retire {
        /// The worker.
        name: String,
    },
}

/// The resource manager's memory between two looks: when each worker was first seen or
/// last registered, since when each has been idle, and the recent start failures.
#[derive(Debug)]
pub struct Plan {
    options: ResourceOptions,
    slots_per_worker: usize,
    /// When each worker was last seen registered, or first seen if it never was.
    registered: HashMap<String, (Instant, bool)>,
    idle_since: HashMap<String, Instant>,
    /// The workers this plan started that have not registered yet: only these count as
    /// start failures when they end or time out (not an earlier leader's).
    unproven: HashSet<String>,
    start_failures: VecDeque<Instant>,
    /// Start failures have held off new workers since this look (said once).
    holding_off: bool,
}

/// The window of [`ResourceOptions::max_start_failures`].
const FAILURE_WINDOW: Duration = Duration::from_secs(60);

impl Plan {
    /// A plan for workers of `slots_per_worker` slots each.
    pub fn new(options: ResourceOptions, slots_per_worker: usize) -> Self {
        Plan {
            options,
            slots_per_worker: slots_per_worker.max(1),
            registered: HashMap::new(),
            idle_since: HashMap::new(),
            unproven: HashSet::new(),
            start_failures: VecDeque::new(),
            holding_off: false,
        }
    }

    /// Counts a worker that could not even be asked for.
    pub fn start_failed(&mut self, now: Instant) {
        self.start_failures.push_back(now);
    }

    /// Notes that this plan started worker `name`.
    pub fn started(&mut self, name: String) {
        self.unproven.insert(name);
    }

    /// What to do, at `now`, about `workers` and the registry's `capacity`.
    pub(crate) fn decide(
        &mut self,
        workers: &[Worker],
        capacity: &Capacity,
        now: Instant,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        // By name, summed: a name registered twice (a TaskManager that came back before
        // its old connection was noticed lost) is one worker.
        let mut registered: HashMap<&str, TaskManagerLoad> = HashMap::new();
        for tm in &capacity.taskmanagers {
            let load = registered
                .entry(tm.name.as_str())
                .or_insert_with(|| TaskManagerLoad {
                    slots: 0,
                    held: 0,
                    ..tm.clone()
                });
            load.slots += tm.slots;
            load.held += tm.held;
            load.retiring |= tm.retiring;
        }
        let mut live = Vec::new();
        for worker in workers {
            let seen = self
                .registered
                .entry(worker.name.clone())
                .or_insert((now, false));
            if registered.contains_key(worker.name.as_str()) {
                *seen = (now, true);
                self.unproven.remove(&worker.name);
            }
            let (since, ever_registered) = *seen;
            let adopted =
                self.options.adopt || self.unproven.contains(&worker.name) || ever_registered;
            let why = match &worker.phase {
                _ if !adopted => Some("an earlier JobManager started it".to_owned()),
                WorkerPhase::Ended(why) => Some(format!("it ended: {why}")),
                _ if now.duration_since(since) > self.options.registration_timeout => {
                    Some(match ever_registered {
                        true => format!(
                            "its TaskManager was lost and did not register again within {:?}",
                            self.options.registration_timeout
                        ),
                        false => format!(
                            "its TaskManager did not register within {:?}",
                            self.options.registration_timeout
                        ),
                    })
                }
                _ => None,
            };
            match why {
                Some(why) => {
                    // Counted once: a worker of this plan's that never registered.
                    if self.unproven.remove(&worker.name) {
                        self.start_failures.push_back(now);
                    }
                    actions.push(Action::Stop {
                        name: worker.name.clone(),
                        why,
                    });
                }
                None => live.push(worker),
            }
        }
        let known: HashSet<&str> = workers.iter().map(|w| w.name.as_str()).collect();
        self.registered
            .retain(|name, _| known.contains(name.as_str()));
        self.idle_since
            .retain(|name, _| known.contains(name.as_str()));
        // This plan's workers that vanished before they registered (deleted by someone
        // else, say) failed to start too.
        let before = self.unproven.len();
        self.unproven.retain(|name| known.contains(name.as_str()));
        for _ in self.unproven.len()..before {
            self.start_failures.push_back(now);
        }

        let starting = live
            .iter()
            .filter(|w| !registered.contains_key(w.name.as_str()))
            .count();
        let covered = capacity.free() + starting * self.slots_per_worker;
        let missing = capacity.wanted.saturating_sub(covered);
        let mut wanted_workers = missing.div_ceil(self.slots_per_worker);
        if let Some(max) = self.options.max_workers {
            wanted_workers = wanted_workers.min(max.saturating_sub(live.len()));
        }
        while self
            .start_failures
            .front()
            .is_some_and(|&at| now.duration_since(at) > FAILURE_WINDOW)
        {
            self.start_failures.pop_front();
        }
        if wanted_workers > 0 {
            if self.start_failures.len() >= self.options.max_start_failures {
                if !self.holding_off {
                    eprintln!(
                        "strom: {} TaskManagers failed to start within a minute; no new one \
                         starts until that rate drops",
                        self.start_failures.len()
                    );
                }
                self.holding_off = true;
            } else {
                self.holding_off = false;
                actions.push(Action::Start(wanted_workers));
            }
        }

        // Idle workers go only while no allocation waits: a waiting one may take them.
        for worker in &live {
            let idle = capacity.wanted == 0
                && registered
                    .get(worker.name.as_str())
                    .is_some_and(|tm| tm.held == 0 && !tm.retiring);
            if !idle {
                self.idle_since.remove(&worker.name);
                continue;
            }
            let since = *self.idle_since.entry(worker.name.clone()).or_insert(now);
            if now.duration_since(since) >= self.options.idle_timeout {
                actions.push(Action::Retire {
                    name: worker.name.clone(),
                });
            }
        }
        actions
    }
}

/// Runs the resource manager on `registry` with `driver` while `leading()` says this
/// JobManager leads; returns when it stops leading.
pub(crate) fn manage(
    registry: Arc<Registry>,
    driver: Arc<dyn WorkerDriver>,
    options: ResourceOptions,
    leading: impl Fn() -> bool,
) {
    let interval = options.interval;
    let mut plan = Plan::new(options, driver.slots_per_worker());
    // Said once per cause, not every look.
    let mut unreachable = false;
    while leading() {
        match driver.workers() {
            Ok(workers) => {
                unreachable = false;
                let actions = plan.decide(&workers, &registry.capacity(), Instant::now());
                for action in actions {
                    // A request can take seconds: one that lost the lead meanwhile stops.
                    if !leading() {
                        return;
                    }
                    act(&registry, driver.as_ref(), &mut plan, action);
                }
            }
            Err(e) if !unreachable => {
                unreachable = true;
                eprintln!("strom: the resource manager cannot list its TaskManagers: {e}");
            }
            Err(_) => {}
        }
        std::thread::sleep(interval);
    }
}

fn act(registry: &Registry, driver: &dyn WorkerDriver, plan: &mut Plan, action: Action) {
    match action {
        Action::Start(n) => {
            for _ in 0..n {
                match driver.start_worker() {
                    Ok(name) => {
                        eprintln!("strom: started TaskManager {name}");
                        plan.started(name);
                    }
                    Err(e) => {
                        plan.start_failed(Instant::now());
                        eprintln!("strom: cannot start a TaskManager: {e}");
                        break;
                    }
                }
            }
        }
        Action::Stop { name, why } => match driver.stop_worker(&name) {
            Ok(()) => eprintln!("strom: stopped TaskManager {name}: {why}"),
            Err(e) => eprintln!("strom: cannot stop TaskManager {name} ({why}): {e}"),
        },
        Action::Retire { name } => {
            if !registry.retire_if_idle(&name) {
                return;
            }
            match driver.stop_worker(&name) {
                Ok(()) => eprintln!("strom: stopped idle TaskManager {name}"),
                Err(e) => {
                    registry.unretire(&name);
                    eprintln!("strom: cannot stop idle TaskManager {name}: {e}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
