//! Channels between processes, over TCP: the two halves of a channel whose stage instances
//! run in different processes, behind the same traits as local channels
//! ([`NetSender`] is an [`OutputChannel`](super::OutputChannel), [`NetReceiver`] an
//! [`InputChannel`](super::InputChannel)), so stage code does not change.
//!
//! The design follows Flink's network stack:
//!
//! - **One connection per pair of processes** ([`NetworkEndpoint`]), multiplexing every
//!   logical channel between them; a channel is named by a [`ChannelId`] (the run, the
//!   edge, the sending and the receiving instance) that both processes derive from the job
//!   graph.
//! - **Length-prefixed frames** (`frame.rs`): a batch is one frame, its records encoded
//!   with postcard (`codec.rs`); watermarks, idleness, barriers and the end of the stream
//!   are frames of the same channel, so they stay in order with the data.
//! - **Credit-based flow control**: the receiver grants its sender one credit per message
//!   it has room for (the channel capacity, as a local channel holds), and grants more as
//!   its worker drains them; the sender sends only with credit, and otherwise gives the
//!   message back from `try_send`, exactly as a full local channel. Backpressure thus
//!   crosses processes per channel, and a slow channel never blocks the others on the
//!   connection (the receiving process always has room for what arrives).
//! - Two threads per connection (`connection.rs`): a driver that connects and writes, a
//!   reader that routes frames. Encoding and decoding run on the workers. Whoever waits
//!   is woken through [`Notify`](super::Notify): a receiver's worker when a message
//!   arrives, a sender's when credit returns, both when the connection fails.
//!
//! Failures are errors, never panics: a closed or reset connection, a truncated or corrupt
//! frame, a message for a channel nobody registered, or more messages than the credit
//! granted fail the connection, and every channel on it that has not seen the end of its
//! stream reports the cause from `poll` or `try_send` as a [`StreamError`] naming the
//! channel and the peer; a batch that does not decode fails its receiver's `poll`.
//!
//! [`StreamError`]: stream_core::StreamError

mod codec;
mod connection;
mod endpoint;
mod frame;
mod receiver;
mod sender;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

pub use endpoint::NetworkEndpoint;
pub use receiver::NetReceiver;
pub use sender::NetSender;

/// Names one logical channel of a connection: between instance `from` of the stage that
/// sends on edge `edge` and instance `to` of the stage that reads it, in run `run` (the
/// job's run, unique among those the two processes share, so channels of two jobs, or of
/// a job's runs before and after a restart, never mix). Both ends register their half
/// under the same id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId {
    /// The run of the job the channel belongs to.
    pub run: u64,
    /// The edge of the job graph.
    pub edge: u32,
    /// The sending instance.
    pub from: u32,
    /// The receiving instance.
    pub to: u32,
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "channel {}:{}->{} (run {})",
            self.edge, self.from, self.to, self.run
        )
    }
}

/// How a [`NetworkEndpoint`] connects.
#[derive(Clone, Debug)]
pub struct NetworkConfig {
    advertised: Option<SocketAddr>,
    connect_timeout: Duration,
    write_timeout: Duration,
    max_frame: usize,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            advertised: None,
            connect_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            max_frame: 64 << 20,
        }
    }
}

impl NetworkConfig {
    /// The address peers reach the endpoint at, if not the one it binds (a listener on
    /// `0.0.0.0`, a port forwarded). Peers name the endpoint by it.
    pub fn advertised(mut self, address: SocketAddr) -> Self {
        self.advertised = Some(address);
        self
    }

    /// How long connecting to a peer (or waiting for it to connect) and its handshake may
    /// take before the channels registered with it fail (10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a write may block before the connection counts as dead (30 s). A live
    /// peer always reads: it granted room for everything it is sent.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// The largest batch a peer may send, in bytes (64 MiB); a larger one is taken for a
    /// corrupt frame.
    pub fn max_frame(mut self, bytes: usize) -> Self {
        self.max_frame = bytes;
        self
    }
}
