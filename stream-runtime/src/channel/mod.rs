//! Channels between stage instances: bounded single-producer single-consumer rings that
//! carry batches of records and control messages, with the batches' allocations returned
//! to the producer for reuse.
//!
//! The receiving side is type-erased ([`InputChannel`]) so the runtime can schedule and
//! align inputs without knowing record types; the data itself goes straight from the typed
//! ring into the typed stage. A network connection can implement the same two halves.

use std::any::Any;
use std::fmt;

use std::sync::Arc;

use rtrb::{Consumer, Producer, RingBuffer};
use stream_core::operator::Context;
use stream_core::source::Batch;
use stream_core::stage::Stage;
use stream_core::{Result, Timestamp};

use crate::executor::WorkerSignal;

/// What travels between two stage instances.
#[derive(Debug)]
pub enum Message<T> {
    /// A batch of records.
    Data(Batch<T>),
    /// The sender's watermark advanced.
    Watermark(Timestamp),
    /// The sender became idle (`true`) or active again.
    Idle(bool),
    /// Checkpoint barrier `n`: everything before it belongs to checkpoint `n`.
    Barrier(u64),
    /// The sender has finished; nothing follows.
    End,
}

/// A control message as seen by the runtime (the data went to the stage).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// A batch of this many records was delivered to the stage.
    Data(usize),
    /// See [`Message::Watermark`].
    Watermark(Timestamp),
    /// See [`Message::Idle`].
    Idle(bool),
    /// See [`Message::Barrier`].
    Barrier(u64),
    /// See [`Message::End`].
    End,
}

/// The sending half of a channel.
pub struct Sender<T> {
    ring: Producer<Message<T>>,
    recycled: Consumer<Batch<T>>,
    /// The worker that reads the channel, woken when a message arrives.
    receiver: Arc<WorkerSignal>,
}

impl<T> Sender<T> {
    /// Tries to send; gives the message back if the channel is full.
    pub fn try_send(&mut self, message: Message<T>) -> std::result::Result<(), Message<T>> {
        self.ring
            .push(message)
            .map_err(|rtrb::PushError::Full(m)| m)?;
        self.receiver.notify();
        Ok(())
    }

    /// An empty batch, reusing one the receiver has drained if there is one.
    pub fn empty_batch(&mut self, capacity: usize) -> Batch<T> {
        self.recycled
            .pop()
            .unwrap_or_else(|_| Vec::with_capacity(capacity))
    }

    /// True if the channel has no room left.
    pub fn is_full(&self) -> bool {
        self.ring.is_full()
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("free", &self.ring.slots())
            .finish()
    }
}

/// The receiving half of a channel.
pub struct Receiver<T> {
    ring: Consumer<Message<T>>,
    recycle: Producer<Batch<T>>,
    /// The worker that writes the channel, woken when room frees up (it may be waiting
    /// for room: backpressure).
    sender: Arc<WorkerSignal>,
}

/// A channel of `capacity` messages between the workers behind `sender` and `receiver`
/// (the same one when both ends run on one worker).
pub fn channel<T>(
    capacity: usize,
    sender: Arc<WorkerSignal>,
    receiver: Arc<WorkerSignal>,
) -> (Sender<T>, Receiver<T>) {
    let (ring_tx, ring_rx) = RingBuffer::new(capacity.max(1));
    // Room for every batch that can be in flight plus the one being drained.
    let (recycle_tx, recycle_rx) = RingBuffer::new(capacity.max(1) + 2);
    (
        Sender {
            ring: ring_tx,
            recycled: recycle_rx,
            receiver,
        },
        Receiver {
            ring: ring_rx,
            recycle: recycle_tx,
            sender,
        },
    )
}

/// The type-erased receiving side the runtime polls.
pub trait InputChannel: Send {
    /// Takes the next message: a batch is handed to `stage` on `port`, a control message
    /// is returned. `None` if the channel is empty.
    fn poll(
        &mut self,
        stage: &mut dyn Stage,
        port: usize,
        cx: &mut Context<'_>,
    ) -> Result<Option<Control>>;

    /// True if a message is waiting.
    fn has_message(&self) -> bool;
}

impl<T: Send + 'static> InputChannel for Receiver<T> {
    fn poll(
        &mut self,
        stage: &mut dyn Stage,
        port: usize,
        cx: &mut Context<'_>,
    ) -> Result<Option<Control>> {
        let Ok(message) = self.ring.pop() else {
            return Ok(None);
        };
        self.sender.notify();
        Ok(Some(match message {
            Message::Data(mut batch) => {
                let records = batch.len();
                let delivered = stage.on_batch(cx, port, &mut batch as &mut dyn Any);
                batch.clear();
                // A full recycle ring only means the sender has enough spare batches.
                let _ = self.recycle.push(batch);
                delivered?;
                Control::Data(records)
            }
            Message::Watermark(w) => Control::Watermark(w),
            Message::Idle(idle) => Control::Idle(idle),
            Message::Barrier(n) => Control::Barrier(n),
            Message::End => Control::End,
        }))
    }

    fn has_message(&self) -> bool {
        !self.ring.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stream_core::source::Record;

    #[test]
    fn full_channel_gives_the_message_back_and_batches_are_recycled() {
        let signal = WorkerSignal::new();
        let (mut tx, mut rx) = channel::<u32>(1, signal.clone(), signal);
        assert!(tx.try_send(Message::Watermark(1)).is_ok());
        assert!(matches!(tx.try_send(Message::End), Err(Message::End)));
        assert!(matches!(rx.ring.pop(), Ok(Message::Watermark(1))));
        let mut batch = tx.empty_batch(8);
        batch.push(Record { ts: 1, value: 7 });
        let ptr = batch.as_ptr();
        tx.try_send(Message::Data(batch)).unwrap();
        let Ok(Message::Data(mut got)) = rx.ring.pop() else {
            panic!("expected data")
        };
        got.clear();
        rx.recycle.push(got).unwrap();
        let reused = tx.empty_batch(8);
        assert_eq!(reused.as_ptr(), ptr);
    }
}
