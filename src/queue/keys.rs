//! The index from item key to slot id, kept small: a map from a 32-bit hash of the key to the
//! id (the key itself is read from the slot to confirm), plus a side map for the rare keys
//! whose hash is already taken (about one pair in 100k keys). 8 bytes a bucket, about 11
//! bytes per item, instead of a full key copy.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use crate::model::ItemKey;

/// The keys of the map are already hashes: use them as they are, the 32 bits both high
/// (the table's tag bits) and low (its bucket index).
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (u64::from(n) << 32) | u64::from(n);
    }
}

#[derive(Debug, Default)]
pub struct KeyIndex {
    hasher: RandomState,
    by_hash: HashMap<u32, u32, BuildHasherDefault<PassThrough>>,
    collided: HashMap<ItemKey, u32>,
}

impl std::fmt::Debug for PassThrough {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PassThrough")
    }
}

impl KeyIndex {
    pub fn len(&self) -> usize {
        self.by_hash.len() + self.collided.len()
    }

    fn hash(&self, key: &ItemKey) -> u32 {
        let h = self.hasher.hash_one(key);
        (h >> 32) as u32 ^ h as u32
    }

    /// The id of `key`; `key_of` gives the key stored in a slot.
    pub fn get<'a>(&self, key: &ItemKey, key_of: impl Fn(u32) -> &'a ItemKey) -> Option<u32> {
        match self.by_hash.get(&self.hash(key)) {
            Some(&id) if key_of(id) == key => Some(id),
            _ => self.collided.get(key).copied(),
        }
    }

    /// Add a key that is not in the index.
    pub fn insert(&mut self, key: &ItemKey, id: u32) {
        let h = self.hash(key);
        match self.by_hash.entry(h) {
            Entry::Occupied(_) => {
                self.collided.insert(key.clone(), id);
            }
            Entry::Vacant(slot) => {
                slot.insert(id);
            }
        }
    }

    /// Remove a key that is in the index with `id`.
    pub fn remove(&mut self, key: &ItemKey, id: u32) {
        let h = self.hash(key);
        if self.by_hash.get(&h) == Some(&id) {
            self.by_hash.remove(&h);
        } else {
            self.collided.remove(key);
        }
    }

    #[cfg(test)]
    pub fn force_collision(&mut self, key: &ItemKey, id: u32) {
        self.collided.insert(key.clone(), id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceId;

    #[test]
    fn finds_inserts_and_removes_including_collisions() {
        let keys: Vec<ItemKey> = (0..100)
            .map(|i| ItemKey::new(&SourceId::new("s"), &i.to_string()))
            .collect();
        let key_of = |id: u32| &keys[id as usize];
        let mut index = KeyIndex::default();
        for (i, k) in keys.iter().enumerate().take(99) {
            index.insert(k, i as u32);
        }
        // Key 99 lives in the side map as if its hash were taken.
        index.force_collision(&keys[99], 99);
        assert_eq!(index.len(), 100);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(index.get(k, key_of), Some(i as u32));
        }
        index.remove(&keys[99], 99);
        index.remove(&keys[5], 5);
        assert_eq!(index.get(&keys[99], key_of), None);
        assert_eq!(index.get(&keys[5], key_of), None);
        assert_eq!(index.get(&keys[6], key_of), Some(6));
        assert_eq!(index.len(), 98);
    }

    #[test]
    fn a_hundred_thousand_keys_are_all_found_collisions_or_not() {
        let keys: Vec<ItemKey> = (0..100_000)
            .map(|i| ItemKey::new(&SourceId::new("s"), &format!("alert-{i}")))
            .collect();
        let key_of = |id: u32| &keys[id as usize];
        let mut index = KeyIndex::default();
        for (i, k) in keys.iter().enumerate() {
            index.insert(k, i as u32);
        }
        assert_eq!(index.len(), keys.len());
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(index.get(k, key_of), Some(i as u32));
        }
        for (i, k) in keys.iter().enumerate().step_by(2) {
            index.remove(k, i as u32);
        }
        for (i, k) in keys.iter().enumerate() {
            let expect = (i % 2 == 1).then_some(i as u32);
            assert_eq!(index.get(k, key_of), expect, "{k:?}");
        }
    }
}
