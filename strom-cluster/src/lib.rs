//! # strom-cluster
//!
//! Strom as a cluster, in Flink's roles: a JobManager process (the registry of
//! TaskManagers and their slots, a job handle per job that runs its restart loop and
//! checkpoint controller, and a REST interface) and TaskManager processes that run the
//! parts of each run, exchanging records over network channels. The binary is the unit
//! of deployment, as in Flink's application mode: every process runs the same binary
//! and builds jobs from its [`JobCatalog`], so a user's binary with compiled `stream!`
//! jobs runs the roles with [`main`]:
//!
//! ```no_run
//! use strom_cluster::JobCatalog;
//!
//! fn main() -> std::process::ExitCode {
//!     let catalog = JobCatalog::new().job("doubling", "doubles numbers", |_args| {
//!         let env = stream_runtime::api::StreamEnv::new("doubling");
//!         let out = stream_runtime::connectors::sink::stdout();
//!         env.source(stream_runtime::connectors::source::from_vec(vec![1, 2, 3]))
//!             .map(|x| x * 2)
//!             .sink(out);
//!         env.build().map_err(|e| e.to_string())
//!     });
//!     strom_cluster::main(catalog)
//! }
//! ```
//!
//! Then `my-binary cluster --taskmanagers 2` starts a local cluster and `my-binary run
//! doubling -p 2` runs the job on it.

pub mod cli;
pub mod client;
pub mod ha;
pub mod job;
pub mod jobmanager;
#[cfg(feature = "kubernetes")]
mod kubernetes;
pub mod protocol;
pub mod resources;
pub mod taskmanager;

use std::process::ExitCode;
use std::sync::{Mutex, MutexGuard};

use clap::Parser;

pub use cli::ClusterCommand;
pub use job::{JobCatalog, JobSettings, JobSpec};
pub use jobmanager::{JobManager, JobManagerOptions};
pub use taskmanager::{run_taskmanager, TaskManagerOptions};

/// The cluster's command line, for a binary of its own.
#[derive(Parser, Debug)]
#[command(about = "A Strom cluster: JobManager, TaskManagers, and the jobs of this binary")]
struct ClusterCli {
    #[command(subcommand)]
    command: ClusterCommand,
}

/// Runs the cluster command of the process's arguments with the jobs of `catalog`.
pub fn main(catalog: JobCatalog) -> ExitCode {
    match ClusterCli::parse().command.run(catalog) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("strom: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Locks `mutex`, also after a panic elsewhere (every change under these locks leaves
/// the data consistent).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
