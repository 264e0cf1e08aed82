//! [`WorkerDriver`] on Kubernetes: each worker is a pod that runs one TaskManager, made
//! from a pod template (Flink's `kubernetes.pod-template-file.taskmanager`: the image,
//! service account, resources, the secrets' environment) with the TaskManager's command
//! line written in. The pods carry the cluster's labels, so a new leader finds the ones
//! its predecessor started, and may be owned by the JobManagers' Deployment, so they are
//! deleted with it.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, EnvVarSource, ObjectFieldSelector, Pod, PodSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use tokio::runtime::Runtime;

use super::{Worker, WorkerDriver, WorkerPhase};
use crate::kubernetes::{not_found, Requests};

/// The container of the template that runs the TaskManager (else its first one).
pub const CONTAINER: &str = "taskmanager";
/// The label that names the cluster a pod belongs to.
const CLUSTER_LABEL: &str = "strom.io/cluster";
/// The label that names a pod's role.
const COMPONENT_LABEL: &str = "app.kubernetes.io/component";

/// How the TaskManagers' pods are made.
#[derive(Clone, Debug, Default)]
pub struct KubernetesWorkerOptions {
    /// The cluster's id: its pods are `strom-{id}-taskmanager-...`, labelled
    /// `strom.io/cluster={id}`.
    pub cluster_id: String,
    /// The pod template; its container `taskmanager` (else its first) runs the
    /// TaskManager: its `args` are replaced, its `command` kept (the binary: the image's
    /// entrypoint unless the template names one, a user's own binary say).
    pub template: Pod,
    /// The image, if not the template's.
    pub image: Option<String>,
    /// Each TaskManager's slots.
    pub slots: usize,
    /// The port of each TaskManager's data channels, at its pod's address.
    pub data_port: u16,
    /// How a TaskManager finds the JobManager: `--jobmanager=ADDR`, or the options of
    /// high availability.
    pub jobmanager_args: Vec<String>,
    /// The Deployment (in the same namespace) that owns the pods: deleting it deletes
    /// them.
    pub owner: Option<String>,
}

impl KubernetesWorkerOptions {
    /// The pod of TaskManager `name`: the template, with its labels and the
    /// TaskManager's command line, address and port.
    pub fn pod(&self, name: &str) -> Result<Pod, String> {
        let mut pod = self.template.clone();
        // A template exported from a live pod carries what the API server set; a create
        // with those is refused.
        pod.metadata = ObjectMeta {
            name: Some(name.to_owned()),
            labels: pod.metadata.labels.take(),
            annotations: pod.metadata.annotations.take(),
            ..ObjectMeta::default()
        };
        pod.status = None;
        let labels = pod.metadata.labels.get_or_insert_with(Default::default);
        labels.insert("app.kubernetes.io/name".into(), "strom".into());
        labels.insert(COMPONENT_LABEL.into(), "taskmanager".into());
        labels.insert(CLUSTER_LABEL.into(), self.cluster_id.clone());
        let spec = pod.spec.get_or_insert_with(PodSpec::default);
        spec.node_name = None;
        // A failed TaskManager's pod is replaced by the resource manager, not restarted
        // in place (unless the template says otherwise).
        spec.restart_policy.get_or_insert_with(|| "Never".into());
        let at = spec
            .containers
            .iter()
            .position(|c| c.name == CONTAINER)
            .unwrap_or(0);
        if spec.containers.is_empty() {
            spec.containers.push(Container {
                name: CONTAINER.into(),
                ..Container::default()
            });
        }
        let container = &mut spec.containers[at];
        if let Some(image) = &self.image {
            container.image = Some(image.clone());
        }
        if container.image.as_deref().is_none_or(str::is_empty) {
            return Err(
                "the TaskManagers' pod template names no image: give it one, or \
                 `--taskmanager-image`"
                    .into(),
            );
        }
        let port = self.data_port;
        let mut args = vec![
            "taskmanager".to_owned(),
            format!("--name={name}"),
            format!("--slots={}", self.slots),
            format!("--bind=$(POD_IP):{port}"),
            format!("--advertise=$(POD_IP):{port}"),
        ];
        args.extend(self.jobmanager_args.iter().cloned());
        container.args = Some(args);
        let env = container.env.get_or_insert_with(Vec::new);
        env.retain(|v| v.name != "POD_IP");
        env.insert(
            0,
            EnvVar {
                name: "POD_IP".into(),
                value_from: Some(EnvVarSource {
                    field_ref: Some(ObjectFieldSelector {
                        field_path: "status.podIP".into(),
                        ..ObjectFieldSelector::default()
                    }),
                    ..EnvVarSource::default()
                }),
                ..EnvVar::default()
            },
        );
        let ports = container.ports.get_or_insert_with(Vec::new);
        ports.retain(|p| p.name.as_deref() != Some("data"));
        ports.push(ContainerPort {
            name: Some("data".into()),
            container_port: i32::from(port),
            ..ContainerPort::default()
        });
        Ok(pod)
    }
}

/// Reads a pod template: a Pod in YAML (or JSON).
pub fn read_pod_template(path: &Path) -> Result<Pod, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the pod template {}: {e}", path.display()))?;
    serde_saphyr::from_str(&text)
        .map_err(|e| format!("the pod template {} is not a Pod: {e}", path.display()))
}

/// TaskManagers in pods. Cheap to share.
pub struct KubernetesWorkers {
    pods: Api<Pod>,
    options: KubernetesWorkerOptions,
    /// The pods' owner, looked up once.
    owner: Option<OwnerReference>,
    /// Distinguishes this JobManager's pods from an earlier one's (names are never
    /// reused: a pod being deleted still holds its name).
    attempt: String,
    next: AtomicU64,
    requests: Arc<Requests>,
}

impl std::fmt::Debug for KubernetesWorkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubernetesWorkers")
            .field("cluster_id", &self.options.cluster_id)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl KubernetesWorkers {
    /// Pods in the JobManager's namespace, with the in-cluster configuration (or
    /// `KUBECONFIG` outside a cluster).
    pub fn new(options: KubernetesWorkerOptions) -> Result<Self, String> {
        let (requests, client) = Requests::with_default_client()?;
        Self::with_requests(client, requests, options)
    }

    /// As [`KubernetesWorkers::new`] over `client` (made inside `runtime`, which runs its
    /// requests): a test's client of a mock API server, say.
    pub fn with_client(
        client: kube::Client,
        runtime: Runtime,
        options: KubernetesWorkerOptions,
    ) -> Result<Self, String> {
        Self::with_requests(client, Requests::on(runtime), options)
    }

    fn with_requests(
        client: kube::Client,
        requests: Requests,
        options: KubernetesWorkerOptions,
    ) -> Result<Self, String> {
        let id = &options.cluster_id;
        // In pod names and a label value: a DNS label, with room for the rest of a name.
        let valid = (1..=40).contains(&id.len())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !id.starts_with('-')
            && !id.ends_with('-');
        if !valid {
            return Err(format!(
                "`{id}` cannot name pods: use up to 40 lower-case letters, digits and `-`, \
                 not at either end"
            ));
        }
        if options.slots == 0 {
            return Err("a TaskManager needs at least one slot".into());
        }
        let mut driver = KubernetesWorkers {
            pods: Api::default_namespaced(client.clone()),
            attempt: base36(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64),
            ),
            options,
            owner: None,
            next: AtomicU64::new(1),
            requests: Arc::new(requests),
        };
        // Checked now, not at the first pod: a template without an image is a mistake.
        driver.pod("check")?;
        if let Some(name) = driver.options.owner.clone() {
            let deployments: Api<Deployment> = Api::default_namespaced(client);
            let found = driver
                .requests
                .run(async move { deployments.get_opt(&name).await })?;
            let owner = found.ok_or_else(|| {
                format!(
                    "there is no Deployment `{}` to own the TaskManagers' pods",
                    driver.options.owner.as_deref().unwrap_or_default()
                )
            })?;
            driver.owner = Some(OwnerReference {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                name: owner.metadata.name.unwrap_or_default(),
                uid: owner.metadata.uid.unwrap_or_default(),
                // Blocking the owner's deletion would need the finalizers' permission.
                block_owner_deletion: None,
                controller: Some(false),
            });
        }
        Ok(driver)
    }

    fn selector(&self) -> String {
        format!(
            "{CLUSTER_LABEL}={},{COMPONENT_LABEL}=taskmanager",
            self.options.cluster_id
        )
    }

    /// The pod of TaskManager `name`: [`KubernetesWorkerOptions::pod`], owned.
    fn pod(&self, name: &str) -> Result<Pod, String> {
        let mut pod = self.options.pod(name)?;
        if let Some(owner) = &self.owner {
            pod.metadata.owner_references = Some(vec![owner.clone()]);
        }
        Ok(pod)
    }
}

impl WorkerDriver for KubernetesWorkers {
    fn slots_per_worker(&self) -> usize {
        self.options.slots
    }

    fn start_worker(&self) -> Result<String, String> {
        // A name taken (by a pod of a JobManager started the same millisecond) is skipped.
        for _ in 0..8 {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            let name = format!(
                "strom-{}-taskmanager-{}-{n}",
                self.options.cluster_id, self.attempt
            );
            let pod = self.pod(&name)?;
            let pods = self.pods.clone();
            let created = self.requests.run(async move {
                match pods.create(&PostParams::default(), &pod).await {
                    Ok(_) => Ok(true),
                    Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
                    Err(e) => Err(e),
                }
            })?;
            if created {
                return Ok(name);
            }
        }
        Err("every pod name tried was taken".into())
    }

    fn stop_worker(&self, name: &str) -> Result<(), String> {
        let (pods, name) = (self.pods.clone(), name.to_owned());
        self.requests.run(async move {
            match pods.delete(&name, &DeleteParams::default()).await {
                Ok(_) => Ok(()),
                Err(e) if not_found(&e) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn workers(&self) -> Result<Vec<Worker>, String> {
        let pods = self.pods.clone();
        let selector = ListParams::default().labels(&self.selector());
        let listed = self
            .requests
            .run(async move { pods.list(&selector).await })?;
        Ok(listed
            .items
            .into_iter()
            // Being deleted: as good as gone.
            .filter(|pod| pod.metadata.deletion_timestamp.is_none())
            .filter_map(|pod| {
                let name = pod.metadata.name.clone()?;
                Some(Worker {
                    name,
                    phase: phase(&pod),
                })
            })
            .collect())
    }
}

/// How `pod` is doing, with why it ended in the words of its status.
fn phase(pod: &Pod) -> WorkerPhase {
    let status = pod.status.as_ref();
    match status.and_then(|s| s.phase.as_deref()) {
        Some("Running") => WorkerPhase::Running,
        Some(ended @ ("Failed" | "Succeeded")) => {
            let terminated = status
                .and_then(|s| s.container_statuses.as_ref())
                .into_iter()
                .flatten()
                .find_map(|c| c.state.as_ref()?.terminated.as_ref());
            let why = match (terminated, status) {
                (Some(t), _) => format!(
                    "{ended}: {}, exit code {}",
                    t.reason.as_deref().unwrap_or("terminated"),
                    t.exit_code
                ),
                (None, Some(s)) => format!(
                    "{ended}: {}",
                    s.message
                        .as_deref()
                        .or(s.reason.as_deref())
                        .unwrap_or("no reason given")
                ),
                (None, None) => ended.to_owned(),
            };
            WorkerPhase::Ended(why)
        }
        // Pending, Unknown, or no status yet.
        _ => WorkerPhase::Starting,
    }
}

/// `n` in base 36: short, and valid in a pod's name.
fn base36(mut n: u64) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}
