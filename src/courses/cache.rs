//! Course content as readers see it, kept in memory: a module page's text with its law
//! references filled in for a country and language, its headings, links and tables,
//! and the catalogue's cards. Computing these takes most of a page's time and they
//! change only when content does, so each is computed once per kind of reader.
//!
//! Every change to course content raises one counter in the database (triggers do it,
//! see migration 000048), and a request that uses the cache reads the counter in the
//! same round trip as its other queries. An entry made under an older counter is never
//! served: an import or a publication through any instance shows on every instance at
//! the next request, with no waiting and no messages between instances.
//!
//! The memory is bounded: past [`BUDGET_BYTES`] the entries used least recently go.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use diesel::prelude::*;

use crate::db::schema::content_generation;
use crate::db::DbConnection;
use crate::error::AppError;

/// What rendered content may take in memory, in bytes of its text. A module page's
/// entry is about its HTML's size (30–40 KB for the shipped modules), so this holds
/// several hundred reader variants: every module of the shipped courses in two or
/// three languages and countries at once.
pub const BUDGET_BYTES: usize = 12 * 1024 * 1024;

/// The counter content changes raise, as of this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Generation(i64);

impl Generation {
    /// Reads the counter: one row by its key.
    pub fn current(conn: &mut DbConnection) -> Result<Generation, AppError> {
        let value: i64 = content_generation::table
            .find(1)
            .select(content_generation::generation)
            .first(conn)?;
        Ok(Generation(value))
    }
}

/// A cached value shared with a page's context: serialised as the value itself (serde
/// serialises `Arc` only with a feature that would rebuild every crate using serde).
#[derive(Debug)]
pub struct Shared<T>(pub Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::Serialize> serde::Serialize for Shared<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Something that can be cached: how many bytes it holds, roughly.
pub trait Weighed {
    fn weight(&self) -> usize;
}

struct Entry<V> {
    value: Arc<V>,
    weight: usize,
    last_used: u64,
}

struct Shelf<K, V> {
    generation: Generation,
    entries: HashMap<K, Entry<V>>,
    bytes: usize,
    clock: u64,
}

/// One kind of cached content, under one lock.
pub struct Cache<K, V> {
    shelf: Mutex<Shelf<K, V>>,
    budget: usize,
}

impl<K: Eq + Hash + Clone, V: Weighed> Cache<K, V> {
    pub fn new(budget: usize) -> Self {
        Cache {
            shelf: Mutex::new(Shelf {
                generation: Generation(i64::MIN),
                entries: HashMap::new(),
                bytes: 0,
                clock: 0,
            }),
            budget,
        }
    }

    /// The value for `key` under `generation`, computed by `compute` when it is not
    /// held (or was made under an older generation). `compute` runs without the lock,
    /// so one slow computation never holds up readers of other entries.
    pub fn get_or_compute(
        &self,
        generation: Generation,
        key: &K,
        compute: impl FnOnce() -> Result<V, AppError>,
    ) -> Result<Arc<V>, AppError> {
        if let Some(value) = self.lookup(generation, key) {
            return Ok(value);
        }
        let value = Arc::new(compute()?);
        self.keep(generation, key.clone(), Arc::clone(&value));
        Ok(value)
    }

    fn lookup(&self, generation: Generation, key: &K) -> Option<Arc<V>> {
        let mut shelf = self.shelf.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if generation > shelf.generation {
            // Content changed since these were made: none of them may be shown again.
            shelf.entries.clear();
            shelf.bytes = 0;
            shelf.generation = generation;
            return None;
        }
        if generation < shelf.generation {
            // This request read the counter before a change another one has seen.
            return None;
        }
        shelf.clock += 1;
        let now = shelf.clock;
        let entry = shelf.entries.get_mut(key)?;
        entry.last_used = now;
        Some(Arc::clone(&entry.value))
    }

    fn keep(&self, generation: Generation, key: K, value: Arc<V>) {
        let weight = value.weight();
        if weight > self.budget {
            return;
        }
        let mut shelf = self.shelf.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if generation != shelf.generation {
            return;
        }
        while shelf.bytes + weight > self.budget {
            let Some(oldest) = shelf
                .entries
                .iter()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            if let Some(gone) = shelf.entries.remove(&oldest) {
                shelf.bytes -= gone.weight;
            }
        }
        shelf.clock += 1;
        let last_used = shelf.clock;
        shelf.bytes += weight;
        if let Some(replaced) = shelf.entries.insert(
            key,
            Entry {
                value,
                weight,
                last_used,
            },
        ) {
            shelf.bytes -= replaced.weight;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Text(String);

    impl Weighed for Text {
        fn weight(&self) -> usize {
            self.0.len()
        }
    }

    fn text(value: &str) -> Result<Text, AppError> {
        Ok(Text(value.to_owned()))
    }

    #[test]
    fn an_entry_is_computed_once_per_generation() {
        let cache: Cache<&str, Text> = Cache::new(100);
        let first = cache.get_or_compute(Generation(1), &"a", || text("one")).unwrap();
        let again = cache.get_or_compute(Generation(1), &"a", || text("two")).unwrap();
        assert_eq!((first.0.as_str(), again.0.as_str()), ("one", "one"));
        let changed = cache.get_or_compute(Generation(2), &"a", || text("three")).unwrap();
        assert_eq!(changed.0, "three");
    }

    #[test]
    fn a_request_that_read_an_older_generation_neither_sees_nor_leaves_entries() {
        let cache: Cache<&str, Text> = Cache::new(100);
        cache.get_or_compute(Generation(2), &"a", || text("new")).unwrap();
        let stale = cache.get_or_compute(Generation(1), &"a", || text("old")).unwrap();
        assert_eq!(stale.0, "old");
        let current = cache.get_or_compute(Generation(2), &"a", || text("other")).unwrap();
        assert_eq!(current.0, "new");
    }

    #[test]
    fn past_the_budget_the_entry_used_least_recently_goes() {
        let cache: Cache<&str, Text> = Cache::new(10);
        cache.get_or_compute(Generation(1), &"a", || text("aaaa")).unwrap();
        cache.get_or_compute(Generation(1), &"b", || text("bbbb")).unwrap();
        cache.get_or_compute(Generation(1), &"a", || text("never")).unwrap();
        cache.get_or_compute(Generation(1), &"c", || text("cccc")).unwrap();
        let a = cache.get_or_compute(Generation(1), &"a", || text("again")).unwrap();
        let b = cache
            .get_or_compute(Generation(1), &"b", || text("recomputed"))
            .unwrap();
        assert_eq!((a.0.as_str(), b.0.as_str()), ("aaaa", "recomputed"));
    }

    #[test]
    fn a_failed_computation_leaves_nothing_behind() {
        let cache: Cache<&str, Text> = Cache::new(10);
        let failed = cache.get_or_compute(Generation(1), &"a", || Err(AppError::NotFound));
        assert!(failed.is_err());
        let later = cache.get_or_compute(Generation(1), &"a", || text("ok")).unwrap();
        assert_eq!(later.0, "ok");
    }
}
