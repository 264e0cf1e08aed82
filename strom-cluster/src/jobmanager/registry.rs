//! The JobManager's registry of TaskManagers (Flink's ResourceManager and slot pool) and
//! of the runs deployed on them: it serves each TaskManager's connection, notices a lost
//! one (its connection ends, or its heartbeats stop), and implements [`RemoteRuns`] for
//! each job: allocation of slots, deployment of parts, the relay of commands and
//! events, and the end of a run once every part has ended or been lost.

use std::collections::{BTreeMap, HashMap};
use std::io::BufReader;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use stream_core::{ErrorKind, StreamError};
use stream_runtime::control::TaskCommand;
use stream_runtime::distributed::{ProcessSlots, RemoteRuns, RunDeployment, TaskEvents};
use stream_runtime::executor::TaskMetrics;
use stream_runtime::job::TaskReport;

use crate::job::JobSpec;
use crate::lock;
use crate::protocol::{receive, send, RemoteError, ToJobManager, ToTaskManager};

/// How long a write to a TaskManager may block before it counts as lost.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a new connection may take to register.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(10);

/// The most slots one TaskManager may offer.
const MAX_SLOTS: usize = 1024;

/// How long the parts of a failed run may take to end after their cancel before the run
/// is given up on (a part stuck in a source or sink's I/O).
const CANCEL_GRACE: Duration = Duration::from_secs(30);

/// A TaskManager as the JobManager sees it.
pub(crate) struct TaskManagerEntry {
    pub name: String,
    pub data: SocketAddr,
    pub slots: usize,
    pub registered: Instant,
    /// When its last heartbeat came, in milliseconds since the registry started: stamped
    /// by its reader without the registry's lock, so a slow write elsewhere cannot make
    /// it look silent.
    last_heartbeat: Arc<AtomicU64>,
    /// The counters of its parts' instances, as of its last heartbeat.
    pub metrics: Vec<(u64, usize, usize, String, TaskMetrics)>,
    connection: Arc<Mutex<TcpStream>>,
    /// The same socket, to shut it down without waiting for a writer.
    closer: TcpStream,
    /// The resource manager is stopping it: it gets no new runs.
    retiring: bool,
}

impl TaskManagerEntry {
    /// Sends `message`; a failed write (also one that timed out half-way, which leaves a
    /// partial frame) closes the connection, so the TaskManager is lost, not garbled.
    fn send(&self, message: &ToTaskManager) -> std::io::Result<()> {
        let sent = send(&mut *lock(&self.connection), message);
        if sent.is_err() {
            let _ = self.closer.shutdown(Shutdown::Both);
        }
        sent
    }
}

/// What the resource manager sees of the registry: see [`Registry::capacity`].
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Capacity {
    /// The slots that allocations waiting for more want in all.
    pub wanted: usize,
    /// The registered TaskManagers.
    pub taskmanagers: Vec<TaskManagerLoad>,
}

impl Capacity {
    /// The slots that runs can be given now.
    pub fn free(&self) -> usize {
        self.taskmanagers
            .iter()
            .filter(|tm| !tm.retiring)
            .map(|tm| tm.slots - tm.held)
            .sum()
    }
}

/// A registered TaskManager's load.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TaskManagerLoad {
    /// The name it registered with (a pod's, when the resource manager started it).
    pub name: String,
    /// Its slots.
    pub slots: usize,
    /// How many of them runs hold.
    pub held: usize,
    /// The resource manager is stopping it.
    pub retiring: bool,
}

/// A part of a run, on a TaskManager.
enum PartState {
    Running,
    Ended(Result<Vec<TaskReport>, RemoteError>),
}

/// A run deployed on TaskManagers.
struct RunState {
    /// The job (its id in the JobManager).
    job: u64,
    /// Each part's TaskManager, and how it is doing.
    parts: Vec<(u64, PartState)>,
    events: TaskEvents,
    /// The first failure of a part, and when it came.
    failure: Option<(RemoteError, Instant)>,
}

#[derive(Default)]
struct State {
    taskmanagers: BTreeMap<u64, TaskManagerEntry>,
    runs: HashMap<u64, RunState>,
    /// The slots each run holds, per TaskManager, from its allocation to its end.
    reserved: HashMap<u64, Vec<(u64, usize)>>,
    next_taskmanager: u64,
    /// The slots each allocation that waits for more wants, by ticket: the demand the
    /// resource manager starts TaskManagers for.
    waiting: HashMap<u64, usize>,
    next_ticket: u64,
}

/// The TaskManagers and the runs on them.
pub(crate) struct Registry {
    state: Mutex<State>,
    changed: Condvar,
    next_run: AtomicU64,
    /// When the registry started, for heartbeat stamps.
    started: Instant,
    /// How often TaskManagers send heartbeats.
    pub heartbeat: Duration,
    /// A TaskManager whose heartbeats stop for this long is lost.
    pub heartbeat_timeout: Duration,
    /// How long a run waits for enough slots before it starts on fewer.
    pub slot_timeout: Duration,
    /// A resource manager starts TaskManagers (for the error of an allocation that finds
    /// none).
    pub workers_managed: AtomicBool,
}

impl TaskManagerEntry {
    /// How long it has been silent, at registry time `now_ms`.
    pub fn silent_for(&self, now_ms: u64) -> Duration {
        Duration::from_millis(now_ms.saturating_sub(self.last_heartbeat.load(Ordering::Relaxed)))
    }
}

impl State {
    /// The slots of TaskManager `id` that no run holds (none of one that retires).
    fn free_slots(&self, id: u64, tm: &TaskManagerEntry) -> usize {
        if tm.retiring {
            return 0;
        }
        self.unheld_slots(id, tm)
    }

    /// The slots of TaskManager `id` that no run holds, whether or not it retires.
    fn unheld_slots(&self, id: u64, tm: &TaskManagerEntry) -> usize {
        let held: usize = self
            .reserved
            .values()
            .flatten()
            .filter(|(t, _)| *t == id)
            .map(|(_, n)| n)
            .sum();
        tm.slots.saturating_sub(held)
    }
}

impl Registry {
    /// Milliseconds since the registry started.
    pub fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    pub fn new(
        heartbeat: Duration,
        heartbeat_timeout: Duration,
        slot_timeout: Duration,
    ) -> Arc<Self> {
        Arc::new(Registry {
            state: Mutex::default(),
            changed: Condvar::new(),
            // Unique across JobManager restarts too: TaskManagers keep their connections
            // (and the names of channels on them) from one JobManager to the next.
            next_run: AtomicU64::new(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_millis() as u64)
                    << 16,
            ),
            started: Instant::now(),
            heartbeat,
            heartbeat_timeout,
            slot_timeout,
            workers_managed: AtomicBool::new(false),
        })
    }

    /// Reads `f` of the registered TaskManagers: each with its id and the slots runs
    /// hold of it.
    pub fn taskmanagers<R>(&self, f: impl FnOnce(Vec<(u64, &TaskManagerEntry, usize)>) -> R) -> R {
        let state = lock(&self.state);
        let listed = state
            .taskmanagers
            .iter()
            .map(|(&id, tm)| (id, tm, tm.slots - state.unheld_slots(id, tm)))
            .collect();
        f(listed)
    }

    /// What the resource manager needs to know: the slots that waiting allocations want,
    /// and each registered TaskManager's load.
    pub fn capacity(&self) -> Capacity {
        let state = lock(&self.state);
        Capacity {
            wanted: state.waiting.values().sum(),
            taskmanagers: state
                .taskmanagers
                .iter()
                .map(|(&id, tm)| TaskManagerLoad {
                    name: tm.name.clone(),
                    slots: tm.slots,
                    held: tm.slots - state.unheld_slots(id, tm),
                    retiring: tm.retiring,
                })
                .collect(),
        }
    }

    /// Marks the TaskManager(s) named `name` retiring, so no run is given their slots,
    /// if no run holds any of them and no allocation waits (it might want them); true
    /// if it did (then they can be stopped).
    pub fn retire_if_idle(&self, name: &str) -> bool {
        let mut state = lock(&self.state);
        if !state.waiting.is_empty() {
            return false;
        }
        let named: Vec<u64> = state
            .taskmanagers
            .iter()
            .filter(|(_, tm)| tm.name == name)
            .map(|(&id, _)| id)
            .collect();
        let idle = |id: &u64| {
            let tm = &state.taskmanagers[id];
            state.unheld_slots(*id, tm) == tm.slots
        };
        if named.is_empty() || !named.iter().all(idle) {
            return false;
        }
        for id in named {
            if let Some(tm) = state.taskmanagers.get_mut(&id) {
                tm.retiring = true;
            }
        }
        true
    }

    /// Takes back [`Registry::retire_if_idle`] (its TaskManager could not be stopped).
    pub fn unretire(&self, name: &str) {
        let mut state = lock(&self.state);
        for tm in state.taskmanagers.values_mut().filter(|tm| tm.name == name) {
            tm.retiring = false;
        }
        drop(state);
        self.changed.notify_all();
    }

    /// The latest counters of the instances of `job`'s runs in progress, from every
    /// TaskManager's last heartbeat: `(run, stage, instance, operators, counters)`.
    pub fn job_metrics(&self, job: u64) -> Vec<(u64, usize, usize, String, TaskMetrics)> {
        let state = lock(&self.state);
        let mut metrics: Vec<_> = state
            .taskmanagers
            .values()
            .flat_map(|tm| tm.metrics.iter())
            .filter(|(run, ..)| state.runs.get(run).is_some_and(|r| r.job == job))
            .cloned()
            .collect();
        metrics.sort_by_key(|(run, stage, index, ..)| (*run, *stage, *index));
        metrics
    }

    /// Serves the connection of a TaskManager until it ends, then counts it lost.
    pub fn serve(self: &Arc<Self>, stream: TcpStream) {
        let peer = stream
            .peer_addr()
            .map_or_else(|_| "?".to_owned(), |a| a.to_string());
        let _ = stream.set_nodelay(true);
        // A peer that stops reading must not hold a writer (and whoever waits for it) for
        // ever: a write that takes this long fails, and the TaskManager is lost.
        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
        let (Ok(writer), Ok(closer)) = (stream.try_clone(), stream.try_clone()) else {
            return;
        };
        // Nor may a connection that never registers hold its thread.
        let _ = stream.set_read_timeout(Some(REGISTER_TIMEOUT));
        let mut reader = BufReader::new(stream);
        let (name, data, slots) = match receive::<ToJobManager>(&mut reader) {
            Ok(Some(ToJobManager::Register { name, data, slots })) => (name, data, slots),
            other => {
                eprintln!(
                    "strom: a connection from {peer} did not register as a TaskManager: {other:?}"
                );
                return;
            }
        };
        if data.ip().is_unspecified() || data.port() == 0 {
            eprintln!(
                "strom: refused TaskManager {name} ({peer}): it announced {data}, where no peer \
                 can reach its data channels (start it with `--bind` or `--advertise` naming \
                 a reachable address)"
            );
            return;
        }
        let slots = slots.clamp(1, MAX_SLOTS);
        let _ = reader.get_ref().set_read_timeout(None);
        let connection = Arc::new(Mutex::new(writer));
        let heartbeat = Arc::new(AtomicU64::new(self.now_ms()));
        let id = {
            let mut state = lock(&self.state);
            state.next_taskmanager += 1;
            let id = state.next_taskmanager;
            let now = Instant::now();
            let entry = TaskManagerEntry {
                name: name.clone(),
                data,
                slots,
                registered: now,
                last_heartbeat: Arc::clone(&heartbeat),
                metrics: Vec::new(),
                connection: Arc::clone(&connection),
                closer,
                retiring: false,
            };
            let welcome = ToTaskManager::Welcome {
                id,
                heartbeat_ms: self.heartbeat.as_millis() as u64,
            };
            if entry.send(&welcome).is_err() {
                return;
            }
            state.taskmanagers.insert(id, entry);
            id
        };
        self.changed.notify_all();
        eprintln!("strom: TaskManager {id} ({name}, {peer}) registered: {slots} slots, data channels at {data}");
        let why = loop {
            match receive::<ToJobManager>(&mut reader) {
                Ok(Some(message)) => {
                    heartbeat.store(self.now_ms(), Ordering::Relaxed);
                    self.on_message(id, message)
                }
                Ok(None) => break "its connection closed".to_owned(),
                Err(e) => break format!("its connection failed: {e}"),
            }
        };
        self.lose(id, &why);
    }

    fn on_message(&self, taskmanager: u64, message: ToJobManager) {
        let mut state = lock(&self.state);
        match message {
            ToJobManager::Heartbeat { metrics } => {
                if let Some(tm) = state.taskmanagers.get_mut(&taskmanager) {
                    tm.metrics = metrics;
                }
            }
            ToJobManager::Event { run, event } => {
                if let Some(run) = state.runs.get(&run) {
                    run.events.send(event);
                }
            }
            ToJobManager::PartEnded { run, outcome } => {
                end_part(&mut state, run, taskmanager, outcome);
                self.changed.notify_all();
            }
            ToJobManager::Register { .. } => {}
        }
    }

    /// Counts TaskManager `id` lost: its parts end with a failure (which cancels the
    /// other parts of their runs) and it gets no new ones.
    pub fn lose(&self, id: u64, why: &str) {
        let mut state = lock(&self.state);
        let Some(tm) = state.taskmanagers.remove(&id) else {
            return;
        };
        eprintln!("strom: TaskManager {id} ({}) is lost: {why}", tm.name);
        let _ = tm.closer.shutdown(Shutdown::Both);
        let runs: Vec<u64> = state
            .runs
            .iter()
            .filter(|(_, r)| {
                r.parts
                    .iter()
                    .any(|(t, p)| *t == id && matches!(p, PartState::Running))
            })
            .map(|(&run, _)| run)
            .collect();
        for run in runs {
            let outcome = Err(RemoteError {
                kind: ErrorKind::Io,
                message: format!("TaskManager {id} ({}) was lost: {why}", tm.name),
            });
            end_part(&mut state, run, id, outcome);
        }
        drop(state);
        self.changed.notify_all();
    }

    /// Counts lost every TaskManager whose heartbeats stopped; call periodically.
    pub fn check_heartbeats(&self) {
        let late: Vec<u64> = lock(&self.state)
            .taskmanagers
            .iter()
            .filter(|(_, tm)| tm.silent_for(self.now_ms()) > self.heartbeat_timeout)
            .map(|(&id, _)| id)
            .collect();
        for id in late {
            let why = format!("no heartbeat for {:?}", self.heartbeat_timeout);
            self.lose(id, &why);
        }
    }

    /// The [`RemoteRuns`] of job `job`, submitted as `spec`.
    pub fn runs_of(self: &Arc<Self>, job: u64, spec: JobSpec) -> Arc<dyn RemoteRuns> {
        Arc::new(JobRuns {
            registry: Arc::clone(self),
            job,
            spec,
        })
    }
}

/// Records that the part of `run` on `taskmanager` ended; the first failure cancels the
/// run's other parts.
fn end_part(
    state: &mut State,
    run: u64,
    taskmanager: u64,
    outcome: Result<Vec<TaskReport>, RemoteError>,
) {
    let State {
        taskmanagers, runs, ..
    } = state;
    let Some(run_state) = runs.get_mut(&run) else {
        return;
    };
    if let (Err(e), None) = (&outcome, &run_state.failure) {
        run_state.failure = Some((e.clone(), Instant::now()));
        let why = format!("another part of the run failed: {}", e.message);
        for (tm, part) in &run_state.parts {
            if let (PartState::Running, Some(entry)) = (part, taskmanagers.get(tm)) {
                let _ = entry.send(&ToTaskManager::Cancel {
                    run,
                    why: why.clone(),
                });
            }
        }
    }
    if let Some((_, part)) = run_state
        .parts
        .iter_mut()
        .find(|(tm, p)| *tm == taskmanager && matches!(p, PartState::Running))
    {
        *part = PartState::Ended(outcome);
    }
}

/// One job's view of the registry.
struct JobRuns {
    registry: Arc<Registry>,
    job: u64,
    spec: JobSpec,
}

impl RemoteRuns for JobRuns {
    fn allocate(&self, job: &str, wanted: usize) -> Result<RunDeployment, StreamError> {
        let registry = &self.registry;
        let deadline = Instant::now() + registry.slot_timeout;
        let mut state = lock(&registry.state);
        state.next_ticket += 1;
        let ticket = state.next_ticket;
        state.waiting.insert(ticket, wanted);
        let free = loop {
            let free: Vec<(u64, usize)> = state
                .taskmanagers
                .iter()
                .map(|(&id, tm)| (id, state.free_slots(id, tm)))
                .filter(|(_, n)| *n > 0)
                .collect();
            let total: usize = free.iter().map(|(_, n)| n).sum();
            let now = Instant::now();
            if total >= wanted || (now >= deadline && total > 0) {
                state.waiting.remove(&ticket);
                break free;
            }
            if now >= deadline {
                state.waiting.remove(&ticket);
                let why = if registry.workers_managed.load(Ordering::Relaxed) {
                    let slots: usize = state.taskmanagers.values().map(|tm| tm.slots).sum();
                    format!(
                        "the resource manager did not start enough TaskManagers in time (there \
                         are {} with {slots} slots; see the JobManager's log for why)",
                        state.taskmanagers.len()
                    )
                } else if state.taskmanagers.is_empty() {
                    "no TaskManager registered; start one with `strom taskmanager --jobmanager \
                     ADDR` (or `--ha-etcd URL` under high availability)"
                        .to_owned()
                } else {
                    let slots: usize = state.taskmanagers.values().map(|tm| tm.slots).sum();
                    format!(
                        "all {slots} slots of the {} TaskManager(s) are held by other jobs' runs",
                        state.taskmanagers.len()
                    )
                };
                return Err(StreamError::new(
                    ErrorKind::Config,
                    format!(
                        "job `{job}` found no free slot within {:?}: {why}",
                        registry.slot_timeout
                    ),
                ));
            }
            state = registry
                .changed
                .wait_timeout(state, deadline - now)
                .map(|(s, _)| s)
                .unwrap_or_else(|e| e.into_inner().0);
        };
        // One slot of each TaskManager in turn, as many as the run can use.
        let mut given: Vec<(u64, usize)> = free.iter().map(|&(id, _)| (id, 0)).collect();
        let mut left = wanted.min(free.iter().map(|(_, n)| n).sum());
        while left > 0 {
            for ((_, taken), (_, available)) in given.iter_mut().zip(&free) {
                if left > 0 && *taken < *available {
                    *taken += 1;
                    left -= 1;
                }
            }
        }
        given.retain(|(_, n)| *n > 0);
        let run = registry.next_run.fetch_add(1, Ordering::SeqCst);
        let processes = given
            .iter()
            .map(|&(id, slots)| ProcessSlots {
                address: state.taskmanagers[&id].data,
                slots,
            })
            .collect();
        state.reserved.insert(run, given);
        Ok(RunDeployment {
            run,
            processes,
            resume_from: None,
        })
    }

    fn deploy(
        &self,
        deployment: &RunDeployment,
        events: TaskEvents,
    ) -> Result<Vec<Sender<TaskCommand>>, StreamError> {
        let run = deployment.run;
        let mut state = lock(&self.registry.state);
        // The TaskManagers the allocation reserved, in the deployment's order: by id, so
        // one that re-registered at the same address since is not mistaken for them.
        let reserved: Vec<u64> = state
            .reserved
            .get(&run)
            .map(|r| r.iter().map(|(id, _)| *id).collect())
            .unwrap_or_default();
        let mut placed = Vec::with_capacity(deployment.processes.len());
        for (i, process) in deployment.processes.iter().enumerate() {
            let tm = reserved
                .get(i)
                .and_then(|id| state.taskmanagers.get(id).map(|tm| (*id, tm)))
                .filter(|(_, tm)| tm.data == process.address)
                .map(|(id, tm)| (id, Arc::clone(&tm.connection), tm.closer.try_clone().ok()))
                .ok_or_else(|| {
                    StreamError::new(
                        ErrorKind::Io,
                        format!(
                            "the TaskManager at {} was lost before run {run} started",
                            process.address
                        ),
                    )
                });
            let tm = match tm {
                Ok(tm) => tm,
                Err(e) => {
                    state.reserved.remove(&run);
                    drop(state);
                    self.registry.changed.notify_all();
                    return Err(e);
                }
            };
            placed.push(tm);
        }
        state.runs.insert(
            run,
            RunState {
                job: self.job,
                parts: placed
                    .iter()
                    .map(|(id, ..)| (*id, PartState::Running))
                    .collect(),
                events,
                failure: None,
            },
        );
        let mut commands = Vec::with_capacity(placed.len());
        for (me, (id, connection, closer)) in placed.into_iter().enumerate() {
            let (tx, rx) = mpsc::channel::<TaskCommand>();
            commands.push(tx);
            // Once a part could not be deployed the run has failed: the rest are not
            // started (and nothing then waits for them).
            if state.runs.get(&run).is_some_and(|r| r.failure.is_some()) {
                let outcome = Err(RemoteError {
                    kind: ErrorKind::Cancelled,
                    message: "not deployed: another part of the run could not be".into(),
                });
                end_part(&mut state, run, id, outcome);
                continue;
            }
            let relay = Arc::clone(&connection);
            let started = std::thread::Builder::new()
                .name(format!("strom-jm-run{run}-tm{id}"))
                .spawn(move || {
                    // Ends when the run's controller drops its ports.
                    for command in rx {
                        let command = ToTaskManager::Command { run, command };
                        if send(&mut *lock(&relay), &command).is_err() {
                            // A partial frame may be on the wire: the connection is done.
                            if let Some(closer) = &closer {
                                let _ = closer.shutdown(Shutdown::Both);
                            }
                            return;
                        }
                    }
                });
            let deploy = ToTaskManager::Deploy {
                job: self.spec.clone(),
                deployment: deployment.clone(),
                me,
            };
            let deployed = match started {
                Ok(_) => state.taskmanagers[&id]
                    .send(&deploy)
                    .map_err(|e| e.to_string()),
                Err(e) => Err(format!("cannot start a command relay thread: {e}")),
            };
            if let Err(e) = deployed {
                let outcome = Err(RemoteError {
                    kind: ErrorKind::Io,
                    message: format!("cannot deploy to TaskManager {id}: {e}"),
                });
                end_part(&mut state, run, id, outcome);
            }
        }
        drop(state);
        self.registry.changed.notify_all();
        Ok(commands)
    }

    fn wait(&self, run: u64, timeout: Duration) -> Option<Result<Vec<TaskReport>, StreamError>> {
        let registry = &self.registry;
        let deadline = Instant::now() + timeout;
        let mut state = lock(&registry.state);
        loop {
            let ended = |r: &RunState| {
                r.parts
                    .iter()
                    .all(|(_, p)| matches!(p, PartState::Ended(_)))
            };
            let abandoned = |r: &RunState| {
                r.failure
                    .as_ref()
                    .is_some_and(|(_, at)| at.elapsed() > CANCEL_GRACE)
            };
            let done = state
                .runs
                .get(&run)
                .is_none_or(|r| ended(r) || abandoned(r));
            if done {
                state.reserved.remove(&run);
                registry.changed.notify_all();
                let Some(ended) = state.runs.remove(&run) else {
                    return Some(Err(StreamError::new(
                        ErrorKind::Io,
                        format!("run {run} is unknown"),
                    )));
                };
                let stuck = ended
                    .parts
                    .iter()
                    .filter(|(_, p)| matches!(p, PartState::Running))
                    .count();
                return Some(match ended.failure {
                    Some((e, _)) if stuck > 0 => Err(StreamError::new(
                        e.kind,
                        format!(
                            "{} ({stuck} part(s) did not end within {CANCEL_GRACE:?} of their \
                             cancel and were given up on)",
                            e.message
                        ),
                    )),
                    Some((e, _)) => Err(StreamError::new(e.kind, e.message)),
                    None => Ok(ended
                        .parts
                        .into_iter()
                        .flat_map(|(_, p)| match p {
                            PartState::Ended(Ok(reports)) => reports,
                            _ => Vec::new(),
                        })
                        .collect()),
                });
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            state = registry
                .changed
                .wait_timeout(state, deadline - now)
                .map(|(s, _)| s)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    fn cancel(&self, run: u64) {
        let mut state = lock(&self.registry.state);
        let State {
            taskmanagers, runs, ..
        } = &mut *state;
        let Some(run_state) = runs.get_mut(&run) else {
            return;
        };
        // A cancel is the run's end: `wait` gives up on parts that ignore it.
        run_state.failure.get_or_insert_with(|| {
            let why = RemoteError {
                kind: ErrorKind::Cancelled,
                message: "the run was cancelled".into(),
            };
            (why, Instant::now())
        });
        for (tm, part) in &run_state.parts {
            if let (PartState::Running, Some(entry)) = (part, taskmanagers.get(tm)) {
                let _ = entry.send(&ToTaskManager::Cancel {
                    run,
                    why: "the run was cancelled".into(),
                });
            }
        }
    }
}
