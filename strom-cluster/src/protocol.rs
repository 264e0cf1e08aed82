//! The protocol between the JobManager and its TaskManagers (Flink's RPC between the
//! ResourceManager/JobMaster and the TaskExecutors): one TCP connection per TaskManager,
//! which the TaskManager opens, carrying length-prefixed frames of postcard-encoded
//! messages. A TaskManager registers first; then the JobManager deploys parts of runs
//! and relays the checkpoint controller's commands, and the TaskManager sends heartbeats
//! (with its parts' metrics), its tasks' checkpoint events and how each part ended.

use std::io::{Read, Write};
use std::net::SocketAddr;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use stream_core::ErrorKind;
use stream_runtime::control::TaskCommand;
use stream_runtime::control::TaskEvent;
use stream_runtime::distributed::RunDeployment;
use stream_runtime::executor::TaskMetrics;
use stream_runtime::job::TaskReport;

use crate::job::JobSpec;

/// The largest frame either side accepts (a deployment, a part's reports).
const MAX_FRAME: usize = 16 << 20;

/// What a TaskManager tells the JobManager.
#[derive(Debug, Serialize, Deserialize)]
pub enum ToJobManager {
    /// The first message: who the TaskManager is and what it offers.
    Register {
        /// A name for people (the host and process).
        name: String,
        /// Where its network endpoint listens (the data channels of runs).
        data: SocketAddr,
        /// How many slots it offers.
        slots: usize,
    },
    /// It is alive; the live counters of the stage instances of its parts.
    Heartbeat {
        /// `(run, stage, instance, operators, counters)`.
        metrics: Vec<(u64, usize, usize, String, TaskMetrics)>,
    },
    /// A task of its part of `run` tells the run's controller `event`.
    Event {
        /// The run.
        run: u64,
        /// The event.
        event: TaskEvent,
    },
    /// Its part of `run` ended.
    PartEnded {
        /// The run.
        run: u64,
        /// What the part's instances report, or why it failed.
        outcome: Result<Vec<TaskReport>, RemoteError>,
    },
}

/// What the JobManager tells a TaskManager.
#[derive(Debug, Serialize, Deserialize)]
pub enum ToTaskManager {
    /// The registration is accepted.
    Welcome {
        /// The TaskManager's id in this JobManager.
        id: u64,
        /// How often it must send a heartbeat, in milliseconds.
        heartbeat_ms: u64,
    },
    /// Run part `me` of `deployment`, of the job `job` describes.
    Deploy {
        /// Which job, and its settings.
        job: JobSpec,
        /// The run and its processes.
        deployment: RunDeployment,
        /// This TaskManager's place in `deployment.processes`.
        me: usize,
    },
    /// The run's controller tells the part of `run` `command`.
    Command {
        /// The run.
        run: u64,
        /// The command.
        command: TaskCommand,
    },
    /// Cancel the part of `run`.
    Cancel {
        /// The run.
        run: u64,
        /// Why.
        why: String,
    },
}

/// A failure that crossed the connection: its kind and its message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The failure, as the process that saw it printed it.
    pub message: String,
}

/// Writes `message` as one frame.
pub fn send<T: Serialize>(out: &mut impl Write, message: &T) -> std::io::Result<()> {
    let payload = postcard::to_allocvec(message)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let mut frame = Vec::with_capacity(4 + payload.len());
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(&payload);
    out.write_all(&frame)?;
    out.flush()
}

/// Reads one frame; `Ok(None)` if the peer closed the connection between two frames.
pub fn receive<T: DeserializeOwned>(input: &mut impl Read) -> std::io::Result<Option<T>> {
    let mut length = [0u8; 4];
    match input.read_exact(&mut length) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let length = u32::from_be_bytes(length) as usize;
    if length > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a frame of {length} bytes is larger than the {MAX_FRAME} allowed"),
        ));
    }
    let mut payload = vec![0u8; length];
    input.read_exact(&mut payload)?;
    postcard::from_bytes(&payload)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_bad_frames_are_errors() {
        let mut wire = Vec::new();
        let command = ToTaskManager::Command {
            run: 7,
            command: TaskCommand::CheckpointComplete { id: 3 },
        };
        send(&mut wire, &command).unwrap();
        send(&mut wire, &ToJobManager::Heartbeat { metrics: vec![] }).unwrap();
        let mut input = &wire[..];
        let back: ToTaskManager = receive(&mut input).unwrap().unwrap();
        assert!(matches!(
            back,
            ToTaskManager::Command {
                run: 7,
                command: TaskCommand::CheckpointComplete { id: 3 }
            }
        ));
        let heartbeat: ToJobManager = receive(&mut input).unwrap().unwrap();
        assert!(matches!(heartbeat, ToJobManager::Heartbeat { .. }));
        assert!(
            receive::<ToJobManager>(&mut input).unwrap().is_none(),
            "closed"
        );

        let huge = (u32::MAX).to_be_bytes();
        assert!(receive::<ToJobManager>(&mut &huge[..]).is_err());
        let truncated = [0, 0, 0, 9, 1, 2];
        assert!(receive::<ToJobManager>(&mut &truncated[..]).is_err());
        let garbage = [0, 0, 0, 2, 0xff, 0xff];
        assert!(receive::<ToJobManager>(&mut &garbage[..]).is_err());
    }
}
