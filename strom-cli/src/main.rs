//! `strom`: the command line of Strom, a stream processor in the spirit of Apache Flink.
//!
//! ```text
//! strom sql                      # statements at a prompt
//! strom sql -f job.sql           # run a script
//! strom sql -f job.sql --checkpoints /var/lib/strom/chk   # exactly once across restarts
//! strom cluster --taskmanagers 2 # a JobManager and two TaskManager processes
//! strom run sql @job.sql -p 2 --checkpoints /shared/chk   # a job on the cluster
//! strom list | savepoint ID | stop ID | cancel ID
//! ```

mod catalog;
mod sql;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Strom's command line.
#[derive(Parser, Debug)]
#[command(
    name = "strom",
    version,
    about = "Strom: stream processing in Rust, in the spirit of Apache Flink"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Flink SQL: run a script, or type statements at a prompt; jobs run in this process.
    Sql(sql::SqlArgs),
    /// The cluster's roles and client commands.
    #[command(flatten)]
    Cluster(Box<strom_cluster::ClusterCommand>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Sql(args) => sql::Client::new(args).run(),
        Command::Cluster(command) => {
            return match command.run(catalog::catalog()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("strom: {message}");
                    ExitCode::FAILURE
                }
            }
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // The statement's error is already printed.
        Err(sql::Failure::Statement) => ExitCode::FAILURE,
        Err(sql::Failure::Io(message)) => {
            eprintln!("strom: {message}");
            ExitCode::FAILURE
        }
    }
}
