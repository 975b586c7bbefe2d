//! What the service remembers between requests, in this process: bounded maps that a full
//! one empties and refills (a few recomputations cost less than an eviction policy to keep
//! right).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use uuid::Uuid;

use crate::actions::summary::ActionCounts;
use crate::assessments::views::{Tallies, TalliesOf};

/// The aggregates the service remembers for one database, each with the epoch it was computed
/// at (see [`crate::epochs`]): dashboards of many users ask the same questions again and
/// again, and the answers change only when the records behind them do.
pub struct Remembered {
    /// Progress against standards, by question (framework, cycles, who is counted and named).
    pub tallies: Bounded<TalliesOf, (i64, Arc<Tallies>)>,
    /// Each organisation's actions by RAG at the end of a day.
    pub action_counts: Bounded<(Uuid, NaiveDate), (i64, ActionCounts)>,
}

impl Default for Remembered {
    fn default() -> Self {
        Remembered {
            // A few questions per partner body and panel, for the frameworks they follow; an
            // answer with names runs to a few hundred kilobytes at national scale.
            tallies: Bounded::new(256),
            // Every organisation on a handful of days each.
            action_counts: Bounded::new(100_000),
        }
    }
}

/// A map shared by every request, holding at most `capacity` entries.
#[derive(Debug)]
pub struct Bounded<K, V> {
    map: Mutex<HashMap<K, V>>,
    capacity: usize,
}

impl<K: Hash + Eq, V: Clone> Bounded<K, V> {
    /// An empty map that holds up to `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Bounded {
            map: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, V>> {
        // A panic elsewhere while holding the lock leaves a map that is still a valid cache.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value held for `key`.
    pub fn get(&self, key: &K) -> Option<V> {
        self.lock().get(key).cloned()
    }

    /// Holds `value` for `key`, emptying the map first when it is full; returns whether the
    /// key was new.
    pub fn insert(&self, key: K, value: V) -> bool {
        self.put(&mut self.lock(), key, value)
    }

    /// Holds `value` for `key` unless `keep` says the value already held should stay.
    pub fn insert_unless(&self, key: K, value: V, keep: impl FnOnce(&V) -> bool) {
        let mut map = self.lock();
        if !map.get(&key).is_some_and(keep) {
            self.put(&mut map, key, value);
        }
    }

    fn put(&self, map: &mut HashMap<K, V>, key: K, value: V) -> bool {
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, value).is_none()
    }
}
