//! The panes of the pane strategy, in end order, with the lookups its record path needs
//! made cheap: records mostly go to the newest pane, so the pane of the last record and
//! its bounds are remembered, and finding a pane costs no division and no tree walk.

use crate::keyed_map::KeyedMap;
use crate::time::Timestamp;
use crate::window::assigner::Panes;

/// The pane a record went to last, with what is the same for every timestamp in it.
#[derive(Clone, Copy, Debug)]
struct Current {
    /// `[start, end)` of the pane.
    start: Timestamp,
    end: Timestamp,
    /// The end of the last window holding the pane's timestamps.
    last_window_end: Timestamp,
}

/// Per pane (by its end, ascending), the state of each key.
pub(super) struct PaneList<K, S> {
    panes: Vec<(Timestamp, KeyedMap<K, S>)>,
    current: Option<Current>,
    /// Key maps of dropped panes, emptied and kept for new panes.
    spare: Vec<KeyedMap<K, S>>,
}

impl<K, S> Default for PaneList<K, S> {
    fn default() -> Self {
        PaneList {
            panes: Vec::new(),
            current: None,
            spare: Vec::new(),
        }
    }
}

impl<K: crate::key::Key, S> PaneList<K, S> {
    /// The end of the pane holding `ts`, and of the last window holding it.
    #[inline]
    pub fn bounds(&mut self, panes: &Panes, ts: Timestamp) -> (Timestamp, Timestamp) {
        match self.current {
            Some(c) if c.start <= ts && ts < c.end => (c.end, c.last_window_end),
            _ => self.bounds_slow(panes, ts),
        }
    }

    #[cold]
    fn bounds_slow(&mut self, panes: &Panes, ts: Timestamp) -> (Timestamp, Timestamp) {
        let end = panes.pane_end(ts);
        let last_window_end = panes.last_window_end(ts);
        self.current = Some(Current {
            start: end - panes.pane,
            end,
            last_window_end,
        });
        (end, last_window_end)
    }

    /// The key map of the pane ending at `end`, created if it has none.
    #[inline]
    pub fn pane_mut(&mut self, end: Timestamp) -> &mut KeyedMap<K, S> {
        let at = match self.panes.last() {
            Some((last, _)) if *last == end => self.panes.len() - 1,
            _ => self.find_or_insert(end),
        };
        &mut self.panes[at].1
    }

    #[cold]
    fn find_or_insert(&mut self, end: Timestamp) -> usize {
        match self.panes.binary_search_by_key(&end, |(e, _)| *e) {
            Ok(at) => at,
            Err(at) => {
                let map = self.spare.pop().unwrap_or_default();
                self.panes.insert(at, (end, map));
                at
            }
        }
    }

    /// The end of the oldest pane.
    pub fn first_end(&self) -> Option<Timestamp> {
        self.panes.first().map(|(end, _)| *end)
    }

    /// Removes the oldest pane and hands its state to `take` (which drains it), keeping
    /// the map for reuse.
    pub fn pop_first<R>(&mut self, take: impl FnOnce(&mut KeyedMap<K, S>) -> R) -> Option<R> {
        if self.panes.is_empty() {
            return None;
        }
        let (_, mut map) = self.panes.remove(0);
        let result = take(&mut map);
        map.drain().for_each(drop);
        self.spare.push(map);
        Some(result)
    }

    /// The panes ending in `(after, through]`, oldest first.
    pub fn range(
        &self,
        after: Timestamp,
        through: Timestamp,
    ) -> impl Iterator<Item = &KeyedMap<K, S>> {
        self.panes
            .iter()
            .filter(move |(end, _)| after < *end && *end <= through)
            .map(|(_, map)| map)
    }

    /// Every pane with its end, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (Timestamp, &KeyedMap<K, S>)> {
        self.panes.iter().map(|(end, map)| (*end, map))
    }

    /// Drops panes that hold no key.
    pub fn retain_nonempty(&mut self) {
        self.panes.retain(|(_, map)| !map.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_are_found_in_order_and_bounds_follow_the_timestamp() {
        let panes = Panes::new(4, 2, 0);
        let mut list: PaneList<u8, u32> = PaneList::default();
        assert_eq!(list.bounds(&panes, 3), (4, 6));
        assert_eq!(list.bounds(&panes, 2), (4, 6), "remembered");
        assert_eq!(list.bounds(&panes, 4), (6, 8));
        assert_eq!(list.bounds(&panes, -1), (0, 2));
        *list.pane_mut(6).get_or_insert_with(&1, || 0) += 1;
        *list.pane_mut(2).get_or_insert_with(&1, || 0) += 10;
        *list.pane_mut(6).get_or_insert_with(&1, || 0) += 1;
        *list.pane_mut(4).get_or_insert_with(&2, || 0) += 5;
        let ends: Vec<_> = list.iter().map(|(end, _)| end).collect();
        assert_eq!(ends, [2, 4, 6]);
        assert_eq!(list.range(2, 6).count(), 2);
        let first = list.pop_first(|map| map.drain().collect::<Vec<_>>());
        assert_eq!(first, Some(vec![(1, 10)]));
        assert_eq!(list.first_end(), Some(4));
        assert_eq!(list.pane_mut(6).get(&1), Some(&2));
    }
}
