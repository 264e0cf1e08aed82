//! Nexmark queries written in SQL (after the Flink nexmark suite's SQL) over a CSV file of
//! the benchmark's generated bids, compared with the same computation in `stream!` over
//! the same bids.

use std::collections::HashMap;
use std::io::Write;

use stream_sql::{Row, SqlResult, SqlSession, Value};
use strom::nexmark::{Bid, Event, NexmarkConfig};
use strom::prelude::*;

/// How far the generator puts events out of order, and the watermark delay of both
/// versions: no bid is late in either.
const DISORDER_MS: i64 = 100;

fn bids(events: u64) -> Vec<Bid> {
    let config = NexmarkConfig {
        events_per_second: 1_000,
        base_time: 1_700_000_000_000,
        max_out_of_orderness: DISORDER_MS,
        ..NexmarkConfig::default()
    };
    (0..events).filter_map(|n| config.event(n).bid()).collect()
}

/// A session with table `bid` over `bids` written as CSV.
fn session(bids: &[Bid], name: &str) -> (SqlSession, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("strom-sql-nexmark-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bids.csv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for b in bids {
        let ts = Value::Timestamp(b.date_time);
        writeln!(
            file,
            "{},{},{},{},{ts}",
            b.auction, b.bidder, b.price, b.channel
        )
        .unwrap();
    }
    file.flush().unwrap();
    drop(file);
    let mut session = SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE bid (
                auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP(3),
                WATERMARK FOR date_time AS date_time - INTERVAL '0.1' SECOND
            ) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            path.display()
        ))
        .unwrap();
    (session, dir)
}

fn rows(session: &mut SqlSession, sql: &str) -> Vec<Row> {
    let SqlResult::Query(q) = session.execute(sql).unwrap() else {
        panic!("not a query")
    };
    let mut rows = q.collect().unwrap();
    rows.sort();
    rows
}

fn int(v: u64) -> Value {
    Value::Int(v as i64)
}

/// A bid as a row of `bid`.
fn bid_row(b: Bid) -> Row {
    Row::new(vec![
        int(b.auction),
        int(b.bidder),
        int(b.price),
        Value::Timestamp(b.date_time),
    ])
}

#[test]
fn q1_currency_conversion() {
    let bids = bids(20_000);
    let (mut s, dir) = session(&bids, "q1");
    let sql = rows(
        &mut s,
        "SELECT auction, bidder, price * 908 / 1000 AS price, date_time FROM bid",
    );
    let out = collect_sink();
    stream! {
        source(from_vec(bids))
            .map(|b| Bid { price: b.price * 908 / 1000, ..b })
            .sink(out.clone());
    }
    .run()
    .unwrap();
    let mut expected: Vec<Row> = out.take().into_iter().map(bid_row).collect();
    expected.sort();
    assert_eq!(sql.len(), expected.len());
    assert_eq!(sql, expected);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn q2_selection() {
    let bids = bids(50_000);
    let (mut s, dir) = session(&bids, "q2");
    let sql = rows(
        &mut s,
        "SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0",
    );
    let out = collect_sink();
    stream! {
        source(from_vec(bids))
            .filter(|b| b.auction % 123 == 0)
            .map(|b| (b.auction, b.price))
            .sink(out.clone());
    }
    .run()
    .unwrap();
    let mut expected: Vec<Row> = out
        .take()
        .into_iter()
        .map(|(a, p)| Row::new(vec![int(a), int(p)]))
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(sql, expected);
    std::fs::remove_dir_all(dir).unwrap();
}

/// q5's inner query: bids per auction over 10 s windows sliding by 2 s.
#[test]
fn q5_hop_counts_per_auction() {
    let bids = bids(30_000);
    let (mut s, dir) = session(&bids, "q5");
    let sql = rows(
        &mut s,
        "SELECT auction, window_end, COUNT(*) AS num
         FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
         GROUP BY auction, window_start, window_end",
    );
    let out = collect_sink();
    stream! {
        source(from_vec(bids))
            .event_time(|b| b.date_time)
            .watermark(bounded_out_of_orderness(ms(DISORDER_MS as u64)))
            .key_by(|b| b.auction)
            .window(sliding(secs(10), secs(2)))
            .aggregate(count())
            .map(|w| (w.key, w.window.end, w.value))
            .sink(out.clone());
    }
    .run()
    .unwrap();
    let mut expected: Vec<Row> = out
        .take()
        .into_iter()
        .map(|(a, end, n)| Row::new(vec![int(a), Value::Timestamp(end), int(n)]))
        .collect();
    expected.sort();
    assert!(expected.len() > 100);
    assert_eq!(sql, expected);
    std::fs::remove_dir_all(dir).unwrap();
}

/// q7's aggregate: the highest price of each 10 s window, with its statistics, checked
/// against a batch computation.
#[test]
fn q7_highest_price_per_tumbling_window() {
    let bids = bids(30_000);
    let (mut s, dir) = session(&bids, "q7");
    let sql = rows(
        &mut s,
        "SELECT window_start, window_end, MAX(price) AS maxprice, COUNT(*), MIN(bidder), AVG(price)
         FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
         GROUP BY window_start, window_end",
    );
    let mut windows: HashMap<i64, Vec<&Bid>> = HashMap::new();
    for b in &bids {
        windows
            .entry(b.date_time - b.date_time.rem_euclid(10_000))
            .or_default()
            .push(b);
    }
    let mut expected: Vec<Row> = windows
        .into_iter()
        .map(|(start, bs)| {
            let n = bs.len() as u64;
            let sum: u64 = bs.iter().map(|b| b.price).sum();
            Row::new(vec![
                Value::Timestamp(start),
                Value::Timestamp(start + 10_000),
                int(bs.iter().map(|b| b.price).max().unwrap()),
                int(n),
                int(bs.iter().map(|b| b.bidder).min().unwrap()),
                int(sum / n),
            ])
        })
        .collect();
    expected.sort();
    assert_eq!(sql, expected);
    std::fs::remove_dir_all(dir).unwrap();
}

/// q0: the pass-through, every bid as it is.
#[test]
fn q0_pass_through() {
    let bids = bids(5_000);
    let (mut s, dir) = session(&bids, "q0");
    let sql = rows(
        &mut s,
        "SELECT auction, bidder, price, channel, date_time FROM bid",
    );
    let mut expected: Vec<Row> = bids
        .iter()
        .map(|b| {
            Row::new(vec![
                int(b.auction),
                int(b.bidder),
                int(b.price),
                Value::string(&b.channel),
                Value::Timestamp(b.date_time),
            ])
        })
        .collect();
    expected.sort();
    assert_eq!(sql, expected);
    std::fs::remove_dir_all(dir).unwrap();
}

/// q11, user sessions: bids per bidder in sessions with a 10 s gap, as the nexmark suite's
/// Flink SQL writes it with the SESSION window TVF, against the `stream!` version.
#[test]
fn q11_bids_per_session() {
    let bids = bids(30_000);
    let (mut s, dir) = session(&bids, "q11");
    let sql = rows(
        &mut s,
        "SELECT bidder, COUNT(*) AS bid_count, window_start AS starttime, window_end AS endtime
         FROM TABLE(SESSION(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
         GROUP BY bidder, window_start, window_end",
    );
    let out = collect_sink();
    stream! {
        source(from_vec(bids))
            .event_time(|b| b.date_time)
            .watermark(bounded_out_of_orderness(ms(DISORDER_MS as u64)))
            .key_by(|b| b.bidder)
            .window(strom::prelude::session(secs(10)))
            .aggregate(count())
            .map(|w| (w.key, w.value, w.window.start, w.window.end))
            .sink(out.clone());
    }
    .run()
    .unwrap();
    let mut expected: Vec<Row> = out
        .take()
        .into_iter()
        .map(|(bidder, n, start, end)| {
            Row::new(vec![
                int(bidder),
                int(n),
                Value::Timestamp(start),
                Value::Timestamp(end),
            ])
        })
        .collect();
    expected.sort();
    assert!(expected.len() > 10, "{}", expected.len());
    assert_eq!(sql, expected);
    std::fs::remove_dir_all(dir).unwrap();
}

#[path = "../../examples/nexmark/queries.rs"]
mod queries;

/// The events of a Nexmark run, and a session with tables `person`, `auction` and `bid`
/// over CSV files of them (watermarks 100 ms behind, as the generator's disorder).
fn people_and_auctions(events: u64, name: &str) -> (Vec<Event>, SqlSession, std::path::PathBuf) {
    let config = NexmarkConfig {
        events_per_second: 1_000,
        base_time: 1_700_000_000_000,
        max_out_of_orderness: DISORDER_MS,
        ..NexmarkConfig::default()
    };
    let events: Vec<Event> = (0..events).map(|n| config.event(n)).collect();
    let dir = std::env::temp_dir().join(format!("strom-sql-nexmark-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (mut people, mut auctions, mut bids) = (String::new(), String::new(), String::new());
    for e in &events {
        if let Some(p) = e.clone().person() {
            let ts = Value::Timestamp(p.date_time);
            people.push_str(&format!(
                "{},{},{},{},{ts}\n",
                p.id, p.name, p.city, p.state
            ));
        }
        if let Some(a) = e.clone().auction() {
            let (ts, expires) = (Value::Timestamp(a.date_time), Value::Timestamp(a.expires));
            auctions.push_str(&format!(
                "{},{},{},{ts},{expires}\n",
                a.id, a.seller, a.category
            ));
        }
        if let Some(b) = e.clone().bid() {
            let ts = Value::Timestamp(b.date_time);
            bids.push_str(&format!("{},{},{},{ts}\n", b.auction, b.bidder, b.price));
        }
    }
    std::fs::write(dir.join("person.csv"), people).unwrap();
    std::fs::write(dir.join("auction.csv"), auctions).unwrap();
    std::fs::write(dir.join("bid.csv"), bids).unwrap();
    let mut s = SqlSession::new();
    s.execute_script(&format!(
        "CREATE TABLE person (id BIGINT, name STRING, city STRING, state STRING, date_time TIMESTAMP(3),
           WATERMARK FOR date_time AS date_time - INTERVAL '0.1' SECOND)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
         CREATE TABLE auction (id BIGINT, seller BIGINT, category BIGINT, date_time TIMESTAMP(3),
           expires TIMESTAMP(3), WATERMARK FOR date_time AS date_time - INTERVAL '0.1' SECOND)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
         CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
           WATERMARK FOR date_time AS date_time - INTERVAL '0.1' SECOND)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');",
        dir.join("person.csv").display(),
        dir.join("auction.csv").display(),
        dir.join("bid.csv").display()
    ))
    .unwrap();
    (events, s, dir)
}

/// q3, local item suggestion: a regular join of auctions and people, in the nexmark
/// suite's Flink SQL, against the `stream!` version of `examples/nexmark`.
#[test]
fn q3_local_item_suggestion() {
    let (events, mut s, dir) = people_and_auctions(50_000, "q3");
    let sql = rows(
        &mut s,
        "SELECT P.name, P.city, P.state, A.id
         FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
         WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')",
    );
    let out = collect_sink();
    queries::q3(from_vec(events), out.clone()).run().unwrap();
    let mut expected: Vec<Row> = out
        .take()
        .into_iter()
        .map(|(name, city, state, id)| {
            Row::new(vec![
                Value::string(&name),
                Value::string(&city),
                Value::string(&state),
                int(id),
            ])
        })
        .collect();
    expected.sort();
    assert!(expected.len() > 5, "{}", expected.len());
    assert_eq!(sql, expected);
    std::fs::remove_dir_all(dir).unwrap();
}

/// q8, monitor new users: people who opened an auction in the 10 s window in which they
/// registered, as the suite's Flink SQL writes it (two window aggregations joined on the
/// window bounds: a window join, whose state goes when its window has been joined),
/// against `stream!`'s window join.
#[test]
fn q8_new_users_who_sell() {
    let (events, mut s, dir) = people_and_auctions(50_000, "q8");
    let q8 = "SELECT P.id, P.name, P.starttime
         FROM (SELECT id, name, window_start AS starttime, window_end AS endtime
               FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
               GROUP BY id, name, window_start, window_end) P
         JOIN (SELECT seller, window_start AS starttime, window_end AS endtime
               FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
               GROUP BY seller, window_start, window_end) A
         ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime";
    let plan = s.explain(q8).unwrap();
    assert!(plan.contains("WindowJoin(joinType=[InnerJoin]"), "{plan}");
    let sql = rows(&mut s, q8);
    let out = collect_sink();
    queries::q8(from_vec(events), out.clone()).run().unwrap();
    let mut expected: Vec<Row> = out
        .take()
        .into_iter()
        .map(|(id, name, start)| {
            Row::new(vec![int(id), Value::string(&name), Value::Timestamp(start)])
        })
        .collect();
    expected.sort();
    assert!(expected.len() > 5, "{}", expected.len());
    assert_eq!(sql, expected);
    std::fs::remove_dir_all(dir).unwrap();
}

/// q4, average price per category: the winning bid of each auction (the highest between
/// its start and its expiry), averaged per category, in the suite's Flink SQL: an
/// aggregation over the changelog of another (each auction's new maximum takes its old
/// one back out of its category's average). The final table against the last running
/// average of each category from `stream!`'s version, which emits an auction's winning bid
/// when it closes.
#[test]
fn q4_average_price_per_category() {
    let (events, mut s, dir) = people_and_auctions(50_000, "q4");
    let q4 = "SELECT Q.category, AVG(CAST(Q.final AS DOUBLE))
         FROM (
           SELECT MAX(B.price) AS final, A.category
           FROM auction A JOIN bid B ON A.id = B.auction
           WHERE B.date_time BETWEEN A.date_time AND A.expires
           GROUP BY A.id, A.category
         ) Q
         GROUP BY Q.category";
    let plan = s.explain(q4).unwrap();
    assert_eq!(plan.matches("GroupAggregate(").count(), 2, "{plan}");
    let sql = rows(&mut s, q4);
    let out = collect_sink();
    queries::q4(from_vec(events), out.clone()).run().unwrap();
    let mut last = std::collections::BTreeMap::new();
    for (category, average) in out.take() {
        last.insert(category, average);
    }
    assert!(last.len() > 3, "{last:?}");
    assert_eq!(sql.len(), last.len(), "{sql:?}\n{last:?}");
    for (row, (category, average)) in sql.iter().zip(&last) {
        let Value::Double(got) = row.get(1) else {
            panic!("{row:?}")
        };
        assert_eq!(row.get(0), &int(*category));
        assert!(
            (got - average).abs() <= 1e-9 * average.abs(),
            "category {category}: {got} in SQL, {average} in stream!"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// q5, hot items: the auctions with the most bids in each 10 s window sliding by 2 s, in
/// the suite's Flink SQL: the counts per auction and window (a HOP aggregation), their
/// maximum per window (a window aggregation over the first one's windows: cascading), and
/// the window join of both on the window's bounds. Against `stream!`'s version, which
/// takes the counts of each window's end to one tumbling window.
#[test]
fn q5_hot_items() {
    let (events, mut s, dir) = people_and_auctions(60_000, "q5-hot");
    let q5 = "SELECT AuctionBids.auction, AuctionBids.num
         FROM (
           SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
           FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
           GROUP BY auction, window_start, window_end
         ) AS AuctionBids
         JOIN (
           SELECT max(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
           FROM (
             SELECT count(*) AS num, window_start AS starttime, window_end AS endtime
             FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
             GROUP BY auction, window_start, window_end
           ) AS CountBids
           GROUP BY CountBids.starttime, CountBids.endtime
         ) AS MaxBids
         ON AuctionBids.starttime = MaxBids.starttime AND
            AuctionBids.endtime = MaxBids.endtime AND
            AuctionBids.num >= MaxBids.maxn";
    let plan = s.explain(q5).unwrap();
    assert!(plan.contains("WindowAggregate(window=[HOP(win_start=[CountBids.starttime], win_end=[CountBids.endtime], slide=[2s], size=[10s])], groupBy=[CountBids.starttime, CountBids.endtime]"), "{plan}");
    assert!(plan.contains("WindowJoin(joinType=[InnerJoin]"), "{plan}");
    let sql = rows(&mut s, q5);
    let out = collect_sink();
    queries::q5(from_vec(events), out.clone()).run().unwrap();
    let mut expected: Vec<Row> = out
        .take()
        .into_iter()
        .map(|(auction, num, _end)| Row::new(vec![int(auction), int(num)]))
        .collect();
    expected.sort();
    assert!(expected.len() > 20, "{expected:?}");
    assert_eq!(sql, expected);
    std::fs::remove_dir_all(dir).unwrap();
}

/// q7, highest bid: the bids of each 10 s window's highest price, in the suite's Flink
/// SQL (the window's maximum joined back to the bids on the price, within the window; its
/// columns in `bid`'s order, without `extra`).
/// Against `stream!`'s version, which keeps each window's leading bids.
#[test]
fn q7_highest_bid() {
    let (events, mut s, dir) = people_and_auctions(60_000, "q7-highest");
    let q7 = "SELECT B.auction, B.bidder, B.price, B.date_time
         FROM bid B
         JOIN (
           SELECT MAX(price) AS maxprice, window_end AS date_time
           FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
           GROUP BY window_start, window_end
         ) B1
         ON B.price = B1.maxprice
         WHERE B.date_time BETWEEN B1.date_time - INTERVAL '10' SECOND AND B1.date_time";
    let sql = rows(&mut s, q7);
    let out = collect_sink();
    queries::q7(from_vec(events), out.clone()).run().unwrap();
    let mut expected: Vec<Row> = out.take().into_iter().map(bid_row).collect();
    expected.sort();
    assert!(expected.len() > 3, "{expected:?}");
    assert_eq!(sql, expected);
    std::fs::remove_dir_all(dir).unwrap();
}

/// q12, processing-time windows, in the suite's SQL (a view with `PROCTIME()`, a TUMBLE
/// over it): bids per bidder in 10 s windows of the job's clock, the same counts as the
/// `stream!` version (`tests/nexmark.rs` in the root crate checks the same way). The
/// directory is watched, so the job keeps running while the clock is moved.
#[test]
fn q12_processing_time_windows() {
    use std::time::{Duration, Instant};

    let bids = bids(30_000);
    let (_, dir) = session(&bids, "q12");
    let mut session = SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE bid (
                auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP(3)
            ) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv',
                    'source.monitor-interval' = '50 ms')",
            dir.display()
        ))
        .unwrap();
    session
        .execute("CREATE VIEW B AS SELECT *, PROCTIME() AS p_time FROM bid")
        .unwrap();
    let SqlResult::Query(q) = session
        .execute(
            "SELECT bidder, COUNT(*) AS bid_count, window_start AS starttime, window_end AS endtime
             FROM TABLE(TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '10' SECOND))
             GROUP BY bidder, window_start, window_end",
        )
        .unwrap()
    else {
        panic!("not a query")
    };
    let mut expected: HashMap<u64, i64> = HashMap::new();
    for b in &bids {
        *expected.entry(b.bidder).or_default() += 1;
    }
    let clock = ManualClock::new(1_000);
    let handle = q.job.start(Config::default().clock(clock.clone()));
    let window_input = || {
        handle
            .metrics()
            .iter()
            .filter(|m| m.2.starts_with("window"))
            .map(|m| m.3.records_in)
            .sum::<u64>()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while window_input() < bids.len() as u64 {
        assert!(
            Instant::now() < deadline,
            "the bids never reached the window"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        q.rows.is_empty(),
        "the window [0 s, 10 s) of processing time is still open"
    );
    clock.set(10_000);
    while q.rows.len() < expected.len() {
        assert!(Instant::now() < deadline, "the window never fired");
        std::thread::sleep(Duration::from_millis(5));
    }
    handle.stop().unwrap();
    let window = (Value::Timestamp(0), Value::Timestamp(10_000));
    let got: HashMap<u64, i64> = q
        .rows
        .take()
        .into_iter()
        .map(|change| {
            let Value::Int(bidder) = *change.row.get(0) else {
                panic!("{change:?}")
            };
            let Value::Int(n) = *change.row.get(1) else {
                panic!("{change:?}")
            };
            assert_eq!(
                (change.row.get(2), change.row.get(3)),
                (&window.0, &window.1)
            );
            (bidder as u64, n)
        })
        .collect();
    assert_eq!(got, expected);
    std::fs::remove_dir_all(dir).unwrap();
}
