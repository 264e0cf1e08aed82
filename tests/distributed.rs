//! A job run over several "processes" within one test process: each part has its own
//! network endpoint (real sockets on loopback) and builds its own copy of the job, the
//! JobMaster's handle runs the checkpoint controller, and the parts talk to it only in
//! control messages, as they do across processes. The results must be those of the same
//! job in one process; a part lost mid-run restarts the job from its latest checkpoint on
//! the parts left, with state exactly once.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use strom::prelude::*;
use strom::runtime::channel::net::NetworkEndpoint;
use strom::runtime::control::TaskCommand;
use strom::runtime::distributed::{
    PartHandle, PartLink, ProcessSlots, RemoteRuns, RunDeployment, TaskEvents,
};
use strom::runtime::job::TaskReport;

type JobFactory = Box<dyn Fn() -> Job + Send + Sync>;

/// "Processes" that are endpoints of this test process, each running the parts deployed
/// to it on threads: the [`RemoteRuns`] a cluster implements, without the processes.
struct InProcessCluster {
    job: JobFactory,
    config: Box<dyn Fn() -> Config + Send + Sync>,
    endpoints: Vec<Arc<NetworkEndpoint>>,
    slots: Vec<usize>,
    /// Processes that are "lost": no new run is placed on them.
    lost: Mutex<Vec<bool>>,
    next_run: AtomicU64,
    runs: Mutex<HashMap<u64, Vec<(usize, Part)>>>,
    deployments: Mutex<Vec<RunDeployment>>,
}

/// A part of a run, while it runs and once it ended.
enum Part {
    Running(PartHandle),
    Ended(Result<Vec<TaskReport>, String>),
}

impl InProcessCluster {
    fn new(
        slots: &[usize],
        job: impl Fn() -> Job + Send + Sync + 'static,
        config: impl Fn() -> Config + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(InProcessCluster {
            job: Box::new(job),
            config: Box::new(config),
            endpoints: slots
                .iter()
                .map(|_| Arc::new(NetworkEndpoint::bind("127.0.0.1:0").unwrap()))
                .collect(),
            slots: slots.to_vec(),
            lost: Mutex::new(vec![false; slots.len()]),
            next_run: AtomicU64::new(1),
            runs: Mutex::new(HashMap::new()),
            deployments: Mutex::new(Vec::new()),
        })
    }

    /// Cancels the part running on `process`, as if the process had died, and keeps
    /// later runs off it.
    fn lose(&self, process: usize) {
        self.lost.lock().unwrap()[process] = true;
        for parts in self.runs.lock().unwrap().values() {
            for (p, part) in parts {
                if let (true, Part::Running(handle)) = (*p == process, part) {
                    handle.cancel("the process was lost");
                }
            }
        }
    }
}

impl RemoteRuns for InProcessCluster {
    fn allocate(&self, _job: &str, _wanted: usize) -> Result<RunDeployment, StreamError> {
        let lost = self.lost.lock().unwrap();
        let processes: Vec<ProcessSlots> = (0..self.slots.len())
            .filter(|&p| !lost[p])
            .map(|p| ProcessSlots {
                address: self.endpoints[p].local_addr(),
                slots: self.slots[p],
            })
            .collect();
        Ok(RunDeployment {
            run: self.next_run.fetch_add(1, Ordering::SeqCst),
            processes,
            resume_from: None,
        })
    }

    fn deploy(
        &self,
        deployment: &RunDeployment,
        events: TaskEvents,
    ) -> Result<Vec<Sender<TaskCommand>>, StreamError> {
        self.deployments.lock().unwrap().push(deployment.clone());
        let mut commands = Vec::new();
        let mut parts = Vec::new();
        for (me, process) in deployment.processes.iter().enumerate() {
            let endpoint = self
                .endpoints
                .iter()
                .position(|e| e.local_addr() == process.address)
                .unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            let events = events.clone();
            let link = PartLink {
                events: Box::new(move |event| events.send(event)),
                commands: rx,
            };
            let handle = (self.job)()
                .start_part(
                    (self.config)(),
                    deployment.clone(),
                    me,
                    Arc::clone(&self.endpoints[endpoint]),
                    link,
                )
                .map_err(|e| StreamError::new(ErrorKind::Config, e.to_string()))?;
            commands.push(tx);
            parts.push((endpoint, Part::Running(handle)));
        }
        self.runs.lock().unwrap().insert(deployment.run, parts);
        Ok(commands)
    }

    fn wait(&self, run: u64, timeout: Duration) -> Option<Result<Vec<TaskReport>, StreamError>> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut runs = self.runs.lock().unwrap();
            let parts = runs.get_mut(&run)?;
            for (_, part) in parts.iter_mut() {
                if matches!(part, Part::Running(h) if h.is_finished()) {
                    let Part::Running(handle) = std::mem::replace(part, Part::Ended(Ok(vec![])))
                    else {
                        unreachable!()
                    };
                    *part = Part::Ended(handle.join().map_err(|e| e.to_string()));
                }
            }
            let failure = parts.iter().find_map(|(_, p)| match p {
                Part::Ended(Err(e)) => Some(e.clone()),
                _ => None,
            });
            if failure.is_some() {
                for (_, part) in parts.iter() {
                    if let Part::Running(handle) = part {
                        handle.cancel("another part of the run failed");
                    }
                }
            }
            if parts.iter().all(|(_, p)| matches!(p, Part::Ended(_))) {
                let parts = runs.remove(&run).unwrap();
                return Some(match failure {
                    Some(e) => Err(StreamError::new(ErrorKind::Io, e)),
                    None => Ok(parts
                        .into_iter()
                        .flat_map(|(_, p)| match p {
                            Part::Ended(Ok(reports)) => reports,
                            _ => unreachable!(),
                        })
                        .collect()),
                });
            }
            drop(runs);
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn cancel(&self, run: u64) {
        if let Some(parts) = self.runs.lock().unwrap().get(&run) {
            for (_, part) in parts {
                if let Part::Running(handle) = part {
                    handle.cancel("the run was cancelled");
                }
            }
        }
    }
}

const KEYS: u64 = 13;
const EVENTS: u64 = 60_000;

/// Counts per key and tumbling window of event time, over a parallel generator: records
/// cross the key_by exchange between instances of every part.
fn window_counts(out: &CollectSink<(u64, i64, u64)>) -> Job {
    stream! {
        source(generator(|i| i).take(EVENTS))
            .event_time(|i| (*i / 10) as i64)
            .watermark(bounded_out_of_orderness(Duration::from_millis(0)))
            .key_by(|i| i % KEYS)
            .window(tumbling(Duration::from_millis(500)))
            .aggregate(count())
            .map(|w| (w.key, w.window.start, w.value))
            .sink(out.clone());
    }
}

#[test]
fn a_job_over_three_processes_gives_the_results_of_one_process() {
    let alone = collect_sink();
    window_counts(&alone)
        .run_with(Config::default().parallelism(4).pin_workers(false))
        .unwrap();
    let expected = alone.take_sorted();
    assert_eq!(
        expected.iter().map(|r| r.2).sum::<u64>(),
        EVENTS,
        "every event counted once"
    );

    let spread = collect_sink();
    let sink = spread.clone();
    let config = || Config::default().parallelism(4).pin_workers(false);
    let cluster = InProcessCluster::new(&[2, 1, 1], move || window_counts(&sink), config);
    let handle = window_counts(&collect_sink()).start_distributed(config(), cluster.clone());
    let report = handle.join().unwrap();
    assert_eq!(spread.take_sorted(), expected);
    assert_eq!(report.restarts, 0);
    let deployed = cluster.deployments.lock().unwrap();
    assert_eq!(deployed.len(), 1);
    assert_eq!(deployed[0].worker_processes(4), [0, 1, 2, 0]);
    // Every instance reported from the part that ran it.
    let instances: Vec<(usize, usize)> = report.tasks.iter().map(|t| (t.stage, t.index)).collect();
    assert_eq!(instances.len(), 8, "{instances:?}");
}

/// A running count per key over an unbounded, rate-limited source: each record comes out
/// as `(record, how many records of its key were counted with it)`. Source instance 0
/// generates the even numbers, instance 1 the odd ones, and a key's records come from one
/// of them, so they are counted in the same order in every run.
fn running_counts(out: &CollectSink<(u64, u64)>) -> Job {
    stream! {
        let numbers = source(generator(|i| i).chunk(1).rate_limit(40_000.0))
            .map(|i| (i, 1u64))
            .parallelism(2);
        numbers
            .key_by(|(i, _)| i % (2 * KEYS))
            .reduce(|(_, a), (i, b)| (i, a + b))
            .sink(out.clone());
    }
}

#[test]
fn a_lost_process_restarts_the_job_from_its_checkpoint_on_the_others() {
    let dir = std::env::temp_dir().join(format!("strom-distributed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = {
        let dir = dir.clone();
        move || {
            Config::default()
                .parallelism(2)
                .pin_workers(false)
                .checkpoint_dir(&dir)
                .checkpoint_every(Duration::from_millis(30))
                .restart_strategy(RestartStrategy::FixedDelay {
                    attempts: 3,
                    delay: Duration::from_millis(10),
                })
        }
    };
    let out = collect_sink();
    let sink = out.clone();
    let cluster = InProcessCluster::new(&[1, 1], move || running_counts(&sink), config.clone());
    let handle = running_counts(&collect_sink()).start_distributed(config(), cluster.clone());
    // Let checkpoints complete, then lose the second process.
    let deadline = Instant::now() + Duration::from_secs(20);
    while handle.trigger_checkpoint().is_none() || out.len() < 20_000 {
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    cluster.lose(1);
    let emitted_before = out.len();
    // The job restarts on the first process alone and goes on counting.
    let deadline = Instant::now() + Duration::from_secs(20);
    while cluster.deployments.lock().unwrap().len() < 2 || out.len() < emitted_before + 20_000 {
        assert!(
            Instant::now() < deadline,
            "the job did not go on after the loss"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let history = handle.checkpoints();
    assert!(history.len() >= 2, "{history:?}");
    assert!(
        history.windows(2).all(|w| w[0].id < w[1].id),
        "across both runs, in order"
    );
    let (savepoint, report) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    assert!(report.restarts >= 1, "{report:?}");
    assert!(report.restored_from.is_some());
    assert!(savepoint > 0);
    let deployed = cluster.deployments.lock().unwrap();
    assert_eq!(
        deployed[1].processes.len(),
        1,
        "the second run avoids the lost process"
    );
    assert_eq!(
        deployed[1].processes[0].address,
        deployed[0].processes[0].address
    );

    // The sink is not transactional, so what the lost run emitted after its last
    // checkpoint is emitted again after the restart, but the state is exactly once: a
    // record comes out with the same count every time, each key's largest count is the
    // number of its records counted, and each source instance's records are a prefix of
    // its sequence (nothing skipped).
    let mut count_of: BTreeMap<u64, u64> = BTreeMap::new();
    for (i, n) in out.take() {
        let first = *count_of.entry(i).or_insert(n);
        assert_eq!(first, n, "record {i} was counted as {first} and as {n}");
    }
    let mut per_key: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for (&i, &n) in &count_of {
        let (records, largest) = per_key.entry(i % (2 * KEYS)).or_default();
        *records += 1;
        *largest = (*largest).max(n);
    }
    for (key, (records, largest)) in per_key {
        assert_eq!(records, largest, "key {key}");
    }
    for parity in 0..2 {
        let ids: Vec<u64> = count_of
            .keys()
            .copied()
            .filter(|i| i % 2 == parity)
            .collect();
        let prefix: Vec<u64> = (0..ids.len() as u64).map(|j| 2 * j + parity).collect();
        assert_eq!(ids, prefix, "source instance {parity} skipped a record");
    }
    assert!(count_of.len() > emitted_before, "{}", count_of.len());
    let _ = std::fs::remove_dir_all(&dir);
}

impl InProcessCluster {
    /// The live counters of every running part's instances.
    fn metrics(&self) -> Vec<(usize, usize, strom::runtime::executor::TaskMetrics)> {
        let runs = self.runs.lock().unwrap();
        runs.values()
            .flatten()
            .filter_map(|(_, part)| match part {
                Part::Running(handle) => Some(handle.control().metrics()),
                Part::Ended(_) => None,
            })
            .flatten()
            .map(|(stage, index, _, m)| (stage, index, m))
            .collect()
    }
}

/// Two source instances in two processes, one far slower than the other: event time is
/// the record's number in ms, instance 0 reads the even numbers at full speed, instance 1
/// the odd ones, slowly.
fn uneven_sources(out: &CollectSink<u64>) -> Job {
    stream! {
        source(generator(|i| {
            if i % 2 == 1 {
                std::thread::sleep(Duration::from_micros(20));
            }
            i
        }).chunk(1).take(60_000))
            .parallelism(2)
            .event_time(|i| *i as i64)
            .watermark(bounded_out_of_orderness(Duration::from_millis(0)))
            .key_by(|i| i % 2)
            .window(tumbling(Duration::from_secs(1)))
            .aggregate(count())
            .map(|w| w.value)
            .sink(out.clone());
    }
}

#[test]
fn sources_in_different_processes_stay_aligned() {
    let out = collect_sink();
    let sink = out.clone();
    let config = || Config::default().pin_workers(false);
    let cluster = InProcessCluster::new(&[1, 1], move || uneven_sources(&sink), config);
    let handle = uneven_sources(&collect_sink()).start_distributed(config(), cluster.clone());
    // The fast instance may run ahead of the slow one by the default drift (10 s of event
    // time) and what the relay's period lets through, never by much more.
    let mut widest = 0;
    let mut samples = 0;
    while !handle.is_finished() {
        let sources: Vec<_> = cluster
            .metrics()
            .into_iter()
            .filter(|(stage, ..)| *stage == 0)
            .map(|(_, index, m)| (index, m.output_watermark))
            .collect();
        if let [(_, a), (_, b)] = sources[..] {
            // A finished instance's watermark is the end of time: count it at the end of
            // its input.
            let (a, b) = (a.min(60_000), b.min(60_000));
            if a > 0 && b > 0 && (a, b) != (60_000, 60_000) {
                widest = widest.max((a - b).abs());
                samples += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    handle.join().unwrap();
    assert!(samples > 20, "{samples} samples");
    assert!(widest <= 15_000, "the sources drifted {widest} ms apart");
    assert_eq!(out.take().iter().sum::<u64>(), 60_000);
}
