//! Queries over several inputs: `UNION ALL`, interval joins (inner and outer) and regular
//! joins, over concrete rows.

mod common;

use common::{changes_at_parallelism_2, printed_rows, temp_dir, BIDS};
use stream_sql::{SqlResult, SqlSession};

/// A session with `bids` (auction, bidder, price, ts; watermark 5 s) and `asks` (auction,
/// price, ts; watermark 5 s) over CSV files.
fn session(name: &str) -> (SqlSession, std::path::PathBuf) {
    let dir = temp_dir(&format!("multi-{name}"));
    std::fs::write(dir.join("bids.csv"), BIDS).unwrap();
    std::fs::write(
        dir.join("asks.csv"),
        "1,15,1970-01-01 00:00:02\n2,25,1970-01-01 00:00:04\n1,35,1970-01-01 00:00:20\n4,45,1970-01-01 00:00:21\n",
    )
    .unwrap();
    let mut session = SqlSession::new();
    session
        .execute_script(&format!(
            "CREATE TABLE bids (auction BIGINT, bidder BIGINT, price BIGINT, ts TIMESTAMP(3),
               WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
             CREATE TABLE asks (auction BIGINT, price BIGINT, ts TIMESTAMP(3),
               WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');",
            dir.join("bids.csv").display(),
            dir.join("asks.csv").display()
        ))
        .unwrap();
    (session, dir)
}

fn rows(session: &mut SqlSession, sql: &str) -> Vec<String> {
    printed_rows(session, sql)
}

/// The rows `parts` together, sorted.
fn sorted(parts: &[&[&str]]) -> Vec<String> {
    let mut all: Vec<String> = parts.concat().iter().map(|s| s.to_string()).collect();
    all.sort();
    all
}

/// `b.auction, b.price, a.price` of every bid with every ask of its auction: auction 1
/// has four bids and two asks, auction 2 two bids and one ask.
const EVERY_BID_WITH_EVERY_ASK: [&str; 10] = [
    "+I[1, 10, 15]",
    "+I[1, 10, 35]",
    "+I[1, 30, 15]",
    "+I[1, 30, 35]",
    "+I[1, 40, 15]",
    "+I[1, 40, 35]",
    "+I[1, 60, 15]",
    "+I[1, 60, 35]",
    "+I[2, 20, 25]",
    "+I[2, 50, 25]",
];

#[test]
fn union_all_keeps_every_row_of_every_branch() {
    let (mut s, dir) = session("union");
    assert_eq!(
        rows(
            &mut s,
            "SELECT auction, price FROM bids WHERE price < 30
             UNION ALL SELECT auction, price * 10 FROM asks WHERE auction = 1
             UNION ALL SELECT auction, price FROM bids WHERE price < 30"
        ),
        [
            "+I[1, 10]",
            "+I[1, 10]",
            "+I[1, 150]",
            "+I[1, 350]",
            "+I[2, 20]",
            "+I[2, 20]"
        ]
    );
    // The time attribute survives the union: a window over it counts both tables' rows,
    // fired by the watermark of the slower input.
    s.execute(
        "CREATE VIEW offers AS SELECT auction, ts FROM bids UNION ALL SELECT auction, ts FROM asks",
    )
    .unwrap();
    assert_eq!(
        rows(
            &mut s,
            "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE offers, DESCRIPTOR(ts), INTERVAL '10' SECOND))
             GROUP BY window_start, window_end"
        ),
        [
            "+I[1970-01-01 00:00:00.000, 6]",
            "+I[1970-01-01 00:00:10.000, 2]",
            "+I[1970-01-01 00:00:20.000, 3]"
        ]
    );
    let error = s
        .execute("SELECT auction FROM bids UNION ALL SELECT ts FROM asks")
        .unwrap_err()
        .to_string();
    assert!(error.contains("column 1 of UNION ALL is BIGINT"), "{error}");
    let error = s
        .execute("SELECT auction FROM bids UNION SELECT auction FROM asks")
        .unwrap_err()
        .to_string();
    assert!(error.contains("UNION"), "{error}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_interval_join_meets_rows_of_one_key_within_the_time_bounds() {
    let (mut s, dir) = session("join");
    // Asks within two seconds of a bid on the same auction.
    let join = "SELECT b.auction, b.price, a.price AS ask FROM bids AS b JOIN asks AS a
                ON b.auction = a.auction AND a.ts BETWEEN b.ts - INTERVAL '2' SECOND AND b.ts + INTERVAL '2' SECOND";
    assert_eq!(rows(&mut s, join), ["+I[1, 10, 15]", "+I[2, 20, 25]"]);
    // Other conditions filter the joined rows; bounds may be written as comparisons.
    assert_eq!(
        rows(
            &mut s,
            "SELECT b.auction, b.price, a.price FROM bids b JOIN asks a
             ON a.auction = b.auction AND a.price > 20 AND a.ts >= b.ts AND a.ts < b.ts + INTERVAL '1' SECOND + INTERVAL '1' SECOND"
        ),
        ["+I[2, 20, 25]"]
    );
    let explain = s.explain(join).unwrap();
    assert!(
        explain.contains("IntervalJoin(joinType=[InnerJoin], windowBounds=[leftLowerBound=-2000, leftUpperBound=2000]"),
        "{explain}"
    );
    assert!(explain.contains(":- WatermarkAssigner("), "{explain}");
    for (sql, message) in [
        (
            "SELECT * FROM bids b JOIN asks a ON b.auction = a.auction AND a.ts >= b.ts",
            "bounded in time on one side only",
        ),
        (
            "SELECT * FROM bids b JOIN asks a ON a.ts BETWEEN b.ts + INTERVAL '5' SECOND AND b.ts",
            "leave no room",
        ),
    ] {
        let error = s.execute(sql).unwrap_err().to_string();
        assert!(error.contains(message), "{sql}: {error}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Flink's outer interval joins: every row of an outer side appears, with the partners it
/// met within the bounds or padded with NULLs once none can arrive any more; the other
/// conditions of `ON` decide which pairs meet (they do not filter the padded rows).
#[test]
fn an_outer_interval_join_pads_the_rows_that_met_no_partner_within_the_bounds() {
    let (mut s, dir) = session("outer-join");
    let join = |kind: &str, extra: &str| {
        format!(
            "SELECT b.auction, b.price, a.price AS ask FROM bids AS b {kind} JOIN asks AS a
             ON b.auction = a.auction{extra}
             AND a.ts BETWEEN b.ts - INTERVAL '2' SECOND AND b.ts + INTERVAL '2' SECOND"
        )
    };
    let met = ["+I[1, 10, 15]", "+I[2, 20, 25]"];
    let unmet_bids = [
        "+I[1, 30, NULL]",
        "+I[1, 40, NULL]",
        "+I[1, 60, NULL]",
        "+I[2, 50, NULL]",
        "+I[3, 70, NULL]",
    ];
    let unmet_asks = ["+I[NULL, NULL, 35]", "+I[NULL, NULL, 45]"];
    assert_eq!(
        rows(&mut s, &join("LEFT", "")),
        sorted(&[&met, &unmet_bids])
    );
    assert_eq!(
        rows(&mut s, &join("RIGHT", "")),
        sorted(&[&met, &unmet_asks])
    );
    assert_eq!(
        rows(&mut s, &join("FULL OUTER", "")),
        sorted(&[&met, &unmet_bids, &unmet_asks])
    );
    // `a.price > 20` fails for the first pair: that bid is padded instead.
    assert_eq!(
        rows(&mut s, &join("LEFT", " AND a.price > 20")),
        sorted(&[&["+I[1, 10, NULL]", "+I[2, 20, 25]"], &unmet_bids])
    );
    let explain = s.explain(&join("LEFT", "")).unwrap();
    assert!(
        explain.contains("IntervalJoin(joinType=[LeftOuterJoin], windowBounds=[leftLowerBound=-2000, leftUpperBound=2000]"),
        "{explain}"
    );
    assert!(
        explain.contains("interval_join(LeftOuterJoin, [-2000 ms, 2000 ms]"),
        "{explain}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_regular_join_meets_every_earlier_row_of_the_other_input() {
    let (mut s, dir) = session("regular");
    // Without time bounds every bid meets every ask of its auction, whichever came first.
    assert_eq!(
        rows(
            &mut s,
            "SELECT b.auction, b.price, a.price FROM bids b JOIN asks a ON b.auction = a.auction"
        ),
        EVERY_BID_WITH_EVERY_ASK
    );
    // Nexmark q3's shape: filters on both sides, then the join, then a projection.
    assert_eq!(
        rows(
            &mut s,
            "SELECT b.bidder, a.price FROM (SELECT * FROM bids WHERE price >= 50) AS b
             JOIN (SELECT * FROM asks WHERE price < 40) AS a ON a.auction = b.auction"
        ),
        ["+I[104, 25]", "+I[105, 15]", "+I[105, 35]"]
    );
    // A NULL key equals nothing, not even another NULL (auction 1 is NULL on both sides).
    assert_eq!(
        rows(
            &mut s,
            "SELECT b.k, b.price, a.price FROM (SELECT NULLIF(auction, 1) AS k, price FROM bids) b
             JOIN (SELECT NULLIF(auction, 1) AS k, price FROM asks) a ON b.k = a.k"
        ),
        ["+I[2, 20, 25]", "+I[2, 50, 25]"]
    );
    // So in an interval join.
    assert_eq!(
        rows(
            &mut s,
            "SELECT b.k, b.price, a.price FROM (SELECT NULLIF(auction, 1) AS k, price, ts FROM bids) b
             JOIN (SELECT NULLIF(auction, 1) AS k, price, ts FROM asks) a ON b.k = a.k
             AND a.ts BETWEEN b.ts - INTERVAL '1' MINUTE AND b.ts + INTERVAL '1' MINUTE"
        ),
        ["+I[2, 20, 25]", "+I[2, 50, 25]"]
    );
    let explain = s
        .explain("SELECT * FROM bids b JOIN asks a ON b.auction = a.auction")
        .unwrap();
    assert!(
        explain.contains("Join(joinType=[InnerJoin], where=[b.auction = a.auction])"),
        "{explain}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// The table a changelog query leaves, sorted.
fn final_table(session: &mut SqlSession, sql: &str) -> Vec<String> {
    let stream_sql::SqlResult::Query(query) = session.execute(sql).unwrap() else {
        panic!("not a query: {sql}")
    };
    assert!(query.updates, "{sql} is not a changelog");
    folded(query.collect_changes().unwrap())
}

/// The table `changes` leave, sorted, each change checked on the way: a deletion takes
/// back a row inserted before it.
fn folded(changes: Vec<stream_sql::Change>) -> Vec<String> {
    let mut table: Vec<String> = Vec::new();
    for change in changes {
        let row = change.row.to_string();
        if change.kind.adds() {
            table.push(row);
        } else {
            let at = table.iter().position(|r| *r == row);
            let at = at.unwrap_or_else(|| panic!("{change} takes back a row not in {table:?}"));
            table.remove(at);
        }
    }
    table.sort();
    table
}

#[test]
fn a_regular_outer_join_pads_rows_until_a_partner_arrives_and_then_takes_the_padding_back() {
    let (mut s, dir) = session("outer-regular");
    let join = |kind: &str, extra: &str| {
        format!(
            "SELECT b.auction, b.price, a.price AS ask FROM bids AS b {kind} JOIN asks AS a
             ON b.auction = a.auction{extra}"
        )
    };
    // Without time bounds every bid meets every ask of its auction, whichever came first.
    let pairs = EVERY_BID_WITH_EVERY_ASK;
    assert_eq!(
        final_table(&mut s, &join("LEFT", "")),
        sorted(&[&pairs, &["+I[3, 70, NULL]"]])
    );
    assert_eq!(
        final_table(&mut s, &join("RIGHT OUTER", "")),
        sorted(&[&pairs, &["+I[NULL, NULL, 45]"]])
    );
    assert_eq!(
        final_table(&mut s, &join("FULL", "")),
        sorted(&[&pairs, &["+I[3, 70, NULL]", "+I[NULL, NULL, 45]"]])
    );
    // The other ON conditions decide the pairs (ask 15 meets no bid), not the rows kept;
    // a WHERE after the join filters each change.
    assert_eq!(
        final_table(
            &mut s,
            &format!("{} WHERE b.price < 60", join("FULL", " AND a.price > 20"))
        ),
        sorted(&[&[
            "+I[1, 10, 35]",
            "+I[1, 30, 35]",
            "+I[1, 40, 35]",
            "+I[2, 20, 25]",
            "+I[2, 50, 25]"
        ],])
    );
    assert_eq!(
        final_table(&mut s, &join("RIGHT", " AND a.price > 20")),
        sorted(&[&[
            "+I[1, 10, 35]",
            "+I[1, 30, 35]",
            "+I[1, 40, 35]",
            "+I[1, 60, 35]",
            "+I[2, 20, 25]",
            "+I[2, 50, 25]",
            "+I[NULL, NULL, 15]",
            "+I[NULL, NULL, 45]"
        ],])
    );
    // A NULL key meets nothing, not even another NULL: its rows are padded (auction 1 is
    // NULL on both sides here).
    assert_eq!(
        final_table(
            &mut s,
            "SELECT b.k, b.price, a.price FROM (SELECT NULLIF(auction, 1) AS k, price FROM bids) b
             FULL JOIN (SELECT NULLIF(auction, 1) AS k, price FROM asks) a ON b.k = a.k"
        ),
        [
            "+I[2, 20, 25]",
            "+I[2, 50, 25]",
            "+I[3, 70, NULL]",
            "+I[NULL, 10, NULL]",
            "+I[NULL, 30, NULL]",
            "+I[NULL, 40, NULL]",
            "+I[NULL, 60, NULL]",
            "+I[NULL, NULL, 15]",
            "+I[NULL, NULL, 35]",
            "+I[NULL, NULL, 45]"
        ]
    );
    // Aggregated, the padding's retractions come back out of the groups (Flink's
    // GroupAggregate over a changelog): COUNT of the ask counts only pairs.
    assert_eq!(
        final_table(
            &mut s,
            "SELECT b.auction, COUNT(a.price) AS asks, COUNT(*) AS n
             FROM bids AS b LEFT JOIN asks AS a ON b.auction = a.auction GROUP BY b.auction"
        ),
        ["+I[1, 8, 8]", "+I[2, 2, 2]", "+I[3, 0, 1]"]
    );
    let explain = s.explain(&join("LEFT", "")).unwrap();
    assert!(
        explain.contains("Join(joinType=[LeftOuterJoin], where=[b.auction = a.auction])"),
        "{explain}"
    );
    assert!(
        explain.contains("join(LeftOuterJoin, where=[b.auction = a.auction])"),
        "{explain}"
    );
    // At parallelism 2 with checkpoints taken, the same table.
    assert_eq!(
        folded(changes_at_parallelism_2(&mut s, &join("FULL", ""), &dir)),
        sorted(&[&pairs, &["+I[3, 70, NULL]", "+I[NULL, NULL, 45]"]])
    );
    // An append-only sink cannot take the retractions.
    s.execute(&format!(
        "CREATE TABLE out_csv (auction BIGINT, price BIGINT, ask BIGINT)
         WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
        dir.join("out").display()
    ))
    .unwrap();
    let refused = s
        .execute(&format!("INSERT INTO out_csv {}", join("LEFT", "")))
        .unwrap_err()
        .to_string();
    assert!(refused.contains("takes only insertions"), "{refused}");
    assert!(refused.contains("regular outer join"), "{refused}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A regular join of a changelog (Flink's `Join` over an updating input): a row taken
/// back takes its pairs back, an outer row is padded again when its last partner goes,
/// and joins chain (`a LEFT JOIN b LEFT JOIN c`).
#[test]
fn a_regular_join_of_a_changelog_takes_pairs_back_with_their_rows() {
    let (mut s, dir) = session("changelog-join");
    let counts = "(SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction)";
    // Each auction's bid count (1: four bids, 2: two, 3: one) with its asks.
    assert_eq!(
        final_table(
            &mut s,
            &format!(
                "SELECT c.auction, c.n, a.price FROM {counts} AS c
                 JOIN asks AS a ON c.auction = a.auction"
            )
        ),
        ["+I[1, 4, 15]", "+I[1, 4, 35]", "+I[2, 2, 25]"]
    );
    assert_eq!(
        final_table(
            &mut s,
            &format!(
                "SELECT c.auction, c.n, a.price FROM asks AS a
                 RIGHT JOIN {counts} AS c ON c.auction = a.auction"
            )
        ),
        [
            "+I[1, 4, 15]",
            "+I[1, 4, 35]",
            "+I[2, 2, 25]",
            "+I[3, 1, NULL]"
        ]
    );
    // Joined on the count itself, an update moves the row to another key: auction 1's
    // count passes 1 and 2 on its way to 4, meeting (and leaving) the asks of auctions 1
    // and 2 there. Left is what the final counts meet.
    let on_count = format!(
        "SELECT c.auction, c.n, a.price FROM {counts} AS c
         FULL JOIN asks AS a ON c.n = a.auction"
    );
    let final_counts = [
        "+I[1, 4, 45]",
        "+I[2, 2, 25]",
        "+I[3, 1, 15]",
        "+I[3, 1, 35]",
    ];
    assert_eq!(final_table(&mut s, &on_count), final_counts);
    assert_eq!(
        folded(changes_at_parallelism_2(&mut s, &on_count, &dir)),
        final_counts
    );
    // Three tables: each bid with its auction's asks and its auction's highest ask.
    let with_top: Vec<String> = EVERY_BID_WITH_EVERY_ASK
        .iter()
        .map(|pair| {
            let top = if pair.starts_with("+I[1,") { 35 } else { 25 };
            pair.replace(']', &format!(", {top}]"))
        })
        .chain(["+I[3, 70, NULL, NULL]".to_string()])
        .collect();
    assert_eq!(
        final_table(
            &mut s,
            "SELECT b.auction, b.price, a.price, m.top FROM bids AS b
             LEFT JOIN asks AS a ON b.auction = a.auction
             LEFT JOIN (SELECT auction, MAX(price) AS top FROM asks GROUP BY auction) AS m
               ON b.auction = m.auction"
        ),
        sorted(&[&with_top.iter().map(String::as_str).collect::<Vec<_>>()])
    );
    let explain = s
        .explain(&format!(
            "SELECT c.auction, a.price FROM {counts} AS c JOIN asks AS a ON c.auction = a.auction"
        ))
        .unwrap();
    assert!(
        explain.contains("join(InnerJoin, where=[c.auction = a.auction])"),
        "{explain}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// `UNION ALL` with a changelog branch is a changelog: each branch's changes merged (an
/// append-only branch's rows inserted), and what is computed over it takes them.
#[test]
fn a_union_with_a_changelog_merges_the_changes_of_its_branches() {
    let (mut s, dir) = session("changelog-union");
    let union = "SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction
                 UNION ALL SELECT auction, price AS n FROM asks";
    let table = [
        "+I[1, 15]",
        "+I[1, 35]",
        "+I[1, 4]",
        "+I[2, 25]",
        "+I[2, 2]",
        "+I[3, 1]",
        "+I[4, 45]",
    ];
    assert_eq!(final_table(&mut s, union), table);
    assert_eq!(folded(changes_at_parallelism_2(&mut s, union, &dir)), table);
    // Summed per auction: the counts' updates are taken back out of the sums.
    let sums = format!("SELECT auction, SUM(n) AS total FROM ({union}) GROUP BY auction");
    assert_eq!(
        final_table(&mut s, &sums),
        ["+I[1, 54]", "+I[2, 27]", "+I[3, 1]", "+I[4, 45]"]
    );
    // The two largest, by a Top-N over the union's changes.
    assert_eq!(
        final_table(
            &mut s,
            &format!(
                "SELECT * FROM (SELECT auction, n, ROW_NUMBER() OVER (ORDER BY n DESC) AS rn
                 FROM ({union})) WHERE rn <= 2"
            )
        ),
        ["+I[1, 35, 2]", "+I[4, 45, 1]"]
    );
    let explain = s.explain(&sums).unwrap();
    assert!(
        explain.contains("Union(all=[true]") && explain.contains("retracting_group_aggregate"),
        "{explain}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// The rows of a query that only inserts, sorted.
fn appended(session: &mut SqlSession, sql: &str) -> Vec<String> {
    let stream_sql::SqlResult::Query(query) = session
        .execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    else {
        panic!("not a query: {sql}")
    };
    assert!(!query.updates, "{sql} is a changelog");
    common::printed(query)
}

/// Subqueries in WHERE are Flink's semi and anti joins: `IN` and `EXISTS` keep the rows
/// with a partner in the subquery (append-only over inputs that only insert), `NOT
/// EXISTS` those without (a changelog: a row goes when its first partner arrives).
#[test]
fn subqueries_in_where_are_semi_and_anti_joins() {
    let (mut s, dir) = session("subqueries");
    let auctions_1_and_2 = [
        "+I[1, 10]",
        "+I[1, 30]",
        "+I[1, 40]",
        "+I[1, 60]",
        "+I[2, 20]",
        "+I[2, 50]",
    ];
    assert_eq!(
        appended(
            &mut s,
            "SELECT auction, price FROM bids WHERE auction IN (SELECT auction FROM asks)"
        ),
        auctions_1_and_2
    );
    // The subquery's own conditions filter its rows; the query's filter its own.
    assert_eq!(
        appended(
            &mut s,
            "SELECT auction, price FROM bids
             WHERE price > 20 AND auction IN (SELECT auction FROM asks WHERE price > 30)"
        ),
        ["+I[1, 30]", "+I[1, 40]", "+I[1, 60]"]
    );
    assert_eq!(
        appended(
            &mut s,
            "SELECT auction, price FROM bids
             WHERE (auction, price) IN (SELECT auction, price + 5 FROM asks)"
        ),
        ["+I[1, 40]"]
    );
    // EXISTS, correlated by an equality; the rest of its WHERE is its own.
    assert_eq!(
        appended(
            &mut s,
            "SELECT b.auction, b.price FROM bids AS b
             WHERE EXISTS (SELECT * FROM asks AS a WHERE a.auction = b.auction AND a.price < 20)"
        ),
        ["+I[1, 10]", "+I[1, 30]", "+I[1, 40]", "+I[1, 60]"]
    );
    let not_exists = "SELECT b.auction, b.price FROM bids AS b
                      WHERE NOT EXISTS (SELECT 1 FROM asks AS a WHERE a.auction = b.auction)";
    assert_eq!(final_table(&mut s, not_exists), ["+I[3, 70]"]);
    assert_eq!(
        folded(changes_at_parallelism_2(&mut s, not_exists, &dir)),
        ["+I[3, 70]"]
    );
    // Before an aggregation, and over a changelog (the auctions with more than one bid).
    assert_eq!(
        final_table(
            &mut s,
            "SELECT auction, COUNT(*) AS n FROM bids
             WHERE auction IN (SELECT auction FROM asks) GROUP BY auction"
        ),
        ["+I[1, 4]", "+I[2, 2]"]
    );
    assert_eq!(
        final_table(
            &mut s,
            "SELECT auction, price FROM asks
             WHERE auction IN (SELECT auction FROM bids GROUP BY auction HAVING COUNT(*) > 1)"
        ),
        ["+I[1, 15]", "+I[1, 35]", "+I[2, 25]"]
    );
    // Over a Top-N whose number it passes on: the numbers are kept up to date.
    assert_eq!(
        final_table(
            &mut s,
            "SELECT auction, price, rn FROM (
               SELECT auction, price,
                 ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn
               FROM bids)
             WHERE rn <= 2 AND auction IN (SELECT auction FROM asks)"
        ),
        [
            "+I[1, 40, 2]",
            "+I[1, 60, 1]",
            "+I[2, 20, 2]",
            "+I[2, 50, 1]"
        ]
    );
    let explain = s.explain(not_exists).unwrap();
    assert!(
        explain.contains("Join(joinType=[LeftAntiJoin]"),
        "{explain}"
    );
    assert!(
        explain.contains("join(LeftAntiJoin, where=[NOT EXISTS"),
        "{explain}"
    );
    for (sql, message) in [
        (
            "SELECT * FROM bids WHERE auction NOT IN (SELECT auction FROM asks)",
            "NOT IN (a subquery) is not supported",
        ),
        (
            "SELECT * FROM bids AS b WHERE EXISTS (SELECT * FROM asks AS a WHERE a.price > b.price)",
            "a correlated condition other than an equality of columns",
        ),
        (
            "SELECT * FROM bids AS b WHERE EXISTS (SELECT COUNT(*) FROM asks AS a WHERE a.auction = b.auction)",
            "EXISTS over an aggregation",
        ),
        (
            "SELECT * FROM bids WHERE auction IN (SELECT auction, price FROM asks)",
            "the subquery of IN has 2 column(s) and 1 compared",
        ),
        (
            "SELECT * FROM bids WHERE auction IN (SELECT ts FROM asks)",
            "`auction` is BIGINT and the subquery's column 1 is TIMESTAMP(3)",
        ),
    ] {
        let error = s.execute(sql).unwrap_err().to_string();
        assert!(error.contains(message), "{sql}: {error}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Flink's documented event-time temporal join ("Joins", "Event Time Temporal Join"):
/// orders priced at the currency rate valid at each order's time, the rates' changes
/// as versions of their currency. A session with `orders` and `rates` over CSV files,
/// the rates' times in the order Flink's example lists them.
fn orders_and_rates(name: &str) -> (SqlSession, std::path::PathBuf) {
    let dir = temp_dir(&format!("temporal-{name}"));
    std::fs::write(
        dir.join("rates.csv"),
        "Yen,102,1970-01-01 09:00:00\nEuro,114,1970-01-01 09:00:00\nUSD,1,1970-01-01 09:00:00\n\
         Euro,116,1970-01-01 10:45:00\nEuro,119,1970-01-01 11:15:00\nPounds,108,1970-01-01 11:49:00\n",
    )
    .unwrap();
    // Out of order within the orders' watermark delay, and a Pounds order before the
    // first Pounds rate.
    std::fs::write(
        dir.join("orders.csv"),
        "o1,Euro,2,1970-01-01 10:15:00\no2,Euro,3,1970-01-01 10:45:00\n\
         o3,Yen,50,1970-01-01 10:30:00\no4,Pounds,1,1970-01-01 10:50:00\n\
         o5,Euro,1,1970-01-01 11:30:00\no6,Pounds,2,1970-01-01 12:00:00\n\
         o7,Yen,1,1970-01-01 12:10:00\n",
    )
    .unwrap();
    let mut session = SqlSession::new();
    session
        .execute_script(&format!(
            "CREATE TABLE orders (order_id STRING, currency STRING, amount BIGINT,
               order_time TIMESTAMP(3), WATERMARK FOR order_time AS order_time - INTERVAL '30' MINUTE)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
             CREATE TABLE rates (currency STRING, rate BIGINT, update_time TIMESTAMP(3),
               WATERMARK FOR update_time AS update_time, PRIMARY KEY (currency) NOT ENFORCED)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');",
            dir.join("orders.csv").display(),
            dir.join("rates.csv").display()
        ))
        .unwrap();
    (session, dir)
}

#[test]
fn a_temporal_join_prices_each_order_at_the_rate_valid_at_its_time() {
    let (mut s, dir) = orders_and_rates("join");
    let priced = |kind: &str| {
        format!(
            "SELECT o.order_id, o.amount * r.rate AS yen, r.rate, r.update_time
             FROM orders AS o {kind} JOIN rates FOR SYSTEM_TIME AS OF o.order_time AS r
             ON o.currency = r.currency"
        )
    };
    let inner = [
        "+I[o1, 228, 114, 1970-01-01 09:00:00.000]",
        // A version is valid from its own time on.
        "+I[o2, 348, 116, 1970-01-01 10:45:00.000]",
        "+I[o3, 5100, 102, 1970-01-01 09:00:00.000]",
        "+I[o5, 119, 119, 1970-01-01 11:15:00.000]",
        "+I[o6, 216, 108, 1970-01-01 11:49:00.000]",
        "+I[o7, 102, 102, 1970-01-01 09:00:00.000]",
    ];
    assert_eq!(rows(&mut s, &priced("")), inner);
    // LEFT: the Pounds order before the first Pounds rate is padded.
    assert_eq!(
        rows(&mut s, &priced("LEFT")),
        sorted(&[&inner, &["+I[o4, NULL, NULL, NULL]"]])
    );
    // The other ON conditions do not choose among versions: they are checked on the one
    // valid at the order's time (o3's, o6's and o7's fail, and those orders are padded;
    // no other version is tried).
    assert_eq!(
        rows(
            &mut s,
            "SELECT o.order_id, r.rate FROM orders AS o LEFT JOIN rates
               FOR SYSTEM_TIME AS OF o.order_time AS r
             ON o.currency = r.currency AND r.rate > 110 AND r.rate < 200"
        ),
        [
            "+I[o1, 114]",
            "+I[o2, 116]",
            "+I[o3, NULL]",
            "+I[o4, NULL]",
            "+I[o5, 119]",
            "+I[o6, NULL]",
            "+I[o7, NULL]"
        ]
    );
    // Comparisons of the two times are conditions like the others (Flink's staleness
    // check): a rate older than an hour is no rate.
    assert_eq!(
        rows(
            &mut s,
            "SELECT o.order_id, r.rate FROM orders AS o LEFT JOIN rates
               FOR SYSTEM_TIME AS OF o.order_time AS r
             ON o.currency = r.currency AND r.update_time >= o.order_time - INTERVAL '1' HOUR"
        ),
        [
            "+I[o1, NULL]",
            "+I[o2, 116]",
            "+I[o3, NULL]",
            "+I[o4, NULL]",
            "+I[o5, 119]",
            "+I[o6, 108]",
            "+I[o7, NULL]"
        ]
    );
    // The same pairs at parallelism 2, with checkpoints.
    assert_eq!(
        folded(changes_at_parallelism_2(&mut s, &priced(""), &dir)),
        inner
    );
    // The order's time stays the time attribute: hourly windows over the priced orders.
    s.execute(
        &format!("CREATE VIEW priced AS {}", priced(""))
            .replace("SELECT o.order_id,", "SELECT o.order_id, o.order_time,"),
    )
    .unwrap();
    assert_eq!(
        rows(
            &mut s,
            "SELECT window_start, SUM(yen) AS yen, COUNT(*) AS orders
             FROM TABLE(TUMBLE(TABLE priced, DESCRIPTOR(order_time), INTERVAL '1' HOUR))
             GROUP BY window_start, window_end"
        ),
        [
            "+I[1970-01-01 10:00:00.000, 5676, 3]",
            "+I[1970-01-01 11:00:00.000, 119, 1]",
            "+I[1970-01-01 12:00:00.000, 318, 2]"
        ]
    );
    let SqlResult::Explain(plan) = s.execute(&format!("EXPLAIN {}", priced(""))).unwrap() else {
        panic!("not an EXPLAIN")
    };
    assert!(plan.contains("TemporalJoin(joinType=[InnerJoin]"), "{plan}");
    std::fs::remove_dir_all(dir).unwrap();
}
