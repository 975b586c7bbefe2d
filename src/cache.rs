//! What the service remembers between requests, in this process: bounded maps that a full
//! one empties and refills (a few recomputations cost less than an eviction policy to keep
//! right).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// An aggregate a domain remembers between requests: the question that keys it, the answer
/// (with the epoch it was computed at, see [`crate::epochs`]), and how many answers to hold.
/// Dashboards of many users ask the same questions again and again, and the answers change
/// only when the records behind them do.
pub trait Memo: 'static {
    /// The question.
    type Key: Hash + Eq + Send + 'static;
    /// The answer.
    type Value: Clone + Send + 'static;
    /// The most answers held at once.
    const CAPACITY: usize;
}

/// The aggregates the service remembers for one database, one [`Bounded`] map per [`Memo`],
/// made on first use. The domains name what they remember; this layer only holds it.
#[derive(Default)]
pub struct Remembered {
    maps: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Remembered {
    /// The map of what `M` remembers.
    pub fn of<M: Memo>(&self) -> Arc<Bounded<M::Key, M::Value>> {
        let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        let map = maps
            .entry(TypeId::of::<M>())
            .or_insert_with(|| Arc::new(Bounded::<M::Key, M::Value>::new(M::CAPACITY)))
            .clone();
        map.downcast()
            .unwrap_or_else(|_| unreachable!("each memo's map is made with its own types"))
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

    fn put(&self, map: &mut HashMap<K, V>, key: K, value: V) -> bool {
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, value).is_none()
    }
}

/// Values remembered with the change epoch they were computed at (see `crate::epochs`).
impl<K: Hash + Eq, V: Clone> Bounded<K, (i64, V)> {
    /// The value held for `key` if it was computed at `epoch`: one of another epoch is stale.
    pub fn at_epoch(&self, key: &K, epoch: i64) -> Option<V> {
        match self.lock().get(key) {
            Some((held, value)) if *held == epoch => Some(value.clone()),
            _ => None,
        }
    }

    /// Holds `value`, computed at `epoch`, for `key`, unless a value of a newer epoch is held:
    /// a slower reader of an older epoch must not replace what a faster one found newer.
    pub fn keep_newest(&self, key: K, epoch: i64, value: V) {
        let mut map = self.lock();
        if map.get(&key).is_none_or(|(held, _)| *held <= epoch) {
            self.put(&mut map, key, (epoch, value));
        }
    }
}
