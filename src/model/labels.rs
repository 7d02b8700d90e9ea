//! An item's labels: `(name, value)` pairs in the order the source gave them.
//!
//! Every distinct pair is stored once for the whole process ([`Label`] is a pointer to it), so
//! the thousands of items that carry `severity=critical` share one copy, and an item holds 8
//! bytes per label in one exact-size allocation. Pairs nobody uses any more are dropped from
//! the shared table as it grows (see [`PairTable::sweep`]).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One label: a shared `(name, value)` pair.
#[derive(Clone)]
pub struct Label(Arc<Pair>);

/// The text of a pair: name and value in one string.
struct Pair {
    text: Box<str>,
    name_len: usize,
}

impl Label {
    /// The shared pair `(name, value)`.
    pub fn new(name: &str, value: &str) -> Label {
        TABLE
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .intern(name, value)
    }

    pub fn name(&self) -> &str {
        &self.0.text[..self.0.name_len]
    }

    pub fn value(&self) -> &str {
        &self.0.text[self.0.name_len..]
    }

    /// Name and value as a pair of strings.
    pub fn pair(&self) -> (&str, &str) {
        self.0.text.split_at(self.0.name_len)
    }

    fn is(&self, name: &str, value: &str) -> bool {
        self.pair() == (name, value)
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.pair() == other.pair()
    }
}

impl Eq for Label {}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pair().fmt(f)
    }
}

/// The process-wide table of pairs.
static TABLE: LazyLock<Mutex<PairTable>> = LazyLock::new(|| Mutex::new(PairTable::default()));

/// The table stays at most about twice the number of pairs in use.
const MIN_SWEEP_AT: usize = 1024;

/// Pairs by a hash of their text; the rare pair whose hash is taken goes to `collided`.
#[derive(Default)]
struct PairTable {
    hasher: RandomState,
    by_hash: HashMap<u64, Label>,
    collided: Vec<Label>,
    /// Size at which unused pairs are swept out.
    sweep_at: usize,
}

impl PairTable {
    fn intern(&mut self, name: &str, value: &str) -> Label {
        let hash = self.hasher.hash_one((name, value));
        if let Some(found) = self.find(hash, name, value) {
            return found;
        }
        let label = Label(Arc::new(Pair {
            text: [name, value].concat().into_boxed_str(),
            name_len: name.len(),
        }));
        match self.by_hash.entry(hash) {
            Entry::Occupied(_) => self.collided.push(label.clone()),
            Entry::Vacant(slot) => {
                slot.insert(label.clone());
            }
        }
        if self.len() > self.sweep_at.max(MIN_SWEEP_AT) {
            self.sweep();
        }
        label
    }

    fn find(&self, hash: u64, name: &str, value: &str) -> Option<Label> {
        match self.by_hash.get(&hash) {
            Some(label) if label.is(name, value) => Some(label.clone()),
            _ => self.collided.iter().find(|l| l.is(name, value)).cloned(),
        }
    }

    fn len(&self) -> usize {
        self.by_hash.len() + self.collided.len()
    }

    /// Drop the pairs only the table still holds. Under the table's lock nobody can take a
    /// new reference to such a pair, so none is dropped while in use.
    fn sweep(&mut self) {
        let in_use = |l: &Label| Arc::strong_count(&l.0) > 1;
        self.by_hash.retain(|_, l| in_use(l));
        self.collided.retain(in_use);
        self.sweep_at = 2 * self.len();
    }
}

/// The labels of one item, in order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Labels(Box<[Label]>);

impl Labels {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `(name, value)` pairs in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &str)> + ExactSizeIterator {
        self.0.iter().map(Label::pair)
    }

    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    /// The value of the first label called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Add a label at the end.
    pub fn push(&mut self, label: Label) {
        self.rebuild(|labels| {
            labels.reserve_exact(1);
            labels.push(label);
        });
    }

    /// Keep the labels for which `keep(name, value)` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        self.rebuild(|labels| labels.retain(|l| keep(l.name(), l.value())));
    }

    /// Keep the first `len` labels.
    pub fn truncate(&mut self, len: usize) {
        self.rebuild(|labels| labels.truncate(len));
    }

    /// Change the list and store it again at its exact size (a fresh allocation: shrinking
    /// in place would leave holes between long-lived items).
    fn rebuild(&mut self, change: impl FnOnce(&mut Vec<Label>)) {
        let mut labels = std::mem::take(&mut self.0).into_vec();
        change(&mut labels);
        *self = Labels::from(labels);
    }
}

impl From<Vec<Label>> for Labels {
    fn from(labels: Vec<Label>) -> Self {
        if labels.len() == labels.capacity() {
            Labels(labels.into_boxed_slice())
        } else {
            Labels(labels.iter().cloned().collect())
        }
    }
}

impl FromIterator<Label> for Labels {
    fn from_iter<I: IntoIterator<Item = Label>>(iter: I) -> Self {
        Labels::from(iter.into_iter().collect::<Vec<Label>>())
    }
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for Labels {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        iter.into_iter()
            .map(|(n, v)| Label::new(n.as_ref(), v.as_ref()))
            .collect()
    }
}

impl Extend<Label> for Labels {
    fn extend<I: IntoIterator<Item = Label>>(&mut self, iter: I) {
        self.rebuild(|labels| labels.extend(iter));
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a str, &'a str);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, Label>, fn(&'a Label) -> (&'a str, &'a str)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(Label::pair)
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// As a list of `[name, value]` pairs, as a `Vec` of tuples would be.
impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pairs = Vec::<(String, String)>::deserialize(deserializer)?;
        Ok(pairs.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_pairs_are_shared_and_order_is_kept() {
        let a: Labels = [("severity", "critical"), ("team", "noc")]
            .into_iter()
            .collect();
        let b: Labels = [("severity", "critical"), ("team", "noc")]
            .into_iter()
            .collect();
        assert!(Arc::ptr_eq(&a.as_slice()[0].0, &b.as_slice()[0].0));
        assert_eq!(a, b);
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            [("severity", "critical"), ("team", "noc")]
        );
        let reversed: Labels = [("team", "noc"), ("severity", "critical")]
            .into_iter()
            .collect();
        assert_ne!(a, reversed);
    }

    #[test]
    fn name_and_value_are_kept_apart() {
        let ab_c = Label::new("ab", "c");
        let a_bc = Label::new("a", "bc");
        assert_ne!(ab_c, a_bc);
        assert_eq!(a_bc.pair(), ("a", "bc"));
        assert_eq!(Label::new("", "").pair(), ("", ""));
    }

    #[test]
    fn get_push_retain_truncate() {
        let mut labels: Labels = [("job", "node"), ("job", "second")].into_iter().collect();
        assert_eq!(labels.get("job"), Some("node"));
        assert_eq!(labels.get("missing"), None);
        labels.push(Label::new("note", "läuft"));
        assert_eq!(labels.len(), 3);
        assert_eq!(labels.as_slice().len(), labels.0.len());
        labels.retain(|name, value| name != "job" || value == "second");
        assert_eq!(
            labels.iter().collect::<Vec<_>>(),
            [("job", "second"), ("note", "läuft")]
        );
        labels.truncate(1);
        assert_eq!(labels.iter().collect::<Vec<_>>(), [("job", "second")]);
    }

    #[test]
    fn serialized_as_a_list_of_pairs() {
        let labels: Labels = [("severity", "critical"), ("team", "noc")]
            .into_iter()
            .collect();
        let json = serde_json::to_string(&labels).expect("serializes");
        assert_eq!(json, r#"[["severity","critical"],["team","noc"]]"#);
        let as_tuples: Vec<(String, String)> = serde_json::from_str(&json).expect("pairs");
        assert_eq!(as_tuples.len(), 2);
        let back: Labels = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, labels);
    }

    #[test]
    fn unused_pairs_are_swept_and_used_ones_kept() {
        let mut table = PairTable::default();
        let kept = table.intern("kept", "yes");
        for i in 0..3 * MIN_SWEEP_AT {
            table.intern("unique", &i.to_string());
        }
        assert!(table.len() <= 2 * MIN_SWEEP_AT + 1, "{}", table.len());
        assert!(
            table
                .find(table.hasher.hash_one(("kept", "yes")), "kept", "yes")
                .is_some()
        );
        assert_eq!(table.intern("kept", "yes"), kept);
        assert!(Arc::ptr_eq(&table.intern("kept", "yes").0, &kept.0));
    }
}
