//! High availability on Kubernetes Leases, against a mock API server: an in-memory
//! `tower` service that keeps Leases and ConfigMaps with resource versions and answers
//! creates and replaces as the API server does (409 on a conflict). No real API server
//! runs on this machine (neither kube-apiserver nor a kind cluster can be installed from
//! the package registries it reaches), so the mock stands in for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Method, Request, Response, StatusCode};
use kube::client::Body;
use serde_json::{json, Value};
use strom_cluster::ha::kubernetes::KubernetesHa;
use strom_cluster::ha::{HaServices, LeaderInfo, StoredJob};
use strom_cluster::JobSpec;

/// What the mock runs when a Lease is written: the new Lease.
type LeaseWritten = Box<dyn Fn(&Value) + Send>;

/// The objects the mock API server keeps, by path, with their resource versions.
#[derive(Default)]
struct ApiServer {
    objects: Mutex<(u64, HashMap<String, Value>)>,
    /// Replaces of a Lease whose holder starts with this fail (its holder is cut off).
    cut_off: Mutex<Option<String>>,
    /// Every request hangs (the server stopped answering).
    hanging: AtomicBool,
    /// The next replace of a ConfigMap answers 409, as if another writer came first.
    conflict_once: AtomicBool,
    /// Runs under the server's lock when a Lease is written.
    on_lease_written: Mutex<Option<LeaseWritten>>,
}

const LEASES: &str = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
const MAPS: &str = "/api/v1/namespaces/default/configmaps";

fn status(code: StatusCode, reason: &str) -> Response<Body> {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": reason, "reason": reason, "code": code.as_u16(),
    });
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap()
}

fn ok(code: StatusCode, object: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(object).unwrap()))
        .unwrap()
}

impl ApiServer {
    fn written(&self, path: &str, object: &Value) {
        if path.starts_with(LEASES) {
            if let Some(hook) = &*self.on_lease_written.lock().unwrap() {
                hook(object);
            }
        }
    }

    /// Changes the stored object at `path` behind the clients' backs.
    fn edit(&self, path: &str, change: impl FnOnce(Option<&mut Value>)) {
        change(self.objects.lock().unwrap().1.get_mut(path));
    }

    fn answer(&self, method: &Method, path: &str, body: &[u8]) -> Response<Body> {
        let mut objects = self.objects.lock().unwrap();
        let (version, objects) = &mut *objects;
        match *method {
            Method::GET => match objects.get(path) {
                Some(object) => ok(StatusCode::OK, object),
                None => status(StatusCode::NOT_FOUND, "NotFound"),
            },
            Method::POST => {
                let mut object: Value = serde_json::from_slice(body).unwrap();
                let name = object["metadata"]["name"].as_str().unwrap().to_owned();
                let path = format!("{path}/{name}");
                if objects.contains_key(&path) {
                    return status(StatusCode::CONFLICT, "AlreadyExists");
                }
                *version += 1;
                object["metadata"]["resourceVersion"] = json!(version.to_string());
                objects.insert(path.clone(), object.clone());
                self.written(&path, &object);
                ok(StatusCode::CREATED, &object)
            }
            Method::PUT => {
                let mut object: Value = serde_json::from_slice(body).unwrap();
                let holder = object["spec"]["holderIdentity"].as_str().unwrap_or("");
                let cut_off = self.cut_off.lock().unwrap();
                if cut_off
                    .as_ref()
                    .is_some_and(|c| holder.starts_with(c.as_str()))
                {
                    return status(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable");
                }
                if path.starts_with(MAPS) && self.conflict_once.swap(false, Ordering::SeqCst) {
                    return status(StatusCode::CONFLICT, "Conflict");
                }
                let Some(current) = objects.get(path) else {
                    return status(StatusCode::NOT_FOUND, "NotFound");
                };
                if object["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"] {
                    return status(StatusCode::CONFLICT, "Conflict");
                }
                *version += 1;
                object["metadata"]["resourceVersion"] = json!(version.to_string());
                objects.insert(path.to_owned(), object.clone());
                self.written(path, &object);
                ok(StatusCode::OK, &object)
            }
            _ => status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
        }
    }
}

/// A client of `server` (as a JobManager process would have one), in namespace
/// `default`.
fn client(server: &Arc<ApiServer>, cluster: &str, lease: Duration) -> KubernetesHa {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = Arc::clone(server);
    let service = tower::service_fn(move |request: Request<Body>| {
        let server = Arc::clone(&server);
        async move {
            let method = request.method().clone();
            let path = request.uri().path().to_owned();
            let body = request.into_body().collect_bytes().await.unwrap();
            if server.hanging.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
            Ok::<_, std::convert::Infallible>(server.answer(&method, &path, &body))
        }
    });
    let client = {
        let _inside = runtime.enter();
        kube::Client::new(service, "default")
    };
    KubernetesHa::with_client(client, runtime, cluster, lease).unwrap()
}

fn me(name: &str, port: u16) -> LeaderInfo {
    LeaderInfo {
        name: name.into(),
        taskmanagers: format!("10.0.0.1:{port}"),
        rest: format!("http://10.0.0.1:{}", port + 1),
    }
}

fn job(id: u64) -> StoredJob {
    StoredJob {
        id,
        spec: JobSpec {
            entry: "window-counts".into(),
            args: vec![],
            settings: Default::default(),
        },
        started_after: 0,
    }
}

#[test]
fn one_holds_the_lease_one_standby_takes_over_and_the_deposed_one_cannot_write() {
    let server = Arc::new(ApiServer::default());
    let lease = Duration::from_secs(2);
    let a = client(&server, "one", lease);
    assert_eq!(a.leader().unwrap(), None);

    let leading = a.campaign(&me("a", 7000)).unwrap();
    assert_eq!(a.leader().unwrap(), Some(me("a", 7000)));
    let b = client(&server, "one", lease);
    assert_eq!(
        b.leader().unwrap(),
        Some(me("a", 7000)),
        "seen by the others"
    );
    a.put_job(&leading, &job(1)).unwrap();
    a.put_job(&leading, &job(2)).unwrap();
    a.put_latest_checkpoint(&leading, 2, 17).unwrap();
    a.remove_job(&leading, 1).unwrap();

    // The moment another holder's Lease lands, A must have given up already.
    let overlap = Arc::new(AtomicBool::new(false));
    let (first, seen) = (Arc::clone(&leading), Arc::clone(&overlap));
    *server.on_lease_written.lock().unwrap() = Some(Box::new(move |lease: &Value| {
        let holder = lease["spec"]["holderIdentity"].as_str().unwrap_or("");
        if !holder.starts_with("a@") && !first.is_lost() {
            seen.store(true, Ordering::SeqCst);
        }
    }));

    // B and C stand by while A renews (for longer than the lease).
    let (won, elected) = mpsc::channel();
    for (name, port) in [("b", 8000), ("c", 9000)] {
        let standby = client(&server, "one", lease);
        let won = won.clone();
        std::thread::spawn(move || {
            let taken = standby.campaign(&me(name, port));
            let _ = won.send((name, taken));
        });
    }
    assert!(
        elected.recv_timeout(lease * 2).is_err(),
        "a standby led beside A"
    );
    assert!(!leading.is_lost());

    // A is cut off: its renewals fail, its leadership lapses, and one standby takes over
    // once it has seen the Lease unchanged for the lease's duration.
    *server.cut_off.lock().unwrap() = Some("a@".into());
    let (winner, taken) = elected.recv_timeout(Duration::from_secs(10)).unwrap();
    let taken = taken.unwrap();
    assert!(
        !overlap.load(Ordering::SeqCst),
        "A still led when the Lease changed hands"
    );
    assert!(leading.is_lost());
    assert!(taken.token() > leading.token(), "fencing tokens grow");
    assert!(
        elected.recv_timeout(lease * 2).is_err(),
        "both standbys lead"
    );
    let port = if winner == "b" { 8000 } else { 9000 };
    assert_eq!(b.leader().unwrap(), Some(me(winner, port)));
    assert_eq!(b.jobs().unwrap(), [job(2)]);
    assert_eq!(b.latest_checkpoint(2).unwrap(), Some(17));
    assert_eq!(b.next_job_id().unwrap(), 3);

    // A, deposed, can write nothing.
    assert!(a.put_job(&leading, &job(3)).is_err());
    assert_eq!(b.jobs().unwrap(), [job(2)]);
}

#[test]
fn a_leader_whose_api_server_stops_answering_counts_itself_deposed_within_its_lease() {
    let server = Arc::new(ApiServer::default());
    let lease = Duration::from_secs(2);
    let a = client(&server, "hang", lease);
    let leading = a.campaign(&me("a", 7000)).unwrap();
    std::thread::sleep(lease);
    assert!(!leading.is_lost(), "renewals keep it");
    let hung = Instant::now();
    server.hanging.store(true, Ordering::SeqCst);
    while !leading.is_lost() {
        assert!(
            hung.elapsed() < lease + Duration::from_secs(1),
            "still leading {:?} after the API server stopped answering",
            hung.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_leader_cannot_write_the_jobs_once_a_later_leader_claimed_them() {
    let server = Arc::new(ApiServer::default());
    let lease = Duration::from_secs(2);
    let a = client(&server, "claim", lease);
    let leading = a.campaign(&me("a", 7000)).unwrap();
    a.put_job(&leading, &job(1)).unwrap();
    // A later leader's token is on the jobs' map, while A's Lease still renews: the map
    // alone must refuse A.
    server.edit(&format!("{MAPS}/strom-claim-jobs"), |jobs| {
        jobs.unwrap()["metadata"]["annotations"]["strom.io/leader-token"] = json!("9");
    });
    let refused = a.put_job(&leading, &job(2)).unwrap_err();
    assert!(
        refused.contains("a later leader wrote the jobs"),
        "{refused}"
    );
    assert!(leading.is_lost());
    assert_eq!(a.jobs().unwrap(), [job(1)]);
}

#[test]
fn a_write_that_meets_another_writer_is_tried_again() {
    let server = Arc::new(ApiServer::default());
    let a = client(&server, "retry", Duration::from_secs(2));
    let leading = a.campaign(&me("a", 7000)).unwrap();
    server.conflict_once.store(true, Ordering::SeqCst);
    a.put_job(&leading, &job(1)).unwrap();
    assert!(
        !server.conflict_once.load(Ordering::SeqCst),
        "no conflict was met"
    );
    assert_eq!(a.jobs().unwrap(), [job(1)]);
}

#[test]
fn a_lease_made_anew_gives_a_token_above_the_jobs_last_writer() {
    let server = Arc::new(ApiServer::default());
    let lease = Duration::from_secs(2);
    let a = client(&server, "anew", lease);
    let leading = a.campaign(&me("a", 7000)).unwrap();
    a.put_job(&leading, &job(1)).unwrap();
    // Someone deletes the Lease; the jobs' map keeps A's token.
    *server.cut_off.lock().unwrap() = Some("a@".into());
    server
        .objects
        .lock()
        .unwrap()
        .1
        .remove(&format!("{LEASES}/strom-anew"));
    let b = client(&server, "anew", lease);
    let taken = b.campaign(&me("b", 8000)).unwrap();
    assert!(
        taken.token() > leading.token(),
        "{} after {}",
        taken.token(),
        leading.token()
    );
    b.put_job(&taken, &job(2)).unwrap();
    assert_eq!(b.jobs().unwrap(), [job(1), job(2)]);
}

#[test]
fn a_cluster_id_that_is_not_a_name_is_refused() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = {
        let _inside = runtime.enter();
        let service = tower::service_fn(|_: Request<Body>| async {
            Ok::<_, std::convert::Infallible>(status(StatusCode::NOT_FOUND, "NotFound"))
        });
        kube::Client::new(service, "default")
    };
    let error =
        KubernetesHa::with_client(client, runtime, "a/b", Duration::from_secs(5)).unwrap_err();
    assert!(error.contains("not a cluster id"), "{error}");
}
