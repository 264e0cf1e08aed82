//! The cluster's commands of the `strom` CLI (clap): the roles (`jobmanager`,
//! `taskmanager`, and `cluster`, a JobManager with TaskManager processes in one command)
//! and the client commands (`run`, `list`, `savepoint`, `stop`, `cancel`, `rescale`) that
//! talk to a JobManager's REST interface.

use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use crate::client::RestClient;
use crate::ha::etcd::EtcdHa;
use crate::ha::{HaServices, Leadership};
use crate::job::{JobCatalog, JobSettings, JobSpec};
use crate::jobmanager::{rest, JobManager, JobManagerOptions};
use crate::resources::{ResourceOptions, WorkerDriver};
use crate::taskmanager::{run_taskmanager, TaskManagerOptions};

/// The JobManager the client commands talk to, unless `--jobmanager` says otherwise.
const DEFAULT_REST: &str = "http://127.0.0.1:8081";

/// The cluster's commands.
#[derive(Subcommand, Debug)]
pub enum ClusterCommand {
    /// Starts a JobManager: TaskManagers register with it, jobs are submitted to its REST
    /// interface.
    Jobmanager(JobManagerArgs),
    /// Starts a TaskManager that offers slots to a JobManager.
    Taskmanager(TaskManagerArgs),
    /// Starts a JobManager here and TaskManager processes beside it (a local cluster).
    Cluster(ClusterArgs),
    /// Submits a job of this binary's catalog and follows it until it ends.
    Run(RunArgs),
    /// Lists the JobManager's jobs.
    List(ClientArgs),
    /// Takes a savepoint of a job.
    Savepoint(JobArgs),
    /// Stops a job with a savepoint.
    Stop(JobArgs),
    /// Cancels a job at once, without a savepoint.
    Cancel(JobArgs),
    /// Rescales a job through a savepoint: stops it with one and starts it again at
    /// another parallelism from it (a new job id).
    Rescale(RescaleArgs),
}

/// Options of `rescale`.
#[derive(Args, Debug)]
pub struct RescaleArgs {
    /// The job's id.
    pub id: u64,
    /// The new parallelism.
    #[arg(short = 'p', long, value_name = "N")]
    pub parallelism: usize,
    /// Where the JobManager is.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Options of `jobmanager`.
#[derive(Args, Debug)]
pub struct JobManagerArgs {
    /// Where TaskManagers connect (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:6123", value_name = "ADDR")]
    pub bind: String,
    /// Where the REST interface listens (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8081", value_name = "ADDR")]
    pub rest: String,
    /// A TaskManager whose heartbeats stop for this long is lost (e.g. 5s).
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub heartbeat_timeout: Duration,
    /// How long a run waits for as many slots as its widest stage has instances; after
    /// that it starts on the slots there are, several instances to a slot (default 10s;
    /// 5min with `--kubernetes-taskmanagers`, as pods take a while to start).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub slot_timeout: Option<Duration>,
    /// The host TaskManagers and clients reach this JobManager at, if not `--bind`'s (a
    /// listener on 0.0.0.0, a pod's address): what it publishes when it leads.
    #[arg(long, value_name = "HOST")]
    pub advertise: Option<String>,
    /// High availability.
    #[command(flatten)]
    pub ha: HaArgs,
    /// TaskManagers started on demand.
    #[command(flatten)]
    pub workers: WorkerArgs,
}

/// The active resource manager: TaskManagers in pods started as jobs need slots.
#[derive(Args, Clone, Debug)]
pub struct WorkerArgs {
    /// Starts TaskManagers in pods of the JobManager's namespace as jobs need slots,
    /// replaces the ones that fail, and stops the ones left idle (Flink's native
    /// Kubernetes mode). The pods are `strom-{cluster id}-taskmanager-...`; the service
    /// account must create, list and delete pods.
    #[arg(long = "kubernetes-taskmanagers")]
    pub pods: bool,
    /// The TaskManagers' pod template (a Pod in YAML or JSON: image, service account,
    /// resources, environment); its container `taskmanager` (else the first) runs the
    /// TaskManager, with the command line written in.
    #[arg(
        long = "taskmanager-pod-template",
        value_name = "FILE",
        requires = "pods"
    )]
    pub pod_template: Option<std::path::PathBuf>,
    /// The TaskManagers' image, if not the pod template's.
    #[arg(long = "taskmanager-image", value_name = "IMAGE", requires = "pods")]
    pub image: Option<String>,
    /// Each TaskManager's slots.
    #[arg(
        long = "taskmanager-slots",
        requires = "pods",
        default_value_t = 1,
        value_name = "N"
    )]
    pub taskmanager_slots: usize,
    /// The port of the TaskManagers' data channels, at their pods' addresses.
    #[arg(
        long = "taskmanager-data-port",
        requires = "pods",
        default_value_t = 6124,
        value_name = "PORT"
    )]
    pub data_port: u16,
    /// The most TaskManagers at once (default: no limit).
    #[arg(long = "max-taskmanagers", requires = "pods", value_name = "N")]
    pub max: Option<usize>,
    /// A TaskManager without a run for this long is stopped.
    #[arg(long = "taskmanager-idle-timeout", requires = "pods", default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub idle_timeout: Duration,
    /// A TaskManager's pod whose TaskManager has not registered (or registered again
    /// after it was lost) within this long is deleted.
    #[arg(long = "taskmanager-registration-timeout", requires = "pods", default_value = "5min", value_parser = parse_duration, value_name = "DURATION")]
    pub registration_timeout: Duration,
    /// The Deployment (of the JobManagers) that owns the TaskManagers' pods: deleting it
    /// deletes them.
    #[arg(
        long = "taskmanager-owner",
        value_name = "DEPLOYMENT",
        requires = "pods"
    )]
    pub owner: Option<String>,
}

/// A resource manager made, not yet started: it starts once the JobManager leads.
struct Workers {
    driver: Arc<dyn WorkerDriver>,
    options: ResourceOptions,
    slots: usize,
}

impl WorkerArgs {
    /// The resource manager these options ask for, if any, for `jobmanager`: made (and
    /// its pod template and access to the API server checked) before it stands for
    /// leadership, so a mistake ends it at once rather than after a takeover. The
    /// TaskManagers find the JobManager through `ha`, or at its advertised address.
    fn make(&self, jobmanager: &JobManager, ha: &HaArgs) -> Result<Option<Workers>, String> {
        if !self.pods {
            return Ok(None);
        }
        let jobmanager_args = match ha.enabled() {
            true => {
                let mut args = ha.to_args();
                // Long enough for a standby to take over.
                args.push(format!("--reconnect={}ms", (ha.lease * 3).as_millis()));
                args
            }
            false => {
                let address = jobmanager.advertised_taskmanager_address();
                let host = address.rsplit_once(':').map_or("", |(host, _)| host);
                match host.parse::<std::net::IpAddr>() {
                    Ok(ip) if ip.is_unspecified() => {
                        return Err(format!(
                            "TaskManager pods cannot reach this JobManager at {address}: give \
                             `--advertise` the pod's address (`--advertise=$(POD_IP)`)"
                        ))
                    }
                    Ok(ip) if ip.is_loopback() => eprintln!(
                        "strom: warning: TaskManager pods are told to reach this JobManager at \
                         {address}, a loopback address that only this host reaches; give \
                         `--advertise` the pod's address"
                    ),
                    _ => {}
                }
                vec![format!("--jobmanager={address}")]
            }
        };
        let driver = kubernetes_workers(self, &ha.cluster_id, jobmanager_args)?;
        let options = ResourceOptions {
            max_workers: self.max,
            registration_timeout: self.registration_timeout,
            idle_timeout: self.idle_timeout,
            // Under HA an earlier leader's TaskManagers register with this one; without
            // it they look for a JobManager that is gone.
            adopt: ha.enabled(),
            ..ResourceOptions::default()
        };
        Ok(Some(Workers {
            driver,
            options,
            slots: self.taskmanager_slots,
        }))
    }
}

impl Workers {
    fn start(self, jobmanager: &Arc<JobManager>) -> Result<(), String> {
        jobmanager.manage_workers(self.driver, self.options)?;
        println!(
            "strom: JobManager starts TaskManagers in pods ({} slots each)",
            self.slots
        );
        Ok(())
    }
}

#[cfg(feature = "kubernetes")]
fn kubernetes_workers(
    args: &WorkerArgs,
    cluster_id: &str,
    jobmanager_args: Vec<String>,
) -> Result<Arc<dyn WorkerDriver>, String> {
    use crate::resources::kubernetes::{
        read_pod_template, KubernetesWorkerOptions, KubernetesWorkers,
    };
    let template = match &args.pod_template {
        Some(path) => read_pod_template(path)?,
        None => Default::default(),
    };
    let workers = KubernetesWorkers::new(KubernetesWorkerOptions {
        cluster_id: cluster_id.to_owned(),
        template,
        image: args.image.clone(),
        slots: args.taskmanager_slots,
        data_port: args.data_port,
        jobmanager_args,
        owner: args.owner.clone(),
    })?;
    Ok(Arc::new(workers))
}

#[cfg(not(feature = "kubernetes"))]
fn kubernetes_workers(
    _: &WorkerArgs,
    _: &str,
    _: Vec<String>,
) -> Result<Arc<dyn WorkerDriver>, String> {
    Err("this binary was built without Kubernetes (strom-cluster's feature `kubernetes`)".into())
}

/// High availability: several JobManagers, one leader elected in etcd.
#[derive(Args, Clone, Debug)]
pub struct HaArgs {
    /// etcd's client URLs (comma-separated, e.g. http://127.0.0.1:2379): JobManagers
    /// stand by until elected leader there, and TaskManagers register with the leader.
    #[arg(
        long = "ha-etcd",
        value_delimiter = ',',
        value_name = "URL",
        conflicts_with = "kubernetes"
    )]
    pub etcd: Vec<String>,
    /// Elects the leader with a Kubernetes Lease, and keeps the jobs in a ConfigMap, in
    /// the pod's namespace (`strom-{cluster id}`, `strom-{cluster id}-jobs`; the pod's
    /// service account must get, create and update both).
    #[arg(long = "ha-kubernetes")]
    pub kubernetes: bool,
    /// The cluster's name in etcd or Kubernetes: the JobManagers and TaskManagers of one
    /// cluster share it.
    #[arg(long = "ha-cluster-id", default_value = "default", value_name = "ID")]
    pub cluster_id: String,
    /// A leader that could not renew its lease for this long ends itself, and a standby
    /// takes over (e.g. 10s; at least 2s).
    #[arg(long = "ha-lease", default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub lease: Duration,
}

impl HaArgs {
    /// The services these options name, if any.
    pub fn services(&self) -> Result<Option<Arc<dyn HaServices>>, String> {
        if self.kubernetes {
            return kubernetes_ha(&self.cluster_id, self.lease).map(Some);
        }
        if self.etcd.is_empty() {
            return Ok(None);
        }
        let etcd = EtcdHa::new(&self.etcd, &self.cluster_id, self.lease)?;
        Ok(Some(Arc::new(etcd)))
    }

    /// True if these options turn high availability on.
    pub fn enabled(&self) -> bool {
        self.kubernetes || !self.etcd.is_empty()
    }

    /// The same options as arguments, for the TaskManagers a local cluster starts.
    fn to_args(&self) -> Vec<String> {
        let elected = match self.kubernetes {
            true => "--ha-kubernetes".to_owned(),
            false => format!("--ha-etcd={}", self.etcd.join(",")),
        };
        vec![
            elected,
            format!("--ha-cluster-id={}", self.cluster_id),
            format!("--ha-lease={}ms", self.lease.as_millis()),
        ]
    }
}

#[cfg(feature = "kubernetes")]
fn kubernetes_ha(cluster_id: &str, lease: Duration) -> Result<Arc<dyn HaServices>, String> {
    let ha = crate::ha::kubernetes::KubernetesHa::new(cluster_id, lease)?;
    Ok(Arc::new(ha))
}

#[cfg(not(feature = "kubernetes"))]
fn kubernetes_ha(_: &str, _: Duration) -> Result<Arc<dyn HaServices>, String> {
    Err("this binary was built without Kubernetes (strom-cluster's feature `kubernetes`)".into())
}

/// Options of `taskmanager`.
#[derive(Args, Debug)]
pub struct TaskManagerArgs {
    /// The name it registers with (default `taskmanager-{host}-{process id}`).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The JobManager's address for TaskManagers.
    #[arg(long, default_value = "127.0.0.1:6123", value_name = "ADDR")]
    pub jobmanager: String,
    /// Slots offered (workers for the runs of jobs).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub slots: usize,
    /// Where the data channels listen (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub bind: String,
    /// The address other TaskManagers reach the data channels at, if not `--bind`'s (a
    /// listener on 0.0.0.0, a forwarded port).
    #[arg(long, value_name = "ADDR")]
    pub advertise: Option<std::net::SocketAddr>,
    /// How long to go on trying to register while there is no JobManager (at the start,
    /// or after losing it) before ending (e.g. 30s, 5min).
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub reconnect: Duration,
    /// High availability: with `--ha-etcd`, the TaskManager registers with whichever
    /// JobManager leads, and `--jobmanager` is not used.
    #[command(flatten)]
    pub ha: HaArgs,
}

/// Options of `cluster`.
#[derive(Args, Debug)]
pub struct ClusterArgs {
    /// How many TaskManager processes to start.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub taskmanagers: usize,
    /// Slots of each TaskManager.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub slots: usize,
    /// The JobManager's options.
    #[command(flatten)]
    pub jobmanager: JobManagerArgs,
}

/// Where the JobManager's REST interface is.
#[derive(Args, Debug)]
pub struct ClientArgs {
    /// The JobManager's REST address (also `STROM_JOBMANAGER`).
    #[arg(long, env = "STROM_JOBMANAGER", default_value = DEFAULT_REST, value_name = "URL")]
    pub jobmanager: String,
}

/// A job of the JobManager.
#[derive(Args, Debug)]
pub struct JobArgs {
    /// The job's id (see `strom list`).
    pub id: u64,
    /// Where the JobManager is.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Options of `run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The job: an entry of the binary's catalog (`strom run --list` shows them).
    #[arg(required_unless_present = "list")]
    pub entry: Option<String>,
    /// The job's arguments; `@FILE` stands for the contents of FILE (a SQL script, say).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// Lists the jobs of the catalog.
    #[arg(long)]
    pub list: bool,
    /// How the job runs.
    #[command(flatten)]
    pub job: JobOptions,
    /// Returns once the job is submitted, without following it.
    #[arg(long)]
    pub detached: bool,
    /// Runs the job in this process (embedded, with `-p` workers) instead of on a
    /// cluster.
    #[arg(long, conflicts_with = "detached")]
    pub local: bool,
    /// Where the JobManager is.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// How a job runs: the options of `strom run` and `strom sql`.
#[derive(Args, Clone, Debug)]
pub struct JobOptions {
    /// Instances of every operator.
    #[arg(short = 'p', long, default_value_t = 1, value_name = "N")]
    pub parallelism: usize,
    /// Checkpoints into this directory or object store location (`s3://bucket/prefix`,
    /// configured by the `AWS_*` environment), and resumes from it: a job started again
    /// with the same location continues where it stopped, exactly once. On a cluster
    /// every process must reach it, and a failed run restarts from its latest checkpoint.
    #[arg(long, value_name = "DIR|URL")]
    pub checkpoints: Option<String>,
    /// How often to checkpoint, with `--checkpoints` (e.g. 500ms, 10s, 1min).
    #[arg(long, default_value = "1s", value_parser = parse_duration, value_name = "DURATION")]
    pub checkpoint_interval: Duration,
    /// Starts from this checkpoint or savepoint of `--checkpoints` instead of the latest
    /// one.
    #[arg(long, value_name = "ID", requires = "checkpoints")]
    pub resume_from: Option<u64>,
}

impl JobOptions {
    /// `--checkpoints` as every process finds it: a directory made absolute (processes
    /// start in other directories), a URL as it is.
    pub fn checkpoint_location(&self) -> Result<Option<String>, String> {
        let Some(location) = &self.checkpoints else {
            return Ok(None);
        };
        match strom_object_store::Location::parse(location).map_err(|e| e.to_string())? {
            strom_object_store::Location::Directory(dir) if !location.contains("://") => {
                let dir = std::path::absolute(&dir).map_err(|e| format!("{location}: {e}"))?;
                Ok(Some(dir.to_string_lossy().into_owned()))
            }
            _ => Ok(Some(location.clone())),
        }
    }
}

/// Parses `500ms`, `10s`, `2min`, `1h` or a number of milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 500ms, 10s or 1min"))?;
    let ms = match unit.trim() {
        "" | "ms" => n,
        "s" => n * 1000,
        "min" | "m" => n * 60_000,
        "h" => n * 3_600_000,
        other => return Err(format!("unknown unit `{other}`: use ms, s, min or h")),
    };
    if ms == 0 {
        return Err("the interval must be positive".into());
    }
    Ok(Duration::from_millis(ms))
}

impl ClusterCommand {
    /// Runs the command with the jobs of `catalog`; an error is a message for people.
    pub fn run(self, catalog: JobCatalog) -> Result<(), String> {
        let catalog = Arc::new(catalog);
        match self {
            ClusterCommand::Jobmanager(args) => {
                let jobmanager = start_jobmanager(catalog, &args)?;
                wait_forever(jobmanager, Vec::new())
            }
            ClusterCommand::Taskmanager(args) => run_taskmanager(
                catalog,
                TaskManagerOptions {
                    name: args.name,
                    jobmanager: args.jobmanager,
                    slots: args.slots,
                    bind: args.bind,
                    advertise: args.advertise,
                    // Under HA, long enough for a standby to take over.
                    reconnect: if !args.ha.enabled() {
                        args.reconnect
                    } else {
                        args.reconnect.max(args.ha.lease * 3)
                    },
                    ha: args.ha.services()?,
                },
            ),
            ClusterCommand::Cluster(args) => {
                let jobmanager = start_jobmanager(catalog, &args.jobmanager)?;
                let exe = std::env::current_exe()
                    .map_err(|e| format!("cannot find this program to start TaskManagers: {e}"))?;
                let mut children = Vec::new();
                for _ in 0..args.taskmanagers {
                    let mut command = Command::new(&exe);
                    command.arg("taskmanager");
                    if !args.jobmanager.ha.enabled() {
                        command
                            .arg("--jobmanager")
                            .arg(jobmanager.taskmanager_address().to_string());
                    } else {
                        command.args(args.jobmanager.ha.to_args());
                    }
                    let child = command
                        .arg("--slots")
                        .arg(args.slots.to_string())
                        // Their JobManager is this process: when it is gone, so are they.
                        .args(["--reconnect", "1ms"])
                        .spawn()
                        .map_err(|e| format!("cannot start a TaskManager: {e}"))?;
                    println!("strom: TaskManager process {} started", child.id());
                    children.push(child);
                }
                wait_forever(jobmanager, children)
            }
            ClusterCommand::Run(args) => submit_and_follow(&catalog, args),
            ClusterCommand::List(client) => {
                let jobs = RestClient::new(&client.jobmanager).jobs()?;
                println!("{:>4}  {:<10}  NAME", "ID", "STATUS");
                for job in jobs {
                    println!("{:>4}  {:<10}  {}", job.id, job.status, job.name);
                }
                Ok(())
            }
            ClusterCommand::Savepoint(job) => {
                eprintln!("strom: taking a savepoint of job {} ...", job.id);
                let answer: serde_json::Value = RestClient::new(&job.client.jobmanager)
                    .post(&format!("/v1/jobs/{}/savepoint", job.id), &())?;
                println!("savepoint {}", answer["savepoint"]);
                Ok(())
            }
            ClusterCommand::Stop(job) => {
                eprintln!("strom: stopping job {} with a savepoint ...", job.id);
                let answer: serde_json::Value = RestClient::new(&job.client.jobmanager)
                    .post(&format!("/v1/jobs/{}/stop", job.id), &())?;
                println!("stopped with savepoint {}", answer["savepoint"]);
                Ok(())
            }
            ClusterCommand::Rescale(args) => {
                eprintln!(
                    "strom: rescaling job {} to parallelism {} (stop with a savepoint, start from it) ...",
                    args.id, args.parallelism
                );
                let answer: serde_json::Value = RestClient::new(&args.client.jobmanager).post(
                    &format!("/v1/jobs/{}/rescale", args.id),
                    &serde_json::json!({ "parallelism": args.parallelism }),
                )?;
                let rescaled = &answer["rescaled"];
                println!(
                    "job {} stopped with savepoint {}; it runs on as job {} at parallelism {}",
                    args.id, rescaled["savepoint"], rescaled["job"], args.parallelism
                );
                Ok(())
            }
            ClusterCommand::Cancel(job) => {
                let _: serde_json::Value = RestClient::new(&job.client.jobmanager)
                    .post(&format!("/v1/jobs/{}/cancel", job.id), &())?;
                println!("job {} canceled", job.id);
                Ok(())
            }
        }
    }
}

fn start_jobmanager(
    catalog: Arc<JobCatalog>,
    args: &JobManagerArgs,
) -> Result<Arc<JobManager>, String> {
    let options = JobManagerOptions {
        bind: args.bind.clone(),
        rest: args.rest.clone(),
        heartbeat_timeout: args.heartbeat_timeout,
        slot_timeout: args.slot_timeout.unwrap_or(match args.workers.pods {
            true => Duration::from_secs(300),
            false => Duration::from_secs(10),
        }),
        ha: args.ha.services()?,
        advertise: args.advertise.clone(),
        ..JobManagerOptions::default()
    };
    let jobmanager = JobManager::start(catalog, &options)?;
    let workers = args.workers.make(&jobmanager, &args.ha)?;
    let rest = rest::serve(Arc::clone(&jobmanager), &options.rest)?;
    // Scripts and tests read these two lines to find the JobManager.
    println!("strom: JobManager REST interface at http://{rest}");
    println!(
        "strom: JobManager accepts TaskManagers at {}",
        jobmanager.taskmanager_address()
    );
    println!("strom: web UI at http://{rest}/");
    if options.ha.is_some() {
        println!("strom: JobManager standing by for leadership");
        let leadership = jobmanager.lead(rest, fence_on_loss)?;
        if let Some(leadership) = leadership {
            println!(
                "strom: JobManager leads (fencing token {})",
                leadership.token()
            );
        }
    }
    if let Some(workers) = workers {
        workers.start(&jobmanager)?;
    }
    Ok(jobmanager)
}

/// Ends the process at once when `leadership` is lost: another JobManager may lead now,
/// and this one's jobs, checkpoints and commits must stop (its TaskManagers see the
/// connection end and register with the new leader).
fn fence_on_loss(leadership: Arc<Leadership>) -> Result<(), String> {
    std::thread::Builder::new()
        .name("strom-jm-fence".into())
        .spawn(move || {
            while !leadership.is_lost() {
                std::thread::sleep(Duration::from_millis(20));
            }
            eprintln!("strom: this JobManager lost its leadership; ending");
            std::process::exit(3);
        })
        .map(drop)
        .map_err(|e| format!("cannot watch the leadership: {e}"))
}

/// Serves until the process is killed; TaskManager processes started here end with it
/// (they lose their JobManager).
fn wait_forever(_jobmanager: Arc<JobManager>, mut children: Vec<Child>) -> Result<(), String> {
    loop {
        std::thread::sleep(Duration::from_secs(1));
        children.retain_mut(|child| match child.try_wait() {
            Ok(Some(status)) => {
                eprintln!("strom: TaskManager process {} ended: {status}", child.id());
                false
            }
            _ => true,
        });
    }
}

/// `strom run --local`: the job in this process, embedded; prints how long it ran and
/// the process's peak memory.
fn run_here(catalog: &JobCatalog, spec: &JobSpec) -> Result<(), String> {
    let job = catalog.build(spec)?;
    let report = job
        .run_with(spec.settings.config()?)
        .map_err(|e| e.to_string())?;
    println!(
        "Job FINISHED after {} restarts in {:.3} s (in this process; peak RSS {} KiB)",
        report.restarts,
        report.duration.as_secs_f64(),
        peak_rss_kib(std::process::id()).unwrap_or(0)
    );
    Ok(())
}

/// The peak resident memory of process `pid` in KiB (`VmHWM`), where Linux tells it.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// `strom run`: submits the job and, unless detached, prints its status as it changes
/// until it ends; fails if it failed or was canceled.
fn submit_and_follow(catalog: &JobCatalog, args: RunArgs) -> Result<(), String> {
    if args.list {
        for (name, about) in catalog.entries() {
            println!("{name:<16} {about}");
        }
        return Ok(());
    }
    let entry = args.entry.ok_or("name the job to run")?;
    let job_args = args
        .args
        .iter()
        .map(|arg| match arg.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read `{path}` (an argument `@FILE`): {e}")),
            None => Ok(arg.clone()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options = &args.job;
    let checkpoint_dir = options.checkpoint_location()?;
    let spec = JobSpec {
        entry,
        args: job_args,
        settings: JobSettings {
            parallelism: options.parallelism,
            checkpoint_dir,
            checkpoint_interval_ms: options.checkpoint_interval.as_millis() as u64,
            resume_from: options.resume_from,
            ..JobSettings::default()
        },
    };
    if args.local {
        return run_here(catalog, &spec);
    }
    let client = RestClient::new(&args.client.jobmanager);
    let id = client.submit(&spec)?;
    println!("Job {id} submitted");
    if args.detached {
        return Ok(());
    }
    let started = Instant::now();
    let mut last = String::new();
    loop {
        let job = client.job(id)?;
        if job.status != last {
            eprintln!(
                "strom: [{:>6.1}s] job {id} ({}) is {}",
                started.elapsed().as_secs_f64(),
                job.name,
                job.status
            );
            last = job.status.clone();
        }
        if let Some(outcome) = &job.outcome {
            return match job.status.as_str() {
                "FINISHED" | "STOPPED" => {
                    let ran = outcome["duration_ms"].as_u64().map_or(String::new(), |ms| {
                        format!(" in {:.3} s", ms as f64 / 1000.0)
                    });
                    println!(
                        "Job {id} {} after {} restarts{ran}",
                        job.status, outcome["restarts"]
                    );
                    Ok(())
                }
                _ => Err(format!(
                    "job {id} {}: {}",
                    job.status,
                    outcome["error"].as_str().unwrap_or("no reason given")
                )),
            };
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1min"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("250"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("1 fortnight").is_err());
        assert!(parse_duration("0s").is_err());
    }
}
