//! The JobManager role: the registry of TaskManagers ([`registry`]), the jobs submitted
//! to it (Flink's Dispatcher, with a JobMaster per job: each job's handle runs its
//! restart loop and checkpoint controller here while its parts run on the
//! TaskManagers), and the REST interface ([`rest`]).

pub(crate) mod registry;
pub mod rest;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use stream_runtime::checkpoint::recovery::checkpoint_ids;
use stream_runtime::checkpoint::CheckpointStats;
use stream_runtime::{JobHandle, JobStatus, Plan};

use crate::ha::{HaServices, LeaderInfo, Leadership, StoredJob};
use crate::job::{JobCatalog, JobSpec};
use crate::lock;
use crate::resources::{self, ResourceOptions, WorkerDriver};
use registry::Registry;

/// How a JobManager starts.
#[derive(Clone, Debug)]
pub struct JobManagerOptions {
    /// Where TaskManagers connect (`host:port`; port 0: any free port).
    pub bind: String,
    /// Where the REST interface listens.
    pub rest: String,
    /// How often TaskManagers send heartbeats.
    pub heartbeat: Duration,
    /// A TaskManager whose heartbeats stop for this long is lost.
    pub heartbeat_timeout: Duration,
    /// How long a run waits for enough slots before it starts on fewer (at least one
    /// TaskManager must have registered by then).
    pub slot_timeout: Duration,
    /// High availability: this JobManager stands by until it is elected, keeps its jobs
    /// in these services, and resumes theirs when it takes over.
    pub ha: Option<Arc<dyn HaServices>>,
    /// The host others reach this JobManager at, if not the one it binds (a listener on
    /// `0.0.0.0`, a pod's address): what it publishes when it leads.
    pub advertise: Option<String>,
}

impl Default for JobManagerOptions {
    fn default() -> Self {
        JobManagerOptions {
            bind: "127.0.0.1:6123".into(),
            rest: "127.0.0.1:8081".into(),
            heartbeat: Duration::from_millis(500),
            heartbeat_timeout: Duration::from_secs(5),
            slot_timeout: Duration::from_secs(10),
            ha: None,
            advertise: None,
        }
    }
}

/// A running job's handle: shared, so a savepoint waits without holding the slot; taken
/// out of the slot (once no one else holds it) to stop or cancel the job.
type HandleSlot = Arc<Mutex<Option<Arc<JobHandle>>>>;

/// A job submitted to the JobManager.
struct JobEntry {
    name: String,
    spec: JobSpec,
    plan: String,
    graph: PlanGraph,
    submitted_ms: u64,
    /// The running job; `None` once it ended (or while a stop or cancel holds it).
    handle: HandleSlot,
    /// How it ended.
    outcome: Arc<Mutex<Option<JobOutcome>>>,
    /// Its completed checkpoints, as of when its handle was last seen.
    checkpoints: Arc<Mutex<Vec<CheckpointStats>>>,
    /// It was cancelled: its end is recorded as CANCELED.
    cancelled: Arc<std::sync::atomic::AtomicBool>,
}

/// How a job ended.
#[derive(Clone, Debug, Serialize)]
pub struct JobOutcome {
    /// `FINISHED`, `STOPPED`, `CANCELED` or `FAILED`.
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
    /// How many times it restarted.
    pub restarts: u32,
    /// The savepoint it stopped with.
    pub savepoint: Option<u64>,
    /// How long it ran, from its start to its end, in milliseconds (for a job that ended
    /// by itself).
    pub duration_ms: Option<u64>,
}

/// A job as the REST interface shows it.
#[derive(Clone, Debug, Serialize)]
pub struct JobInfo {
    /// Its id in this JobManager.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// `CREATED`, `RUNNING`, `RESTARTING`, `STOPPING`, `FINISHED`, `STOPPED`,
    /// `CANCELED` or `FAILED`.
    pub status: String,
    /// The submission.
    pub spec: JobSpec,
    /// The job plan: stages, operators, exchanges.
    pub plan: String,
    /// The same plan as data, for drawing.
    pub graph: PlanGraph,
    /// When it was submitted, in milliseconds since the Unix epoch.
    pub submitted_ms: u64,
    /// How it ended, once it did.
    pub outcome: Option<JobOutcome>,
}

/// A job's plan as data: its stages and the exchanges between them.
#[derive(Clone, Debug, Serialize)]
pub struct PlanGraph {
    /// The stages, in order.
    pub stages: Vec<PlanGraphStage>,
    /// The exchanges: `(from stage, to stage, partitioning)`.
    pub edges: Vec<(usize, usize, String)>,
}

/// One stage of a [`PlanGraph`].
#[derive(Clone, Debug, Serialize)]
pub struct PlanGraphStage {
    /// Its index.
    pub id: usize,
    /// Its operators, in order.
    pub operators: Vec<String>,
    /// Its fixed parallelism, if it has one.
    pub parallelism: Option<usize>,
}

impl From<&Plan> for PlanGraph {
    fn from(plan: &Plan) -> Self {
        PlanGraph {
            stages: plan
                .stages
                .iter()
                .map(|s| PlanGraphStage {
                    id: s.id,
                    operators: s.operators.iter().map(|o| o.kind.clone()).collect(),
                    parallelism: s.parallelism,
                })
                .collect(),
            edges: plan
                .edges
                .iter()
                .map(|e| (e.from, e.to, e.partitioning.to_string()))
                .collect(),
        }
    }
}

/// A TaskManager as the REST interface shows it.
#[derive(Clone, Debug, Serialize)]
pub struct TaskManagerInfo {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Where its data channels listen.
    pub data: SocketAddr,
    /// Its slots.
    pub slots: usize,
    /// How many of them runs hold now.
    pub slots_used: usize,
    /// Milliseconds since its last heartbeat.
    pub last_heartbeat_ms: u64,
    /// Seconds since it registered.
    pub uptime_s: u64,
}

/// A running JobManager.
pub struct JobManager {
    registry: Arc<Registry>,
    catalog: Arc<JobCatalog>,
    jobs: Mutex<BTreeMap<u64, JobEntry>>,
    next_job: AtomicU64,
    taskmanagers: SocketAddr,
    ha: Option<Ha>,
    advertise: Option<String>,
}

/// A JobManager's high availability: its services, and its leadership once elected.
struct Ha {
    services: Arc<dyn HaServices>,
    leadership: OnceLock<Arc<Leadership>>,
}

impl Ha {
    /// The leadership, or why this JobManager cannot act.
    fn leading(&self) -> Result<&Arc<Leadership>, String> {
        match self.leadership.get() {
            Some(leadership) if !leadership.is_lost() => Ok(leadership),
            Some(_) => Err("this JobManager has lost its leadership and is ending".into()),
            None => {
                let leader = match self.services.leader() {
                    Ok(Some(leader)) => format!("the leader's REST interface is {}", leader.rest),
                    Ok(None) => "no JobManager leads right now".into(),
                    Err(e) => format!("the leader is unknown: {e}"),
                };
                Err(format!("this JobManager is a standby; {leader}"))
            }
        }
    }
}

impl JobManager {
    /// Starts a JobManager: listens for TaskManagers at `options.bind` (the REST
    /// interface is started by [`rest::serve`]).
    pub fn start(
        catalog: Arc<JobCatalog>,
        options: &JobManagerOptions,
    ) -> Result<Arc<Self>, String> {
        let listener = TcpListener::bind(options.bind.as_str())
            .map_err(|e| format!("cannot listen for TaskManagers on {}: {e}", options.bind))?;
        let taskmanagers = listener.local_addr().map_err(|e| e.to_string())?;
        let registry = Registry::new(
            options.heartbeat,
            options.heartbeat_timeout,
            options.slot_timeout,
        );
        let accepting = Arc::clone(&registry);
        std::thread::Builder::new()
            .name("strom-jm-accept".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let registry = Arc::clone(&accepting);
                    let _ = std::thread::Builder::new()
                        .name("strom-jm-taskmanager".into())
                        .spawn(move || registry.serve(stream));
                }
            })
            .map_err(|e| format!("cannot start the JobManager: {e}"))?;
        let watching = Arc::clone(&registry);
        std::thread::Builder::new()
            .name("strom-jm-heartbeats".into())
            .spawn(move || loop {
                std::thread::sleep(watching.heartbeat);
                watching.check_heartbeats();
            })
            .map_err(|e| format!("cannot start the JobManager: {e}"))?;
        Ok(Arc::new(JobManager {
            registry,
            catalog,
            jobs: Mutex::new(BTreeMap::new()),
            next_job: AtomicU64::new(1),
            taskmanagers,
            ha: options.ha.clone().map(|services| Ha {
                services,
                leadership: OnceLock::new(),
            }),
            advertise: options.advertise.clone(),
        }))
    }

    /// With high availability: stands by until this JobManager is elected leader (with
    /// its REST interface at `rest`), hands the leadership to `fence` (which must end the
    /// process once it is lost), then resumes the jobs the previous leader left running,
    /// and only then takes submissions. Without high availability, returns `None` at once.
    pub fn lead(
        &self,
        rest: SocketAddr,
        fence: impl FnOnce(Arc<Leadership>) -> Result<(), String>,
    ) -> Result<Option<Arc<Leadership>>, String> {
        let Some(ha) = &self.ha else {
            return Ok(None);
        };
        let host = self.advertised_host();
        // A pod's name (every container's process may be 1), else the process id.
        let name = match std::env::var("HOSTNAME") {
            Ok(host) if !host.is_empty() => format!("jobmanager-{}@{host}", std::process::id()),
            _ => format!("jobmanager-{}", std::process::id()),
        };
        let me = LeaderInfo {
            name,
            taskmanagers: self.advertised_taskmanager_address(),
            rest: format!("http://{host}:{}", rest.port()),
        };
        let leadership = ha.services.campaign(&me)?;
        // Watched from here on: resuming jobs can take long, and must stop if it is lost.
        fence(Arc::clone(&leadership))?;
        // An error here ends the process, and a standby takes over and tries again.
        let jobs = ha.services.jobs()?;
        // Ids above every job ever submitted, before any job starts here.
        let next = ha.services.next_job_id()?;
        let above_stored = jobs.iter().map(|j| j.id + 1).max().unwrap_or(1);
        self.next_job
            .fetch_max(next.max(above_stored), Ordering::SeqCst);
        for stored in jobs {
            if leadership.is_lost() {
                return Err("the leadership was lost while the jobs were resumed".into());
            }
            let id = stored.id;
            match self.resume(stored, &leadership) {
                Ok(()) => {}
                // One job that can never start must not stop the others, nor every
                // leader in turn: it is given up.
                Err(Resume::Impossible(e)) => {
                    eprintln!(
                        "strom: job {id} of the previous leader cannot be resumed, and is given up: {e}"
                    );
                    let _ = ha.services.remove_job(&leadership, id);
                }
                // Its storage did not answer: this process ends, and the next leader
                // tries again.
                Err(Resume::NotNow(e)) => {
                    return Err(format!(
                        "job {id} of the previous leader cannot be resumed now: {e}"
                    ))
                }
            }
        }
        let _ = ha.leadership.set(Arc::clone(&leadership));
        Ok(Some(leadership))
    }

    /// Starts a job the previous leader left running: from the newest complete
    /// checkpoint in its storage if it took one, else from where it first started (a
    /// savepoint, say).
    fn resume(&self, stored: StoredJob, leadership: &Arc<Leadership>) -> Result<(), Resume> {
        let StoredJob {
            id,
            mut spec,
            started_after,
        } = stored;
        let storage = spec.settings.checkpoint_storage().map_err(Resume::NotNow)?;
        let newest = match &storage {
            Some(storage) => checkpoint_ids(&**storage)
                .map_err(|e| Resume::NotNow(e.to_string()))?
                .1
                .last()
                .copied(),
            None => None,
        };
        // Checkpoints above `started_after` are this job's own.
        let from = match newest.filter(|&n| n > started_after) {
            Some(newest) => {
                spec.settings.resume_from = None;
                format!("its newest checkpoint, {newest}")
            }
            None => match spec.settings.resume_from {
                Some(start) => format!("checkpoint {start}, where it started"),
                None => "the beginning (it took no checkpoint)".into(),
            },
        };
        let job = self.catalog.build(&spec).map_err(Resume::Impossible)?;
        let config = spec.settings.config_with(storage);
        self.start_job(id, spec, job, config, Some(Arc::clone(leadership)))
            .map_err(Resume::Impossible)?;
        eprintln!("strom: resumed job {id} of the previous leader from {from}");
        Ok(())
    }

    /// Whether this JobManager acts on jobs: always without high availability, and only
    /// while it leads with it. The error says why not, naming the leader.
    pub fn ready(&self) -> Result<(), String> {
        match &self.ha {
            Some(ha) => ha.leading().map(drop),
            None => Ok(()),
        }
    }

    /// Where TaskManagers connect.
    pub fn taskmanager_address(&self) -> SocketAddr {
        self.taskmanagers
    }

    /// The host others reach this JobManager at.
    fn advertised_host(&self) -> String {
        match &self.advertise {
            Some(host) => host.clone(),
            None => self.taskmanagers.ip().to_string(),
        }
    }

    /// Where TaskManagers elsewhere reach this JobManager (`host:port`).
    pub fn advertised_taskmanager_address(&self) -> String {
        format!("{}:{}", self.advertised_host(), self.taskmanagers.port())
    }

    /// Starts the active resource manager ([`crate::resources`]): from now on, while
    /// this JobManager leads, `driver` starts TaskManagers as jobs need slots, replaces
    /// the ones that fail and stops the idle ones.
    pub fn manage_workers(
        self: &Arc<Self>,
        driver: Arc<dyn WorkerDriver>,
        options: ResourceOptions,
    ) -> Result<(), String> {
        self.registry.workers_managed.store(true, Ordering::Relaxed);
        let registry = Arc::clone(&self.registry);
        let me = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("strom-jm-resources".into())
            .spawn(move || {
                resources::manage(registry, driver, options, || {
                    me.upgrade().is_some_and(|jm| jm.ready().is_ok())
                })
            })
            .map(drop)
            .map_err(|e| format!("cannot start the resource manager: {e}"))
    }

    /// The jobs this binary can run: name and description.
    pub fn catalog(&self) -> Vec<(String, String)> {
        self.catalog
            .entries()
            .map(|(n, a)| (n.to_owned(), a.to_owned()))
            .collect()
    }

    /// Submits a job; returns its id once it is started (its runs wait for slots).
    pub fn submit(&self, spec: JobSpec) -> Result<u64, String> {
        let parallelism = spec.settings.parallelism;
        let max = spec.settings.max_parallelism();
        if parallelism == 0 || parallelism > max {
            return Err(format!(
                "a parallelism of {parallelism} is not possible: it must be between 1 and the \
                 job's max parallelism ({max}, its number of key groups)"
            ));
        }
        let job = self.catalog.build(&spec)?;
        let storage = spec.settings.checkpoint_storage()?;
        let leadership = match &self.ha {
            Some(ha) => Some(Arc::clone(ha.leading()?)),
            None => None,
        };
        let id = self.next_job.fetch_add(1, Ordering::SeqCst);
        if let (Some(ha), Some(leadership)) = (&self.ha, &leadership) {
            // Where a job started from a savepoint leaves off: what is in its storage now.
            let started_after = match (&spec.settings.resume_from, &storage) {
                (Some(_), Some(storage)) => {
                    checkpoint_ids(&**storage).map_err(|e| e.to_string())?.0
                }
                _ => 0,
            };
            let stored = StoredJob {
                id,
                spec: spec.clone(),
                started_after,
            };
            ha.services
                .put_job(leadership, &stored)
                .map_err(|e| format!("cannot record the job for the standby JobManagers: {e}"))?;
        }
        let config = spec.settings.config_with(storage);
        if let Err(e) = self.start_job(id, spec, job, config, leadership) {
            return Err(match self.forget(id) {
                Ok(()) => e,
                Err(forgetting) => format!("{e}; {forgetting}"),
            });
        }
        Ok(id)
    }

    /// Removes job `id` from the HA store (it ended, or never started), so that no later
    /// leader resumes it.
    fn forget(&self, id: u64) -> Result<(), String> {
        let Some(ha) = &self.ha else { return Ok(()) };
        let Some(leadership) = ha.leadership.get() else {
            return Ok(());
        };
        ha.services.remove_job(leadership, id).map_err(|e| {
            format!(
                "job {id} ended, but the standby JobManagers were not told (a later leader \
                 may resume it): {e}"
            )
        })
    }

    /// Starts job `id`: its runs wait for slots. Under high availability, `leadership` is
    /// the leader's, under which the job's checkpoints and end are recorded.
    fn start_job(
        &self,
        id: u64,
        spec: JobSpec,
        job: stream_runtime::Job,
        config: stream_runtime::Config,
        leadership: Option<Arc<Leadership>>,
    ) -> Result<(), String> {
        if lock(&self.jobs).contains_key(&id) {
            return Err(format!("there is a job {id} already"));
        }
        let plan = job.plan();
        let graph = PlanGraph::from(&plan);
        let plan = plan.to_string();
        let runs = self.registry.runs_of(id, spec.clone());
        let name = format!("{}#{id}", spec.entry);
        let handle = job.named(name.clone()).start_distributed(config, runs);
        let handle = Arc::new(Mutex::new(Some(Arc::new(handle))));
        let outcome = Arc::new(Mutex::new(None));
        let checkpoints = Arc::new(Mutex::new(Vec::new()));
        let cancelled = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let record = self
            .ha
            .as_ref()
            .zip(leadership)
            .map(|(ha, leadership)| HaRecord {
                services: Arc::clone(&ha.services),
                leadership,
                job: id,
            });
        watch(
            Arc::clone(&handle),
            Arc::clone(&outcome),
            Arc::clone(&checkpoints),
            Arc::clone(&cancelled),
            record,
        )?;
        let submitted_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        lock(&self.jobs).insert(
            id,
            JobEntry {
                name,
                spec,
                plan,
                graph,
                submitted_ms,
                handle,
                outcome,
                checkpoints,
                cancelled,
            },
        );
        Ok(())
    }

    /// Every job, oldest first.
    pub fn jobs(&self) -> Vec<JobInfo> {
        let ids: Vec<u64> = lock(&self.jobs).keys().copied().collect();
        ids.into_iter().filter_map(|id| self.job(id)).collect()
    }

    /// Job `id`.
    pub fn job(&self, id: u64) -> Option<JobInfo> {
        let jobs = lock(&self.jobs);
        let entry = jobs.get(&id)?;
        let outcome = lock(&entry.outcome).clone();
        let status = match (&outcome, lock(&entry.handle).as_ref()) {
            (Some(outcome), _) => outcome.status.clone(),
            // Failed, but its outcome (with the error) not recorded yet: Flink's FAILING,
            // so FAILED always comes with its error.
            (None, Some(handle)) if handle.status() == JobStatus::Failed => "FAILING".to_owned(),
            (None, Some(handle)) => status_name(handle.status()).to_owned(),
            (None, None) => "STOPPING".to_owned(),
        };
        Some(JobInfo {
            id,
            name: entry.name.clone(),
            status,
            spec: entry.spec.clone(),
            plan: entry.plan.clone(),
            graph: entry.graph.clone(),
            submitted_ms: entry.submitted_ms,
            outcome,
        })
    }

    /// The live counters of job `id`'s instances, from the TaskManagers' heartbeats.
    pub fn metrics(&self, id: u64) -> Vec<rest::InstanceMetrics> {
        self.registry
            .job_metrics(id)
            .into_iter()
            .map(|(run, stage, index, operators, m)| {
                rest::InstanceMetrics::new(run, stage, index, operators, &m)
            })
            .collect()
    }

    /// The checkpoints job `id` completed, oldest first.
    pub fn checkpoints(&self, id: u64) -> Option<Vec<rest::CheckpointView>> {
        // A read: no need to ask who leads (which may wait for the HA store).
        let (handle, seen) = lock(&self.jobs)
            .get(&id)
            .map(|e| (Arc::clone(&e.handle), Arc::clone(&e.checkpoints)))?;
        // Read under the slot's lock: a clone of the handle would hold off a stop.
        if let Some(running) = lock(&handle).as_ref() {
            *lock(&seen) = running.checkpoints();
        }
        let seen = lock(&seen);
        Some(seen.iter().map(rest::CheckpointView::from).collect())
    }

    /// The registered TaskManagers.
    pub fn taskmanagers(&self) -> Vec<TaskManagerInfo> {
        let now = self.registry.now_ms();
        self.registry.taskmanagers(|tms| {
            tms.into_iter()
                .map(|(id, tm, used)| TaskManagerInfo {
                    id,
                    name: tm.name.clone(),
                    data: tm.data,
                    slots: tm.slots,
                    slots_used: used,
                    last_heartbeat_ms: tm.silent_for(now).as_millis() as u64,
                    uptime_s: tm.registered.elapsed().as_secs(),
                })
                .collect()
        })
    }

    fn entry<R>(&self, id: u64, f: impl FnOnce(&JobEntry) -> R) -> Result<R, String> {
        if let Some(ha) = &self.ha {
            ha.leading()?;
        }
        lock(&self.jobs)
            .get(&id)
            .map(f)
            .ok_or_else(|| format!("there is no job {id}"))
    }

    /// Takes a savepoint of job `id`; returns its id once it is complete.
    pub fn savepoint(&self, id: u64) -> Result<u64, String> {
        let (handle, spec) = self.entry(id, |e| (Arc::clone(&e.handle), e.spec.clone()))?;
        if spec.settings.checkpoint_dir.is_none() {
            return Err(no_checkpoints(id, "take a savepoint of it"));
        }
        // Waits for the savepoint with the slot free, so the job stays visible.
        let running = lock(&handle).clone().ok_or("the job has ended")?;
        running.savepoint().map_err(|e| e.to_string())
    }

    /// Takes job `id`'s running handle to end it, with the checkpoints it completed so
    /// far recorded; the returned slots take how it ended.
    fn take(&self, id: u64) -> Result<(JobHandle, Ending), String> {
        let ending = self.entry(id, |e| Ending {
            handle: Arc::clone(&e.handle),
            outcome: Arc::clone(&e.outcome),
            checkpoints: Arc::clone(&e.checkpoints),
        })?;
        let mut slot = lock(&ending.handle);
        let shared = slot
            .take()
            .ok_or("the job has ended, or is being stopped")?;
        if shared.is_finished() {
            // The watcher records how it ended.
            *slot = Some(shared);
            return Err("the job has ended".into());
        }
        let running = match Arc::try_unwrap(shared) {
            Ok(running) => running,
            Err(shared) => {
                *slot = Some(shared);
                return Err(format!(
                    "a savepoint of job {id} is in progress: try again once it completed"
                ));
            }
        };
        drop(slot);
        *lock(&ending.checkpoints) = running.checkpoints();
        Ok((running, ending))
    }

    /// Stops job `id` with a savepoint (Flink's `stop`); returns the savepoint's id.
    pub fn stop(&self, id: u64) -> Result<u64, String> {
        let (running, ending) = self.take(id)?;
        match running.stop_with_savepoint() {
            Ok((savepoint, report)) => {
                let taken = report.checkpoints.into_iter().filter(|c| c.id == savepoint);
                lock(&ending.checkpoints).extend(taken);
                *lock(&ending.outcome) = Some(JobOutcome {
                    status: "STOPPED".into(),
                    error: None,
                    restarts: report.restarts,
                    savepoint: Some(savepoint),
                    duration_ms: Some(report.duration.as_millis() as u64),
                });
                // Before the answer: a leader that dies after it must not resume the job.
                self.forget(id)?;
                Ok(savepoint)
            }
            // The job ended while it was being stopped: its handle is joined, and the
            // error is how it ended.
            Err((error, running)) if running.is_finished() => {
                let status = status_name(running.status());
                *lock(&ending.outcome) = Some(JobOutcome {
                    status: status.into(),
                    error: (status != "FINISHED").then(|| error.to_string()),
                    restarts: error.restarts(),
                    savepoint: None,
                    duration_ms: None,
                });
                Err(format!("the job ended before its stop: {error}"))
            }
            Err((error, running)) => {
                *lock(&ending.handle) = Some(Arc::new(running));
                Err(error.to_string())
            }
        }
    }

    /// Rescales job `id` to `parallelism` through a savepoint: stops it with one, then
    /// submits it again at the new parallelism, resuming from that savepoint (its keyed
    /// state redistributed by key group, its sources' positions split anew). Returns the
    /// new job's id and the savepoint.
    pub fn rescale(&self, id: u64, parallelism: usize) -> Result<(u64, u64), String> {
        let mut spec = self.entry(id, |e| e.spec.clone())?;
        if spec.settings.checkpoint_dir.is_none() {
            return Err(no_checkpoints(
                id,
                "stop it with a savepoint and resume it rescaled",
            ));
        }
        let max = spec.settings.max_parallelism();
        if parallelism == 0 || parallelism > max {
            return Err(format!(
                "job {id} cannot run at parallelism {parallelism}: it must be between 1 and \
                 its max parallelism ({max}); the job runs on unchanged"
            ));
        }
        let savepoint = self.stop(id)?;
        spec.settings.parallelism = parallelism;
        spec.settings.resume_from = Some(savepoint);
        let rescaled = self.submit(spec).map_err(|e| {
            format!("job {id} stopped with savepoint {savepoint}, but its rescaled copy cannot start: {e}")
        })?;
        Ok((rescaled, savepoint))
    }

    /// Cancels job `id` (Flink's `cancel`): it ends at once, without a savepoint.
    pub fn cancel(&self, id: u64) -> Result<(), String> {
        let (handle, outcome, cancelled) = self.entry(id, |e| {
            (
                Arc::clone(&e.handle),
                Arc::clone(&e.outcome),
                Arc::clone(&e.cancelled),
            )
        })?;
        {
            // Through the shared handle: a savepoint in progress does not hold it off.
            let slot = lock(&handle);
            let running = slot
                .as_ref()
                .ok_or("the job has ended, or is being stopped")?;
            if running.is_finished() {
                return Err("the job has ended".into());
            }
            cancelled.store(true, std::sync::atomic::Ordering::SeqCst);
            running.request_cancel();
        }
        // The watch records the end (as CANCELED); a cancel ends a run within a minute.
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        while lock(&outcome).is_none() {
            if std::time::Instant::now() > deadline {
                return Err(format!("job {id} was cancelled but has not ended yet"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.forget(id)
    }
}

/// Why a stored job did not resume.
enum Resume {
    /// It never will (its entry is not in this binary's catalog): it is given up.
    Impossible(String),
    /// Its storage did not answer: the next leader tries again.
    NotNow(String),
}

/// The slots of a job that is being ended by request.
struct Ending {
    handle: HandleSlot,
    outcome: Arc<Mutex<Option<JobOutcome>>>,
    checkpoints: Arc<Mutex<Vec<CheckpointStats>>>,
}

/// Records how the job behind `handle` ends, once it ends by itself, and the
/// checkpoints it completed. A stop or a cancel takes the handle and records the outcome
/// itself; one that fails puts the handle back, and the watch goes on.
fn watch(
    handle: HandleSlot,
    outcome: Arc<Mutex<Option<JobOutcome>>>,
    checkpoints: Arc<Mutex<Vec<CheckpointStats>>>,
    cancelled: Arc<std::sync::atomic::AtomicBool>,
    record: Option<HaRecord>,
) -> Result<(), String> {
    let watching = move || {
        follow(&handle, &outcome, &checkpoints, &cancelled, record.as_ref());
        if let Some(record) = &record {
            record.ended();
        }
    };
    std::thread::Builder::new()
        .name("strom-jm-job".into())
        .spawn(watching)
        .map(|_| ())
        .map_err(|e| format!("cannot watch the job: {e}"))
}

/// How often (in 20 ms ticks: 5 s) a watch records a job's latest checkpoint for the
/// standby JobManagers: for information only, so seldom enough not to crowd the store.
const RECORD_CHECKPOINTS_EVERY: u32 = 250;

/// [`watch`]'s loop: returns once the job's end is recorded.
fn follow(
    handle: &HandleSlot,
    outcome: &Mutex<Option<JobOutcome>>,
    checkpoints: &Mutex<Vec<CheckpointStats>>,
    cancelled: &std::sync::atomic::AtomicBool,
    record: Option<&HaRecord>,
) {
    let mut ticks = 0u32;
    let mut recorded = None;
    loop {
        std::thread::sleep(Duration::from_millis(20));
        if lock(outcome).is_some() {
            return;
        }
        ticks = ticks.wrapping_add(1);
        if let Some(record) = record.filter(|_| ticks.is_multiple_of(RECORD_CHECKPOINTS_EVERY)) {
            let latest = lock(handle)
                .as_ref()
                .and_then(|running| running.checkpoints().last().map(|c| c.id));
            // Recorded without the slot's lock: a stop must not wait for etcd.
            if let Some(latest) = latest.filter(|&l| Some(l) != recorded) {
                recorded = Some(latest);
                record.checkpoint(latest);
            }
        }
        let mut slot = lock(handle);
        let Some(shared) = slot.take_if(|h| h.is_finished()) else {
            continue;
        };
        let running = match Arc::try_unwrap(shared) {
            Ok(running) => running,
            // A savepoint request still holds it; it returns soon, the job has ended.
            Err(shared) => {
                *slot = Some(shared);
                continue;
            }
        };
        drop(slot);
        *lock(checkpoints) = running.checkpoints();
        let status = status_name(running.status());
        let ended = running.join();
        if cancelled.load(std::sync::atomic::Ordering::SeqCst) {
            *lock(outcome) = Some(JobOutcome {
                status: "CANCELED".into(),
                error: None,
                restarts: ended.as_ref().map_or_else(|e| e.restarts(), |r| r.restarts),
                savepoint: None,
                duration_ms: None,
            });
            return;
        }
        *lock(outcome) = Some(match ended {
            Ok(report) => JobOutcome {
                status: status.into(),
                error: None,
                restarts: report.restarts,
                savepoint: None,
                duration_ms: Some(report.duration.as_millis() as u64),
            },
            Err(e) => JobOutcome {
                status: "FAILED".into(),
                error: Some(e.to_string()),
                restarts: e.restarts(),
                savepoint: None,
                duration_ms: None,
            },
        });
        return;
    }
}

/// What a leader records of one job for the standby JobManagers.
struct HaRecord {
    services: Arc<dyn HaServices>,
    leadership: Arc<Leadership>,
    job: u64,
}

impl HaRecord {
    /// The job completed `checkpoint`. Best effort: a standby that takes over resumes
    /// from the newest checkpoint in the job's storage either way.
    fn checkpoint(&self, checkpoint: u64) {
        let _ = self
            .services
            .put_latest_checkpoint(&self.leadership, self.job, checkpoint);
    }

    /// The job ended: a standby that takes over must not resume it.
    fn ended(&self) {
        if let Err(e) = self.services.remove_job(&self.leadership, self.job) {
            eprintln!(
                "strom: job {} ended, but cannot be forgotten: {e}",
                self.job
            );
        }
    }
}

/// Why job `id` cannot `what`: it has no checkpoint directory.
fn no_checkpoints(id: u64, what: &str) -> String {
    format!(
        "job {id} has no checkpoint directory, so nothing can {what}: submit it with one \
         (`strom run --checkpoints DIR|s3://BUCKET/PREFIX`, or `checkpoint_dir` in its \
         settings)"
    )
}

/// Flink's name of a job status.
pub fn status_name(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Created => "CREATED",
        JobStatus::Running => "RUNNING",
        JobStatus::StoppingOnCheckpoint | JobStatus::Stopping { .. } => "STOPPING",
        JobStatus::Restarting { .. } => "RESTARTING",
        JobStatus::Finished => "FINISHED",
        JobStatus::Stopped => "STOPPED",
        JobStatus::Failed => "FAILED",
    }
}
