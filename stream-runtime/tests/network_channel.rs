//! Network channels on loopback, with real sockets: order across many logical channels of
//! one connection, credit-based backpressure, failures at both ends, bad bytes, and
//! records of a non-trivial type.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use stream_core::error::OpLabel;
use stream_core::operator::{Context, InstanceInfo, Operator};
use stream_core::source::Record;
use stream_core::stage::InputStage;
use stream_core::testing::{Collect, Output};
use stream_core::time::SystemClock;
use stream_core::{ErrorKind, ExchangeData, StreamError};
use stream_runtime::channel::net::{
    ChannelId, NetReceiver, NetSender, NetworkConfig, NetworkEndpoint,
};
use stream_runtime::channel::{
    factory, Control, InputChannel, Message, Notify, OutputChannel, TrySendError,
};
use stream_runtime::exchange::{ExchangeWriter, Forward};

/// Counts its notifications.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Notify for Counter {
    fn notify(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Counter {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

fn pair() -> (NetworkEndpoint, NetworkEndpoint) {
    (
        NetworkEndpoint::bind("127.0.0.1:0").unwrap(),
        NetworkEndpoint::bind("127.0.0.1:0").unwrap(),
    )
}

fn id(edge: u32, from: u32, to: u32) -> ChannelId {
    ChannelId {
        run: 1,
        edge,
        from,
        to,
    }
}

/// Waits until `done` holds, failing the test after 10 s.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The receiving end as a worker drives it: a channel polled into a stage that collects
/// records, and every control message in the order it came.
struct Reader<T> {
    channel: Box<dyn InputChannel>,
    stage: InputStage<T, Collect<T>>,
    collected: Collect<T>,
    log: Vec<Seen<T>>,
}

#[derive(Debug, PartialEq)]
enum Seen<T> {
    Records(Vec<(i64, T)>),
    Control(Control),
}

impl<T: ExchangeData> Reader<T> {
    fn new(channel: Box<dyn InputChannel>) -> Self {
        let collected = Collect::new();
        Reader {
            channel,
            stage: InputStage::new(collected.clone(), OpLabel::new("collect")),
            collected,
            log: Vec::new(),
        }
    }

    /// Polls once: what arrived, if anything.
    fn poll(&mut self) -> Result<Option<Control>, StreamError> {
        let info = InstanceInfo::single(1);
        let mut cx = Context::new(&SystemClock, &info);
        let got = self.channel.poll(&mut self.stage, 0, &mut cx)?;
        match got {
            Some(Control::Data(_)) => {
                let records = self
                    .collected
                    .take()
                    .into_iter()
                    .filter_map(|o| match o {
                        Output::Record(ts, v) => Some((ts, v)),
                        Output::Watermark(_) => None,
                    })
                    .collect();
                self.log.push(Seen::Records(records));
            }
            Some(control) => self.log.push(Seen::Control(control)),
            None => {}
        }
        Ok(got)
    }

    /// Polls until the end of the stream.
    fn read_to_end(&mut self) -> Result<(), StreamError> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.poll()? {
                Some(Control::End(_)) => return Ok(()),
                Some(_) => {}
                None => {
                    assert!(Instant::now() < deadline, "no end of stream");
                    std::thread::sleep(Duration::from_micros(100));
                }
            }
        }
    }

    /// Polls until an error comes (it must, within 10 s, after `what`).
    fn error(&mut self, what: &str) -> StreamError {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.poll() {
                Err(e) => return e,
                Ok(_) => {
                    assert!(Instant::now() < deadline, "no error after {what}");
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }
}

/// Sends every message, waiting for credit when the channel is full.
fn send_all<T>(sender: &mut dyn OutputChannel<T>, messages: Vec<Message<T>>) {
    for message in messages {
        let mut message = message;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match sender.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(m)) => {
                    assert!(Instant::now() < deadline, "no credit came back");
                    message = m;
                    std::thread::sleep(Duration::from_micros(100));
                }
                Err(TrySendError::Failed(e)) => panic!("send failed: {e}"),
            }
        }
    }
}

fn batch<T>(records: impl IntoIterator<Item = (i64, T)>) -> Message<T> {
    Message::Data(
        records
            .into_iter()
            .map(|(ts, value)| Record { ts, value })
            .collect(),
    )
}

/// Established TCP connections dialed into one of `ports`, from `/proc/net/tcp`. A socket
/// of another test may count while it lives (its ephemeral port may be one of `ports`:
/// a listener may bind a port an outgoing connection uses), so callers wait for the count
/// they expect rather than read it once.
fn connections_into(ports: &[u16]) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let remote_port = fields
                .get(2)
                .and_then(|f| f.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            fields.get(3) == Some(&"01") && remote_port.is_some_and(|p| ports.contains(&p))
        })
        .count()
}

#[test]
fn messages_of_many_channels_arrive_in_order_on_one_connection() {
    let (a, b) = pair();
    let nobody: Arc<dyn Notify> = Arc::new(Counter::default());
    // Eight channels from a to b (two edges, two senders, two receivers) and two back.
    let forward: Vec<ChannelId> = (0..2)
        .flat_map(|e| (0..2).flat_map(move |f| (0..2).map(move |t| id(e, f, t))))
        .collect();
    let backward = [id(5, 0, 0), id(5, 1, 0)];
    let mut senders: Vec<(ChannelId, NetSender<u64>)> = Vec::new();
    let mut readers: Vec<(ChannelId, Reader<u64>)> = Vec::new();
    for (from, to, channels) in [(&a, &b, &forward[..]), (&b, &a, &backward[..])] {
        for &c in channels {
            let tx = from.sender(to.local_addr(), c, nobody.clone()).unwrap();
            let rx = to
                .receiver::<u64>(from.local_addr(), c, 4, nobody.clone())
                .unwrap();
            senders.push((c, tx));
            readers.push((c, Reader::new(Box::new(rx))));
        }
    }
    // Each channel's script, distinct per channel, longer than its 4 credits.
    let script = |c: ChannelId| {
        let base = u64::from(c.edge * 100 + c.from * 10 + c.to) * 1000;
        let mut m = vec![
            batch((0..3).map(|i| (i, base + i as u64))),
            Message::Watermark(10 + i64::from(c.edge)),
            Message::Idle(true),
            Message::Idle(false),
            batch([(20, base + 3)]),
            Message::Barrier(7),
        ];
        m.extend((0..10).map(|i| batch([(30 + i, base + 10 + i as u64)])));
        m.push(Message::Watermark(i64::MAX));
        m.push(Message::End(Some(7)));
        m
    };
    let expected = |c: ChannelId| -> Vec<Seen<u64>> {
        script(c)
            .into_iter()
            .map(|m| match m {
                Message::Data(b) => Seen::Records(b.into_iter().map(|r| (r.ts, r.value)).collect()),
                Message::Watermark(w) => Seen::Control(Control::Watermark(w)),
                Message::Idle(i) => Seen::Control(Control::Idle(i)),
                Message::Barrier(n) => Seen::Control(Control::Barrier(n)),
                Message::End(s) => Seen::Control(Control::End(s)),
            })
            .collect()
    };
    // Senders and receivers run side by side (the credit is 4 messages per channel).
    std::thread::scope(|s| {
        for (c, tx) in &mut senders {
            let c = *c;
            s.spawn(move || send_all(tx, script(c)));
        }
        for (_, reader) in &mut readers {
            s.spawn(move || reader.read_to_end().unwrap());
        }
    });
    for (c, reader) in &readers {
        assert_eq!(reader.log, expected(*c), "{c}");
    }
    // All of it over one TCP connection: the only one dialed into either endpoint.
    let ports = [a.local_addr().port(), b.local_addr().port()];
    assert!(a.is_connected(b.local_addr()) && b.is_connected(a.local_addr()));
    if std::path::Path::new("/proc/net/tcp").exists() {
        wait_for("one connection", || connections_into(&ports) == 1);
    }
}

#[test]
fn a_slow_receiver_stops_the_sender_until_it_drains() {
    let (a, b) = pair();
    let woken = Arc::new(Counter::default());
    let c = id(0, 0, 0);
    let mut tx = a.sender::<u64>(b.local_addr(), c, woken.clone()).unwrap();
    let rx = b
        .receiver::<u64>(a.local_addr(), c, 4, Arc::new(Counter::default()))
        .unwrap();
    let mut reader = Reader::new(Box::new(rx));
    wait_for("the initial credit", || tx.credits() == 4);
    // Four messages fit the receiver's four buffers; the fifth is given back.
    for i in 0..4 {
        assert!(tx.try_send(batch([(i, i as u64)])).is_ok());
    }
    assert!(tx.is_full());
    let refused = tx.try_send(batch([(4, 4)]));
    assert!(matches!(refused, Err(TrySendError::Full(Message::Data(ref b))) if b[0].value == 4));
    // Nothing drains, so no credit comes back: the sender stays refused.
    std::thread::sleep(Duration::from_millis(200));
    assert!(matches!(
        tx.try_send(Message::Watermark(9)),
        Err(TrySendError::Full(_))
    ));
    let before = woken.count();
    // The receiver takes one message: one credit returns and wakes the sender.
    wait_for("the first message", || matches!(reader.poll(), Ok(Some(_))));
    wait_for("credit back", || tx.credits() == 1);
    assert!(woken.count() > before, "the sender's worker was not woken");
    assert!(tx.try_send(batch([(4, 4)])).is_ok());
    assert!(tx.is_full());
    // Draining everything gives all the credit back; sending resumes and ends.
    let sender = std::thread::spawn(move || {
        send_all(
            &mut tx,
            (5..20)
                .map(|i| batch([(i, i as u64)]))
                .chain([Message::End(None)])
                .collect(),
        );
    });
    reader.read_to_end().unwrap();
    sender.join().unwrap();
    let values: Vec<u64> = reader
        .log
        .iter()
        .flat_map(|s| match s {
            Seen::Records(r) => r.iter().map(|(_, v)| *v).collect(),
            Seen::Control(_) => Vec::new(),
        })
        .collect();
    assert_eq!(values, (0..20).collect::<Vec<u64>>());
}

#[test]
fn a_dropped_peer_fails_the_channels_at_both_ends() {
    let (a, b) = pair();
    let nobody: Arc<dyn Notify> = Arc::new(Counter::default());
    let (to_b, to_a, ended) = (id(0, 0, 0), id(1, 0, 0), id(2, 0, 0));
    let mut tx_a = a
        .sender::<u64>(b.local_addr(), to_b, nobody.clone())
        .unwrap();
    let rx_b = b
        .receiver::<u64>(a.local_addr(), to_b, 4, nobody.clone())
        .unwrap();
    let tx_b = b
        .sender::<u64>(a.local_addr(), to_a, nobody.clone())
        .unwrap();
    let rx_a = a
        .receiver::<u64>(b.local_addr(), to_a, 4, nobody.clone())
        .unwrap();
    let mut tx_ended = b
        .sender::<u64>(a.local_addr(), ended, nobody.clone())
        .unwrap();
    let rx_ended = a
        .receiver::<u64>(b.local_addr(), ended, 4, nobody.clone())
        .unwrap();
    let (mut reader_a, mut reader_b) = (
        Reader::<u64>::new(Box::new(rx_a)),
        Reader::<u64>::new(Box::new(rx_b)),
    );
    let mut reader_ended = Reader::<u64>::new(Box::new(rx_ended));
    send_all(&mut tx_a, vec![batch([(1, 1)])]);
    wait_for("a batch", || matches!(reader_b.poll(), Ok(Some(_))));
    send_all(&mut tx_ended, vec![Message::End(None)]);
    reader_ended.read_to_end().unwrap();
    // An exchange writer sending on a's channel to b, as a stage would.
    let a_writer_sender = a
        .sender::<u64>(b.local_addr(), id(3, 0, 0), nobody.clone())
        .unwrap();
    let _b_writer_receiver = b.receiver::<u64>(a.local_addr(), id(3, 0, 0), 4, nobody.clone());
    let mut writer = ExchangeWriter::new(
        vec![Box::new(a_writer_sender) as Box<dyn OutputChannel<u64>>],
        Forward::default(),
        16,
        Duration::ZERO,
    );

    let b_address = b.local_addr();
    drop((b, tx_b));

    // At a: the receiver's poll and the sender's try_send fail, naming the peer and the
    // channel; the channel that had ended is not affected.
    let e = reader_a.error("the peer was dropped");
    assert_eq!(e.kind(), ErrorKind::Io);
    let text = e.to_string();
    assert!(
        text.contains(&format!("network {to_a} from {b_address}")),
        "{text}"
    );
    assert!(text.contains("closed"), "{text}");
    wait_for("the failure at the sender", || {
        matches!(
            tx_a.try_send(Message::Watermark(1)),
            Err(TrySendError::Failed(_))
        )
    });
    let Err(TrySendError::Failed(e)) = tx_a.try_send(Message::Watermark(2)) else {
        panic!("the sender did not fail")
    };
    assert!(
        e.to_string()
            .contains(&format!("network {to_b} to {b_address}")),
        "{e}"
    );
    assert!(matches!(reader_ended.poll(), Ok(None)));
    assert!(!reader_ended.channel.has_message());
    // The exchange writer reports it from its next control call.
    let info = InstanceInfo::single(0);
    let mut cx = Context::new(&SystemClock, &info);
    let e = writer.on_watermark(&mut cx, 5).unwrap_err();
    assert!(e.to_string().contains(&b_address.to_string()), "{e}");
    // At b, dropped: its receiver reports the shutdown.
    let e = reader_b.error("the endpoint was dropped");
    assert!(e.to_string().contains("shut down"), "{e}");
}

/// A hand-written peer: a raw socket that greets the endpoint at `to` as `claimed` and
/// then writes what the test says.
fn fake_peer(to: SocketAddr, claimed: &str) -> TcpStream {
    let mut socket = TcpStream::connect(to).unwrap();
    let mut hello = Vec::new();
    let body = 1 + 4 + 2 + claimed.len();
    hello.extend_from_slice(&(body as u32).to_le_bytes());
    hello.push(0);
    hello.extend_from_slice(b"STRM");
    hello.extend_from_slice(&1u16.to_le_bytes());
    hello.extend_from_slice(claimed.as_bytes());
    socket.write_all(&hello).unwrap();
    // The endpoint answers with its own hello.
    let mut length = [0u8; 4];
    socket.read_exact(&mut length).unwrap();
    let mut answer = vec![0u8; u32::from_le_bytes(length) as usize];
    socket.read_exact(&mut answer).unwrap();
    assert_eq!(&answer[1..5], b"STRM");
    socket
}

/// A frame of `kind` on channel `c` with `body`, as the wire format writes it.
fn frame(kind: u8, c: ChannelId, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&((1 + 20 + body.len()) as u32).to_le_bytes());
    f.push(kind);
    f.extend_from_slice(&c.run.to_le_bytes());
    f.extend_from_slice(&c.edge.to_le_bytes());
    f.extend_from_slice(&c.from.to_le_bytes());
    f.extend_from_slice(&c.to.to_le_bytes());
    f.extend_from_slice(body);
    f
}

/// An endpoint and a receiver on it from a fake peer; the fake peer's socket.
fn receiver_from_a_fake_peer(
    endpoint: &NetworkEndpoint,
    fake: &str,
    c: ChannelId,
) -> (Reader<u64>, TcpStream) {
    let socket = fake_peer(endpoint.local_addr(), fake);
    let fake: SocketAddr = fake.parse().unwrap();
    wait_for("the fake peer's connection", || endpoint.is_connected(fake));
    let rx = endpoint
        .receiver::<u64>(fake, c, 4, Arc::new(Counter::default()))
        .unwrap();
    (Reader::new(Box::new(rx)), socket)
}

#[test]
fn bad_bytes_are_errors_not_panics() {
    let endpoint = NetworkEndpoint::bind("127.0.0.1:0").unwrap();
    let c = id(0, 0, 0);
    // Garbage, where a frame should start: an unknown kind.
    let (mut reader, mut socket) = receiver_from_a_fake_peer(&endpoint, "127.0.0.1:1", c);
    socket.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let e = reader.error("garbage");
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(
        e.to_string()
            .contains("network channel 0:0->0 (run 1) from 127.0.0.1:1"),
        "{e}"
    );
    assert!(e.to_string().contains("corrupt frame"), "{e}");

    // A batch that does not decode fails the receiver's poll, and only it.
    let (mut reader, mut socket) = receiver_from_a_fake_peer(&endpoint, "127.0.0.1:2", c);
    socket.write_all(&frame(1, c, &[5, 1, 2])).unwrap();
    let e = reader.error("an undecodable batch");
    assert_eq!(e.kind(), ErrorKind::MalformedRecord);
    assert!(e.to_string().contains("cannot decode a batch"), "{e}");

    // A frame cut short by the peer closing its socket.
    let (mut reader, mut socket) = receiver_from_a_fake_peer(&endpoint, "127.0.0.1:3", c);
    let barrier = frame(4, c, &9u64.to_le_bytes());
    socket.write_all(&barrier[..barrier.len() - 3]).unwrap();
    socket.shutdown(std::net::Shutdown::Both).unwrap();
    let e = reader.error("a truncated frame");
    assert!(e.to_string().contains("ended inside a frame"), "{e}");

    // A message for a channel nobody registered.
    let (mut reader, mut socket) = receiver_from_a_fake_peer(&endpoint, "127.0.0.1:4", c);
    socket
        .write_all(&frame(4, id(9, 9, 9), &1u64.to_le_bytes()))
        .unwrap();
    let e = reader.error("a frame for an unknown channel");
    assert!(
        e.to_string()
            .contains("channel 9:9->9 (run 1), which no receiver registered"),
        "{e}"
    );

    // More messages than the four credits granted (read nothing meanwhile: the
    // connection fails when the fifth arrives; the four before it are delivered).
    let (mut reader, mut socket) = receiver_from_a_fake_peer(&endpoint, "127.0.0.1:5", c);
    for n in 0..5u64 {
        socket.write_all(&frame(4, c, &n.to_le_bytes())).unwrap();
    }
    let fake: SocketAddr = "127.0.0.1:5".parse().unwrap();
    wait_for("the failure", || !endpoint.is_connected(fake));
    for n in 0..4 {
        assert_eq!(reader.poll().unwrap(), Some(Control::Barrier(n)));
    }
    let e = reader.error("more messages than credit");
    assert!(
        e.to_string().contains("than the credit it was granted"),
        "{e}"
    );

    // Random bytes after a valid hello: an error every time, whatever they are.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..20 {
        let fake = format!("127.0.0.1:{}", 100 + round);
        let (mut reader, mut socket) = receiver_from_a_fake_peer(&endpoint, &fake, c);
        let junk: Vec<u8> = (0..64)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let _ = socket.write_all(&junk);
        let _ = socket.shutdown(std::net::Shutdown::Write);
        let e = reader.error(&format!("random bytes {junk:?}"));
        assert!(e.to_string().contains(&fake), "{e}");
    }

    // Garbage instead of a hello is refused at the door, and the endpoint works on.
    let mut stranger = TcpStream::connect(endpoint.local_addr()).unwrap();
    stranger
        .write_all(b"\x10\x00\x00\x00GET / HTTP/1.1")
        .unwrap();
    wait_for("the refusal", || !endpoint.refused_connections().is_empty());
    assert!(
        endpoint.refused_connections()[0].contains("not a Strom endpoint"),
        "{:?}",
        endpoint.refused_connections()
    );
    let other = NetworkEndpoint::bind("127.0.0.1:0").unwrap();
    let nobody: Arc<dyn Notify> = Arc::new(Counter::default());
    let mut tx = other
        .sender::<u64>(endpoint.local_addr(), c, nobody.clone())
        .unwrap();
    let rx = endpoint
        .receiver::<u64>(other.local_addr(), c, 4, nobody)
        .unwrap();
    send_all(&mut tx, vec![batch([(1, 1)]), Message::End(None)]);
    Reader::<u64>::new(Box::new(rx)).read_to_end().unwrap();
}

/// A record with owned data, as a user's job sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Click {
    user: u32,
    page: String,
    tags: Vec<String>,
    score: Option<f64>,
}

#[test]
fn batches_of_structs_with_strings_round_trip_through_the_edge_factory() {
    let (a, b) = pair();
    let nobody: Arc<dyn Notify> = Arc::new(Counter::default());
    // As the executor will: the edge's factory makes the remote halves.
    let channels = factory::<Click>();
    let c = id(0, 1, 2);
    let tx = channels
        .remote_sender(&a, b.local_addr(), c, nobody.clone())
        .unwrap();
    let mut tx = *tx.downcast::<Box<dyn OutputChannel<Click>>>().unwrap();
    let rx = channels
        .remote_receiver(&b, a.local_addr(), c, 8, nobody)
        .unwrap();
    let mut reader = Reader::<Click>::new(rx);
    let click = |i: u32| Click {
        user: i,
        page: format!("/page/{}", i % 17),
        tags: (0..i % 4).map(|t| format!("tag-{t}-é")).collect(),
        score: i.is_multiple_of(3).then_some(f64::from(i) / 7.0),
    };
    let batches: Vec<Vec<Click>> = (0..30)
        .map(|b| (0..1000).map(|i| click(b * 1000 + i)).collect())
        .collect();
    let mut messages: Vec<Message<Click>> = Vec::new();
    for clicks in &batches {
        // Batches reuse the sender's recycled allocations, as the exchange writer does.
        let mut batch = tx.empty_batch(1000);
        batch.extend(clicks.iter().map(|c| Record {
            ts: i64::from(c.user),
            value: c.clone(),
        }));
        messages.push(Message::Data(batch));
    }
    messages.push(Message::End(None));
    std::thread::scope(|s| {
        s.spawn(|| send_all(&mut *tx, messages));
        reader.read_to_end().unwrap();
    });
    let received: Vec<Vec<Click>> = reader
        .log
        .into_iter()
        .filter_map(|s| match s {
            Seen::Records(r) => Some(r.into_iter().map(|(_, c)| c).collect()),
            Seen::Control(_) => None,
        })
        .collect();
    assert_eq!(received, batches);
}

#[test]
fn registering_twice_or_with_oneself_is_refused() {
    let (a, b) = pair();
    let nobody: Arc<dyn Notify> = Arc::new(Counter::default());
    let c = id(0, 0, 0);
    let _tx = a.sender::<u64>(b.local_addr(), c, nobody.clone()).unwrap();
    let e = a
        .sender::<u64>(b.local_addr(), c, nobody.clone())
        .unwrap_err();
    assert!(e.to_string().contains("registered already"), "{e}");
    let e = a
        .receiver::<u64>(a.local_addr(), c, 4, nobody.clone())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    // A peer that never comes fails the channels registered with it.
    let lonely = NetworkEndpoint::bind_with(
        "127.0.0.1:0",
        NetworkConfig::default().connect_timeout(Duration::from_millis(200)),
    )
    .unwrap();
    let nowhere: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let rx: NetReceiver<u64> = lonely.receiver(nowhere, c, 4, nobody).unwrap();
    let e = Reader::<u64>::new(Box::new(rx)).error("no peer");
    assert!(e.to_string().contains("within 200ms"), "{e}");
}

#[test]
fn connect_brings_the_connection_up_before_any_channel() {
    let (a, b) = pair();
    // Both ask; whichever address is smaller dials, the other waits to be dialed.
    std::thread::scope(|s| {
        let at_b = s.spawn(|| b.connect(a.local_addr()));
        a.connect(b.local_addr()).unwrap();
        at_b.join().unwrap().unwrap();
    });
    assert!(a.is_connected(b.local_addr()) && b.is_connected(a.local_addr()));
    // A second call reuses the connection.
    a.connect(b.local_addr()).unwrap();
    let ports = [a.local_addr().port(), b.local_addr().port()];
    if std::path::Path::new("/proc/net/tcp").exists() {
        wait_for("one connection", || connections_into(&ports) == 1);
    }
    // Nobody listens at port 9 of loopback: the dialing side gives up in time.
    let quick = NetworkEndpoint::bind_with(
        "127.0.0.1:0",
        NetworkConfig::default().connect_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let e = quick.connect("127.0.0.2:9".parse().unwrap()).unwrap_err();
    assert!(
        e.to_string().contains("network connection to 127.0.0.2:9"),
        "{e}"
    );
}

#[test]
fn a_released_run_frees_its_channels_and_its_late_frames_are_dropped() {
    let (a, b) = pair();
    let old = id(0, 0, 0);
    let new = ChannelId { run: 2, ..old };
    let nobody = || Arc::new(Counter::default());
    let mut late = a.sender::<u64>(b.local_addr(), old, nobody()).unwrap();
    let gone = b.receiver::<u64>(a.local_addr(), old, 4, nobody()).unwrap();
    wait_for("the initial credit", || late.credits() == 4);
    assert_eq!(b.channel_count(), 1);
    // Run 1 ended on b (its part failed, say) while a's part of it still sends.
    drop(gone);
    b.release_run(1);
    assert_eq!(b.channel_count(), 0, "the run's channels are freed");
    for i in 0..4 {
        assert!(late.try_send(batch([(i, i as u64)])).is_ok());
    }
    // The frames are dropped, not a protocol error: run 2 shares the connection.
    let mut tx = a.sender::<u64>(b.local_addr(), new, nobody()).unwrap();
    let rx = b.receiver::<u64>(a.local_addr(), new, 4, nobody()).unwrap();
    let mut reader = Reader::<u64>::new(Box::new(rx));
    send_all(&mut tx, vec![batch([(1, 7)]), Message::End(None)]);
    reader.read_to_end().unwrap();
    assert_eq!(reader.log[0], Seen::Records(vec![(1, 7)]));
    assert!(b.is_connected(a.local_addr()));
    // No channel of a released run registers again, also over a connection made later.
    let again = b.receiver::<u64>(a.local_addr(), old, 4, nobody());
    assert!(again.is_err());
    b.release_run(3);
    let c = NetworkEndpoint::bind("127.0.0.1:0").unwrap();
    let fresh = ChannelId { run: 3, ..old };
    // b has no connection to c yet: the one this makes knows run 3 is released.
    assert!(b
        .receiver::<u64>(c.local_addr(), fresh, 4, nobody())
        .is_err());
    let theirs = c.receiver::<u64>(b.local_addr(), fresh, 4, nobody());
    assert!(theirs.is_ok(), "another endpoint's runs are its own");
}
