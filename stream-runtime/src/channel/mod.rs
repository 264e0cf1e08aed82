//! Channels between stage instances, behind two traits so the runtime never depends on how
//! messages travel: [`OutputChannel`] is what an exchange writer sends on, [`InputChannel`]
//! what a worker polls. [`local`] implements both with bounded single-producer
//! single-consumer rings between threads of one process; [`net`] implements the same two
//! halves over TCP between processes. Whoever waits on either end is woken through
//! [`Notify`], so a channel knows nothing of the workers that run its ends.

pub mod local;
pub mod net;

use std::any::Any;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;

use stream_core::operator::Context;
use stream_core::source::Batch;
use stream_core::stage::Stage;
use stream_core::{ExchangeData, Result, StreamError, Timestamp};

pub use local::{local_channel, LocalReceiver, LocalSender};

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
    /// The sender has finished; nothing follows. It carries the checkpoint the job stops
    /// on, if the stream ends because of a stop on a completed checkpoint (Flink's
    /// `EndOfData` with its stop mode), so every stage downstream knows it when it ends.
    End(Option<u64>),
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
    End(Option<u64>),
}

/// Wakes whoever waits on one end of a channel: the worker that reads it when a message
/// arrives, the worker that writes it when room frees up. Called once per message, not
/// per record.
pub trait Notify: Send + Sync {
    /// There is something to do at this end.
    fn notify(&self);
}

/// Why [`OutputChannel::try_send`] did not send.
#[derive(Debug)]
pub enum TrySendError<T> {
    /// The channel has no room now (backpressure): the message is given back, to be sent
    /// again once the receiver made room (the sender's [`Notify`] says when).
    Full(Message<T>),
    /// The channel is broken for good (a network channel whose connection failed); the
    /// message is lost and the error names the peer and the channel.
    Failed(StreamError),
}

/// The sending half of a channel of `T`, as an exchange writer uses it. Sending never
/// blocks: a full channel gives the message back and the writer keeps it in a backlog
/// (backpressure).
pub trait OutputChannel<T>: Send {
    /// Tries to send; gives the message back if the channel is full, and an error if it
    /// can never send again.
    fn try_send(&mut self, message: Message<T>) -> std::result::Result<(), TrySendError<T>>;

    /// An empty batch to fill, reusing one the receiver has drained if the channel
    /// recycles them.
    fn empty_batch(&mut self, capacity: usize) -> Batch<T>;

    /// True if the channel has no room left.
    fn is_full(&self) -> bool;
}

/// The type-erased receiving half the runtime polls: records go straight from the typed
/// channel into the typed stage; the runtime sees only the control messages.
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

/// Delivers one received message: a batch to `stage` on `port` (its allocation handed to
/// `recycle` once drained), anything else as the runtime's [`Control`].
pub(crate) fn deliver<T: Send + 'static>(
    message: Message<T>,
    stage: &mut dyn Stage,
    port: usize,
    cx: &mut Context<'_>,
    recycle: impl FnOnce(Batch<T>),
) -> Result<Control> {
    Ok(match message {
        Message::Data(mut batch) => {
            let records = batch.len();
            let delivered = stage.on_batch(cx, port, &mut batch as &mut dyn Any);
            batch.clear();
            recycle(batch);
            delivered?;
            Control::Data(records)
        }
        Message::Watermark(w) => Control::Watermark(w),
        Message::Idle(idle) => Control::Idle(idle),
        Message::Barrier(n) => Control::Barrier(n),
        Message::End(stop) => Control::End(stop),
    })
}

/// Makes the typed channels of one edge, so the runtime that wires stage instances never
/// names a record type. For each pair of instances the edge connects, the executor makes
/// either a local channel (both in this process) or, where the placement puts them in
/// two processes, the remote half that runs here: the sender in the sending process, the
/// receiver in the receiving one, registered under the same [`ChannelId`](net::ChannelId).
pub trait ChannelFactory: Send + Sync {
    /// A channel between two instances in this process, of `capacity` messages: the
    /// sending half (a `Box<dyn OutputChannel<T>>`, type-erased for the trip to the stage
    /// factory, which knows `T`) and the receiving half.
    fn local(
        &self,
        capacity: usize,
        sender: Arc<dyn Notify>,
        receiver: Arc<dyn Notify>,
    ) -> (Box<dyn Any + Send>, Box<dyn InputChannel>);

    /// The sending half of `channel` to an instance in the process whose endpoint is at
    /// `peer` (a `Box<dyn OutputChannel<T>>`, type-erased as in [`local`](Self::local));
    /// `sender` is told when it may send again.
    fn remote_sender(
        &self,
        endpoint: &net::NetworkEndpoint,
        peer: SocketAddr,
        channel: net::ChannelId,
        sender: Arc<dyn Notify>,
    ) -> Result<Box<dyn Any + Send>>;

    /// The receiving half of `channel` from an instance in the process whose endpoint is
    /// at `peer`, with room for `capacity` messages; `receiver` is told when a message
    /// arrives.
    fn remote_receiver(
        &self,
        endpoint: &net::NetworkEndpoint,
        peer: SocketAddr,
        channel: net::ChannelId,
        capacity: usize,
        receiver: Arc<dyn Notify>,
    ) -> Result<Box<dyn InputChannel>>;
}

/// The factory of channels carrying `T`.
pub fn factory<T: ExchangeData>() -> Box<dyn ChannelFactory> {
    Box::new(TypedChannels::<T>(PhantomData))
}

struct TypedChannels<T>(PhantomData<fn(T)>);

impl<T: ExchangeData> ChannelFactory for TypedChannels<T> {
    fn local(
        &self,
        capacity: usize,
        sender: Arc<dyn Notify>,
        receiver: Arc<dyn Notify>,
    ) -> (Box<dyn Any + Send>, Box<dyn InputChannel>) {
        let (tx, rx) = local_channel::<T>(capacity, sender, receiver);
        let tx: Box<dyn OutputChannel<T>> = Box::new(tx);
        (Box::new(tx), Box::new(rx))
    }

    fn remote_sender(
        &self,
        endpoint: &net::NetworkEndpoint,
        peer: SocketAddr,
        channel: net::ChannelId,
        sender: Arc<dyn Notify>,
    ) -> Result<Box<dyn Any + Send>> {
        let tx: Box<dyn OutputChannel<T>> = Box::new(endpoint.sender::<T>(peer, channel, sender)?);
        Ok(Box::new(tx))
    }

    fn remote_receiver(
        &self,
        endpoint: &net::NetworkEndpoint,
        peer: SocketAddr,
        channel: net::ChannelId,
        capacity: usize,
        receiver: Arc<dyn Notify>,
    ) -> Result<Box<dyn InputChannel>> {
        let rx = endpoint.receiver::<T>(peer, channel, capacity, receiver)?;
        Ok(Box::new(rx))
    }
}
