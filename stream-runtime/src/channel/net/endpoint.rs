//! A process's network endpoint: its listener, its connections (one per peer process),
//! and the registration of channel halves on them.

use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use stream_core::{ErrorKind, ExchangeData, StreamError};

use super::connection::{check_hello, configure, lock, Connection, ReleasedRuns, Role};
use super::frame::{FrameReader, FrameWriter};
use super::{ChannelId, NetReceiver, NetSender, NetworkConfig};
use crate::channel::Notify;

/// How many refused incoming connections an endpoint remembers.
const REFUSALS_KEPT: usize = 16;

/// A process's end of the network exchanges: a TCP listener, and one connection per peer
/// process that every channel between the two shares.
///
/// A peer is named by the address it listens on ([`local_addr`](Self::local_addr)). Of
/// two endpoints, the one with the smaller address dials and the other waits to be
/// dialed, so each pair has exactly one connection whoever registers a channel first;
/// both sides of a channel register their half ([`sender`](Self::sender) here,
/// [`receiver`](Self::receiver) there, under the same [`ChannelId`]), so both ask for the
/// connection. Registering never blocks: frames wait until the connection is up, and a
/// peer that is not reachable within [`NetworkConfig::connect_timeout`] fails the
/// channels registered with it.
///
/// ```
/// use std::sync::Arc;
/// use strom::runtime::channel::net::{ChannelId, NetworkEndpoint};
/// use strom::runtime::channel::{Message, Notify, OutputChannel};
///
/// struct Nobody;
/// impl Notify for Nobody {
///     fn notify(&self) {}
/// }
///
/// let a = NetworkEndpoint::bind("127.0.0.1:0")?;
/// let b = NetworkEndpoint::bind("127.0.0.1:0")?;
/// let channel = ChannelId { run: 1, edge: 0, from: 0, to: 0 };
/// let mut tx = a.sender::<u64>(b.local_addr(), channel, Arc::new(Nobody))?;
/// let rx = b.receiver::<u64>(a.local_addr(), channel, 8, Arc::new(Nobody))?;
/// // Once the receiver's credit arrived, the sender may send 8 messages.
/// while tx.credits() == 0 {
///     std::thread::yield_now();
/// }
/// assert!(tx.try_send(Message::Watermark(5)).is_ok());
/// # drop(rx);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct NetworkEndpoint {
    inner: Arc<Inner>,
    acceptor: Mutex<Option<JoinHandle<()>>>,
}

struct Inner {
    /// The address peers know this endpoint by.
    address: SocketAddr,
    /// Where the listener can be reached from this process (to wake it).
    listening: SocketAddr,
    config: NetworkConfig,
    peers: Mutex<HashMap<SocketAddr, Arc<Connection>>>,
    refused: Mutex<Vec<String>>,
    shut_down: AtomicBool,
    released: ReleasedRuns,
}

impl NetworkEndpoint {
    /// Listens on `address` with the default configuration (port 0: any free port).
    pub fn bind(address: impl ToSocketAddrs) -> std::io::Result<Self> {
        Self::bind_with(address, NetworkConfig::default())
    }

    /// Listens on `address`, configured by `config`.
    pub fn bind_with(address: impl ToSocketAddrs, config: NetworkConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address)?;
        let bound = listener.local_addr()?;
        let listening = match bound.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), bound.port())
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), bound.port())
            }
            _ => bound,
        };
        let inner = Arc::new(Inner {
            address: config.advertised.unwrap_or(bound),
            listening,
            config,
            peers: Mutex::new(HashMap::new()),
            refused: Mutex::new(Vec::new()),
            shut_down: AtomicBool::new(false),
            released: ReleasedRuns::default(),
        });
        let accepting = Arc::clone(&inner);
        let acceptor = std::thread::Builder::new()
            .name(format!("strom-net-accept-{bound}"))
            .spawn(move || accepting.accept(listener))?;
        Ok(NetworkEndpoint {
            inner,
            acceptor: Mutex::new(Some(acceptor)),
        })
    }

    /// The address peers reach this endpoint at (and know it by).
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.address
    }

    /// The sending half of `channel`, to the endpoint at `peer`; `notify` is told when
    /// credit arrives (room to send) or the connection fails.
    pub fn sender<T: ExchangeData>(
        &self,
        peer: SocketAddr,
        channel: ChannelId,
        notify: Arc<dyn Notify>,
    ) -> Result<NetSender<T>, StreamError> {
        let connection = self.inner.connection(peer)?;
        let state = connection
            .register_sender(channel, notify)
            .map_err(|cause| channel_error(channel, "to", peer, &cause))?;
        Ok(NetSender::new(channel, connection, state))
    }

    /// The receiving half of `channel`, from the endpoint at `peer`, with room for
    /// `capacity` messages (the credit its sender gets); `notify` is told when a message
    /// arrives or the connection fails.
    pub fn receiver<T: ExchangeData>(
        &self,
        peer: SocketAddr,
        channel: ChannelId,
        capacity: usize,
        notify: Arc<dyn Notify>,
    ) -> Result<NetReceiver<T>, StreamError> {
        let connection = self.inner.connection(peer)?;
        let ends = connection
            .register_receiver(channel, capacity, notify)
            .map_err(|cause| channel_error(channel, "from", peer, &cause))?;
        Ok(NetReceiver::new(channel, connection, ends, capacity))
    }

    /// Connects to the endpoint at `peer` now, rather than when the first channel with it
    /// is registered, and waits until the connection is up or failed. Of two endpoints
    /// the one with the smaller address dials and the other waits to be dialed, so both
    /// must ask for the connection (here or by registering a channel) for it to come up;
    /// the one that waits fails after [`NetworkConfig::connect_timeout`].
    pub fn connect(&self, peer: SocketAddr) -> Result<(), StreamError> {
        let connection = self.inner.connection(peer)?;
        // The driver gives up after the connect timeout; waiting twice that long only
        // guards against a driver that never reports.
        connection
            .wait_connected(self.inner.config.connect_timeout * 2)
            .map_err(|cause| connection_error(peer, &cause))
    }

    /// How many channel halves (senders and receivers) are registered, over every
    /// connection: what [`release_run`](Self::release_run) frees.
    pub fn channel_count(&self) -> usize {
        let peers: Vec<_> = lock(&self.inner.peers).values().cloned().collect();
        peers.iter().map(|c| c.channel_count()).sum()
    }

    /// Forgets the channels of `run` on every connection, once its parts in this process
    /// have ended: their buffers are freed, and frames of theirs that peers still send
    /// are discarded (a run id is never reused).
    pub fn release_run(&self, run: u64) {
        if !lock(&self.inner.released).insert(run) {
            return;
        }
        let peers: Vec<_> = lock(&self.inner.peers).values().cloned().collect();
        for connection in peers {
            connection.release_run(run);
        }
    }

    /// True if the connection to `peer` is up.
    pub fn is_connected(&self, peer: SocketAddr) -> bool {
        lock(&self.inner.peers)
            .get(&peer)
            .is_some_and(|c| c.is_connected())
    }

    /// Why recent incoming connections were refused (the last few): not a Strom peer,
    /// another protocol version, a bad handshake.
    pub fn refused_connections(&self) -> Vec<String> {
        lock(&self.inner.refused).clone()
    }

    /// Stops accepting, writes what the channels queued, and closes every connection:
    /// channels that have not seen the end of their stream fail. Also done on drop.
    pub fn shutdown(&self) {
        if self.inner.shut_down.swap(true, Ordering::AcqRel) {
            return;
        }
        // Wake the acceptor, which then sees the flag (if it cannot be woken, it is left
        // to end with the process).
        let woken =
            TcpStream::connect_timeout(&self.inner.listening, self.inner.config.connect_timeout);
        if let Some(acceptor) = lock(&self.acceptor).take() {
            if woken.is_ok() {
                let _ = acceptor.join();
            }
        }
        // No connection is added after this: they are added under the lock, if the flag
        // is not set.
        let peers: Vec<_> = lock(&self.inner.peers).drain().map(|(_, c)| c).collect();
        for connection in peers {
            connection.close();
        }
    }
}

impl Drop for NetworkEndpoint {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for NetworkEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkEndpoint")
            .field("address", &self.inner.address)
            .field("peers", &lock(&self.inner.peers).keys().collect::<Vec<_>>())
            .finish()
    }
}

/// An error about the connection to `peer`.
fn connection_error(peer: SocketAddr, cause: &str) -> StreamError {
    StreamError::new(
        ErrorKind::Io,
        format!("network connection to {peer}: {cause}"),
    )
}

/// An error about one channel: what it is, which way, which peer, why.
fn channel_error(channel: ChannelId, way: &str, peer: SocketAddr, cause: &str) -> StreamError {
    StreamError::new(
        ErrorKind::Io,
        format!("network {channel} {way} {peer}: {cause}"),
    )
}

impl Inner {
    /// The connection to `peer`, started if there is none (or only a failed one).
    fn connection(&self, peer: SocketAddr) -> Result<Arc<Connection>, StreamError> {
        let error = |cause: String| connection_error(peer, &cause);
        if peer == self.address {
            return Err(StreamError::new(
                ErrorKind::Config,
                format!("a network channel from {peer} to itself: use a local channel"),
            ));
        }
        let mut peers = lock(&self.peers);
        if self.shut_down.load(Ordering::Acquire) {
            return Err(error("the endpoint was shut down".into()));
        }
        if let Some(connection) = peers.get(&peer).filter(|c| c.failure().is_none()) {
            return Ok(Arc::clone(connection));
        }
        let role = if self.address < peer {
            Role::Dial {
                local: self.address,
            }
        } else {
            Role::Await
        };
        let connection =
            Connection::start(peer, self.config.clone(), role, Arc::clone(&self.released))
                .map_err(|e| error(format!("cannot start its thread: {e}")))?;
        peers.insert(peer, Arc::clone(&connection));
        Ok(connection)
    }

    /// The acceptor thread: greets every peer that dials in, on a thread of its own so a
    /// slow or silent one holds up nobody.
    fn accept(self: Arc<Self>, listener: TcpListener) {
        for socket in listener.incoming() {
            if self.shut_down.load(Ordering::Acquire) {
                return;
            }
            let Ok(socket) = socket else { continue };
            let this = Arc::clone(&self);
            let greeting = std::thread::Builder::new()
                .name("strom-net-hello".into())
                .spawn(move || this.welcome(socket));
            if let Err(e) = greeting {
                self.refuse(format!("cannot start a thread for a new connection: {e}"));
            }
        }
    }

    /// The accepting side of the handshake: reads the peer's hello, answers with its
    /// own, and gives the socket to the peer's connection.
    fn welcome(&self, mut socket: TcpStream) {
        let from = socket
            .peer_addr()
            .map_or_else(|_| "an unknown address".to_string(), |a| a.to_string());
        let config = &self.config;
        let greeted = configure(&socket, config)
            .and_then(|()| socket.set_read_timeout(Some(config.connect_timeout)))
            .map_err(|e| e.to_string())
            .and_then(|()| check_hello(FrameReader::new(&socket, 1024).next()))
            .and_then(|peer| {
                let mut hello = Vec::new();
                FrameWriter::hello(&mut hello, &self.address.to_string());
                socket
                    .write_all(&hello)
                    .and_then(|()| socket.set_read_timeout(None))
                    .map(|()| peer)
                    .map_err(|e| e.to_string())
            });
        let peer = match greeted {
            Ok(peer) => peer,
            Err(cause) => return self.refuse(format!("a connection from {from}: {cause}")),
        };
        let mut peers = lock(&self.peers);
        if self.shut_down.load(Ordering::Acquire) {
            return;
        }
        match peers.get(&peer).filter(|c| c.failure().is_none()) {
            Some(connection) => {
                if !connection.attach(socket) {
                    drop(peers);
                    self.refuse(format!(
                        "a second connection from {peer} (at {from}): it has one"
                    ));
                }
            }
            None => match Connection::start(
                peer,
                self.config.clone(),
                Role::Accepted(socket),
                Arc::clone(&self.released),
            ) {
                Ok(connection) => {
                    peers.insert(peer, connection);
                }
                Err(e) => {
                    drop(peers);
                    self.refuse(format!(
                        "a connection from {peer}: cannot start its thread: {e}"
                    ));
                }
            },
        }
    }

    fn refuse(&self, why: String) {
        let mut refused = lock(&self.refused);
        if refused.len() == REFUSALS_KEPT {
            refused.remove(0);
        }
        refused.push(why);
    }
}
