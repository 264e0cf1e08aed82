//! The JobManager's REST interface (axum), after Flink's: the cluster, its TaskManagers
//! and jobs, submitting, savepointing, stopping and cancelling jobs, each job's live
//! per-instance counters and completed checkpoints, a Prometheus endpoint, an OpenAPI
//! description, and the web UI at `/` (one page, `ui/index.html`, that reads the rest). Requests that
//! block (a savepoint waits for its checkpoint) run on tokio's blocking threads.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;
use stream_runtime::checkpoint::CheckpointStats;
use stream_runtime::executor::TaskMetrics;

use super::JobManager;
use crate::job::JobSpec;

/// The counters of one stage instance of a job's run, as `/v1/jobs/{id}/metrics` shows
/// them.
#[derive(Clone, Debug, Serialize)]
pub struct InstanceMetrics {
    /// The run.
    pub run: u64,
    /// The stage.
    pub stage: usize,
    /// The instance.
    pub index: usize,
    /// The stage's operators.
    pub operators: String,
    /// Records received.
    pub records_in: u64,
    /// Records sent on.
    pub records_out: u64,
    /// Records too late for their window.
    pub late_records: u64,
    /// The input watermark (milliseconds), if any arrived yet.
    pub watermark: Option<i64>,
    /// How far the watermark lagged behind processing time when it last advanced.
    pub watermark_lag_ms: Option<u64>,
    /// Time its worker spent running it, in milliseconds.
    pub busy_ms: u64,
    /// Time spent unable to send (backpressure), in milliseconds.
    pub backpressured_ms: u64,
    /// Time neither busy nor backpressured (waiting for input, or for the worker), in
    /// milliseconds.
    pub idle_ms: u64,
    /// Time spent aligning checkpoint barriers, in milliseconds.
    pub alignment_ms: u64,
}

impl InstanceMetrics {
    pub(crate) fn new(
        run: u64,
        stage: usize,
        index: usize,
        operators: String,
        m: &TaskMetrics,
    ) -> Self {
        InstanceMetrics {
            run,
            stage,
            index,
            operators,
            records_in: m.records_in,
            records_out: m.records_out,
            late_records: m.late_records,
            watermark: (m.watermark != stream_core::MIN_TIMESTAMP).then_some(m.watermark),
            watermark_lag_ms: m.watermark_lag.map(|d| d.as_millis() as u64),
            busy_ms: m.busy.as_millis() as u64,
            backpressured_ms: m.backpressure.as_millis() as u64,
            idle_ms: m.idle().as_millis() as u64,
            alignment_ms: m.alignment.as_millis() as u64,
        }
    }
}

/// A completed checkpoint, as `/v1/jobs/{id}/checkpoints` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct CheckpointView {
    /// Its id.
    pub id: u64,
    /// From its trigger to its metadata written, in milliseconds.
    pub duration_ms: u64,
    /// The longest synchronous snapshot of one instance, in milliseconds.
    pub longest_sync_ms: u64,
    /// The longest write of one instance's state, in milliseconds.
    pub longest_async_ms: u64,
    /// The size of its state files.
    pub bytes: u64,
    /// A savepoint.
    pub savepoint: bool,
}

impl From<&CheckpointStats> for CheckpointView {
    fn from(c: &CheckpointStats) -> Self {
        CheckpointView {
            id: c.id,
            duration_ms: c.duration.as_millis() as u64,
            longest_sync_ms: c.longest_sync.as_millis() as u64,
            longest_async_ms: c.longest_async.as_millis() as u64,
            bytes: c.bytes,
            savepoint: c.savepoint,
        }
    }
}

type Shared = State<Arc<JobManager>>;

/// An error as JSON, with its status.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// The routes of the REST interface.
pub fn router(jobmanager: Arc<JobManager>) -> Router {
    Router::new()
        .route("/", get(ui))
        .route("/v1/overview", get(overview))
        .route("/v1/ready", get(ready))
        .route("/v1/taskmanagers", get(taskmanagers))
        .route("/v1/catalog", get(catalog))
        .route("/v1/jobs", get(jobs).post(submit))
        .route("/v1/jobs/{id}", get(job))
        .route("/v1/jobs/{id}/metrics", get(job_metrics))
        .route("/v1/jobs/{id}/checkpoints", get(job_checkpoints))
        .route("/v1/jobs/{id}/savepoint", post(savepoint))
        .route("/v1/jobs/{id}/stop", post(stop))
        .route("/v1/jobs/{id}/cancel", post(cancel))
        .route("/v1/jobs/{id}/rescale", post(rescale))
        .route("/v1/openapi.json", get(openapi))
        .route("/metrics", get(prometheus))
        .with_state(jobmanager)
}

/// Serves the REST interface at `address` on a thread of its own; returns the address
/// it listens at.
pub fn serve(jobmanager: Arc<JobManager>, address: &str) -> Result<SocketAddr, String> {
    let listener = std::net::TcpListener::bind(address)
        .map_err(|e| format!("cannot listen for REST requests on {address}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the REST interface: {e}"))?;
    std::thread::Builder::new()
        .name("strom-jm-rest".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => return eprintln!("strom: the REST interface cannot listen: {e}"),
                };
                if let Err(e) = axum::serve(listener, router(jobmanager)).await {
                    eprintln!("strom: the REST interface stopped: {e}");
                }
            })
        })
        .map_err(|e| format!("cannot start the REST interface: {e}"))?;
    Ok(bound)
}

async fn overview(State(jm): Shared) -> Json<serde_json::Value> {
    let taskmanagers = jm.taskmanagers();
    let jobs = jm.jobs();
    let count = |status: &str| jobs.iter().filter(|j| j.status == status).count();
    Json(json!({
        "taskmanagers": taskmanagers.len(),
        "slots_total": taskmanagers.iter().map(|t| t.slots).sum::<usize>(),
        "jobs_running": count("RUNNING") + count("RESTARTING") + count("CREATED"),
        "jobs_finished": count("FINISHED"),
        "jobs_stopped": count("STOPPED"),
        "jobs_canceled": count("CANCELED"),
        "jobs_failed": count("FAILED"),
        "taskmanager_address": jm.taskmanager_address(),
    }))
}

async fn taskmanagers(State(jm): Shared) -> Json<Vec<super::TaskManagerInfo>> {
    Json(jm.taskmanagers())
}

async fn catalog(State(jm): Shared) -> Json<serde_json::Value> {
    let entries: Vec<_> = jm
        .catalog()
        .into_iter()
        .map(|(name, about)| json!({ "name": name, "about": about }))
        .collect();
    Json(json!(entries))
}

async fn jobs(State(jm): Shared) -> Json<Vec<super::JobInfo>> {
    Json(jm.jobs())
}

async fn submit(
    State(jm): Shared,
    spec: Result<Json<JobSpec>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(spec) = match spec {
        Ok(spec) => spec,
        Err(rejection) => return error(StatusCode::BAD_REQUEST, rejection.body_text()),
    };
    let submitted = tokio::task::spawn_blocking(move || {
        jm.ready()
            .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e))?;
        jm.submit(spec).map_err(|e| (StatusCode::BAD_REQUEST, e))
    });
    match submitted.await {
        Ok(Ok(id)) => (StatusCode::CREATED, Json(json!({ "id": id }))).into_response(),
        Ok(Err((status, e))) => error(status, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// 200 while this JobManager takes jobs; 503, naming the leader, while it stands by
/// (a readiness probe: a Service then reaches the leader alone).
async fn ready(State(jm): Shared) -> Response {
    match tokio::task::spawn_blocking(move || jm.ready()).await {
        Ok(Ok(())) => Json(json!({ "ready": true })).into_response(),
        Ok(Err(e)) => error(StatusCode::SERVICE_UNAVAILABLE, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn job(State(jm): Shared, Path(id): Path<u64>) -> Response {
    match jm.job(id) {
        Some(job) => Json(job).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("there is no job {id}")),
    }
}

async fn job_metrics(State(jm): Shared, Path(id): Path<u64>) -> Response {
    if jm.job(id).is_none() {
        return error(StatusCode::NOT_FOUND, format!("there is no job {id}"));
    }
    Json(jm.metrics(id)).into_response()
}

async fn job_checkpoints(State(jm): Shared, Path(id): Path<u64>) -> Response {
    match jm.checkpoints(id) {
        Some(checkpoints) => Json(checkpoints).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("there is no job {id}")),
    }
}

/// Runs a blocking action on job `id` and answers with its result under `key`.
async fn act<T: Serialize + Send + 'static>(
    jm: Arc<JobManager>,
    id: u64,
    key: &'static str,
    action: impl FnOnce(&JobManager, u64) -> Result<T, String> + Send + 'static,
) -> Response {
    let acted = tokio::task::spawn_blocking(move || {
        jm.ready()
            .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e))?;
        if jm.job(id).is_none() {
            return Err((StatusCode::NOT_FOUND, format!("there is no job {id}")));
        }
        action(&jm, id).map_err(|e| (StatusCode::CONFLICT, e))
    });
    match acted.await {
        Ok(Ok(value)) => Json(json!({ key: value })).into_response(),
        Ok(Err((status, e))) => error(status, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn savepoint(State(jm): Shared, Path(id): Path<u64>) -> Response {
    act(jm, id, "savepoint", JobManager::savepoint).await
}

async fn stop(State(jm): Shared, Path(id): Path<u64>) -> Response {
    act(jm, id, "savepoint", JobManager::stop).await
}

async fn cancel(State(jm): Shared, Path(id): Path<u64>) -> Response {
    act(jm, id, "canceled", |jm, id| jm.cancel(id).map(|()| true)).await
}

/// What `/v1/jobs/{id}/rescale` takes.
#[derive(Debug, serde::Deserialize)]
struct Rescale {
    parallelism: usize,
}

async fn rescale(
    State(jm): Shared,
    Path(id): Path<u64>,
    body: Result<Json<Rescale>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let parallelism = match body {
        Ok(Json(r)) if r.parallelism > 0 => r.parallelism,
        Ok(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "the parallelism must be at least 1",
            )
        }
        Err(rejection) => return error(StatusCode::BAD_REQUEST, rejection.body_text()),
    };
    act(jm, id, "rescaled", move |jm, id| {
        jm.rescale(id, parallelism)
            .map(|(job, savepoint)| json!({ "job": job, "savepoint": savepoint }))
    })
    .await
}

/// The metrics in Prometheus' text format.
async fn prometheus(State(jm): Shared) -> Response {
    use std::fmt::Write;
    let mut out = String::new();
    let taskmanagers = jm.taskmanagers();
    let _ = writeln!(
        out,
        "# HELP strom_taskmanagers Registered TaskManagers.\n# TYPE strom_taskmanagers gauge"
    );
    let _ = writeln!(out, "strom_taskmanagers {}", taskmanagers.len());
    let _ = writeln!(
        out,
        "# HELP strom_slots Slots of the registered TaskManagers.\n# TYPE strom_slots gauge"
    );
    let _ = writeln!(
        out,
        "strom_slots {}",
        taskmanagers.iter().map(|t| t.slots).sum::<usize>()
    );
    let jobs = jm.jobs();
    let _ = writeln!(
        out,
        "# HELP strom_jobs Jobs by status.\n# TYPE strom_jobs gauge"
    );
    for status in [
        "CREATED",
        "RUNNING",
        "RESTARTING",
        "STOPPING",
        "FINISHED",
        "STOPPED",
        "CANCELED",
        "FAILING",
        "FAILED",
    ] {
        let n = jobs.iter().filter(|j| j.status == status).count();
        let _ = writeln!(out, "strom_jobs{{status=\"{status}\"}} {n}");
    }
    type Counter = (&'static str, &'static str, fn(&InstanceMetrics) -> u64);
    let counters: [Counter; 6] = [
        (
            "strom_records_in_total",
            "Records received by a stage instance.",
            |m| m.records_in,
        ),
        (
            "strom_records_out_total",
            "Records sent on by a stage instance.",
            |m| m.records_out,
        ),
        (
            "strom_late_records_total",
            "Records too late for their window.",
            |m| m.late_records,
        ),
        (
            "strom_busy_ms_total",
            "Milliseconds a stage instance's worker ran it.",
            |m| m.busy_ms,
        ),
        (
            "strom_backpressured_ms_total",
            "Milliseconds a stage instance could not send.",
            |m| m.backpressured_ms,
        ),
        (
            "strom_alignment_ms_total",
            "Milliseconds a stage instance aligned barriers.",
            |m| m.alignment_ms,
        ),
    ];
    let metrics: Vec<(u64, String, Vec<InstanceMetrics>)> = jobs
        .iter()
        .map(|j| (j.id, j.name.clone(), jm.metrics(j.id)))
        .collect();
    for (name, help, value) in counters {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (id, job, instances) in &metrics {
            for m in instances {
                let _ = writeln!(
                    out,
                    "{name}{{job_id=\"{id}\",job=\"{job}\",stage=\"{}\",instance=\"{}\"}} {}",
                    m.stage,
                    m.index,
                    value(m)
                );
            }
        }
    }
    // Idle time is running time less busy and backpressured time, and backpressure is
    // counted when a backlog ends: it can go down, so it is a gauge.
    let name = "strom_idle_ms";
    let _ = writeln!(
        out,
        "# HELP {name} Milliseconds a stage instance was neither busy nor backpressured.\n# TYPE {name} gauge"
    );
    for (id, job, instances) in &metrics {
        for m in instances {
            let _ = writeln!(
                out,
                "{name}{{job_id=\"{id}\",job=\"{job}\",stage=\"{}\",instance=\"{}\"}} {}",
                m.stage, m.index, m.idle_ms
            );
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

/// The web UI: one page that reads the REST interface.
async fn ui() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("ui/index.html"),
    )
        .into_response()
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}
