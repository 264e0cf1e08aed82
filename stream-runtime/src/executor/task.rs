//! One stage instance inside a worker, with its inputs and timers.

use std::collections::BTreeMap;

use stream_core::operator::{Context, InstanceInfo};
use stream_core::snapshot::SnapshotWriter;
use stream_core::stage::{SourceStatus, Stage};
use stream_core::{Result, Timestamp};

use super::gate::{GateOutput, InputGate};
use crate::channel::{Control, InputChannel};

/// Counters of one stage instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskMetrics {
    /// Records received from input channels.
    pub records_in: u64,
    /// Batches received.
    pub batches_in: u64,
    /// The stage's current input watermark.
    pub watermark: Timestamp,
    /// Checkpoint snapshots taken: checkpoint id and operator sections.
    pub snapshots: Vec<(u64, BTreeMap<String, Vec<u8>>)>,
}

/// A stage instance and what the worker tracks for it.
pub(crate) struct Task {
    pub stage: Box<dyn Stage>,
    pub info: InstanceInfo,
    pub name: String,
    pub is_source: bool,
    inputs: Vec<(Box<dyn InputChannel>, usize)>,
    gate: InputGate,
    pub finished: bool,
    /// The next processing time at which the stage asked to be called.
    pub next_timer: Option<Timestamp>,
    /// A pending source asked to be polled again at this time.
    pub retry_at: Option<Timestamp>,
    /// The source has nothing now; poll it when woken or at `retry_at`.
    pub pending: bool,
    pub metrics: TaskMetrics,
    next_input: usize,
}

/// How many messages one input channel may deliver per turn, so one busy input cannot
/// starve the others or the rest of the worker.
const MESSAGES_PER_TURN: usize = 8;

impl Task {
    pub fn new(
        stage: Box<dyn Stage>,
        info: InstanceInfo,
        name: String,
        is_source: bool,
        inputs: Vec<(Box<dyn InputChannel>, usize)>,
    ) -> Self {
        let gate = InputGate::new(inputs.len());
        Task {
            stage,
            info,
            name,
            is_source,
            inputs,
            gate,
            finished: false,
            next_timer: None,
            retry_at: None,
            pending: false,
            metrics: TaskMetrics {
                watermark: stream_core::MIN_TIMESTAMP,
                ..Default::default()
            },
            next_input: 0,
        }
    }

    /// Remembers the earliest processing time the stage asked for.
    pub fn schedule(&mut self, at: Option<Timestamp>) {
        if let Some(at) = at {
            self.next_timer = Some(self.next_timer.map_or(at, |t| t.min(at)));
        }
    }

    /// Polls the source stage once.
    pub fn poll_source(&mut self, cx: &mut Context<'_>, budget: usize) -> Result<bool> {
        match self.stage.poll_source(cx, budget)? {
            SourceStatus::Busy => {
                self.pending = false;
                Ok(true)
            }
            SourceStatus::Pending { retry_at } => {
                self.pending = true;
                self.retry_at = retry_at;
                Ok(false)
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
                        self.metrics.records_in += records as u64;
                        self.metrics.batches_in += 1;
                        GateOutput::default()
                    }
                    Control::Watermark(w) => self.gate.on_watermark(i, w),
                    Control::Idle(idle) => self.gate.on_idle(i, idle),
                    Control::Barrier(n) => self.gate.on_barrier(i, n),
                    Control::End => self.gate.on_end(i),
                };
                self.apply(cx, out)?;
                if self.finished || self.stage.is_backlogged() {
                    return Ok(true);
                }
            }
        }
        self.next_input = (self.next_input + 1) % n.max(1);
        Ok(progress)
    }

    fn apply(&mut self, cx: &mut Context<'_>, out: GateOutput) -> Result {
        if let Some(idle) = out.idle {
            self.stage.on_idle(cx, idle)?;
        }
        if let Some(w) = out.watermark {
            self.metrics.watermark = w;
            self.stage.on_watermark(cx, w)?;
        }
        if let Some(checkpoint) = out.barrier {
            self.snapshot(cx, checkpoint)?;
        }
        if out.ended {
            self.stage.on_end(cx)?;
            self.finished = true;
        }
        Ok(())
    }

    /// Snapshots the stage for `checkpoint` and forwards the barrier.
    pub fn snapshot(&mut self, cx: &mut Context<'_>, checkpoint: u64) -> Result {
        let mut writer = SnapshotWriter::new();
        self.stage.on_barrier(cx, checkpoint, &mut writer)?;
        self.metrics
            .snapshots
            .push((checkpoint, writer.into_sections()));
        Ok(())
    }
}
