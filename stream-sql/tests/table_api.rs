//! The Table API gives the rows of the same query in SQL, and its mistakes are errors of
//! the step that makes them.

use stream_sql::table::{
    call, col, count_star, hop, interval_ms, lit, tumble, window_end, window_start,
};
use stream_sql::SqlSession;

mod common;

/// A session with `bids` (a CSV file) and `big_bids` (a print sink).
fn session(dir: &std::path::Path) -> SqlSession {
    let input = dir.join("bids.csv");
    let lines: String = (0..300i64)
        .map(|i| {
            let bidder = bidder(i).map_or(String::new(), |b| b.to_string());
            let channel = ["web", "app", "partner"][(i % 3) as usize];
            let ts = stream_sql::Value::Timestamp(i * 300 + (i % 4) * 200);
            format!("{},{bidder},{},{channel},{ts}\n", i % 5, price(i))
        })
        .collect();
    std::fs::write(&input, lines).unwrap();
    let mut session = SqlSession::new();
    session
        .execute(&format!(
            "CREATE TABLE bids (auction BIGINT, bidder BIGINT, price BIGINT, channel STRING,
                ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            input.display()
        ))
        .unwrap();
    session
}

/// The bidder of the `session`'s row `i` (NULL for every sixth).
fn bidder(i: i64) -> Option<i64> {
    (i % 6 != 0).then_some(i % 13)
}

/// The price of the `session`'s row `i`.
fn price(i: i64) -> i64 {
    (i * 53) % 700
}

fn rows_of_sql(session: &SqlSession, sql: &str) -> Vec<String> {
    common::printed_rows(&mut session.clone(), sql)
}

fn rows_of_table(table: &stream_sql::table::Table) -> Vec<String> {
    common::printed(table.execute().unwrap())
}

fn temp(name: &str) -> std::path::PathBuf {
    common::temp_dir(&format!("table-api-{name}"))
}

#[test]
fn filter_select_and_a_tumbling_window_give_sqls_rows() {
    let dir = temp("tumble");
    let session = session(&dir);
    let table = session
        .from("bids")
        .unwrap()
        .filter(col("price").gt(100).and(col("bidder").is_not_null()))
        .unwrap()
        .select([
            col("auction"),
            (col("price") * 2).as_("double_price"),
            call("UPPER", [col("channel")]).as_("channel"),
            col("ts"),
        ])
        .unwrap();
    assert_eq!(table.schema().names(), "auction, double_price, channel, ts");
    assert_eq!(
        rows_of_table(&table),
        rows_of_sql(
            &session,
            "SELECT auction, price * 2, UPPER(channel), ts FROM bids
             WHERE price > 100 AND bidder IS NOT NULL"
        )
    );
    let windowed = table
        .window(tumble(10_000).on("ts"))
        .group_by([col("auction")])
        .select([
            col("auction"),
            window_start(),
            window_end(),
            count_star(),
            col("double_price").sum(),
            col("channel").max(),
        ])
        .unwrap();
    let expected = rows_of_sql(
        &session,
        "SELECT auction, window_start, window_end, COUNT(*), SUM(price * 2), MAX(UPPER(channel))
         FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
         WHERE price > 100 AND bidder IS NOT NULL
         GROUP BY auction, window_start, window_end",
    );
    assert!(expected.len() > 10, "{expected:?}");
    assert_eq!(rows_of_table(&windowed), expected);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hop_union_all_and_a_changelog_group_by() {
    let dir = temp("hop");
    let session = session(&dir);
    let bids = session.from("bids").unwrap();
    let hopped = bids
        .window(hop(5_000, 20_000).on("ts"))
        .group_by([col("channel")])
        .select([col("channel"), window_end(), col("bidder").count().as_("n")])
        .unwrap();
    assert_eq!(
        rows_of_table(&hopped),
        rows_of_sql(
            &session,
            "SELECT channel, window_end, COUNT(bidder) AS n
             FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '20' SECOND))
             GROUP BY channel, window_start, window_end"
        )
    );

    let web = bids.filter(col("channel").eq(lit("web"))).unwrap();
    let app = bids.filter(col("channel").eq(lit("app"))).unwrap();
    let both = web.union_all(&app).unwrap();
    let totals = both
        .group_by([col("channel")])
        .select([col("channel"), col("price").sum().as_("total")])
        .unwrap();
    let result = totals.execute().unwrap();
    assert!(result.updates, "a GROUP BY without a window is a changelog");
    assert_eq!(
        common::printed(result),
        rows_of_sql(
            &session,
            "SELECT channel, SUM(price) AS total FROM bids
             WHERE channel = 'web' OR channel = 'app' GROUP BY channel"
        )
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn insert_into_a_sink_declared_later_and_explain() {
    let dir = temp("insert");
    let mut session = session(&dir);
    let table = session
        .from("bids")
        .unwrap()
        .window(tumble(30_000).on("ts"))
        .group_by([])
        .select([window_end(), count_star().as_("bids")])
        .unwrap();
    let out = dir.join("out");
    session
        .execute(&format!(
            "CREATE TABLE counts (window_end TIMESTAMP(3), bids BIGINT)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            out.display()
        ))
        .unwrap();
    let explained = table.explain().unwrap();
    assert!(explained.contains("TUMBLE(size=[30s])"), "{explained}");
    table
        .execute_insert(&session, "counts")
        .unwrap()
        .run()
        .unwrap();
    let lines = common::published(&out);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines.iter().any(|l| l == "1970-01-01 00:01:00.000,100"),
        "{lines:?}"
    );
    let total: i64 = lines
        .iter()
        .map(|l| l.rsplit(',').next().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(total, 300, "every bid in one window: {lines:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_mistake_is_an_error_of_its_step_with_the_planners_message() {
    let dir = temp("errors");
    let session = session(&dir);
    let bids = session.from("bids").unwrap();
    let err = bids.select([col("pricee")]).unwrap_err();
    assert_eq!(err.message, "unknown column `pricee`");
    let text = err.to_string();
    assert!(text.starts_with("unknown column `pricee`"), "{text}");
    assert!(text.contains("did you mean `price`?"), "{text}");
    assert!(
        text.contains("in the Table API's query: SELECT `pricee` FROM"),
        "{text}"
    );

    let err = bids.filter(col("channel").gt(5)).unwrap_err().to_string();
    assert!(err.contains("cannot compare STRING with BIGINT"), "{err}");

    let err = bids
        .window(tumble(1_000).on("price"))
        .group_by([])
        .select([count_star()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("time attribute"), "{err}");

    let err = session.from("bidz").unwrap_err().to_string();
    assert!(err.contains("unknown table `bidz`"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn distinct_and_an_interval_join_with_a_table_declared_later() {
    let dir = temp("join");
    let mut session = session(&dir);
    let bids = session.from("bids").unwrap();
    let channels = bids
        .select([col("channel").as_("c")])
        .unwrap()
        .distinct()
        .unwrap();
    assert_eq!(
        rows_of_table(&channels),
        ["+I[app]", "+I[partner]", "+I[web]"]
    );

    // A second table over the same file, declared after `bids` was taken.
    session
        .execute(&format!(
            "CREATE TABLE offers (o_auction BIGINT, o_bidder BIGINT, o_price BIGINT,
                o_channel STRING, o_ts TIMESTAMP(3),
                WATERMARK FOR o_ts AS o_ts - INTERVAL '1' SECOND)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            dir.join("bids.csv").display()
        ))
        .unwrap();
    let offers = session.from("offers").unwrap();
    let joined = bids
        .join(
            &offers,
            col("auction")
                .eq(col("o_auction"))
                .and(col("ts").between(col("o_ts") - interval_ms(1_500), col("o_ts"))),
        )
        .unwrap();
    let plan = joined.explain().unwrap();
    assert!(
        plan.contains("interval_join"),
        "an interval join, not a regular one: {plan}"
    );
    let n = joined.execute().unwrap().collect().unwrap().len();
    // The same pairs, counted by hand: equal auctions, a bid at most 1.5 s before an offer.
    let times: Vec<(i64, i64)> = (0..300i64)
        .map(|i| (i % 5, i * 300 + (i % 4) * 200))
        .collect();
    let expected = times
        .iter()
        .flat_map(|a| times.iter().map(move |o| (a, o)))
        .filter(|(a, o)| a.0 == o.0 && a.1 >= o.1 - 1_500 && a.1 <= o.1)
        .count();
    assert!(expected > 300, "{expected}");
    assert_eq!(n, expected);

    let Err(err) = bids.execute_insert(&session, "nowhere") else {
        panic!("an unknown sink is an error")
    };
    assert!(err.to_string().contains("unknown table `nowhere`"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn outer_joins_give_sqls_final_tables() {
    let dir = temp("outer-join");
    let mut session = session(&dir);
    session
        .execute(&format!(
            "CREATE TABLE offers (o_auction BIGINT, o_bidder BIGINT, o_price BIGINT,
                o_channel STRING, o_ts TIMESTAMP(3))
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            dir.join("bids.csv").display()
        ))
        .unwrap();
    let bids = session.from("bids").unwrap();
    let offers = session.from("offers").unwrap();
    // Each bid with the bidder's dearer offers (offers are the same rows).
    let on = || {
        col("bidder")
            .eq(col("o_bidder"))
            .and(col("price").lt(col("o_price")))
    };
    let on_sql = "bidder = o_bidder AND price < o_price";
    // By brute force: the partners of each bid, and of each offer. A bidder's dearest bid
    // meets no offer only because of `price < o_price`; the bids without a bidder (NULL)
    // meet nothing.
    let rows: Vec<(Option<i64>, i64)> = (0..300).map(|i| (bidder(i), price(i))).collect();
    let partners = |(b, p): (Option<i64>, i64), of_bid: bool| {
        rows.iter()
            .filter(|&&(ob, op)| b.is_some() && ob == b && if of_bid { p < op } else { op < p })
            .count()
    };
    let pairs: usize = rows.iter().map(|&r| partners(r, true)).sum();
    let unmet = |of_bid: bool| rows.iter().filter(|&&r| partners(r, of_bid) == 0).count();
    let unmet_with_bidder = |of_bid: bool| {
        rows.iter()
            .filter(|&&r| r.0.is_some() && partners(r, of_bid) == 0)
            .count()
    };
    assert_eq!(
        (unmet_with_bidder(true), unmet_with_bidder(false)),
        (13, 13)
    );
    // The padded rows on each side whose bidder is not NULL (columns 1 and 6).
    let padded_with_bidder = |table: &[String]| {
        let padded = |column: usize| {
            table
                .iter()
                .filter(|r| {
                    let fields: Vec<&str> = r.trim_start_matches("+I[").split(", ").collect();
                    let side = if column == 1 {
                        &fields[5..]
                    } else {
                        &fields[..5]
                    };
                    side.iter().all(|f| f.trim_end_matches(']') == "NULL")
                        && fields[column] != "NULL"
                })
                .count()
        };
        (padded(1), padded(6))
    };
    for (joined, kind, keeps_bids, keeps_offers) in [
        (
            bids.left_outer_join(&offers, on()).unwrap(),
            "LEFT",
            true,
            false,
        ),
        (
            bids.right_outer_join(&offers, on()).unwrap(),
            "RIGHT",
            false,
            true,
        ),
        (
            bids.full_outer_join(&offers, on()).unwrap(),
            "FULL",
            true,
            true,
        ),
    ] {
        assert!(joined.execute().unwrap().updates, "{kind}");
        let table = rows_of_table(&joined);
        let expected_len = pairs
            + if keeps_bids { unmet(true) } else { 0 }
            + if keeps_offers { unmet(false) } else { 0 };
        assert_eq!(table.len(), expected_len, "{kind}");
        assert_eq!(
            padded_with_bidder(&table),
            (
                if keeps_bids { 13 } else { 0 },
                if keeps_offers { 13 } else { 0 }
            ),
            "{kind}"
        );
        let sql = format!("SELECT * FROM bids {kind} JOIN offers ON {on_sql}");
        assert_eq!(table, rows_of_sql(&session, &sql), "{kind}");
    }
    let plan = bids
        .left_outer_join(&offers, on())
        .unwrap()
        .explain()
        .unwrap();
    assert!(plan.contains("+- Join(joinType=[LeftOuterJoin]"), "{plan}");
    std::fs::remove_dir_all(&dir).ok();
}
