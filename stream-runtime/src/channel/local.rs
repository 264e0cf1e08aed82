//! Channels between threads of one process: a bounded single-producer single-consumer
//! ring (rtrb) of messages, and a second ring that returns drained batches to the sender
//! for reuse, so steady state allocates nothing.

use std::fmt;
use std::sync::Arc;

use rtrb::{Consumer, Producer, RingBuffer};
use stream_core::operator::Context;
use stream_core::source::Batch;
use stream_core::stage::Stage;
use stream_core::Result;

use super::{deliver, Control, InputChannel, Message, Notify, OutputChannel, TrySendError};

/// The sending half of a local channel.
pub struct LocalSender<T> {
    ring: Producer<Message<T>>,
    recycled: Consumer<Batch<T>>,
    /// Whoever reads the channel, told when a message arrives.
    receiver: Arc<dyn Notify>,
}

impl<T: Send> OutputChannel<T> for LocalSender<T> {
    fn try_send(&mut self, message: Message<T>) -> std::result::Result<(), TrySendError<T>> {
        self.ring
            .push(message)
            .map_err(|rtrb::PushError::Full(m)| TrySendError::Full(m))?;
        self.receiver.notify();
        Ok(())
    }

    fn empty_batch(&mut self, capacity: usize) -> Batch<T> {
        self.recycled
            .pop()
            .unwrap_or_else(|_| Vec::with_capacity(capacity))
    }

    fn is_full(&self) -> bool {
        self.ring.is_full()
    }
}

impl<T> fmt::Debug for LocalSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSender")
            .field("free", &self.ring.slots())
            .finish()
    }
}

/// The receiving half of a local channel.
pub struct LocalReceiver<T> {
    ring: Consumer<Message<T>>,
    recycle: Producer<Batch<T>>,
    /// Whoever writes the channel, told when room frees up (it may be waiting for room:
    /// backpressure).
    sender: Arc<dyn Notify>,
}

/// A channel of `capacity` messages; `sender` and `receiver` are told when there is
/// something to do at their end (the same party when both ends run on one worker).
pub fn local_channel<T>(
    capacity: usize,
    sender: Arc<dyn Notify>,
    receiver: Arc<dyn Notify>,
) -> (LocalSender<T>, LocalReceiver<T>) {
    let (ring_tx, ring_rx) = RingBuffer::new(capacity.max(1));
    // Room for every batch that can be in flight plus the one being drained.
    let (recycle_tx, recycle_rx) = RingBuffer::new(capacity.max(1) + 2);
    (
        LocalSender {
            ring: ring_tx,
            recycled: recycle_rx,
            receiver,
        },
        LocalReceiver {
            ring: ring_rx,
            recycle: recycle_tx,
            sender,
        },
    )
}

impl<T: Send + 'static> InputChannel for LocalReceiver<T> {
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
        let recycle = &mut self.recycle;
        deliver(message, stage, port, cx, |batch| {
            // A full recycle ring only means the sender has enough spare batches.
            let _ = recycle.push(batch);
        })
        .map(Some)
    }

    fn has_message(&self) -> bool {
        !self.ring.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stream_core::source::Record;

    struct Nobody;

    impl Notify for Nobody {
        fn notify(&self) {}
    }

    #[test]
    fn full_channel_gives_the_message_back_and_batches_are_recycled() {
        let nobody: Arc<dyn Notify> = Arc::new(Nobody);
        let (mut tx, mut rx) = local_channel::<u32>(1, nobody.clone(), nobody);
        assert!(tx.try_send(Message::Watermark(1)).is_ok());
        assert!(tx.is_full());
        assert!(matches!(
            tx.try_send(Message::End(None)),
            Err(TrySendError::Full(Message::End(None)))
        ));
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
