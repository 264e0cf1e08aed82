//! One stage instance inside a worker, with its inputs, timers and metrics.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use stream_core::operator::{Context, InstanceInfo};
use stream_core::snapshot::SnapshotWriter;
use stream_core::stage::{SourceStatus, Stage};
use stream_core::{Result, Timestamp};

use super::checkpointing::TaskLink;
use super::gate::{GateOutput, InputGate};
use super::metrics::TaskStats;
use crate::channel::{Control, InputChannel};
use crate::control::{TaskEvent, TaskId};
use crate::graph::OperatorInfo;

/// The snapshots one stage instance took: checkpoint id and operator sections.
pub type Snapshots = Vec<(u64, BTreeMap<String, Vec<u8>>)>;

/// A stage instance and what the worker tracks for it.
pub(crate) struct Task {
    pub stage: Box<dyn Stage>,
    pub info: InstanceInfo,
    pub name: String,
    /// The stage's operators, to name the one a panic came from.
    pub operators: Vec<OperatorInfo>,
    pub is_source: bool,
    inputs: Vec<(Box<dyn InputChannel>, usize)>,
    gate: InputGate,
    pub finished: bool,
    /// A source that read all of its input and waits for the final checkpoint.
    pub drained: bool,
    /// A source stopping with this savepoint: it reads nothing more.
    pub stopping_at: Option<u64>,
    /// The next processing time at which the stage asked to be called.
    pub next_timer: Option<Timestamp>,
    /// A pending source asked to be polled again at this time.
    pub retry_at: Option<Timestamp>,
    /// The stage asked to be called at this wall-clock time (an exchange's buffer timeout).
    pub flush_at: Option<Instant>,
    /// The source has nothing now; poll it when woken or at `retry_at`.
    pub pending: bool,
    pub stats: Arc<TaskStats>,
    /// Snapshots kept in memory when the job has no checkpoint storage.
    pub snapshots: Snapshots,
    /// How the task reaches the controller and stores its snapshots.
    link: TaskLink,
    /// The controller knows the task finished.
    finish_reported: bool,
    /// The checkpoint the job stops on, as the ends of the inputs said.
    stopped_on: Option<u64>,
    /// Since when the stage has been unable to send (backpressure).
    backlogged_since: Option<Instant>,
    /// Since when some input has been held by a barrier.
    aligning_since: Option<Instant>,
    next_input: usize,
}

/// How many messages one input channel may deliver per turn, so one busy input cannot
/// starve the others or the rest of the worker.
const MESSAGES_PER_TURN: usize = 8;

impl Task {
    pub fn new(
        stage: Box<dyn Stage>,
        info: InstanceInfo,
        operators: Vec<OperatorInfo>,
        name: String,
        inputs: Vec<(Box<dyn InputChannel>, usize)>,
        link: TaskLink,
    ) -> Self {
        let gate = InputGate::new(inputs.len());
        let stats = Arc::new(TaskStats::new(info.stage, info.index, name.clone()));
        Task {
            stage,
            info,
            name,
            operators,
            is_source: inputs.is_empty(),
            inputs,
            gate,
            finished: false,
            drained: false,
            stopping_at: None,
            next_timer: None,
            retry_at: None,
            flush_at: None,
            pending: false,
            stats,
            snapshots: Vec::new(),
            link,
            finish_reported: false,
            stopped_on: None,
            backlogged_since: None,
            aligning_since: None,
            next_input: 0,
        }
    }

    /// The task's identity in messages.
    pub fn id(&self) -> TaskId {
        TaskId {
            stage: self.info.stage,
            index: self.info.index,
        }
    }

    /// Tells the controller the task finished (once): no checkpoint can complete now.
    pub fn report_finished(&mut self) {
        if !self.finish_reported {
            self.finish_reported = true;
            self.link.report(TaskEvent::Finished { task: self.id() });
        }
    }

    /// Remembers the earliest processing time the stage asked for.
    pub fn schedule(&mut self, at: Option<Timestamp>) {
        if let Some(at) = at {
            self.next_timer = Some(self.next_timer.map_or(at, |t| t.min(at)));
        }
    }

    /// True once the task has nothing left to do: its input has ended and all its output
    /// has been handed to the channels.
    pub fn is_done(&self) -> bool {
        self.finished && !self.stage.is_backlogged()
    }

    /// True if an input channel holds a message the task may read now.
    pub fn has_input(&self) -> bool {
        self.inputs
            .iter()
            .enumerate()
            .any(|(i, (channel, _))| self.gate.readable(i) && channel.has_message())
    }

    /// Tracks backpressure time: call with whether the stage is backlogged now.
    pub fn note_backlog(&mut self, backlogged: bool) {
        match (backlogged, self.backlogged_since) {
            (true, None) => self.backlogged_since = Some(Instant::now()),
            (false, Some(since)) => {
                self.stats.add_backpressure(since.elapsed());
                self.backlogged_since = None;
            }
            _ => {}
        }
    }

    /// Polls the source stage once; a source that read all its input ends if
    /// `may_end` (the final checkpoint completed, or the job takes none).
    pub fn poll_source(
        &mut self,
        cx: &mut Context<'_>,
        budget: usize,
        may_end: bool,
    ) -> Result<bool> {
        match self.stage.poll_source(cx, budget)? {
            SourceStatus::Busy => {
                self.pending = false;
                self.retry_at = None;
                Ok(true)
            }
            SourceStatus::Pending { retry_at } => {
                self.pending = true;
                self.retry_at = retry_at;
                Ok(false)
            }
            SourceStatus::Drained => {
                let newly = !self.drained;
                if newly {
                    self.drained = true;
                    self.link
                        .report(TaskEvent::SourceDrained { task: self.id() });
                }
                self.pending = true;
                self.retry_at = None;
                if may_end {
                    self.stage.end_source(cx)?;
                    self.finished = true;
                    return Ok(true);
                }
                Ok(newly)
            }
            SourceStatus::Finished => {
                self.finished = true;
                Ok(true)
            }
        }
    }

    /// Drains input messages; returns true if anything was delivered.
    pub fn poll_inputs(&mut self, cx: &mut Context<'_>) -> Result<bool> {
        let n = self.inputs.len();
        let mut progress = false;
        for k in 0..n {
            let i = (self.next_input + k) % n;
            for _ in 0..MESSAGES_PER_TURN {
                if !self.gate.readable(i) {
                    break;
                }
                let (channel, port) = &mut self.inputs[i];
                let Some(control) = channel.poll(self.stage.as_mut(), *port, cx)? else {
                    break;
                };
                progress = true;
                let out = match control {
                    Control::Data(records) => {
                        self.stats.add_input(records as u64);
                        GateOutput::default()
                    }
                    Control::Watermark(w) => self.gate.on_watermark(i, w),
                    Control::Idle(idle) => self.gate.on_idle(i, idle),
                    Control::Barrier(n) => self.gate.on_barrier(i, n),
                    Control::End(stop) => {
                        self.stopped_on = self.stopped_on.max(stop);
                        self.gate.on_end(i)
                    }
                };
                self.apply(cx, out)?;
                if self.finished || self.stage.is_backlogged() {
                    // Start with the next input next time, so a backlog does not keep
                    // the other inputs from being read.
                    self.next_input = (i + 1) % n;
                    return Ok(true);
                }
            }
        }
        self.next_input = (self.next_input + 1) % n.max(1);
        Ok(progress)
    }

    fn apply(&mut self, cx: &mut Context<'_>, out: GateOutput) -> Result {
        if self.aligning_since.is_none() && self.gate.is_aligning() {
            self.aligning_since = Some(Instant::now());
        }
        if let Some(idle) = out.idle {
            self.stage.on_idle(cx, idle)?;
        }
        if let Some(w) = out.watermark {
            self.stats.set_watermark(w, cx.processing_time());
            self.stage.on_watermark(cx, w)?;
        }
        if let Some(abandoned) = out.aborted {
            self.link.report(TaskEvent::Decline {
                id: abandoned,
                task: self.id(),
            });
        }
        if let Some(checkpoint) = out.barrier {
            if let Some(since) = self.aligning_since.take() {
                self.stats.add_alignment(since.elapsed());
            }
            self.snapshot(cx, checkpoint)?;
        }
        if out.ended {
            cx.set_stop_checkpoint(self.stopped_on);
            self.stage.on_end(cx)?;
            self.finished = true;
        }
        Ok(())
    }

    /// Snapshots the stage for `checkpoint` and forwards the barrier.
    pub fn snapshot(&mut self, cx: &mut Context<'_>, checkpoint: u64) -> Result {
        let started = Instant::now();
        let mut writer = SnapshotWriter::new();
        self.stage.on_barrier(cx, checkpoint, &mut writer)?;
        if self.link.stores() {
            self.link
                .store(checkpoint, self.id(), writer.into_sections(), started)
        } else {
            self.snapshots.push((checkpoint, writer.into_sections()));
            Ok(())
        }
    }
}
