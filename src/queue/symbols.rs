//! Interning of the strings the queue groups and filters by (tenants, hosts, status labels,
//! sources): each distinct string gets a small number, kept with its folded search form and a
//! count of the entries that use it.

use std::collections::HashMap;
use std::sync::Arc;

use super::haystack::fold;

/// Marks "no symbol" (an item without a host).
pub const NONE: u32 = u32::MAX;

#[derive(Debug, Default)]
pub struct Symbols {
    index: HashMap<Arc<str>, u32>,
    names: Vec<Arc<str>>,
    folded: Vec<Box<str>>,
    counts: Vec<u32>,
}

impl Symbols {
    /// The number of `name`, created if new; counts one more user.
    pub fn acquire(&mut self, name: &Arc<str>) -> u32 {
        let ix = match self.index.get(name) {
            Some(&ix) => ix,
            None => {
                let ix = self.names.len() as u32;
                self.index.insert(name.clone(), ix);
                self.names.push(name.clone());
                self.folded.push(fold(name).into_boxed_str());
                self.counts.push(0);
                ix
            }
        };
        self.counts[ix as usize] += 1;
        ix
    }

    pub fn acquire_opt(&mut self, name: Option<&Arc<str>>) -> u32 {
        name.map_or(NONE, |n| self.acquire(n))
    }

    /// One user less.
    pub fn release(&mut self, ix: u32) {
        if ix != NONE {
            self.counts[ix as usize] -= 1;
        }
    }

    pub fn lookup(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn name(&self, ix: u32) -> &Arc<str> {
        &self.names[ix as usize]
    }

    pub fn count(&self, ix: u32) -> usize {
        self.counts[ix as usize] as usize
    }

    /// A table over all symbols: `test(original, folded)` for each.
    pub fn table(&self, mut test: impl FnMut(&str, &str) -> bool) -> Vec<bool> {
        self.names
            .iter()
            .zip(&self.folded)
            .map(|(n, f)| test(n, f))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_and_counts() {
        let mut s = Symbols::default();
        let a: Arc<str> = Arc::from("Müller");
        let b: Arc<str> = Arc::from("Bauer");
        let ia = s.acquire(&a);
        let ib = s.acquire(&b);
        assert_eq!(s.acquire(&a), ia);
        assert_ne!(ia, ib);
        assert_eq!(s.count(ia), 2);
        s.release(ia);
        assert_eq!(s.count(ia), 1);
        assert_eq!(s.table(|_, f| f == "mueller"), vec![true, false]);
        assert_eq!(s.lookup("Bauer"), Some(ib));
        assert_eq!(s.acquire_opt(None), NONE);
    }
}
