//! The 'jdbc' connector over SQLite: a changelog upserted by primary key (updates replace
//! a key's row, retractions delete it), insertions appended, the table read back as a
//! source, state checkpointed at parallelism 2, and the mistakes a user makes refused.
//! The database is read back with SQLite itself (rusqlite), not through Strom.

#![cfg(feature = "jdbc")]

use std::path::{Path, PathBuf};

mod common;

use common::{bids_session, kvw_session, printed, run_at_parallelism_2, temp_dir};
use stream_sql::{SqlResult, SqlSession};

struct Db {
    dir: PathBuf,
    session: SqlSession,
}

impl Db {
    fn new(name: &str) -> Db {
        let dir = temp_dir(&format!("jdbc-{name}"));
        let session = bids_session(&dir);
        Db { dir, session }
    }

    fn path(&self) -> PathBuf {
        self.dir.join("results.db")
    }

    /// Declares `name (columns)` as a table of the database.
    fn table(&mut self, name: &str, columns: &str) {
        let url = format!("jdbc:sqlite:{}", self.path().display());
        self.session
            .execute(&format!(
                "CREATE TABLE {name} ({columns})
                 WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = '{name}')"
            ))
            .unwrap_or_else(|e| panic!("{e}"));
    }

    fn insert(&mut self, sql: &str) -> strom::Job {
        match self.session.execute(sql) {
            Ok(SqlResult::Insert(job)) => job,
            other => panic!("{sql}: {other:?}"),
        }
    }

    fn run(&mut self, sql: &str) {
        self.insert(sql)
            .run()
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn error(&mut self, sql: &str) -> String {
        match self.session.execute_script(sql) {
            Err(e) => e.to_string(),
            Ok(done) => panic!("{sql} was accepted: {done:?}"),
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The rows of `table` in the database at `path`, each as its values joined by `,`,
/// sorted.
fn stored(path: &Path, table: &str) -> Vec<String> {
    let connection = rusqlite::Connection::open(path).unwrap();
    let mut statement = connection
        .prepare(&format!("SELECT * FROM \"{table}\""))
        .unwrap();
    let columns = statement.column_count();
    let mut rows: Vec<String> = statement
        .query_map((), |row| {
            (0..columns)
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                        rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                        rusqlite::types::ValueRef::Real(x) => format!("{x:?}"),
                        rusqlite::types::ValueRef::Text(t) => {
                            String::from_utf8_lossy(t).into_owned()
                        }
                        rusqlite::types::ValueRef::Blob(_) => "BLOB".to_owned(),
                    })
                })
                .collect::<rusqlite::Result<Vec<_>>>()
                .map(|values| values.join(","))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    rows.sort();
    rows
}

#[test]
fn a_group_by_upserts_each_groups_newest_result_by_primary_key() {
    let mut db = Db::new("group");
    db.table(
        "totals",
        "auction BIGINT, n BIGINT, total BIGINT, PRIMARY KEY (auction) NOT ENFORCED",
    );
    db.run("INSERT INTO totals SELECT auction, COUNT(*), SUM(price) FROM bids GROUP BY auction");
    assert_eq!(
        stored(&db.path(), "totals"),
        ["1,4,140", "2,2,70", "3,1,70"]
    );
    // Run again over the same input (a replay after a restore writes the same changes):
    // the table is unchanged, not doubled.
    db.run("INSERT INTO totals SELECT auction, COUNT(*), SUM(price) FROM bids GROUP BY auction");
    assert_eq!(
        stored(&db.path(), "totals"),
        ["1,4,140", "2,2,70", "3,1,70"]
    );
    // And the table reads back as a source, in the declared types.
    let SqlResult::Query(query) = db
        .session
        .execute("SELECT auction, total * 2 FROM totals WHERE n > 1")
        .unwrap()
    else {
        panic!("not a query")
    };
    assert!(!query.updates);
    let rows = printed(query);
    assert_eq!(rows, ["+I[1, 280]", "+I[2, 140]"]);
}

/// A regular outer join of a changelog (each bid with its auction's highest price under
/// 60, which rises as bids come) upserted by the bidder: the pairs taken back and the
/// paddings replaced leave one row per bidder with the final partner.
#[test]
fn a_changelog_join_upserts_each_rows_final_partner() {
    let mut db = Db::new("join");
    db.table(
        "tops",
        "bidder BIGINT, price BIGINT, top BIGINT, PRIMARY KEY (bidder) NOT ENFORCED",
    );
    db.run(
        "INSERT INTO tops SELECT b.bidder, b.price, m.top FROM bids b LEFT JOIN
           (SELECT auction, MAX(price) AS top FROM bids WHERE price < 60 GROUP BY auction) m
         ON b.auction = m.auction",
    );
    assert_eq!(
        stored(&db.path(), "tops"),
        [
            "100,10,40",
            "101,20,50",
            "102,30,40",
            "103,40,40",
            "104,50,50",
            "105,60,40",
            "106,70,NULL"
        ]
    );
}

#[test]
fn retractions_delete_their_keys_row() {
    let mut db = Db::new("retract");
    // HAVING drops a group once it has 3 bids: its `-U` arrives without a `+U`.
    db.table(
        "few",
        "auction BIGINT NOT NULL, n BIGINT, PRIMARY KEY (auction) NOT ENFORCED",
    );
    db.run(
        "INSERT INTO few SELECT auction, COUNT(*) FROM bids GROUP BY auction HAVING COUNT(*) < 3",
    );
    assert_eq!(stored(&db.path(), "few"), ["2,2", "3,1"]);
    // The top bid per auction, keyed by bidder (not the ranking's partition): each new
    // top bid deletes the old bidder's row.
    db.table(
        "top",
        "bidder BIGINT PRIMARY KEY NOT ENFORCED, auction BIGINT, price BIGINT",
    );
    db.run(
        "INSERT INTO top SELECT bidder, auction, price FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM bids)
         WHERE rn <= 1",
    );
    assert_eq!(
        stored(&db.path(), "top"),
        ["104,2,50", "105,1,60", "106,3,70"]
    );
}

#[test]
fn several_live_rows_under_one_key_leave_the_newest_until_the_last_goes() {
    let mut db = Db::new("materialize");
    // Keyed by whether the top bid is high: auction 1's first top bid (10, low) is
    // replaced while auction 2's (20, low) is still live under the same key. Deleting the
    // key then would lose auction 2's row; the key keeps it (Flink's upsert materializer).
    db.table(
        "leaders",
        "high BOOLEAN, auction BIGINT, bidder BIGINT, price BIGINT, PRIMARY KEY (high) NOT ENFORCED",
    );
    let sql = "INSERT INTO leaders SELECT price > 25, auction, bidder, price FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn
           FROM bids WHERE price <> 50)
         WHERE rn <= 1";
    let job = db.insert(sql);
    assert!(
        job.plan().to_string().contains("key_by(primary key)"),
        "{}",
        job.plan()
    );
    job.run().unwrap();
    assert_eq!(stored(&db.path(), "leaders"), ["0,2,101,20", "1,3,106,70"]);
}

#[test]
fn a_null_key_fails_the_job_and_keys_below_one_read_back() {
    let mut db = Db::new("keys");
    db.table(
        "shifted",
        "k BIGINT, n BIGINT, PRIMARY KEY (k) NOT ENFORCED",
    );
    db.run("INSERT INTO shifted SELECT auction - 2, COUNT(*) FROM bids GROUP BY auction - 2");
    assert_eq!(stored(&db.path(), "shifted"), ["-1,4", "0,2", "1,1"]);
    let SqlResult::Query(query) = db.session.execute("SELECT k, n FROM shifted").unwrap() else {
        panic!("not a query")
    };
    let rows = printed(query);
    assert_eq!(rows, ["+I[-1, 4]", "+I[0, 2]", "+I[1, 1]"]);
    let error = db
        .insert(
            "INSERT INTO shifted SELECT CASE WHEN auction = 3 THEN NULL ELSE auction END, COUNT(*)
             FROM bids GROUP BY CASE WHEN auction = 3 THEN NULL ELSE auction END",
        )
        .run()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the primary key column `k` is NULL in a change"),
        "{error}"
    );
}

#[test]
fn a_table_without_a_key_appends_insertions_and_stores_every_type() {
    let mut db = Db::new("append");
    db.table(
        "high",
        "auction BIGINT, price DOUBLE, ts TIMESTAMP(3), big BOOLEAN, note STRING",
    );
    db.run(
        "INSERT INTO high SELECT auction, CAST(price AS DOUBLE) / 4, ts, price > 50,
           CASE WHEN auction = 1 THEN 'one' END
         FROM bids WHERE price > 25",
    );
    assert_eq!(
        stored(&db.path(), "high"),
        [
            "1,10.0,1970-01-01 00:00:11.000,0,one",
            "1,15.0,1970-01-01 00:00:09.000,1,one",
            "1,7.5,1970-01-01 00:00:07.000,0,one",
            "2,12.5,1970-01-01 00:00:12.000,0,NULL",
            "3,17.5,1970-01-01 00:00:25.000,1,NULL",
        ]
    );
    let SqlResult::Query(query) = db.session.execute("SELECT * FROM high WHERE big").unwrap()
    else {
        panic!("not a query")
    };
    let rows = printed(query);
    assert_eq!(
        rows,
        [
            "+I[1, 15.0, 1970-01-01 00:00:09.000, true, one]",
            "+I[3, 17.5, 1970-01-01 00:00:25.000, true, NULL]"
        ]
    );
}

#[test]
fn upserts_at_parallelism_2_with_checkpoints_leave_the_final_table() {
    let dir = temp_dir("jdbc-chk");
    let mut session = kvw_session(&dir, |i| (i % 17, i % 100, i % 7));
    let path = dir.join("results.db");
    session
        .execute(&format!(
            "CREATE TABLE per_key (k BIGINT, n BIGINT, total BIGINT, distinct_w BIGINT,
               PRIMARY KEY (k) NOT ENFORCED)
             WITH ('connector' = 'jdbc', 'url' = 'jdbc:sqlite:{}', 'table-name' = 'per_key',
                   'sink.buffer-flush.max-rows' = '5')",
            path.display()
        ))
        .unwrap();
    let SqlResult::Insert(job) = session
        .execute(
            "INSERT INTO per_key SELECT k, COUNT(*), SUM(v), COUNT(DISTINCT w) FROM t GROUP BY k",
        )
        .unwrap()
    else {
        panic!("not an insert")
    };
    run_at_parallelism_2(job, &dir);
    let expected: Vec<String> = {
        let mut rows: Vec<String> = (0..17i64)
            .map(|k| {
                let ids: Vec<i64> = (0..20_000i64).filter(|i| i % 17 == k).collect();
                let sum: i64 = ids.iter().map(|i| i % 100).sum();
                format!("{k},{},{sum},7", ids.len())
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(stored(&path, "per_key"), expected);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_plan_names_the_table_and_its_mode() {
    let mut db = Db::new("explain");
    db.table(
        "totals",
        "auction BIGINT, n BIGINT, PRIMARY KEY (auction) NOT ENFORCED",
    );
    let job = db.insert("INSERT INTO totals SELECT auction, COUNT(*) FROM bids GROUP BY auction");
    let plan = job.plan().to_string();
    assert!(
        plan.contains(&format!(
            "jdbc(sqlite: {}, table totals, upsert on (auction))",
            db.path().display()
        )),
        "{plan}"
    );
}

#[test]
fn mistakes_are_refused_with_the_fix() {
    let mut db = Db::new("refusals");
    let url = format!("jdbc:sqlite:{}", db.path().display());
    let with = |extra: &str| {
        format!("WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = 't'{extra})")
    };
    db.table("plain", "auction BIGINT, n BIGINT");
    let cases = [
        (
            "INSERT INTO plain SELECT auction, COUNT(*) FROM bids GROUP BY auction".to_owned(),
            "table `plain` (jdbc) takes only insertions",
        ),
        (
            format!("CREATE TABLE a (k BIGINT, PRIMARY KEY (k)) {}", with("")),
            "so it must say NOT ENFORCED",
        ),
        (
            format!("CREATE TABLE a (k BIGINT, PRIMARY KEY (nope) NOT ENFORCED) {}", with("")),
            "the PRIMARY KEY names `nope`, which is not a column of the table",
        ),
        (
            format!(
                "CREATE TABLE a (k BIGINT PRIMARY KEY NOT ENFORCED, v BIGINT, PRIMARY KEY (v) NOT ENFORCED) {}",
                with("")
            ),
            "a table has at most one PRIMARY KEY",
        ),
        (
            format!("CREATE TABLE a (k BIGINT, PRIMARY KEY (k, k) NOT ENFORCED) {}", with("")),
            "the PRIMARY KEY names `k` twice",
        ),
        (
            "CREATE TABLE a (k BIGINT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://db/x', 'table-name' = 't')".to_owned(),
            "'url' must be a SQLite URL such as 'jdbc:sqlite:/data/results.db', not 'jdbc:postgresql://db/x'",
        ),
        (
            "CREATE TABLE a (k BIGINT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:sqlite:/no/such/dir/x.db', 'table-name' = 't')".to_owned(),
            "the directory '/no/such/dir' of the database does not exist",
        ),
        (
            format!("CREATE TABLE a (k BIGINT) WITH ('connector' = 'jdbc', 'url' = '{url}')"),
            "option 'table-name' is required",
        ),
        (
            format!("CREATE TABLE a (k BIGINT) {}", with(", 'sink.parallelism' = '2'")),
            "the options of 'jdbc' are: url, table-name",
        ),
        (
            format!("CREATE TABLE a (k BIGINT) {}", with(", 'sink.buffer-flush.max-rows' = 'many'")),
            "'sink.buffer-flush.max-rows' must be a whole number, not 'many'",
        ),
        (
            format!("CREATE TABLE a (k BIGINT, CHECK (k > 0)) {}", with("")),
            "a table constraint other than PRIMARY KEY",
        ),
        (
            "CREATE TABLE a (k BIGINT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:sqlite::memory:', 'table-name' = 't')".to_owned(),
            "'url' must name a database file, not 'jdbc:sqlite::memory:'",
        ),
    ];
    for (sql, expected) in cases {
        let error = db.error(&sql);
        assert!(error.contains(expected), "{sql}\n{error}");
    }
    // Reading a table the database does not have fails the job, naming it.
    db.table("missing", "k BIGINT");
    let SqlResult::Query(query) = db.session.execute("SELECT * FROM missing").unwrap() else {
        panic!("not a query")
    };
    let error = query.collect().unwrap_err().to_string();
    assert!(
        error.contains("cannot read table `missing` of the SQLite database"),
        "{error}"
    );
    // A stored table without a declared column fails the writing job, naming it.
    let connection = rusqlite::Connection::open(db.path()).unwrap();
    connection
        .execute("CREATE TABLE narrow (auction INTEGER)", ())
        .unwrap();
    db.table("narrow", "auction BIGINT, price BIGINT");
    let error = db
        .insert("INSERT INTO narrow SELECT auction, price FROM bids")
        .run()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("it has no column price (it has auction)"),
        "{error}"
    );
}

/// A database whose table `customers (id, name)` SQLite itself filled, and a session
/// with `orders`: the bids, with a processing-time column `p`.
fn customers_and_orders(name: &str) -> Db {
    let mut db = Db::new(name);
    let connection = rusqlite::Connection::open(db.path()).unwrap();
    connection
        .execute_batch(
            "CREATE TABLE customers (id INTEGER, name TEXT);
             CREATE INDEX customers_by_id ON customers (id);
             INSERT INTO customers VALUES (100, 'ann'), (101, 'bob'), (101, 'bea'), (103, 'cy'), (106, 'x');",
        )
        .unwrap();
    db.table("customers", "id BIGINT, name STRING");
    let orders = db.dir.join("bids.csv");
    db.session
        .execute(&format!(
            "CREATE TABLE orders (auction BIGINT, bidder BIGINT, price BIGINT, ts TIMESTAMP(3), p AS PROCTIME())
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv')",
            orders.display()
        ))
        .unwrap();
    db
}

#[test]
fn a_lookup_join_meets_each_row_with_the_rows_of_its_key_in_the_database() {
    let mut db = customers_and_orders("lookup");
    db.table("named", "bidder BIGINT, price BIGINT, name STRING");
    db.run(
        "INSERT INTO named SELECT o.bidder, o.price, c.name
         FROM orders AS o JOIN customers FOR SYSTEM_TIME AS OF o.p AS c ON o.bidder = c.id",
    );
    assert_eq!(
        stored(&db.path(), "named"),
        [
            "100,10,ann",
            "101,20,bea",
            "101,20,bob",
            "103,40,cy",
            "106,70,x"
        ]
    );
    // LEFT: rows without a customer (or whose customers fail the other conditions) are
    // padded; the cache changes nothing here.
    db.table("padded", "bidder BIGINT, name STRING");
    let url = format!("jdbc:sqlite:{}", db.path().display());
    db.session
        .execute(&format!(
            "CREATE TABLE cached (id BIGINT, name STRING) WITH ('connector' = 'jdbc', 'url' = '{url}',
               'table-name' = 'customers', 'lookup.cache' = 'PARTIAL',
               'lookup.partial-cache.max-rows' = '2', 'lookup.partial-cache.expire-after-write' = '1 min')"
        ))
        .unwrap();
    db.run(
        "INSERT INTO padded SELECT o.bidder, c.name
         FROM orders AS o LEFT JOIN cached FOR SYSTEM_TIME AS OF o.p AS c
           ON o.bidder = c.id AND c.name <> 'bob' WHERE o.price < 70",
    );
    assert_eq!(
        stored(&db.path(), "padded"),
        ["100,ann", "101,bea", "102,NULL", "103,cy", "104,NULL", "105,NULL"]
    );
}

#[test]
fn a_lookup_join_is_explained_as_flinks_and_refused_where_flink_refuses_it() {
    let mut db = customers_and_orders("lookup-plan");
    let explained = match db.session.execute(
        "EXPLAIN SELECT o.auction, c.name FROM orders AS o
         LEFT JOIN customers FOR SYSTEM_TIME AS OF o.p AS c ON o.bidder = c.id",
    ) {
        Ok(SqlResult::Explain(text)) => text,
        other => panic!("{other:?}"),
    };
    assert!(
        explained.contains(
            "LookupJoin(table=[customers], joinType=[LeftOuterJoin], lookup=[id=bidder], where=[o.bidder = c.id])"
        ),
        "{explained}"
    );
    assert!(
        !explained.contains("TableSourceScan(table=[customers]"),
        "{explained}"
    );
    let url = format!("jdbc:sqlite:{}", db.path().display());
    let cases = [
        (
            "CREATE VIEW known AS SELECT * FROM customers WHERE id > 0;
             SELECT o.auction FROM orders AS o
             JOIN known FOR SYSTEM_TIME AS OF o.p AS c ON o.bidder = c.id"
                .to_owned(),
            "a processing-time temporal join with a query or view",
        ),
        (
            "SELECT o.auction FROM orders AS o
             JOIN customers FOR SYSTEM_TIME AS OF o.p AS c ON o.price > c.id".to_owned(),
            "a temporal join needs an equality between the two inputs' columns",
        ),
        (
            format!("CREATE TABLE f (id BIGINT) WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = 'f', 'lookup.cache' = 'FULL')"),
            "'lookup.cache' must be 'NONE' or 'PARTIAL', not 'FULL'",
        ),
        (
            format!("CREATE TABLE f (id BIGINT) WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = 'f', 'lookup.partial-cache.max-rows' = '9')"),
            "a partial-cache option without 'lookup.cache' = 'PARTIAL'",
        ),
    ];
    for (sql, expected) in cases {
        let error = db.error(&sql);
        assert!(error.contains(expected), "{sql}\n{error}");
    }
}
