//! The Kubernetes manifests in `deploy/kubernetes`: valid for Kubernetes (checked by
//! kubernetes-validate from PyPI, strictly: no unknown fields, against the schemas of
//! Kubernetes 1.37; installed into `~/.cache/strom` on first use), and the arguments they
//! give `strom` are ones its command line takes.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use strom_cluster::ClusterCommand;

/// The kubernetes-validate version the manifests were checked with.
const VALIDATOR: &str = "kubernetes-validate==1.37.0";

fn manifests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes")
}

/// The manifests of Kubernetes resources (the kustomization is kustomize's, not the
/// API server's).
fn resources() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(manifests())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| !p.ends_with("kustomization.yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    files
}

/// kubernetes-validate, installed into a virtual environment on first use.
fn validator() -> PathBuf {
    pypi::installed("kubernetes-validate-venv", VALIDATOR, "kubernetes-validate")
}

#[path = "../../tests/common/pypi.rs"]
mod pypi;

#[test]
fn the_manifests_are_valid_kubernetes_resources() {
    let output = Command::new(validator())
        .args(["--strict", "--kubernetes-version", "1.37"])
        .args(resources())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(!said.contains("ERROR"), "{said}");
    // Every resource was checked against a schema.
    for kind in [
        "deployment/strom-jobmanager",
        "deployment/strom-taskmanager",
        "service/strom-jobmanager",
        "serviceaccount/strom",
        "role/strom",
        "rolebinding/strom",
        "role/strom-taskmanager",
        "pod/strom-taskmanager-template",
    ] {
        assert!(
            said.contains(&format!("passed for resource {kind}")),
            "{kind}: {said}"
        );
    }
}

#[test]
fn the_validator_rejects_a_broken_manifest() {
    let broken = std::env::temp_dir().join(format!("strom-broken-{}.yaml", std::process::id()));
    let text = std::fs::read_to_string(manifests().join("taskmanager.yaml")).unwrap();
    std::fs::write(
        &broken,
        text.replace("containerPort: 6124", "containerPort: data"),
    )
    .unwrap();
    let output = Command::new(validator())
        .arg("--strict")
        .arg(&broken)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&broken);
    assert!(
        !output.status.success(),
        "a port that is not a number passed"
    );
}

/// The command line of the `strom` container in `manifest`, as the kubelet gives it
/// (with `$(POD_IP)` as a pod's address).
fn strom_args(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut args = vec!["strom".to_owned()];
    let mut lines = text.lines().skip_while(|l| l.trim() != "args:").skip(1);
    while let Some(arg) = lines.next().and_then(|l| l.trim().strip_prefix("- ")) {
        args.push(arg.replace("$(POD_IP)", "10.1.2.3"));
    }
    assert!(args.len() > 2, "no args in {}", manifest.display());
    args
}

#[derive(Parser)]
struct Strom {
    #[command(subcommand)]
    command: ClusterCommand,
}

#[test]
fn the_manifests_give_strom_arguments_it_takes() {
    for role in ["jobmanager.yaml", "taskmanager.yaml"] {
        let args = strom_args(&manifests().join(role));
        let parsed =
            Strom::try_parse_from(&args).unwrap_or_else(|e| panic!("{role}: {args:?}: {e}"));
        match (role, parsed.command) {
            ("jobmanager.yaml", ClusterCommand::Jobmanager(jm)) => {
                assert_eq!(jm.advertise.as_deref(), Some("10.1.2.3"));
                assert!(jm.ha.kubernetes, "HA on Kubernetes Leases");
                assert!(jm.workers.pods, "TaskManagers in pods on demand");
                let template = jm.workers.pod_template.unwrap();
                assert_eq!(
                    template.file_name(),
                    Some("taskmanager-pod.yaml".as_ref()),
                    "the template is mounted from the ConfigMap made of taskmanager-pod.yaml"
                );
            }
            ("taskmanager.yaml", ClusterCommand::Taskmanager(tm)) => {
                assert_eq!(tm.advertise, Some("10.1.2.3:6124".parse().unwrap()));
                assert!(tm.ha.kubernetes, "HA on Kubernetes Leases");
            }
            _ => panic!("{role} does not start its role"),
        }
    }
}

#[test]
fn no_two_options_of_a_command_share_an_id() {
    // clap's own check of this runs in debug builds only, and the tests run in release.
    use clap::CommandFactory;
    for command in Strom::command().get_subcommands() {
        let mut ids: Vec<&str> = command
            .get_arguments()
            .map(|a| a.get_id().as_str())
            .collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(
            before,
            ids.len(),
            "`{}` has two options with one id",
            command.get_name()
        );
    }
}

/// The pod the resource manager makes of `deploy/kubernetes/taskmanager-pod.yaml`, with
/// the options `jobmanager.yaml` gives it, is a valid Kubernetes Pod, and its command
/// line is one `strom taskmanager` takes.
#[test]
fn the_taskmanager_pods_made_from_the_template_are_valid() {
    use strom_cluster::resources::kubernetes::{read_pod_template, KubernetesWorkerOptions};
    let options = KubernetesWorkerOptions {
        cluster_id: "strom".into(),
        template: read_pod_template(&manifests().join("taskmanager-pod.yaml")).unwrap(),
        image: None,
        slots: 2,
        data_port: 6124,
        jobmanager_args: vec![
            "--ha-kubernetes".into(),
            "--ha-cluster-id=strom".into(),
            "--ha-lease=10000ms".into(),
            "--reconnect=30000ms".into(),
        ],
        owner: None,
    };
    let pod = options.pod("strom-strom-taskmanager-abc-1").unwrap();
    let file = std::env::temp_dir().join(format!("strom-pod-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec_pretty(&pod).unwrap()).unwrap();
    let output = Command::new(validator())
        .args(["--strict", "--kubernetes-version", "1.37"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains("passed for resource pod/strom-strom-taskmanager-abc-1"),
        "{said}"
    );

    let container = &pod.spec.as_ref().unwrap().containers[0];
    assert_eq!(container.image.as_deref(), Some("strom:0.1.0"));
    let mut args = vec!["strom".to_owned()];
    args.extend(
        container
            .args
            .clone()
            .unwrap()
            .into_iter()
            .map(|a| a.replace("$(POD_IP)", "10.1.2.4")),
    );
    match Strom::try_parse_from(&args).unwrap_or_else(|e| panic!("{args:?}: {e}")) {
        Strom {
            command: ClusterCommand::Taskmanager(tm),
        } => {
            assert_eq!(tm.name.as_deref(), Some("strom-strom-taskmanager-abc-1"));
            assert_eq!(tm.slots, 2);
            assert_eq!(tm.advertise, Some("10.1.2.4:6124".parse().unwrap()));
            assert!(tm.ha.kubernetes);
        }
        _ => panic!("{args:?} does not start a TaskManager"),
    }
}

#[test]
fn the_resource_managers_options_need_kubernetes_taskmanagers() {
    let alone = Strom::try_parse_from(["strom", "jobmanager", "--taskmanager-slots=4"]);
    let error = alone
        .err()
        .expect("refused without --kubernetes-taskmanagers");
    assert!(
        error.to_string().contains("--kubernetes-taskmanagers"),
        "{error}"
    );
    let with = Strom::try_parse_from([
        "strom",
        "jobmanager",
        "--kubernetes-taskmanagers",
        "--taskmanager-slots=4",
    ]);
    assert!(with.is_ok());
}

#[test]
fn a_template_exported_from_a_live_pod_loses_what_the_api_server_set() {
    use strom_cluster::resources::kubernetes::KubernetesWorkerOptions;
    let exported = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": "strom-strom-taskmanager-old-3", "namespace": "streams",
            "uid": "4c1f", "resourceVersion": "81", "creationTimestamp": "2026-12-01T10:00:00Z",
            "labels": { "team": "streams" },
            "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "Deployment",
                                  "name": "old", "uid": "9a" }]
        },
        "spec": {
            "nodeName": "node-7",
            "containers": [{ "name": "taskmanager", "image": "strom:0.1.0",
                             "command": ["/opt/jobs/my-jobs"], "args": ["--help"] }]
        },
        "status": { "phase": "Running", "podIP": "10.0.0.9" }
    });
    let options = KubernetesWorkerOptions {
        cluster_id: "strom".into(),
        template: serde_json::from_value(exported).unwrap(),
        slots: 1,
        data_port: 6124,
        jobmanager_args: vec!["--jobmanager=10.0.0.1:6123".into()],
        ..KubernetesWorkerOptions::default()
    };
    let pod = options.pod("strom-strom-taskmanager-new-1").unwrap();
    let meta = &pod.metadata;
    assert_eq!(meta.name.as_deref(), Some("strom-strom-taskmanager-new-1"));
    assert!(meta.uid.is_none() && meta.resource_version.is_none());
    assert!(meta.namespace.is_none() && meta.creation_timestamp.is_none());
    assert!(meta.owner_references.is_none(), "the old owner is not kept");
    assert_eq!(meta.labels.as_ref().unwrap()["team"], "streams");
    assert!(pod.status.is_none());
    let spec = pod.spec.unwrap();
    assert!(spec.node_name.is_none(), "the scheduler places it anew");
    let container = &spec.containers[0];
    assert_eq!(
        container.command,
        Some(vec!["/opt/jobs/my-jobs".to_owned()]),
        "a user's own binary stays the command"
    );
    assert_eq!(container.args.as_ref().unwrap()[0], "taskmanager");
}
