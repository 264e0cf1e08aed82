//! The sending half of a network channel.

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use stream_core::source::Batch;
use stream_core::{ErrorKind, ExchangeData, StreamError};

use super::codec;
use super::connection::{Connection, SenderState};
use super::frame::{FrameWriter, Kind};
use super::ChannelId;
use crate::channel::{Control, Message, OutputChannel, TrySendError};

/// Drained batches kept for reuse.
const SPARE_BATCHES: usize = 2;

/// The sending half of a channel to another process (see [`super`]): sends a message only
/// with credit from the receiver, so a full receiver gives the message back as a full
/// local channel does.
pub struct NetSender<T> {
    channel: ChannelId,
    connection: Arc<Connection>,
    state: Arc<SenderState>,
    /// The frame being encoded (a buffer the connection wrote before, when it had one).
    frame: Vec<u8>,
    /// Batches already encoded, cleared for reuse.
    spare: Vec<Batch<T>>,
    _records: PhantomData<fn(T)>,
}

impl<T> NetSender<T> {
    pub(super) fn new(
        channel: ChannelId,
        connection: Arc<Connection>,
        state: Arc<SenderState>,
    ) -> Self {
        NetSender {
            channel,
            connection,
            state,
            frame: Vec::new(),
            spare: Vec::new(),
            _records: PhantomData,
        }
    }

    fn error(&self, cause: &str) -> StreamError {
        StreamError::new(
            ErrorKind::Io,
            format!(
                "network {} to {}: {cause}",
                self.channel,
                self.connection.peer()
            ),
        )
    }

    /// Credits left: messages the receiver has room for.
    pub fn credits(&self) -> u32 {
        self.state.credits.load(Ordering::Acquire)
    }
}

impl<T: ExchangeData> OutputChannel<T> for NetSender<T> {
    fn try_send(&mut self, message: Message<T>) -> Result<(), TrySendError<T>> {
        if let Some(cause) = self.connection.failure() {
            return Err(TrySendError::Failed(self.error(cause)));
        }
        if self.state.credits.load(Ordering::Acquire) == 0 {
            return Err(TrySendError::Full(message));
        }
        self.frame.clear();
        let control = match message {
            Message::Data(mut batch) => {
                let at = FrameWriter::start(&mut self.frame, Kind::Data, Some(self.channel));
                let encoded = codec::encode(&batch, &mut self.frame)
                    .map_err(|e| format!("cannot encode a batch: {e}"))
                    .and_then(|()| FrameWriter::finish(&mut self.frame, at));
                if let Err(cause) = encoded {
                    return Err(TrySendError::Failed(self.error(&cause)));
                }
                if self.spare.len() < SPARE_BATCHES {
                    batch.clear();
                    self.spare.push(batch);
                }
                None
            }
            Message::Watermark(w) => Some(Control::Watermark(w)),
            Message::Idle(idle) => Some(Control::Idle(idle)),
            Message::Barrier(n) => Some(Control::Barrier(n)),
            Message::End(stop) => Some(Control::End(stop)),
        };
        if let Some(control) = control {
            FrameWriter::control(&mut self.frame, self.channel, control);
        }
        // Only this sender takes credits; the reader thread adds them.
        self.state.credits.fetch_sub(1, Ordering::AcqRel);
        self.connection.queue(&mut self.frame);
        Ok(())
    }

    fn empty_batch(&mut self, capacity: usize) -> Batch<T> {
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(capacity))
    }

    fn is_full(&self) -> bool {
        self.credits() == 0
    }
}

impl<T> Drop for NetSender<T> {
    fn drop(&mut self) {
        self.state.closed.store(true, Ordering::Release);
    }
}

impl<T> fmt::Debug for NetSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetSender")
            .field("channel", &self.channel)
            .field("peer", &self.connection.peer())
            .field("credits", &self.credits())
            .finish()
    }
}
