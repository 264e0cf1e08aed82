use std::marker::PhantomData;

use super::{Context, Operator, Push};
use crate::error::{OpLabel, Result};
use crate::sink::SinkWriter;
use crate::snapshot::{SnapshotReader, SnapshotWriter};
use crate::time::Timestamp;

/// The end of a chain: hands records of type `T` to a [`SinkWriter`].
pub struct SinkOperator<T, W> {
    writer: W,
    uid: String,
    label: OpLabel,
    _records: PhantomData<fn(T)>,
}

impl<T, W> SinkOperator<T, W> {
    /// Writes records with `writer`; its transactions are checkpointed under `uid`; errors
    /// name `label`.
    pub fn new(writer: W, uid: String, label: OpLabel) -> Self {
        SinkOperator {
            writer,
            uid,
            label,
            _records: PhantomData,
        }
    }
}

impl<T, W: SinkWriter<T>> Operator for SinkOperator<T, W> {
    fn downstream(&mut self, _f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        Ok(())
    }

    fn on_batch_end(&mut self, _cx: &mut Context<'_>) -> Result {
        self.writer.flush().map_err(|e| e.at(&self.label))
    }

    fn on_end(&mut self, cx: &mut Context<'_>) -> Result {
        let ended = match cx.stop_checkpoint() {
            // The commit is delivered here, so it cannot come after the end.
            Some(checkpoint) => self
                .writer
                .commit(checkpoint)
                .and_then(|()| self.writer.abort_after_stop()),
            None => self.writer.finish(),
        };
        ended.map_err(|e| e.at(&self.label))
    }

    fn on_barrier(
        &mut self,
        _cx: &mut Context<'_>,
        checkpoint: u64,
        snapshot: &mut SnapshotWriter,
    ) -> Result {
        let transactions = self
            .writer
            .pre_commit(checkpoint)
            .map_err(|e| e.at(&self.label))?;
        if !transactions.is_empty() {
            snapshot
                .write(&self.uid, &transactions)
                .map_err(|e| e.at(&self.label))?;
        }
        Ok(())
    }

    fn restore_own(&mut self, snapshot: &SnapshotReader) -> Result {
        self.writer.on_job_restored();
        if !snapshot.takes_operator_state() {
            return Ok(());
        }
        if let Some(transactions) = snapshot
            .read::<Vec<u8>>(&self.uid)
            .map_err(|e| e.at(&self.label))?
        {
            self.writer
                .recover(&transactions)
                .map_err(|e| e.at(&self.label))?;
        }
        Ok(())
    }

    fn on_checkpoint_complete(&mut self, _cx: &mut Context<'_>, checkpoint: u64) -> Result {
        self.writer
            .commit(checkpoint)
            .map_err(|e| e.at(&self.label))
    }
}

impl<T, W: SinkWriter<T>> Push<T> for SinkOperator<T, W> {
    #[inline(always)]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        cx.count_out(1);
        self.writer.write(ts, item).map_err(|e| e.at(&self.label))
    }
}

/// Drops every record: the default target of a side output nobody reads.
#[derive(Clone, Copy, Debug, Default)]
pub struct Discard;

impl Operator for Discard {
    fn downstream(&mut self, _f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        Ok(())
    }
}

impl<T> Push<T> for Discard {
    #[inline]
    fn push(&mut self, _cx: &mut Context<'_>, _ts: Timestamp, _item: T) -> Result {
        Ok(())
    }
}

/// An optional downstream: `None` drops records (an unused side output).
impl<O: Operator> Operator for Option<O> {
    fn downstream(&mut self, f: &mut dyn FnMut(&mut dyn Operator) -> Result) -> Result {
        match self {
            Some(next) => f(next),
            None => Ok(()),
        }
    }

    fn is_backlogged(&self) -> bool {
        self.as_ref().is_some_and(|n| n.is_backlogged())
    }
}

impl<T, P: Push<T>> Push<T> for Option<P> {
    #[inline]
    fn push(&mut self, cx: &mut Context<'_>, ts: Timestamp, item: T) -> Result {
        match self {
            Some(next) => next.push(cx, ts, item),
            None => Ok(()),
        }
    }
}
