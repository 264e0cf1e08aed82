//! The receiving half of a network channel.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rtrb::{Consumer, Producer};
use stream_core::operator::Context;
use stream_core::source::Batch;
use stream_core::stage::Stage;
use stream_core::{ErrorKind, ExchangeData, Result, StreamError};

use super::codec;
use super::connection::{Connection, Inbound, ReceiverEnds, ReceiverState};
use super::ChannelId;
use crate::channel::{deliver, Control, InputChannel, Message};

/// The receiving half of a channel from another process (see [`super`]): takes the
/// messages the connection's reader thread queued (at most as many as it granted credit
/// for), decodes batches on the worker that polls it, and grants credit back as it drains
/// them.
pub struct NetReceiver<T> {
    channel: ChannelId,
    connection: Arc<Connection>,
    ring: Consumer<Inbound>,
    /// Byte buffers back to the reader thread.
    recycle: Producer<Vec<u8>>,
    state: Arc<ReceiverState>,
    /// The batch records are decoded into, reused.
    batch: Batch<T>,
    /// Messages taken since credit was last granted back.
    drained: u32,
    /// Credit is granted back in steps of this many messages.
    step: u32,
    /// The end of the stream arrived: a failure of the connection after it is no error.
    ended: bool,
}

impl<T> NetReceiver<T> {
    pub(super) fn new(
        channel: ChannelId,
        connection: Arc<Connection>,
        ends: ReceiverEnds,
        capacity: usize,
    ) -> Self {
        NetReceiver {
            channel,
            connection,
            ring: ends.ring,
            recycle: ends.recycle,
            state: ends.state,
            batch: Vec::new(),
            drained: 0,
            // A quarter of the buffers: the sender rarely waits, and credit costs one
            // small frame per few batches. Never more than the capacity, so credit always
            // comes back before the sender runs dry.
            step: (capacity / 4).clamp(1, u32::MAX as usize) as u32,
            ended: false,
        }
    }

    fn error(&self, kind: ErrorKind, cause: &str) -> StreamError {
        StreamError::new(
            kind,
            format!(
                "network {} from {}: {cause}",
                self.channel,
                self.connection.peer()
            ),
        )
    }

    /// Counts one message taken, granting credit back in steps.
    fn drained_one(&mut self) {
        self.drained += 1;
        if self.drained >= self.step && !self.ended {
            self.connection.grant(self.channel, self.drained);
            self.drained = 0;
        }
    }
}

impl<T: ExchangeData> InputChannel for NetReceiver<T> {
    fn poll(
        &mut self,
        stage: &mut dyn Stage,
        port: usize,
        cx: &mut Context<'_>,
    ) -> Result<Option<Control>> {
        let Ok(inbound) = self.ring.pop() else {
            return match self.connection.failure() {
                Some(cause) if !self.ended => Err(self.error(ErrorKind::Io, cause)),
                _ => Ok(None),
            };
        };
        match inbound {
            Inbound::Control(control) => {
                self.ended |= matches!(control, Control::End(_));
                self.drained_one();
                Ok(Some(control))
            }
            Inbound::Data(bytes) => {
                let mut batch = std::mem::take(&mut self.batch);
                let decoded = codec::decode(&bytes, &mut batch);
                // A full ring only means the reader has enough spare buffers.
                let _ = self.recycle.push(bytes);
                if let Err(cause) = decoded {
                    let cause = format!("cannot decode a batch: {cause}");
                    return Err(self.error(ErrorKind::MalformedRecord, &cause));
                }
                self.drained_one();
                let reuse = &mut self.batch;
                deliver(Message::Data(batch), stage, port, cx, |b| *reuse = b).map(Some)
            }
        }
    }

    fn has_message(&self) -> bool {
        // A failure is something to do: the poll reports it.
        !self.ring.is_empty() || (!self.ended && self.connection.failure().is_some())
    }
}

impl<T> Drop for NetReceiver<T> {
    fn drop(&mut self) {
        self.state.closed.store(true, Ordering::Release);
    }
}

impl<T> fmt::Debug for NetReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetReceiver")
            .field("channel", &self.channel)
            .field("peer", &self.connection.peer())
            .field("queued", &self.ring.slots())
            .finish()
    }
}
