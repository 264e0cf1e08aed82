//! The lookup join (Flink's `LookupJoin`): `FROM o JOIN t FOR SYSTEM_TIME AS OF o.proc_time
//! AS c ON o.k = c.id` where `t` is a table a connector can look up by key (`jdbc`).
//! Each left row asks the table for the rows of its key when it arrives (processing
//! time: the table as it is then), meets each of them, and a LEFT join pads a row that
//! meets none. Nothing is kept but an optional cache, so nothing is checkpointed: after
//! a restore the replayed rows look the table up again.
//!
//! The cache is Flink's `'lookup.cache' = 'PARTIAL'`: the rows of up to `max-rows` keys
//! (the oldest written leave first), each for `expire-after-write`, and (unless
//! `cache-missing-key` is false) the keys that had none.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use stream_core::{Result, Timestamp};

use super::{has_null, holds, joined, Sides};
use crate::expr::Expr;
use crate::plan::JoinKind;
use crate::types::{Row, Value};

/// A table read by key (Flink's `LookupTableSource`), implemented by a connector.
pub(crate) trait LookupSource: Send {
    /// The rows whose key columns equal `key` (which has no NULL).
    fn lookup(&mut self, key: &[Value]) -> Result<Vec<Row>>;

    /// A copy for another instance, with a connection of its own.
    fn boxed_clone(&self) -> Box<dyn LookupSource>;
}

/// How looked-up rows are cached (`'lookup.cache' = 'PARTIAL'`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LookupCacheOptions {
    /// At most this many keys (`'lookup.partial-cache.max-rows'`).
    pub max_keys: usize,
    /// How long a key's rows are used, in ms of processing time
    /// (`'lookup.partial-cache.expire-after-write'`); `None`: until evicted.
    pub expire_after_write: Option<i64>,
    /// Whether a key without rows is cached too
    /// (`'lookup.partial-cache.cache-missing-key'`).
    pub cache_missing_key: bool,
}

/// The rows of recently looked-up keys.
#[derive(Default)]
struct LookupCache {
    rows: HashMap<Row, (Timestamp, Arc<[Row]>)>,
    /// Keys in the order they were written, with the time, to evict the oldest.
    written: VecDeque<(Row, Timestamp)>,
}

impl LookupCache {
    fn get(&self, key: &Row, now: Timestamp, options: &LookupCacheOptions) -> Option<Arc<[Row]>> {
        let (at, rows) = self.rows.get(key)?;
        let fresh = options
            .expire_after_write
            .is_none_or(|ttl| now < at.saturating_add(ttl));
        fresh.then(|| Arc::clone(rows))
    }

    fn put(&mut self, key: Row, rows: Arc<[Row]>, now: Timestamp, options: &LookupCacheOptions) {
        while self.rows.len() >= options.max_keys.max(1) && !self.rows.contains_key(&key) {
            let Some((oldest, at)) = self.written.pop_front() else {
                break;
            };
            // A key written again since is not the oldest any more.
            if self
                .rows
                .get(&oldest)
                .is_some_and(|(written, _)| *written == at)
            {
                self.rows.remove(&oldest);
            }
        }
        self.written.push_back((key.clone(), now));
        self.rows.insert(key, (now, rows));
        // Entries of keys written again pile up in `written`; drop them now and then.
        if self.written.len() > 2 * self.rows.len() + 16 {
            let rows = &self.rows;
            self.written
                .retain(|(key, at)| rows.get(key).is_some_and(|(written, _)| written == at));
        }
    }
}

/// The operator of a lookup join over the left rows.
pub(crate) struct LookupJoin {
    sides: Sides,
    /// The left row's columns that are the lookup key, in the table's key order.
    left_keys: Arc<[usize]>,
    /// For a LEFT join, the other conditions of `ON`, over the joined row: a row whose
    /// looked-up rows all fail them is padded.
    condition: Option<Expr>,
    source: Box<dyn LookupSource>,
    cache_options: Option<LookupCacheOptions>,
    cache: LookupCache,
}

impl Clone for LookupJoin {
    fn clone(&self) -> Self {
        LookupJoin {
            sides: self.sides,
            left_keys: Arc::clone(&self.left_keys),
            condition: self.condition.clone(),
            source: self.source.boxed_clone(),
            cache_options: self.cache_options,
            // Each instance caches what it looked up.
            cache: LookupCache::default(),
        }
    }
}

impl LookupJoin {
    pub fn new(
        kind: JoinKind,
        left_keys: &[usize],
        widths: (usize, usize),
        condition: Option<Expr>,
        source: Box<dyn LookupSource>,
        cache_options: Option<LookupCacheOptions>,
    ) -> Self {
        LookupJoin {
            sides: Sides::new(kind, widths),
            left_keys: left_keys.into(),
            condition,
            source,
            cache_options,
            cache: LookupCache::default(),
        }
    }

    /// The rows of the table for `key`, from the cache if it has them fresh.
    fn rows_of(&mut self, key: Row, now: Timestamp) -> Result<Arc<[Row]>> {
        let Some(options) = self.cache_options else {
            return Ok(self.source.lookup(&key.0)?.into());
        };
        if let Some(rows) = self.cache.get(&key, now, &options) {
            return Ok(rows);
        }
        let rows: Arc<[Row]> = self.source.lookup(&key.0)?.into();
        if !rows.is_empty() || options.cache_missing_key {
            self.cache.put(key, Arc::clone(&rows), now, &options);
        }
        Ok(rows)
    }

    /// Joins the left `row` at processing time `now`: each joined row goes to `emit`.
    pub fn join(&mut self, row: Row, now: Timestamp, mut emit: impl FnMut(Row)) -> Result {
        let key = Row::new(self.left_keys.iter().map(|&i| row.get(i).clone()).collect());
        // `NULL = x` holds for no x: a NULL key meets nothing, and is not looked up.
        let found = if has_null(&key) {
            Arc::from([])
        } else {
            self.rows_of(key, now)?
        };
        let mut met = false;
        for right in found.iter() {
            let pair = joined(&row, right);
            if holds(self.condition.as_ref(), &pair).map_err(stream_core::StreamError::user)? {
                met = true;
                emit(pair);
            }
        }
        if !met && self.sides.keeps(true) {
            emit(self.sides.padded(&row, true));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A table of (key, name) rows, counting its lookups; shared by its clones.
    #[derive(Clone)]
    struct Names {
        rows: Arc<Mutex<Vec<(i64, &'static str)>>>,
        lookups: Arc<Mutex<usize>>,
    }

    impl LookupSource for Names {
        fn lookup(&mut self, key: &[Value]) -> Result<Vec<Row>> {
            *self.lookups.lock().unwrap() += 1;
            Ok(self
                .rows
                .lock()
                .unwrap()
                .iter()
                .filter(|(k, _)| key == [Value::Int(*k)])
                .map(|(k, name)| Row::new(vec![Value::Int(*k), Value::String((*name).into())]))
                .collect())
        }

        fn boxed_clone(&self) -> Box<dyn LookupSource> {
            Box::new(self.clone())
        }
    }

    fn names(rows: &[(i64, &'static str)]) -> Names {
        Names {
            rows: Arc::new(Mutex::new(rows.to_vec())),
            lookups: Arc::default(),
        }
    }

    /// The join of rows (key, n) with `table` by its first column.
    fn by_key(kind: JoinKind, table: &Names, cache: Option<LookupCacheOptions>) -> LookupJoin {
        LookupJoin::new(kind, &[0], (2, 2), None, Box::new(table.clone()), cache)
    }

    /// The left rows (key, n) joined at `now`, printed.
    fn run(join: &mut LookupJoin, rows: &[(Option<i64>, i64)], now: Timestamp) -> Vec<String> {
        let mut out = Vec::new();
        for &(k, n) in rows {
            let key = k.map_or(Value::Null, Value::Int);
            join.join(Row::new(vec![key, Value::Int(n)]), now, |r| {
                out.push(
                    r.0.iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                )
            })
            .unwrap();
        }
        out
    }

    #[test]
    fn each_left_row_meets_the_rows_of_its_key_and_a_left_join_pads_the_others() {
        let table = names(&[(1, "ann"), (2, "bob"), (2, "bea")]);
        let rows = [(Some(1), 10), (Some(2), 20), (Some(3), 30), (None, 40)];
        let mut inner = by_key(JoinKind::Inner, &table, None);
        assert_eq!(
            run(&mut inner, &rows, 0),
            ["1,10,1,ann", "2,20,2,bob", "2,20,2,bea"]
        );
        let mut left = by_key(JoinKind::Left, &table, None);
        assert_eq!(
            run(&mut left, &rows, 0),
            [
                "1,10,1,ann",
                "2,20,2,bob",
                "2,20,2,bea",
                "3,30,NULL,NULL",
                "NULL,40,NULL,NULL"
            ]
        );
        // The NULL key was not looked up.
        assert_eq!(*table.lookups.lock().unwrap(), 6);
    }

    #[test]
    fn without_a_cache_every_row_sees_the_table_as_it_is_then() {
        let table = names(&[(1, "ann")]);
        let mut join = by_key(JoinKind::Left, &table, None);
        assert_eq!(run(&mut join, &[(Some(1), 1)], 0), ["1,1,1,ann"]);
        table.rows.lock().unwrap()[0].1 = "amy";
        assert_eq!(run(&mut join, &[(Some(1), 2)], 1), ["1,2,1,amy"]);
    }

    #[test]
    fn a_partial_cache_serves_keys_until_they_expire_or_are_evicted() {
        let table = names(&[(1, "ann"), (2, "bob")]);
        let lookups = || *table.lookups.lock().unwrap();
        let options = LookupCacheOptions {
            max_keys: 2,
            expire_after_write: Some(1000),
            cache_missing_key: true,
        };
        let mut join = by_key(JoinKind::Left, &table, Some(options));
        run(
            &mut join,
            &[(Some(1), 1), (Some(1), 2), (Some(9), 3), (Some(9), 4)],
            0,
        );
        // Key 1 and the missing key 9 were looked up once each.
        assert_eq!(lookups(), 2);
        // Two keys at most: 1, written first, leaves for 2; then 9 for 1.
        run(&mut join, &[(Some(2), 5), (Some(9), 6)], 500);
        assert_eq!(lookups(), 3);
        run(&mut join, &[(Some(1), 7)], 500);
        assert_eq!(lookups(), 4);
        // A change of the table is not seen while the cached rows are fresh.
        table.rows.lock().unwrap()[0].1 = "amy";
        assert_eq!(run(&mut join, &[(Some(1), 8)], 1499), ["1,8,1,ann"]);
        assert_eq!(run(&mut join, &[(Some(1), 9)], 1500), ["1,9,1,amy"]);
        assert_eq!(lookups(), 5);
    }

    #[test]
    fn missing_keys_are_looked_up_again_unless_cached() {
        let table = names(&[]);
        let options = LookupCacheOptions {
            max_keys: 10,
            expire_after_write: None,
            cache_missing_key: false,
        };
        let mut join = by_key(JoinKind::Inner, &table, Some(options));
        assert!(run(&mut join, &[(Some(1), 1), (Some(1), 2)], 0).is_empty());
        assert_eq!(*table.lookups.lock().unwrap(), 2);
    }
}
