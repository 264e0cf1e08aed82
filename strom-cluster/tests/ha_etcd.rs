//! High availability over a real etcd (started on loopback by the test): one leader at
//! a time, a standby that takes over when the leader's key goes, the metadata a new
//! leader needs, and a deposed leader whose writes are refused.

mod support;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use strom_cluster::ha::etcd::EtcdHa;
use strom_cluster::ha::{HaServices, LeaderInfo, StoredJob};
use strom_cluster::JobSpec;
use support::etcd::Etcd;

fn me(name: &str, port: u16) -> LeaderInfo {
    LeaderInfo {
        name: name.into(),
        taskmanagers: format!("127.0.0.1:{port}"),
        rest: format!("http://127.0.0.1:{}", port + 1),
    }
}

fn job(id: u64, entry: &str) -> StoredJob {
    StoredJob {
        id,
        spec: JobSpec {
            entry: entry.into(),
            args: vec!["out".into()],
            settings: Default::default(),
        },
        started_after: id * 10,
    }
}

/// Deletes the leader key, as etcd does when the leader's lease expires.
fn expire_leader(etcd: &Etcd, cluster: &str) {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD.encode(format!("strom/{cluster}/leader"));
    let answer = ureq::post(format!("{}/v3/kv/deleterange", etcd.endpoint))
        .send_json(serde_json::json!({ "key": key }))
        .unwrap();
    assert!(answer.status().is_success());
}

#[test]
fn one_leads_a_standby_takes_over_and_the_deposed_one_cannot_write() {
    let etcd = Etcd::start();
    let endpoints = vec![etcd.endpoint.clone()];
    let lease = Duration::from_secs(3);
    let a = EtcdHa::new(&endpoints, "one", lease).unwrap();
    let b = EtcdHa::new(&endpoints, "one", lease).unwrap();
    assert_eq!(a.leader().unwrap(), None);

    let leading = a.campaign(&me("a", 7000)).unwrap();
    assert_eq!(a.leader().unwrap(), Some(me("a", 7000)));
    assert_eq!(a.next_job_id().unwrap(), 1);
    a.put_job(&leading, &job(1, "first")).unwrap();
    a.put_job(&leading, &job(2, "second")).unwrap();
    a.put_latest_checkpoint(&leading, 2, 17).unwrap();
    a.remove_job(&leading, 1).unwrap();
    a.remove_job(&leading, 2).unwrap();
    a.put_job(&leading, &job(3, "third")).unwrap();

    // B stands by while A renews its lease (longer than the lease itself).
    let (won, elected) = mpsc::channel();
    let standby = b.clone();
    std::thread::spawn(move || {
        let _ = won.send(standby.campaign(&me("b", 8000)));
    });
    assert!(elected.recv_timeout(lease * 2).is_err(), "B led beside A");
    assert!(!leading.is_lost());

    expire_leader(&etcd, "one");
    let taken = elected
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
        .unwrap();
    assert!(taken.token() > leading.token(), "fencing tokens grow");
    assert_eq!(b.leader().unwrap(), Some(me("b", 8000)));
    // What A left is what B resumes; ids go on above every job A ever stored.
    assert_eq!(b.jobs().unwrap(), [job(3, "third")]);
    assert_eq!(b.next_job_id().unwrap(), 4);
    assert_eq!(
        b.latest_checkpoint(2).unwrap(),
        None,
        "forgotten with its job"
    );

    // A, deposed, can write nothing, and knows it.
    let refused = a.put_job(&leading, &job(4, "fourth")).unwrap_err();
    assert!(refused.contains("no longer leads"), "{refused}");
    assert!(leading.is_lost());
    assert!(a.remove_job(&leading, 3).is_err());
    assert_eq!(b.jobs().unwrap().len(), 1);

    b.put_latest_checkpoint(&taken, 3, 31).unwrap();
    assert_eq!(b.latest_checkpoint(3).unwrap(), Some(31));
    b.remove_job(&taken, 3).unwrap();
    assert!(b.jobs().unwrap().is_empty());
    assert_eq!(b.latest_checkpoint(3).unwrap(), None);
}

#[test]
fn a_leader_whose_etcd_stops_answering_counts_itself_deposed_within_its_lease() {
    let etcd = Etcd::start();
    let lease = Duration::from_secs(3);
    let a = EtcdHa::new(std::slice::from_ref(&etcd.endpoint), "cut", lease).unwrap();
    let leading = a.campaign(&me("a", 7000)).unwrap();
    std::thread::sleep(lease);
    assert!(!leading.is_lost(), "renewals keep it");
    // A paused etcd accepts connections and never answers: requests hang, which must
    // not hold the leadership past its lease.
    let paused = Instant::now();
    etcd.pause();
    while !leading.is_lost() {
        assert!(
            paused.elapsed() < lease + Duration::from_secs(1),
            "still leading {:?} after etcd stopped answering",
            paused.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn settings_that_cannot_work_are_refused() {
    let endpoints = vec!["http://127.0.0.1:1".to_owned()];
    let error = EtcdHa::new(&endpoints, "x", Duration::from_secs(1)).unwrap_err();
    assert!(error.contains("too short"), "{error}");
    assert!(EtcdHa::new(&endpoints, "a/b", Duration::from_secs(5)).is_err());
    assert!(EtcdHa::new(&[], "x", Duration::from_secs(5)).is_err());
    let unreachable = EtcdHa::new(&endpoints, "x", Duration::from_secs(5)).unwrap();
    let error = unreachable.leader().unwrap_err();
    assert!(error.contains("cannot reach etcd"), "{error}");
}
