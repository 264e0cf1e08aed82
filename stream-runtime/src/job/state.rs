//! A job's lifecycle as a typed state machine: every change of a job's status is an
//! [`JobEvent`] applied by [`JobStatus::on`], which refuses the changes that cannot
//! happen. The job handle, the restart loop and the runtime report events; what a job
//! does next (restart, mark its input finished, accept a stop) is read from its status.
//!
//! ```text
//! Created ──Launched──▶ Running ──RunEnded──▶ Finished
//!                        │  ▲
//!     StopOnCheckpoint   │  │ StopCheckpointFailed
//!                        ▼  │
//!               StoppingOnCheckpoint ──StopSources──▶ Stopping ──RunEnded──▶ Stopped
//! Running ──RunFailed{restart: Some(n)}──▶ Restarting ──Launched──▶ Running
//! any live status ──RunFailed{no restart}──▶ Failed
//! ```

use std::fmt;

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Built, its first run not started yet.
    Created,
    /// A run is reading input.
    Running,
    /// The job takes the checkpoint it will stop on (`stop`, `stop_with_savepoint`); its
    /// sources read nothing after that checkpoint's barrier.
    StoppingOnCheckpoint,
    /// Its sources were told to stop (`drain`: end as if the input had run out, firing
    /// every window).
    Stopping {
        /// Ends like an input that ran out.
        drain: bool,
    },
    /// A run failed; another starts from the latest complete checkpoint after the
    /// restart strategy's delay.
    Restarting {
        /// How many restarts this is.
        attempt: u32,
    },
    /// It read all of its input (a bounded job ran to its end).
    Finished,
    /// It stopped on request.
    Stopped,
    /// It failed and may not restart.
    Failed,
}

/// What happens to a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobEvent {
    /// A run started its workers.
    Launched,
    /// A stop on a checkpoint was asked for.
    StopOnCheckpoint,
    /// The checkpoint to stop on did not complete: the job runs on.
    StopCheckpointFailed,
    /// The sources were told to stop.
    StopSources {
        /// End like an input that ran out.
        drain: bool,
    },
    /// A run failed; another follows if the restart strategy allows it.
    RunFailed {
        /// The number of the restart that follows, if one does.
        restart: Option<u32>,
    },
    /// A run ended without failing: its sources ended or were stopped.
    RunEnded,
}

/// A change the state machine refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IllegalTransition {
    /// The status the job was in.
    pub from: JobStatus,
    /// What was applied to it.
    pub event: JobEvent,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a job that is {:?} cannot take {:?}",
            self.from, self.event
        )
    }
}

impl std::error::Error for IllegalTransition {}

impl JobStatus {
    /// The status after `event`, or why it cannot happen now.
    pub fn on(self, event: JobEvent) -> Result<JobStatus, IllegalTransition> {
        use JobEvent as E;
        use JobStatus as S;
        let next = match (self, event) {
            (S::Created | S::Restarting { .. }, E::Launched) => S::Running,
            // A stop asked for between two runs holds for the next one.
            (s @ (S::StoppingOnCheckpoint | S::Stopping { .. }), E::Launched) => s,
            (S::Running, E::StopOnCheckpoint) => S::StoppingOnCheckpoint,
            (S::StoppingOnCheckpoint, E::StopCheckpointFailed) => S::Running,
            (
                S::Created | S::Running | S::StoppingOnCheckpoint | S::Restarting { .. },
                E::StopSources { drain },
            ) => S::Stopping { drain },
            (S::Stopping { drain }, E::StopSources { drain: again }) => S::Stopping {
                drain: drain || again,
            },
            // A run that fails while it takes the checkpoint to stop on fails that
            // checkpoint, and restarts like any other (Flink fails the savepoint over).
            (
                S::Created | S::Running | S::StoppingOnCheckpoint | S::Restarting { .. },
                E::RunFailed {
                    restart: Some(attempt),
                },
            ) => S::Restarting { attempt },
            (s, E::RunFailed { .. }) if s.is_live() => S::Failed,
            (S::Running, E::RunEnded) => S::Finished,
            (S::StoppingOnCheckpoint | S::Stopping { .. }, E::RunEnded) => S::Stopped,
            (from, event) => return Err(IllegalTransition { from, event }),
        };
        Ok(next)
    }

    /// True until the job has ended (finished, stopped or failed).
    pub fn is_live(self) -> bool {
        !matches!(
            self,
            JobStatus::Finished | JobStatus::Stopped | JobStatus::Failed
        )
    }

    /// True once the sources were told to stop: the job will not restart.
    pub fn sources_stopping(self) -> bool {
        matches!(self, JobStatus::Stopping { .. } | JobStatus::Stopped)
    }

    /// True once a stop was asked for: a run that ends is a stop, not the end of its
    /// input.
    pub fn is_stopping(self) -> bool {
        matches!(
            self,
            JobStatus::StoppingOnCheckpoint | JobStatus::Stopping { .. } | JobStatus::Stopped
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobEvent as E;
    use JobStatus as S;

    fn run(events: &[JobEvent]) -> Result<JobStatus, IllegalTransition> {
        events.iter().try_fold(S::Created, |s, &e| s.on(e))
    }

    #[test]
    fn a_bounded_job_runs_to_finished() {
        assert_eq!(run(&[E::Launched, E::RunEnded]), Ok(S::Finished));
    }

    #[test]
    fn failures_restart_while_the_strategy_allows_then_fail() {
        let restarted = [
            E::Launched,
            E::RunFailed { restart: Some(1) },
            E::Launched,
            E::RunFailed { restart: Some(2) },
        ];
        assert_eq!(run(&restarted), Ok(S::Restarting { attempt: 2 }));
        let mut failed = restarted.to_vec();
        failed.push(E::Launched);
        failed.push(E::RunFailed { restart: None });
        assert_eq!(run(&failed), Ok(S::Failed));
        failed.push(E::Launched);
        assert!(run(&failed).is_err(), "a failed job does not run again");
    }

    #[test]
    fn a_stop_on_a_checkpoint_ends_stopped_or_runs_on_when_the_checkpoint_fails() {
        let stop = [
            E::Launched,
            E::StopOnCheckpoint,
            E::StopSources { drain: false },
            E::RunEnded,
        ];
        assert_eq!(run(&stop), Ok(S::Stopped));
        assert_eq!(
            run(&[E::Launched, E::StopOnCheckpoint, E::StopCheckpointFailed]),
            Ok(S::Running)
        );
        // A run that ends while its stop checkpoint completes is a stop, not the end of
        // its input.
        assert_eq!(
            run(&[E::Launched, E::StopOnCheckpoint, E::RunEnded]),
            Ok(S::Stopped)
        );
    }

    #[test]
    fn a_failure_during_the_stop_checkpoint_restarts_the_job() {
        assert_eq!(
            run(&[
                E::Launched,
                E::StopOnCheckpoint,
                E::RunFailed { restart: Some(1) }
            ]),
            Ok(S::Restarting { attempt: 1 })
        );
        assert_eq!(
            run(&[
                E::Launched,
                E::StopOnCheckpoint,
                E::RunFailed { restart: None }
            ]),
            Ok(S::Failed)
        );
    }

    #[test]
    fn a_stopping_job_does_not_restart_and_a_stop_between_runs_holds() {
        assert_eq!(
            run(&[
                E::Launched,
                E::StopSources { drain: true },
                E::RunFailed { restart: Some(1) }
            ]),
            Ok(S::Failed)
        );
        assert_eq!(
            run(&[
                E::Launched,
                E::RunFailed { restart: Some(1) },
                E::StopSources { drain: false },
                E::Launched,
                E::RunEnded
            ]),
            Ok(S::Stopped)
        );
    }

    #[test]
    fn ended_jobs_take_no_more_events() {
        for ended in [S::Finished, S::Stopped, S::Failed] {
            assert!(!ended.is_live());
            for event in [
                E::Launched,
                E::StopOnCheckpoint,
                E::StopSources { drain: true },
                E::RunEnded,
                E::RunFailed { restart: Some(1) },
            ] {
                assert_eq!(
                    ended.on(event),
                    Err(IllegalTransition { from: ended, event })
                );
            }
        }
    }
}
