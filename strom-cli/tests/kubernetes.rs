//! The resource manager on Kubernetes, as processes: a JobManager started with
//! `--kubernetes-taskmanagers` asks a mock API server for TaskManager pods, and the
//! mock's kubelet runs each pod's command line as a real `strom` process (at an address
//! of its own, 127.0.0.N, for `$(POD_IP)`). A job needing 4 slots gets two pods of 2
//! slots; a TaskManager killed with SIGKILL fails its pod, which the JobManager deletes
//! and replaces, and the job's output is still exactly once; once the job ends, the idle
//! pods are deleted.
//!
//! No real API server runs on this machine: neither kube-apiserver nor a kind or k3s
//! cluster can be installed from the package registries it reaches (PyPI, Debian, npm,
//! crates.io). The mock speaks the API's HTTP and JSON for pods (create, list by label,
//! delete) and Deployments (get), which is all the resource manager uses.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::{json, Value};
use strom_cluster::client::RestClient;

mod support;

use support::{
    assert_recovered_exactly_once, checkpoints_in, jobmanager_on_loopback, kill_hard, scratch,
    strom, wait_for,
};

const PODS: &str = "/api/v1/namespaces/default/pods";
const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/default/deployments";

/// A pod the mock keeps, and the process its kubelet runs for it.
struct PodRecord {
    object: Value,
    process: Option<Child>,
}

/// The mock API server's objects and its kubelet's processes.
struct Kube {
    pods: Mutex<BTreeMap<String, PodRecord>>,
    /// Every pod ever created, in order.
    created: Mutex<Vec<String>>,
    version: Mutex<u64>,
    /// Where the pods' processes write their output.
    logs: PathBuf,
}

fn answer(code: StatusCode, body: &Value) -> axum::response::Response {
    (
        code,
        [("content-type", "application/json")],
        serde_json::to_vec(body).unwrap(),
    )
        .into_response()
}

fn status(code: StatusCode, reason: &str) -> axum::response::Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": reason, "reason": reason, "code": code.as_u16(),
    });
    answer(code, &body)
}

impl Kube {
    fn next_version(&self) -> String {
        let mut version = self.version.lock().unwrap();
        *version += 1;
        version.to_string()
    }

    fn handle(&self, method: &Method, uri: &Uri, body: &[u8]) -> axum::response::Response {
        let path = uri.path();
        match (method.clone(), path) {
            (Method::GET, "/apis/apps/v1/namespaces/default/deployments/strom-jobmanager") => {
                answer(
                    StatusCode::OK,
                    &json!({
                        "apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": { "name": "strom-jobmanager", "namespace": "default",
                                      "uid": "0c1d-jobmanagers", "resourceVersion": "1" },
                    }),
                )
            }
            (Method::GET, p) if p.starts_with(DEPLOYMENTS) => {
                status(StatusCode::NOT_FOUND, "NotFound")
            }
            (Method::POST, PODS) => self.create(serde_json::from_slice(body).unwrap()),
            (Method::GET, PODS) => {
                let selector = uri
                    .query()
                    .unwrap_or("")
                    .split('&')
                    .find_map(|q| q.strip_prefix("labelSelector="))
                    .map(|s| {
                        s.replace("%3D", "=")
                            .replace("%2C", ",")
                            .replace("%2F", "/")
                    })
                    .unwrap_or_default();
                let items: Vec<Value> = self
                    .pods
                    .lock()
                    .unwrap()
                    .values()
                    .map(|p| p.object.clone())
                    .filter(|pod| matches(pod, &selector))
                    .collect();
                answer(
                    StatusCode::OK,
                    &json!({ "apiVersion": "v1", "kind": "PodList",
                             "metadata": { "resourceVersion": self.next_version() },
                             "items": items }),
                )
            }
            (Method::DELETE, p) if p.starts_with(PODS) => {
                let name = p.trim_start_matches(PODS).trim_start_matches('/');
                match self.pods.lock().unwrap().remove(name) {
                    Some(mut pod) => {
                        if let Some(process) = &mut pod.process {
                            let _ = process.kill();
                            let _ = process.wait();
                        }
                        answer(StatusCode::OK, &pod.object)
                    }
                    None => status(StatusCode::NOT_FOUND, "NotFound"),
                }
            }
            _ => status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
        }
    }

    /// Creates a pod and runs it, as the scheduler and a kubelet would: at once.
    fn create(&self, mut pod: Value) -> axum::response::Response {
        let name = pod["metadata"]["name"].as_str().unwrap().to_owned();
        let mut pods = self.pods.lock().unwrap();
        if pods.contains_key(&name) {
            return status(StatusCode::CONFLICT, "AlreadyExists");
        }
        let ip = format!("127.0.0.{}", 10 + self.created.lock().unwrap().len());
        pod["metadata"]["resourceVersion"] = json!(self.next_version());
        pod["metadata"]["uid"] = json!(format!("uid-{name}"));
        pod["status"] = json!({ "phase": "Running", "podIP": ip });
        let container = &pod["spec"]["containers"][0];
        let args: Vec<String> = container["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().replace("$(POD_IP)", &ip))
            .collect();
        let mut command = strom();
        for var in container["env"].as_array().into_iter().flatten() {
            if let Some(value) = var["value"].as_str() {
                command.env(var["name"].as_str().unwrap(), value);
            }
        }
        let log = std::fs::File::create(self.logs.join(format!("{name}.log"))).unwrap();
        let process = command
            .args(&args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.created.lock().unwrap().push(name.clone());
        pods.insert(
            name,
            PodRecord {
                object: pod.clone(),
                process: Some(process),
            },
        );
        answer(StatusCode::CREATED, &pod)
    }

    /// The kubelet's part: a pod whose process ended has failed (or succeeded).
    fn reap(&self) {
        for pod in self.pods.lock().unwrap().values_mut() {
            let Some(process) = &mut pod.process else {
                continue;
            };
            if let Ok(Some(ended)) = process.try_wait() {
                use std::os::unix::process::ExitStatusExt;
                let code = ended.code().unwrap_or(128 + ended.signal().unwrap_or(0));
                pod.process = None;
                pod.object["status"]["phase"] =
                    json!(if code == 0 { "Succeeded" } else { "Failed" });
                pod.object["status"]["containerStatuses"] = json!([{
                    "name": "taskmanager", "ready": false, "restartCount": 0,
                    "image": "strom:test", "imageID": "",
                    "state": { "terminated": { "exitCode": code, "reason": "Error" } },
                }]);
            }
        }
    }

    /// The process of pod `name`.
    fn pid(&self, name: &str) -> u32 {
        self.pods.lock().unwrap()[name]
            .process
            .as_ref()
            .unwrap()
            .id()
    }

    fn names(&self) -> Vec<String> {
        self.pods.lock().unwrap().keys().cloned().collect()
    }
}

impl Drop for Kube {
    fn drop(&mut self) {
        for pod in self.pods.lock().unwrap().values_mut() {
            if let Some(process) = &mut pod.process {
                let _ = process.kill();
                let _ = process.wait();
            }
        }
    }
}

/// True if `pod`'s labels match `selector` (`k=v,k=v`).
fn matches(pod: &Value, selector: &str) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|pair| {
        let (key, value) = pair.split_once('=').unwrap();
        pod["metadata"]["labels"][key] == value
    })
}

/// Starts the mock API server on loopback; returns it and its URL.
fn start_api_server(logs: &Path) -> (Arc<Kube>, String) {
    let kube = Arc::new(Kube {
        pods: Mutex::default(),
        created: Mutex::default(),
        version: Mutex::new(0),
        logs: logs.to_owned(),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let serving = Arc::clone(&kube);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
                let kube = Arc::clone(&serving);
                async move { kube.handle(&method, &uri, &body) }
            });
            axum::serve(listener, app).await.unwrap();
        });
    });
    let reaping = Arc::downgrade(&kube);
    std::thread::spawn(move || {
        while let Some(kube) = reaping.upgrade() {
            kube.reap();
            drop(kube);
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    (kube, url)
}

/// A kubeconfig for the mock API server, namespace `default`.
fn kubeconfig(dir: &Path, url: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: mock\n  cluster:\n    server: {url}\n\
             users:\n- name: mock\n  user: {{}}\ncontexts:\n- name: mock\n  context:\n    \
             cluster: mock\n    user: mock\n    namespace: default\ncurrent-context: mock\n"
        ),
    )
    .unwrap();
    path
}

/// The pod template of the tests' TaskManagers.
fn pod_template(dir: &Path) -> PathBuf {
    let path = dir.join("taskmanager-pod.yaml");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    team: streams\nspec:\n  \
         serviceAccountName: strom-taskmanager\n  containers:\n    - name: taskmanager\n      \
         image: strom:test\n      env:\n        - name: STROM_FROM_TEMPLATE\n          \
         value: \"yes\"\n",
    )
    .unwrap();
    path
}

/// A port free on loopback now, for every TaskManager's data channels (each at its own
/// 127.0.0.N).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The JobManager process, killed when dropped, with its REST address.
struct JobManager(Child, String);

impl Drop for JobManager {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn jobmanager(dir: &Path, kubeconfig: &Path, extra: &[&str]) -> JobManager {
    use std::io::{BufRead, BufReader};
    let mut child = jobmanager_on_loopback()
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args(["--heartbeat-timeout", "3s", "--slot-timeout", "60s"])
        .args(["--kubernetes-taskmanagers", "--ha-cluster-id", "k8s"])
        .arg("--taskmanager-pod-template")
        .arg(pod_template(dir))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("jobmanager.log")).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let rest = loop {
        let line = lines
            .next()
            .expect("the JobManager ended before its REST interface started")
            .unwrap();
        if let Some(url) = line.strip_prefix("strom: JobManager REST interface at ") {
            break url.to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    JobManager(child, rest)
}

#[test]
fn pods_are_started_for_a_job_replaced_when_one_fails_and_stopped_when_idle() {
    let dir = scratch("kubernetes");
    let (kube, url) = start_api_server(&dir);
    let config = kubeconfig(&dir, &url);
    let port = free_port().to_string();
    let jm = jobmanager(
        &dir,
        &config,
        &[
            "--taskmanager-slots=2",
            "--taskmanager-data-port",
            &port,
            "--taskmanager-idle-timeout=3s",
            "--taskmanager-registration-timeout=30s",
            "--taskmanager-owner=strom-jobmanager",
        ],
    );
    let client = RestClient::new(&jm.1);
    let overview: Value = client.get("/v1/overview").unwrap();
    assert_eq!(overview["taskmanagers"], 0, "no pod before a job needs one");

    let out = dir.join("out");
    let checkpoints = dir.join("chk");
    // 900,000 events at 60,000 per second in each of 2 source instances: 7.5 s.
    let submitted = strom()
        .args(["run", "--jobmanager", &jm.1, "-p", "4", "--detached"])
        .arg("--checkpoints")
        .arg(&checkpoints)
        .args(["--checkpoint-interval", "100ms"])
        .args(["window-counts", out.to_str().unwrap(), "900000", "60000"])
        .output()
        .unwrap();
    support::succeeded(&submitted);

    // Four slots wanted, two per TaskManager: two pods, and both register.
    wait_for("two TaskManagers", || {
        let overview: Value = client.get("/v1/overview").unwrap();
        overview["taskmanagers"] == 2
    });
    let first = kube.names();
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(kube.created.lock().unwrap().len(), 2);
    let pod = kube.pods.lock().unwrap()[&first[0]].object.clone();
    assert!(first[0].starts_with("strom-k8s-taskmanager-"), "{first:?}");
    let labels = &pod["metadata"]["labels"];
    assert_eq!(labels["strom.io/cluster"], "k8s");
    assert_eq!(labels["app.kubernetes.io/component"], "taskmanager");
    assert_eq!(labels["team"], "streams", "the template's labels stay");
    assert_eq!(
        pod["metadata"]["ownerReferences"][0]["uid"],
        "0c1d-jobmanagers"
    );
    assert_eq!(pod["spec"]["restartPolicy"], "Never");
    assert_eq!(pod["spec"]["serviceAccountName"], "strom-taskmanager");
    let container = &pod["spec"]["containers"][0];
    assert_eq!(container["image"], "strom:test");
    assert_eq!(
        container["env"][0]["valueFrom"]["fieldRef"]["fieldPath"],
        "status.podIP"
    );
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[0], "taskmanager");
    assert!(
        args.contains(&format!("--name={}", first[0]).as_str()),
        "{args:?}"
    );
    assert!(args.contains(&"--slots=2"), "{args:?}");
    let taskmanagers: Value = client.get("/v1/taskmanagers").unwrap();
    let mut registered: Vec<&str> = taskmanagers
        .as_array()
        .unwrap()
        .iter()
        .map(|tm| tm["name"].as_str().unwrap())
        .collect();
    registered.sort();
    assert_eq!(registered, first, "the TaskManagers register as their pods");

    // A TaskManager dies: its pod fails, is deleted and replaced, and the job restarts.
    wait_for("two checkpoints", || checkpoints_in(&checkpoints) >= 2);
    let victim = &first[1];
    kill_hard(kube.pid(victim));
    wait_for("the failed pod to be replaced", || {
        let names = kube.names();
        names.len() == 2 && !names.contains(victim)
    });
    assert_recovered_exactly_once(&client, &out, 900_000);
    assert_eq!(kube.created.lock().unwrap().len(), 3, "one replacement");

    // Idle for the idle timeout: every pod is deleted.
    wait_for("the idle pods to be deleted", || kube.names().is_empty());
    wait_for("the TaskManagers to leave", || {
        let overview: Value = client.get("/v1/overview").unwrap();
        overview["taskmanagers"] == 0
    });
    let log = std::fs::read_to_string(dir.join("jobmanager.log")).unwrap();
    assert!(
        log.contains(&format!(
            "stopped TaskManager {victim}: it ended: Failed: Error, exit code 137"
        )),
        "{log}"
    );
    assert!(log.contains("stopped idle TaskManager"), "{log}");
    drop(jm);
    drop(kube);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_pod_template_without_an_image_is_refused_at_the_start() {
    let dir = scratch("kubernetes-no-image");
    let (_kube, url) = start_api_server(&dir);
    let config = kubeconfig(&dir, &url);
    let template = dir.join("bare.yaml");
    std::fs::write(
        &template,
        "apiVersion: v1\nkind: Pod\nspec:\n  containers: []\n",
    )
    .unwrap();
    let output = jobmanager_on_loopback()
        .env("KUBECONFIG", &config)
        .args(["--kubernetes-taskmanagers", "--taskmanager-pod-template"])
        .arg(&template)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("names no image"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
