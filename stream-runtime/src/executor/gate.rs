//! The input side of a stage instance: combines the watermarks, idleness and barriers of
//! its input channels (Flink's `StatusWatermarkValve` and barrier alignment).

use stream_core::{Timestamp, MAX_TIMESTAMP, MIN_TIMESTAMP};

/// The state of one input channel.
#[derive(Debug)]
pub struct InputState {
    watermark: Timestamp,
    idle: bool,
    /// An input that became active again counts only once it caught up with the output.
    aligned: bool,
    ended: bool,
    /// The barrier this input delivered and waits behind.
    blocked_on: Option<u64>,
}

impl Default for InputState {
    fn default() -> Self {
        InputState {
            watermark: MIN_TIMESTAMP,
            idle: false,
            aligned: true,
            ended: false,
            blocked_on: None,
        }
    }
}

/// What the stage must be told after an input event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct GateOutput {
    /// The combined watermark advanced to this.
    pub watermark: Option<Timestamp>,
    /// The combined idleness changed to this.
    pub idle: Option<bool>,
    /// Every input delivered this barrier: snapshot now.
    pub barrier: Option<u64>,
    /// A newer barrier arrived before this one was aligned: the stage abandons it.
    pub aborted: Option<u64>,
    /// Every input has ended.
    pub ended: bool,
}

/// Combines the inputs of one stage instance.
#[derive(Debug)]
pub struct InputGate {
    inputs: Vec<InputState>,
    watermark: Timestamp,
    idle: bool,
    /// The newest checkpoint this gate aligned or abandoned; older barriers are ignored.
    last_checkpoint: u64,
}

impl InputGate {
    /// A gate over `inputs` channels.
    pub fn new(inputs: usize) -> Self {
        InputGate {
            inputs: (0..inputs).map(|_| InputState::default()).collect(),
            watermark: MIN_TIMESTAMP,
            idle: false,
            last_checkpoint: 0,
        }
    }

    /// True if input `i` may be read (it has not ended and is not held by a barrier).
    pub fn readable(&self, i: usize) -> bool {
        let input = &self.inputs[i];
        !input.ended && input.blocked_on.is_none()
    }

    /// True while some input is held by a barrier the others have not delivered yet.
    pub fn is_aligning(&self) -> bool {
        self.inputs.iter().any(|x| x.blocked_on.is_some())
    }

    /// The number of inputs.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// True if the gate has no inputs.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// Input `i` delivered a watermark.
    pub fn on_watermark(&mut self, i: usize, watermark: Timestamp) -> GateOutput {
        let input = &mut self.inputs[i];
        if watermark <= input.watermark {
            return GateOutput::default();
        }
        input.watermark = watermark;
        if !input.aligned && watermark >= self.watermark {
            input.aligned = true;
        }
        let mut out = self.reactivate(i);
        out.watermark = self.advance();
        out
    }

    /// Input `i` became idle or active.
    pub fn on_idle(&mut self, i: usize, idle: bool) -> GateOutput {
        if idle {
            let input = &mut self.inputs[i];
            if input.idle {
                return GateOutput::default();
            }
            input.idle = true;
            input.aligned = false;
            let mut out = GateOutput {
                watermark: self.advance(),
                ..Default::default()
            };
            if !self.idle && self.inputs.iter().all(|x| x.idle || x.ended) {
                self.idle = true;
                out.idle = Some(true);
            }
            out
        } else {
            self.reactivate(i)
        }
    }

    fn reactivate(&mut self, i: usize) -> GateOutput {
        let mut out = GateOutput::default();
        let input = &mut self.inputs[i];
        if input.idle {
            input.idle = false;
            input.aligned = input.watermark >= self.watermark;
            if self.idle {
                self.idle = false;
                out.idle = Some(false);
            }
        }
        out
    }

    /// Input `i` delivered barrier `checkpoint`.
    ///
    /// As in Flink's barrier handler, a barrier newer than the one being aligned abandons
    /// that checkpoint (some input skipped it, so it can never align) and starts aligning
    /// the new one; a barrier older than the one being aligned, or than the last one
    /// aligned, belongs to an abandoned checkpoint and is dropped.
    pub fn on_barrier(&mut self, i: usize, checkpoint: u64) -> GateOutput {
        if checkpoint <= self.last_checkpoint {
            return GateOutput::default();
        }
        let mut aborted = None;
        match self.inputs.iter().find_map(|x| x.blocked_on) {
            Some(aligning) if checkpoint < aligning => return GateOutput::default(),
            Some(aligning) if checkpoint > aligning => {
                for input in &mut self.inputs {
                    input.blocked_on = None;
                }
                self.last_checkpoint = aligning;
                aborted = Some(aligning);
            }
            _ => {}
        }
        self.inputs[i].blocked_on = Some(checkpoint);
        GateOutput {
            aborted,
            ..self.check_alignment()
        }
    }

    /// Input `i` ended (its final watermark came before).
    pub fn on_end(&mut self, i: usize) -> GateOutput {
        let input = &mut self.inputs[i];
        input.ended = true;
        input.watermark = MAX_TIMESTAMP;
        let mut out = self.check_alignment();
        out.watermark = self.advance();
        out.ended = self.inputs.iter().all(|x| x.ended);
        out
    }

    fn check_alignment(&mut self) -> GateOutput {
        let mut checkpoint = None;
        for input in self.inputs.iter().filter(|x| !x.ended) {
            match (input.blocked_on, checkpoint) {
                (None, _) => return GateOutput::default(),
                (Some(n), None) => checkpoint = Some(n),
                (Some(n), Some(m)) if n != m => return GateOutput::default(),
                _ => {}
            }
        }
        let Some(n) = checkpoint else {
            return GateOutput::default();
        };
        for input in &mut self.inputs {
            input.blocked_on = None;
        }
        self.last_checkpoint = n;
        GateOutput {
            barrier: Some(n),
            ..Default::default()
        }
    }

    /// The minimum over active, aligned inputs, if it advanced.
    fn advance(&mut self) -> Option<Timestamp> {
        let min = self
            .inputs
            .iter()
            .filter(|x| x.ended || (!x.idle && x.aligned))
            .map(|x| x.watermark)
            .min()?;
        // As in Flink's StatusWatermarkValve, an ended input counts with its final watermark
        // even when every other input is idle: the stage then advances to the end of time.
        (min > self.watermark).then(|| {
            self.watermark = min;
            min
        })
    }

    /// The combined watermark.
    pub fn watermark(&self) -> Timestamp {
        self.watermark
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermark_is_the_minimum_and_only_forwarded_when_it_advances() {
        let mut g = InputGate::new(2);
        assert_eq!(g.on_watermark(0, 10).watermark, None);
        assert_eq!(g.on_watermark(1, 5).watermark, Some(5));
        assert_eq!(g.on_watermark(1, 20).watermark, Some(10));
        assert_eq!(g.on_watermark(1, 30).watermark, None);
        assert_eq!(g.on_watermark(0, 8).watermark, None);
    }

    #[test]
    fn idle_inputs_are_excluded_until_they_catch_up() {
        let mut g = InputGate::new(2);
        g.on_watermark(0, 100);
        g.on_watermark(1, 5);
        let out = g.on_idle(1, true);
        assert_eq!(out.watermark, Some(100));
        assert_eq!(out.idle, None);
        // Back with an old watermark: it does not hold the output back until it catches up.
        assert_eq!(g.on_watermark(1, 50).watermark, None);
        assert_eq!(g.on_watermark(0, 200).watermark, Some(200));
        assert_eq!(g.on_watermark(1, 150).watermark, None);
        assert_eq!(g.on_watermark(1, 250).watermark, None);
        assert_eq!(g.on_watermark(0, 300).watermark, Some(250));
    }

    #[test]
    fn all_idle_makes_the_stage_idle() {
        let mut g = InputGate::new(2);
        assert_eq!(g.on_idle(0, true).idle, None);
        assert_eq!(g.on_idle(1, true).idle, Some(true));
        assert_eq!(g.on_idle(1, false).idle, Some(false));
    }

    #[test]
    fn barriers_align_across_inputs_and_ended_inputs_count_as_aligned() {
        let mut g = InputGate::new(3);
        assert_eq!(g.on_barrier(0, 1).barrier, None);
        assert!(!g.readable(0));
        assert!(g.readable(1));
        assert_eq!(g.on_barrier(1, 1).barrier, None);
        let out = g.on_end(2);
        assert_eq!(out.barrier, Some(1));
        assert!(g.readable(0) && g.readable(1));
    }

    #[test]
    fn a_newer_barrier_abandons_the_checkpoint_being_aligned() {
        let mut g = InputGate::new(2);
        assert_eq!(g.on_barrier(0, 43), GateOutput::default());
        // Input 1 never had barrier 43 (its source skipped it): 44 abandons 43.
        let out = g.on_barrier(1, 44);
        assert_eq!(out.aborted, Some(43));
        assert_eq!(out.barrier, None);
        assert!(g.readable(0) && !g.readable(1));
        assert_eq!(g.on_barrier(0, 44).barrier, Some(44));
        // A late barrier of an abandoned or completed checkpoint is dropped.
        assert_eq!(g.on_barrier(0, 43), GateOutput::default());
        assert!(g.readable(0));
    }

    #[test]
    fn an_older_barrier_during_alignment_is_dropped() {
        let mut g = InputGate::new(2);
        g.on_barrier(0, 5);
        assert_eq!(g.on_barrier(1, 4), GateOutput::default());
        assert!(g.readable(1));
        assert_eq!(g.on_barrier(1, 5).barrier, Some(5));
    }

    #[test]
    fn end_of_all_inputs_ends_the_gate_with_the_final_watermark() {
        let mut g = InputGate::new(2);
        g.on_watermark(0, MAX_TIMESTAMP);
        let out = g.on_end(0);
        assert!(!out.ended);
        g.on_watermark(1, MAX_TIMESTAMP);
        let out = g.on_end(1);
        assert!(out.ended);
        assert_eq!(g.watermark(), MAX_TIMESTAMP);
    }
}
