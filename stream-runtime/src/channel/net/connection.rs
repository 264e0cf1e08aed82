//! One TCP connection to a peer process, shared by every logical channel between the two
//! (Flink multiplexes its channels the same way). Two threads serve it:
//!
//! - the *driver* gets the socket (dials the peer, or waits for the peer to dial, as the
//!   endpoint decided), then writes what the channels queued, in order, until the
//!   connection closes or fails;
//! - the *reader* reads frames and routes them: a channel's messages into its receiver's
//!   ring (bounded by the credit the receiver granted), credits to its sender.
//!
//! Channels never touch the socket: a sender encodes on its own worker thread and appends
//! the frame to the connection's outgoing bytes (one lock per message); a receiver decodes
//! on its worker. Any failure (the socket closed or reset, a corrupt frame, a frame for a
//! channel nobody registered, more messages than the credit granted) fails the whole
//! connection: every channel on it reports the cause, and both ends' workers are woken to
//! see it.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rtrb::{Consumer, Producer, RingBuffer};

use super::frame::{Frame, FrameError, FrameReader, FrameWriter, VERSION};
use super::{ChannelId, NetworkConfig};
use crate::channel::{Control, Notify};

/// What a receiver's ring carries: a batch still encoded (decoded by the receiver, on its
/// worker) or a control message.
pub(super) enum Inbound {
    Data(Vec<u8>),
    Control(Control),
}

/// How a connection gets its socket.
pub(super) enum Role {
    /// This endpoint dials the peer.
    Dial { local: SocketAddr },
    /// The peer dials; the endpoint hands over the socket once it greeted.
    Await,
    /// The peer has dialed and greeted already.
    Accepted(TcpStream),
}

/// The sending side of a channel, as the reader thread sees it.
#[derive(Default)]
pub(super) struct SenderState {
    /// Messages the receiver has room for.
    pub credits: AtomicU32,
    notify: OnceLock<Arc<dyn Notify>>,
    /// A sender registered (a second one is refused).
    registered: AtomicBool,
    /// The sender was dropped: credits are ignored.
    pub closed: AtomicBool,
}

/// The receiving side of a channel, as the reader thread sees it.
pub(super) struct ReceiverState {
    notify: Arc<dyn Notify>,
    /// The receiver was dropped: its messages are discarded.
    pub closed: AtomicBool,
}

/// Where the reader thread puts a channel's messages.
struct Route {
    ring: Producer<Inbound>,
    /// Byte buffers of decoded batches, back from the receiver.
    recycled: Consumer<Vec<u8>>,
    state: Arc<ReceiverState>,
}

/// The receiver's ends of its route.
pub(super) struct ReceiverEnds {
    pub ring: Consumer<Inbound>,
    pub recycle: Producer<Vec<u8>>,
    pub state: Arc<ReceiverState>,
}

/// What the driver waits on.
#[derive(Default)]
struct Outgoing {
    /// Frames queued by the channels, in order, not yet written.
    bytes: Vec<u8>,
    /// The socket the peer dialed in with, for a connection that awaits it.
    accepted: Option<TcpStream>,
    /// The socket in use, to shut it down.
    socket: Option<TcpStream>,
    /// Write what is queued, then close.
    closing: bool,
}

#[derive(Default)]
struct Channels {
    senders: HashMap<ChannelId, Arc<SenderState>>,
    receivers: HashMap<ChannelId, Arc<ReceiverState>>,
    /// Routes of receivers registered since the reader last looked.
    new_routes: HashMap<ChannelId, Route>,
}

/// The runs whose channels an endpoint released, shared by all its connections (also
/// those made later): frames of theirs that still arrive (a peer's part that ended
/// later) are discarded, not a protocol error, and none of their channels registers
/// again.
pub(super) type ReleasedRuns = Arc<Mutex<HashSet<u64>>>;

/// A connection to one peer (see the module documentation).
pub(super) struct Connection {
    peer: SocketAddr,
    config: NetworkConfig,
    outgoing: Mutex<Outgoing>,
    /// Wakes the driver (bytes queued, a socket handed over, closing) and whoever waits
    /// for the connection to come up (up, failed).
    wake_driver: Condvar,
    channels: Mutex<Channels>,
    released: ReleasedRuns,
    /// Counts releases, so the reader drops its cached routes of released runs.
    releases: AtomicU64,
    failure: OnceLock<String>,
    driver: Mutex<Option<JoinHandle<()>>>,
}

/// Locks `mutex`, also after a panic elsewhere (every change under these locks leaves the
/// data consistent).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Connection {
    /// A connection to `peer`, whose driver thread starts now and gets the socket as
    /// `role` says.
    pub fn start(
        peer: SocketAddr,
        config: NetworkConfig,
        role: Role,
        released: ReleasedRuns,
    ) -> std::io::Result<Arc<Self>> {
        let connection = Arc::new(Connection {
            peer,
            config,
            outgoing: Mutex::new(Outgoing::default()),
            wake_driver: Condvar::new(),
            channels: Mutex::new(Channels::default()),
            released,
            releases: AtomicU64::new(0),
            failure: OnceLock::new(),
            driver: Mutex::new(None),
        });
        let driver = Arc::clone(&connection);
        let handle = std::thread::Builder::new()
            .name(format!("strom-net-{peer}"))
            .spawn(move || driver.drive(role))?;
        *lock(&connection.driver) = Some(handle);
        Ok(connection)
    }

    /// The peer's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Why the connection failed, if it did.
    #[inline]
    pub fn failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }

    /// True while the connection has its socket and works.
    pub fn is_connected(&self) -> bool {
        self.failure().is_none() && lock(&self.outgoing).socket.is_some()
    }

    /// Waits until the connection is up (or failed, or `timeout` passed).
    pub fn wait_connected(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut out = lock(&self.outgoing);
        loop {
            // `fail` sets the cause before it locks and wakes, so it is seen here.
            if let Some(failure) = self.failure() {
                return Err(failure.to_owned());
            }
            if out.socket.is_some() {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("not connected within {timeout:?}"));
            }
            out = self
                .wake_driver
                .wait_timeout(out, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Hands the socket of a peer that dialed in to a connection awaiting it; false if the
    /// connection has one already or failed.
    pub fn attach(&self, socket: TcpStream) -> bool {
        let mut out = lock(&self.outgoing);
        if self.failure().is_some() || out.socket.is_some() || out.accepted.is_some() {
            return false;
        }
        out.accepted = Some(socket);
        self.wake_driver.notify_all();
        true
    }

    /// Queues the bytes of one or more whole frames, to be written after those queued
    /// before. `frames` is left empty (it may get another buffer, to reuse): if nothing
    /// waits, the buffer itself is queued instead of a copy.
    pub fn queue(&self, frames: &mut Vec<u8>) {
        let mut out = lock(&self.outgoing);
        if out.closing {
            frames.clear();
            return;
        }
        if out.bytes.is_empty() {
            std::mem::swap(&mut out.bytes, frames);
            self.wake_driver.notify_all();
        } else {
            out.bytes.extend_from_slice(frames);
        }
        frames.clear();
    }

    /// Grants `credits` more messages to the sender of `channel`.
    pub fn grant(&self, channel: ChannelId, credits: u32) {
        let mut frame = Vec::with_capacity(32);
        FrameWriter::credit(&mut frame, channel, credits);
        self.queue(&mut frame);
    }

    /// Registers the sender of `channel`, woken through `notify` when credit arrives or
    /// the connection fails.
    pub fn register_sender(
        &self,
        channel: ChannelId,
        notify: Arc<dyn Notify>,
    ) -> Result<Arc<SenderState>, String> {
        let mut channels = lock(&self.channels);
        if let Some(failure) = self.failure() {
            return Err(failure.to_owned());
        }
        if self.is_released(channel.run) {
            return Err(format!("run {} has ended here", channel.run));
        }
        let state = Arc::clone(channels.senders.entry(channel).or_default());
        if state.registered.swap(true, Ordering::AcqRel) {
            return Err("a sender of this channel is registered already".into());
        }
        let _ = state.notify.set(notify);
        Ok(state)
    }

    /// Registers the receiver of `channel` with room for `capacity` messages, woken
    /// through `notify` when a message arrives or the connection fails, and grants the
    /// sender that many credits.
    pub fn register_receiver(
        &self,
        channel: ChannelId,
        capacity: usize,
        notify: Arc<dyn Notify>,
    ) -> Result<ReceiverEnds, String> {
        let capacity = capacity.clamp(1, u32::MAX as usize);
        let mut channels = lock(&self.channels);
        if let Some(failure) = self.failure() {
            return Err(failure.to_owned());
        }
        if channels.receivers.contains_key(&channel) {
            return Err("a receiver of this channel is registered already".into());
        }
        if self.is_released(channel.run) {
            return Err(format!("run {} has ended here", channel.run));
        }
        let (ring_tx, ring_rx) = RingBuffer::new(capacity);
        let (recycle_tx, recycle_rx) = RingBuffer::new(capacity + 2);
        let state = Arc::new(ReceiverState {
            notify,
            closed: AtomicBool::new(false),
        });
        channels.receivers.insert(channel, Arc::clone(&state));
        channels.new_routes.insert(
            channel,
            Route {
                ring: ring_tx,
                recycled: recycle_rx,
                state: Arc::clone(&state),
            },
        );
        drop(channels);
        // Only now may the sender send: the reader finds the route when data arrives.
        self.grant(channel, capacity as u32);
        Ok(ReceiverEnds {
            ring: ring_rx,
            recycle: recycle_tx,
            state,
        })
    }

    /// How many channel halves are registered on this connection.
    pub fn channel_count(&self) -> usize {
        let channels = lock(&self.channels);
        channels.senders.len() + channels.receivers.len()
    }

    fn is_released(&self, run: u64) -> bool {
        lock(&self.released).contains(&run)
    }

    /// Forgets the channels of `run`, which has ended in this process (and is in the
    /// endpoint's released runs): their states go now, and the reader drops its route
    /// (the receiving buffers) before the next frame it routes.
    pub fn release_run(&self, run: u64) {
        let mut channels = lock(&self.channels);
        channels.senders.retain(|c, _| c.run != run);
        channels.receivers.retain(|c, _| c.run != run);
        channels.new_routes.retain(|c, _| c.run != run);
        self.releases.fetch_add(1, Ordering::Release);
    }

    /// Fails the connection with `cause` (the first cause sticks): the socket is shut
    /// down, and every channel on it is woken to report the failure.
    pub fn fail(&self, cause: impl Into<String>) {
        if self.failure.set(cause.into()).is_err() {
            return;
        }
        {
            let mut out = lock(&self.outgoing);
            out.closing = true;
            out.bytes = Vec::new();
            if let Some(socket) = &out.socket {
                let _ = socket.shutdown(Shutdown::Both);
            }
            self.wake_driver.notify_all();
        }
        let channels = lock(&self.channels);
        for sender in channels.senders.values() {
            if let Some(notify) = sender.notify.get() {
                notify.notify();
            }
        }
        for receiver in channels.receivers.values() {
            receiver.notify.notify();
        }
    }

    /// Writes what is queued, then closes the connection and waits for its driver.
    pub fn close(&self) {
        {
            let mut out = lock(&self.outgoing);
            out.closing = true;
            self.wake_driver.notify_all();
        }
        let driver = lock(&self.driver).take();
        if let Some(driver) = driver {
            if driver.thread().id() != std::thread::current().id() {
                let _ = driver.join();
            }
        }
    }

    /// The driver thread: gets the socket, starts the reader, writes until closed.
    fn drive(self: Arc<Self>, role: Role) {
        let socket = match role {
            Role::Dial { local } => self.dial(local),
            Role::Await => self.await_peer(),
            Role::Accepted(socket) => Ok(socket),
        };
        let socket = match socket {
            Ok(socket) => socket,
            Err(cause) => return self.fail(cause),
        };
        let reader = match socket.try_clone() {
            Ok(reader) => reader,
            Err(e) => return self.fail(format!("cannot share the socket: {e}")),
        };
        {
            let mut out = lock(&self.outgoing);
            if out.closing {
                drop(out);
                return self.fail("the endpoint was shut down");
            }
            out.socket = socket.try_clone().ok();
            // Whoever waits for the connection to be up.
            self.wake_driver.notify_all();
        }
        let this = Arc::clone(&self);
        let spawned = std::thread::Builder::new()
            .name(format!("strom-net-read-{}", self.peer))
            .spawn(move || this.read(reader));
        if let Err(e) = spawned {
            return self.fail(format!("cannot start the reader thread: {e}"));
        }
        let cause = match self.write(&socket) {
            Ok(()) => "the endpoint was shut down".to_string(),
            Err(e) => format!("writing to the connection failed: {e}"),
        };
        self.fail(cause);
    }

    /// Writes queued frames until the connection closes (after writing everything queued)
    /// or fails.
    fn write(&self, mut socket: &TcpStream) -> std::io::Result<()> {
        let mut writing = Vec::new();
        loop {
            {
                let mut out = lock(&self.outgoing);
                while out.bytes.is_empty() && !out.closing {
                    out = self
                        .wake_driver
                        .wait(out)
                        .unwrap_or_else(|e| e.into_inner());
                }
                if out.bytes.is_empty() {
                    // Closing, and everything is written: the caller fails the connection
                    // with the reason, then shuts the socket down (in this order, so the
                    // reader's end of file does not count as the peer's).
                    return Ok(());
                }
                std::mem::swap(&mut out.bytes, &mut writing);
            }
            socket.write_all(&writing)?;
            writing.clear();
        }
    }

    /// Dials the peer until it answers or the connect timeout passes, then greets it.
    fn dial(&self, local: SocketAddr) -> Result<TcpStream, String> {
        let deadline = Instant::now() + self.config.connect_timeout;
        let mut last_error = String::from("timed out");
        loop {
            if lock(&self.outgoing).closing {
                return Err("the endpoint was shut down".into());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "cannot connect within {:?}: {last_error}",
                    self.config.connect_timeout
                ));
            }
            // In steps of a second at most, so a shutdown does not wait for a long one.
            match TcpStream::connect_timeout(&self.peer, left.min(Duration::from_secs(1))) {
                Ok(socket) => return self.greet(socket, local),
                Err(e) => {
                    last_error = e.to_string();
                    std::thread::sleep(Duration::from_millis(20).min(left));
                }
            }
        }
    }

    /// The dialing side of the handshake: says who it is, checks who answers.
    fn greet(&self, mut socket: TcpStream, local: SocketAddr) -> Result<TcpStream, String> {
        let fail = |e: String| format!("handshake failed: {e}");
        configure(&socket, &self.config).map_err(|e| fail(e.to_string()))?;
        let mut hello = Vec::new();
        FrameWriter::hello(&mut hello, &local.to_string());
        socket.write_all(&hello).map_err(|e| fail(e.to_string()))?;
        socket
            .set_read_timeout(Some(self.config.connect_timeout))
            .map_err(|e| fail(e.to_string()))?;
        let answer = FrameReader::new(&socket, 1024).next();
        let address = check_hello(answer).map_err(fail)?;
        if address != self.peer {
            return Err(fail(format!("the peer answered as {address}")));
        }
        socket
            .set_read_timeout(None)
            .map_err(|e| fail(e.to_string()))?;
        Ok(socket)
    }

    /// Waits for the endpoint to hand over the socket the peer dials in with.
    fn await_peer(&self) -> Result<TcpStream, String> {
        let deadline = Instant::now() + self.config.connect_timeout;
        let mut out = lock(&self.outgoing);
        loop {
            if let Some(socket) = out.accepted.take() {
                return Ok(socket);
            }
            if out.closing {
                return Err("the endpoint was shut down".into());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "the peer did not connect within {:?}",
                    self.config.connect_timeout
                ));
            }
            out = self
                .wake_driver
                .wait_timeout(out, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The reader thread: routes frames until the connection ends or a frame is bad.
    fn read(self: Arc<Self>, socket: TcpStream) {
        let buffered = BufReader::with_capacity(64 * 1024, socket);
        let mut reader = FrameReader::new(buffered, self.config.max_frame);
        let mut routes: HashMap<ChannelId, Route> = HashMap::new();
        let mut releases_seen = 0;
        let cause = loop {
            let releases = self.releases.load(Ordering::Acquire);
            if releases != releases_seen {
                releases_seen = releases;
                let released = lock(&self.released);
                routes.retain(|c, _| !released.contains(&c.run));
            }
            let (channel, len_or_control) = match reader.next() {
                Ok(Frame::Data(channel, len)) => (channel, Ok(len)),
                Ok(Frame::Control(channel, control)) => (channel, Err(control)),
                Ok(Frame::Credit(channel, credits)) => {
                    self.credit(channel, credits);
                    continue;
                }
                Ok(Frame::Hello { .. }) => break "a second hello".to_string(),
                Err(e) => break e.to_string(),
            };
            let Some(route) = self.route(&mut routes, channel) else {
                if !self.is_released(channel.run) {
                    break format!("a message for {channel}, which no receiver registered");
                }
                if let Ok(len) = len_or_control {
                    if let Err(e) = reader.skip_payload(len) {
                        break e.to_string();
                    }
                }
                continue;
            };
            // A dropped receiver's messages are read and discarded.
            let closed = route.state.closed.load(Ordering::Acquire);
            let message = match len_or_control {
                Ok(len) => {
                    let mut bytes = route.recycled.pop().unwrap_or_default();
                    if let Err(e) = reader.payload(len, &mut bytes) {
                        break e.to_string();
                    }
                    Inbound::Data(bytes)
                }
                Err(control) => Inbound::Control(control),
            };
            if closed {
                continue;
            }
            if route.ring.push(message).is_err() {
                break format!("more messages on {channel} than the credit it was granted");
            }
            route.state.notify.notify();
        };
        self.fail(cause);
    }

    /// The route of `channel`, picked up from the registry the first time.
    fn route<'a>(
        &self,
        routes: &'a mut HashMap<ChannelId, Route>,
        channel: ChannelId,
    ) -> Option<&'a mut Route> {
        match routes.entry(channel) {
            Entry::Occupied(route) => Some(route.into_mut()),
            Entry::Vacant(slot) => {
                let route = lock(&self.channels).new_routes.remove(&channel)?;
                Some(slot.insert(route))
            }
        }
    }

    /// Credit for the sender of `channel` (which may not be registered yet).
    fn credit(&self, channel: ChannelId, credits: u32) {
        let state = {
            let mut channels = lock(&self.channels);
            match channels.senders.get(&channel) {
                Some(state) => Arc::clone(state),
                // Only a credit for a channel not registered here asks whether its run
                // ended: a live channel's credits take no second lock.
                None if self.is_released(channel.run) => return,
                None => Arc::clone(channels.senders.entry(channel).or_default()),
            }
        };
        if state.closed.load(Ordering::Acquire) {
            return;
        }
        let _ = state
            .credits
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| {
                Some(c.saturating_add(credits))
            });
        if let Some(notify) = state.notify.get() {
            notify.notify();
        }
    }
}

/// Socket options of every connection: no Nagle delay (frames are batches already), and
/// a write timeout, so a peer that stopped reading fails the connection.
pub(super) fn configure(socket: &TcpStream, config: &NetworkConfig) -> std::io::Result<()> {
    socket.set_nodelay(true)?;
    socket.set_write_timeout(Some(config.write_timeout))
}

/// The address a hello announces, if it is one of this version.
pub(super) fn check_hello(frame: Result<Frame, FrameError>) -> Result<SocketAddr, String> {
    match frame {
        Ok(Frame::Hello { version, address }) if version == VERSION => address
            .parse()
            .map_err(|_| format!("the peer announced `{address}`, which is not an address")),
        Ok(Frame::Hello { version, .. }) => Err(format!(
            "the peer speaks version {version} of the protocol, this endpoint {VERSION}"
        )),
        Ok(other) => Err(format!("the peer did not start with a hello: {other:?}")),
        Err(e) => Err(format!("the peer is not a Strom endpoint: {e}")),
    }
}
