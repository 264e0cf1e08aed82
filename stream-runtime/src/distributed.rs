//! Running one job over several processes (Flink's JobMaster and TaskManagers), without
//! changing a stage: every process builds the same job graph (the binary, or the SQL
//! text, is the unit of deployment), and a run is spread over the slots of the processes
//! a [`RunDeployment`] names.
//!
//! - **Placement.** The run's workers are the processes' slots, taken one per process in
//!   turn (Flink's evenly spread slots), and worker `w` runs instance `w` of every stage
//!   (slot sharing, as in one process). A process builds only the instances placed on its
//!   workers; an edge between instances in two processes becomes a network channel
//!   ([`crate::channel::net`]), named by the run, the edge and the two instances, so both
//!   processes derive the same name.
//! - **Control.** The run's checkpoint controller runs with the job's handle
//!   ([`Job::start_distributed`]): it triggers checkpoints, counts acknowledgements,
//!   writes the metadata and tells the parts to commit, exactly as in one process, through
//!   a [`RemoteRuns`] that carries commands to the parts and their tasks' events back. A
//!   part ([`Job::start_part`]) relays its tasks' events to it and its commands to its
//!   workers. Checkpoint files go to storage every process reaches (a shared directory
//!   now; object storage later).
//! - **Failure.** A part that fails, or a process that is lost, fails the run: the others
//!   are cancelled, and the job's restart strategy starts a new run (a new run id, so no
//!   channel of the old run mixes in) from the latest complete checkpoint, on the
//!   processes [`RemoteRuns::allocate`] finds then.

use std::net::SocketAddr;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use stream_core::{ErrorKind, StreamError};

use crate::channel::net::NetworkEndpoint;
use crate::config::Config;
use crate::control::{ControllerMessage, TaskCommand, TaskEvent};
use crate::executor::{panic_message, run_part, JobControl, Part, TaskMetrics};
use crate::job::{Job, JobError, JobHandle, TaskReport};

/// One process of a run: where its network endpoint listens, and how many slots it gives
/// the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessSlots {
    /// The process's network endpoint (data channels).
    pub address: SocketAddr,
    /// How many workers it runs for this run.
    pub slots: usize,
}

/// How one run of a job is spread over processes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDeployment {
    /// The run's id, unique among the runs the processes share (it names the run's
    /// network channels).
    pub run: u64,
    /// The processes, in an order every part agrees on.
    pub processes: Vec<ProcessSlots>,
    /// The checkpoint every part restores, chosen by the JobMaster.
    pub resume_from: Option<u64>,
}

impl RunDeployment {
    /// The slots of all processes together.
    pub fn slots(&self) -> usize {
        self.processes
            .iter()
            .fold(0usize, |total, p| total.saturating_add(p.slots))
    }

    /// The process of each of the run's first `workers` workers: one slot of each process
    /// in turn, so a run narrower than the cluster still spreads over its processes.
    pub fn worker_processes(&self, workers: usize) -> Vec<usize> {
        let workers = workers.min(self.slots());
        let mut order = Vec::with_capacity(workers);
        let mut round = 0;
        while order.len() < workers {
            for (process, p) in self.processes.iter().enumerate() {
                if round < p.slots && order.len() < workers {
                    order.push(process);
                }
            }
            round += 1;
        }
        order
    }
}

/// Where the tasks' events of a distributed run go: the run's controller, with the job's
/// handle. Cloned for each part's connection.
#[derive(Clone, Debug)]
pub struct TaskEvents(pub(crate) Sender<ControllerMessage>);

impl TaskEvents {
    /// Hands `event`, which a part reported, to the controller.
    pub fn send(&self, event: TaskEvent) {
        // A controller that has returned has closed the run: nothing is waiting.
        let _ = self.0.send(ControllerMessage::Task(event));
    }
}

/// The JobMaster's view of the processes that run a job's parts: implemented by the
/// cluster (its TaskManagers), used by the restart loop of [`Job::start_distributed`].
pub trait RemoteRuns: Send + Sync {
    /// The processes (and slots) of the job's next run, under a new run id; `wanted` is the
    /// widest stage's parallelism. Fails if no process can run it now.
    fn allocate(&self, job: &str, wanted: usize) -> Result<RunDeployment, StreamError>;

    /// Starts the part of `deployment` in each of its processes; their tasks' events go to
    /// `events`. Returns where each process's commands go, in the deployment's order.
    fn deploy(
        &self,
        deployment: &RunDeployment,
        events: TaskEvents,
    ) -> Result<Vec<Sender<TaskCommand>>, StreamError>;

    /// Waits up to `timeout` for run `run` to end in every process: `Some(Ok(reports))`
    /// once every part finished; `Some(Err(..))`, with the first failure, once every part
    /// has ended or is lost after a part failed or a process was lost (the implementation
    /// cancels the other parts at the first failure); `None` while some part runs.
    fn wait(&self, run: u64, timeout: Duration) -> Option<Result<Vec<TaskReport>, StreamError>>;

    /// Cancels the parts of run `run` that still run. `wait` then reports the run's end
    /// once they ended, or once it gave up on those that ignore the cancel (within a
    /// minute), never later.
    fn cancel(&self, run: u64);
}

/// A part's link to its run's controller: where its tasks' events go, and the commands
/// that come from it.
pub struct PartLink {
    /// Sends an event to the JobMaster.
    pub events: Box<dyn Fn(TaskEvent) + Send + Sync>,
    /// The JobMaster's commands for this part; the part stops reading them once its
    /// workers are done (or the sender is gone).
    pub commands: Receiver<TaskCommand>,
}

/// A process's running part of a distributed run.
pub struct PartHandle {
    control: Arc<JobControl>,
    thread: Option<JoinHandle<Result<Vec<TaskReport>, JobError>>>,
}

/// What another thread may do with a running part: cancel it, read its counters.
#[derive(Clone)]
pub struct PartControl(Arc<JobControl>);

impl PartControl {
    /// Stops the part at once (its run failed elsewhere, or was cancelled): its workers
    /// return at their next turn and the part ends with an error saying `why`.
    pub fn cancel(&self, why: &str) {
        self.0.fail(JobError::new(
            "part",
            None,
            StreamError::new(ErrorKind::Cancelled, why),
        ));
    }

    /// The live counters of the part's stage instances: `(stage, instance, operators,
    /// metrics)`.
    pub fn metrics(&self) -> Vec<(usize, usize, String, TaskMetrics)> {
        self.0.metrics()
    }
}

impl PartHandle {
    /// Stops the part at once; see [`PartControl::cancel`].
    pub fn cancel(&self, why: &str) {
        self.control().cancel(why);
    }

    /// Cancels the part, or reads its counters, from elsewhere.
    pub fn control(&self) -> PartControl {
        PartControl(Arc::clone(&self.control))
    }

    /// True once the part has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits for the part to end: what each of its stage instances reports, or its failure.
    pub fn join(mut self) -> Result<Vec<TaskReport>, JobError> {
        let thread = self
            .thread
            .take()
            .expect("joined once: `join` takes the handle");
        thread.join().unwrap_or_else(|panic| {
            Err(JobError::new(
                "part",
                None,
                StreamError::new(ErrorKind::Panic, panic_message(&panic)),
            ))
        })
    }
}

impl Drop for PartHandle {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.cancel("the part's handle was dropped");
            let _ = thread.join();
        }
    }
}

impl Job {
    /// Starts the job over the processes `runs` provides, with this process as its
    /// JobMaster: the returned handle stops, drains, checkpoints and savepoints it as a job
    /// in one process, and a failed run restarts from the latest complete checkpoint by
    /// the configured restart strategy, on the processes `runs` allocates then.
    /// Checkpoint storage must be reachable by every process under the same name.
    pub fn start_distributed(self, config: Config, runs: Arc<dyn RemoteRuns>) -> JobHandle {
        self.start_with(config, crate::job::Executor::Remote(runs))
    }

    /// Starts this process's part (`me`, an index into `deployment.processes`) of a
    /// distributed run, on its own thread; the other parts build the same job. Network
    /// channels to the other parts go through `endpoint`, which must listen at
    /// `deployment.processes[me].address`.
    pub fn start_part(
        self,
        config: Config,
        deployment: RunDeployment,
        me: usize,
        endpoint: Arc<NetworkEndpoint>,
        link: PartLink,
    ) -> Result<PartHandle, JobError> {
        if deployment.processes.get(me).map(|p| p.address) != Some(endpoint.local_addr()) {
            return Err(JobError::new(
                self.graph().name(),
                None,
                StreamError::new(
                    ErrorKind::Config,
                    format!(
                        "process {me} of run {} is not the one listening at {}",
                        deployment.run,
                        endpoint.local_addr()
                    ),
                ),
            ));
        }
        let control = Arc::new(JobControl::default());
        let part_control = Arc::clone(&control);
        let graph = self.into_graph();
        let thread = std::thread::Builder::new()
            .name(format!("strom-{}-run{}", graph.name(), deployment.run))
            .spawn(move || {
                let part = Part {
                    deployment: &deployment,
                    me,
                    endpoint: &endpoint,
                };
                run_part(&graph, &config, &part_control, part, link).map(|o| o.tasks)
            })
            .map_err(|e| {
                JobError::new(
                    "part",
                    None,
                    StreamError::io("cannot start the thread of a job's part", e),
                )
            })?;
        Ok(PartHandle {
            control,
            thread: Some(thread),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(slots: &[usize]) -> RunDeployment {
        RunDeployment {
            run: 1,
            processes: slots
                .iter()
                .enumerate()
                .map(|(i, &slots)| ProcessSlots {
                    address: SocketAddr::from(([127, 0, 0, 1], 1000 + i as u16)),
                    slots,
                })
                .collect(),
            resume_from: None,
        }
    }

    #[test]
    fn workers_take_one_slot_of_each_process_in_turn() {
        let d = deployment(&[2, 1, 3]);
        assert_eq!(d.slots(), 6);
        assert_eq!(d.worker_processes(6), [0, 1, 2, 0, 2, 2]);
        assert_eq!(d.worker_processes(3), [0, 1, 2], "a narrow run spreads out");
        assert_eq!(deployment(&[]).worker_processes(4), Vec::<usize>::new());
    }
}
