//! The TaskManager role: a process that offers slots to a JobManager and runs the parts
//! of runs it is sent, building each job from the binary's own [`JobCatalog`]. It
//! registers over one TCP connection, sends heartbeats (with its parts' counters) on it,
//! relays its tasks' checkpoint events up and the controller's commands down, and
//! reports how each part ended. Losing the JobManager cancels its parts: there is no one
//! left to commit their checkpoints.

use std::collections::HashMap;
use std::io::BufReader;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use stream_core::ErrorKind;
use stream_runtime::channel::net::{NetworkConfig, NetworkEndpoint};
use stream_runtime::control::TaskCommand;
use stream_runtime::distributed::{PartControl, PartLink, RunDeployment};

use crate::ha::HaServices;
use crate::job::{JobCatalog, JobSpec};
use crate::lock;
use crate::protocol::{receive, send, RemoteError, ToJobManager, ToTaskManager};

/// How a TaskManager starts.
#[derive(Clone, Debug)]
pub struct TaskManagerOptions {
    /// The name it registers with (`taskmanager-{host}-{process id}` if none): its
    /// pod's, when a resource manager started it.
    pub name: Option<String>,
    /// The JobManager's address for TaskManagers (`host:port`).
    pub jobmanager: String,
    /// How many slots it offers.
    pub slots: usize,
    /// Where its network endpoint listens (port 0: any free port).
    pub bind: String,
    /// The address peers reach its network endpoint at, if not the one it binds (a
    /// listener on `0.0.0.0`, a forwarded port).
    pub advertise: Option<SocketAddr>,
    /// How long it goes on trying to register when it has no JobManager (at the start,
    /// or after losing it) before it gives up and ends.
    pub reconnect: Duration,
    /// High availability: the JobManager is whichever leads in these services (and
    /// `jobmanager` is not used); when another one takes over, the TaskManager leaves the
    /// old one and registers with it.
    pub ha: Option<Arc<dyn HaServices>>,
}

/// The parts a TaskManager runs: where each one's commands go, and its control.
type Parts = Arc<Mutex<HashMap<u64, (Sender<TaskCommand>, PartControl)>>>;

/// The connection to the JobManager, shared by every thread that writes to it.
#[derive(Clone)]
struct Upstream(Arc<Mutex<TcpStream>>);

impl Upstream {
    fn send(&self, message: &ToJobManager) -> std::io::Result<()> {
        send(&mut *lock(&self.0), message)
    }
}

/// Runs a TaskManager: registers with the JobManager and serves it; when the connection
/// is lost, cancels its parts and registers again (with a JobManager restarted at the
/// same address, say), until `options.reconnect` passes without one; then returns why.
pub fn run_taskmanager(
    catalog: Arc<JobCatalog>,
    options: TaskManagerOptions,
) -> Result<(), String> {
    let network = match options.advertise {
        Some(address) => NetworkConfig::default().advertised(address),
        None => NetworkConfig::default(),
    };
    let endpoint = Arc::new(
        NetworkEndpoint::bind_with(options.bind.as_str(), network)
            .map_err(|e| format!("cannot listen for data channels on {}: {e}", options.bind))?,
    );
    let fixed = match &options.ha {
        Some(_) => None,
        None => Some(
            options
                .jobmanager
                .to_socket_addrs()
                .map_err(|e| format!("`{}` is not an address: {e}", options.jobmanager))?
                .next()
                .ok_or_else(|| format!("`{}` resolves to no address", options.jobmanager))?,
        ),
    };
    // Since when the TaskManager has had no JobManager.
    let mut alone_since: Option<Instant> = None;
    loop {
        let registered = match (&options.ha, fixed) {
            (Some(ha), _) => registered_with_leader(ha.as_ref(), &options, &endpoint)
                .map(|(session, leader)| (session, Some((Arc::clone(ha), leader)))),
            (None, Some(address)) => register(&options, address, &endpoint).map(|s| (s, None)),
            (None, None) => Err("no JobManager address".to_owned()),
        };
        let why = match registered {
            Ok((session, leader)) => {
                alone_since = None;
                serve_following(&catalog, &endpoint, session, leader)
            }
            Err(why) => why,
        };
        let since = *alone_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= options.reconnect {
            return Err(format!("{why} (no JobManager for {:?})", options.reconnect));
        }
        std::thread::sleep(RECONNECT_EVERY);
    }
}

/// How often a TaskManager without a JobManager tries to register again.
const RECONNECT_EVERY: Duration = Duration::from_millis(500);

/// How long a TaskManager waits for the JobManager to answer its registration.
const REGISTRATION_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a TaskManager under high availability checks who leads.
const FOLLOW_LEADER_EVERY: Duration = Duration::from_millis(500);

/// Registers with the JobManager that leads now; returns the session and the leader's
/// address as published.
fn registered_with_leader(
    ha: &dyn HaServices,
    options: &TaskManagerOptions,
    endpoint: &NetworkEndpoint,
) -> Result<(Session, String), String> {
    let leader = match ha.leader() {
        Ok(Some(leader)) => leader.taskmanagers,
        Ok(None) => return Err("no JobManager leads".to_owned()),
        Err(e) => return Err(format!("cannot find the leading JobManager: {e}")),
    };
    let address = leader
        .to_socket_addrs()
        .map_err(|e| format!("the leader's address `{leader}` does not resolve: {e}"))?
        .next()
        .ok_or_else(|| format!("the leader's address `{leader}` resolves to nothing"))?;
    let session = register(options, address, endpoint)?;
    Ok((session, leader))
}

/// Serves `session` ([`serve`]); under high availability (`leader`: the services and
/// the leader's published address) it also ends the session once that one no longer
/// leads.
fn serve_following(
    catalog: &JobCatalog,
    endpoint: &Arc<NetworkEndpoint>,
    session: Session,
    leader: Option<(Arc<dyn HaServices>, String)>,
) -> String {
    let following = match leader.map(|(ha, leader)| follow_leader(ha, leader, &session)) {
        Some(Ok(following)) => Some(following),
        Some(Err(why)) => return why,
        None => None,
    };
    let why = serve(catalog, endpoint, session);
    if let Some(following) = following {
        following.store(false, Ordering::SeqCst);
    }
    why
}

/// Ends `session` (as a lost connection would) once the JobManager published as `leader`
/// no longer leads: a deposed leader's parts must not go on. Returns the flag that ends
/// the following when the session ends by itself.
fn follow_leader(
    ha: Arc<dyn HaServices>,
    leader: String,
    session: &Session,
) -> Result<Arc<AtomicBool>, String> {
    let following = Arc::new(AtomicBool::new(true));
    let connection = session
        .reader
        .get_ref()
        .try_clone()
        .map_err(|e| format!("cannot follow the leader: {e}"))?;
    let still = Arc::clone(&following);
    std::thread::Builder::new()
        .name("strom-tm-leader".into())
        .spawn(move || {
            while still.load(Ordering::SeqCst) {
                std::thread::sleep(FOLLOW_LEADER_EVERY);
                match ha.leader() {
                    Ok(Some(now)) if now.taskmanagers == leader => {}
                    // Unknown for now (etcd unreachable): the JobManager fences itself
                    // if it is the one cut off.
                    Err(_) => {}
                    Ok(_) => {
                        eprintln!("strom: the JobManager at {leader} no longer leads");
                        let _ = connection.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                }
            }
        })
        .map_err(|e| format!("cannot follow the leader: {e}"))?;
    Ok(following)
}

/// A registered connection to the JobManager.
struct Session {
    upstream: Upstream,
    reader: BufReader<TcpStream>,
    heartbeat: Duration,
}

/// `taskmanager-{host}-{process id}`: in containers, where every process id may be 1,
/// the host (a pod's name) tells them apart.
fn default_name() -> String {
    match std::env::var("HOSTNAME") {
        Ok(host) if !host.is_empty() => format!("taskmanager-{host}-{}", std::process::id()),
        _ => format!("taskmanager-{}", std::process::id()),
    }
}

/// Connects to the JobManager at `address` and registers.
fn register(
    options: &TaskManagerOptions,
    address: SocketAddr,
    endpoint: &NetworkEndpoint,
) -> Result<Session, String> {
    let stream = TcpStream::connect_timeout(&address, Duration::from_secs(10))
        .map_err(|e| format!("cannot reach the JobManager at {address}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let upstream = Upstream(Arc::new(Mutex::new(
        stream.try_clone().map_err(|e| e.to_string())?,
    )));
    let name = options.name.clone().unwrap_or_else(default_name);
    upstream
        .send(&ToJobManager::Register {
            name: name.clone(),
            data: endpoint.local_addr(),
            slots: options.slots.max(1),
        })
        .map_err(|e| format!("cannot register with the JobManager at {address}: {e}"))?;
    // A JobManager that accepts but never answers (paused, say) must not hold the
    // TaskManager: it tries again, and finds the leader anew.
    stream
        .set_read_timeout(Some(REGISTRATION_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let welcome = receive::<ToTaskManager>(&mut reader);
    reader
        .get_ref()
        .set_read_timeout(None)
        .map_err(|e| e.to_string())?;
    let (id, heartbeat) = match welcome {
        Ok(Some(ToTaskManager::Welcome { id, heartbeat_ms })) => {
            (id, Duration::from_millis(heartbeat_ms.max(1)))
        }
        Ok(other) => {
            return Err(format!(
                "the JobManager answered {other:?} to a registration"
            ))
        }
        Err(e) => {
            return Err(format!(
                "the JobManager at {address} did not register us: {e}"
            ))
        }
    };
    eprintln!(
        "strom: TaskManager {id} ({name}) registered with the JobManager at {address}: {} slots, data channels at {}",
        options.slots.max(1),
        endpoint.local_addr()
    );
    Ok(Session {
        upstream,
        reader,
        heartbeat,
    })
}

/// Serves a registered connection until it ends; then cancels the parts (nobody is left
/// to commit their checkpoints) and returns why it ended.
fn serve(catalog: &JobCatalog, endpoint: &Arc<NetworkEndpoint>, session: Session) -> String {
    let Session {
        upstream,
        mut reader,
        heartbeat,
    } = session;
    let parts: Parts = Arc::default();
    let connected = Arc::new(AtomicBool::new(true));
    spawn_heartbeats(
        upstream.clone(),
        Arc::clone(&parts),
        Arc::clone(&connected),
        heartbeat,
    );
    let ended = loop {
        match receive::<ToTaskManager>(&mut reader) {
            Ok(Some(ToTaskManager::Deploy {
                job,
                deployment,
                me,
            })) => deploy(catalog, &upstream, &parts, endpoint, job, deployment, me),
            Ok(Some(ToTaskManager::Command { run, command })) => {
                if let Some((commands, _)) = lock(&parts).get(&run) {
                    let _ = commands.send(command);
                }
            }
            Ok(Some(ToTaskManager::Cancel { run, why })) => {
                if let Some((_, control)) = lock(&parts).get(&run) {
                    control.cancel(&why);
                }
            }
            Ok(Some(ToTaskManager::Welcome { .. })) => {}
            Ok(None) => break "the JobManager closed the connection".to_owned(),
            Err(e) => break format!("the connection to the JobManager failed: {e}"),
        }
    };
    connected.store(false, Ordering::SeqCst);
    // The JobManager must see this session end, whatever ended it.
    let _ = reader.get_ref().shutdown(std::net::Shutdown::Both);
    for (_, control) in lock(&parts).values() {
        control.cancel(&format!("the TaskManager lost its JobManager: {ended}"));
    }
    eprintln!("strom: {ended}; registering again");
    ended
}

/// Sends a heartbeat with the parts' counters every `every`, while connected.
fn spawn_heartbeats(upstream: Upstream, parts: Parts, connected: Arc<AtomicBool>, every: Duration) {
    std::thread::Builder::new()
        .name("strom-tm-heartbeat".into())
        .spawn(move || {
            while connected.load(Ordering::SeqCst) {
                let metrics = lock(&parts)
                    .iter()
                    .flat_map(|(&run, (_, control))| {
                        control
                            .metrics()
                            .into_iter()
                            .map(move |(stage, index, name, m)| (run, stage, index, name, m))
                    })
                    .collect();
                if upstream.send(&ToJobManager::Heartbeat { metrics }).is_err() {
                    return;
                }
                std::thread::sleep(every);
            }
        })
        .expect("starting the heartbeat thread");
}

/// Starts part `me` of `deployment`; reports at once if it cannot, else when it ends.
fn deploy(
    catalog: &JobCatalog,
    upstream: &Upstream,
    parts: &Parts,
    endpoint: &Arc<NetworkEndpoint>,
    spec: JobSpec,
    deployment: RunDeployment,
    me: usize,
) {
    let run = deployment.run;
    let (commands, received) = mpsc::channel();
    let events = upstream.clone();
    let link = PartLink {
        events: Box::new(move |event| {
            // A lost connection ends the TaskManager, and with it this part.
            let _ = events.send(&ToJobManager::Event { run, event });
        }),
        commands: received,
    };
    let started = catalog.build(&spec).and_then(|job| {
        job.start_part(
            spec.settings.config()?,
            deployment,
            me,
            Arc::clone(endpoint),
            link,
        )
        .map_err(|e| e.to_string())
    });
    let handle = match started {
        Ok(handle) => handle,
        Err(message) => {
            let outcome = Err(RemoteError {
                kind: ErrorKind::Config,
                message,
            });
            let _ = upstream.send(&ToJobManager::PartEnded { run, outcome });
            return;
        }
    };
    lock(parts).insert(run, (commands, handle.control()));
    let upstream = upstream.clone();
    let parts = Arc::clone(parts);
    let endpoint = Arc::clone(endpoint);
    std::thread::Builder::new()
        .name(format!("strom-tm-run{run}"))
        .spawn(move || {
            let outcome = handle.join().map_err(|e| RemoteError {
                kind: e.error().kind(),
                message: e.to_string(),
            });
            // The run's channels are done here: their buffers go.
            endpoint.release_run(run);
            lock(&parts).remove(&run);
            let _ = upstream.send(&ToJobManager::PartEnded { run, outcome });
        })
        .expect("starting a part's watcher thread");
}
