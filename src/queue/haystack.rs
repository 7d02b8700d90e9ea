//! The search text of each queue entry: title, tenant, host and external id, folded once at
//! upsert (lower case, German umlauts and ß spelled out, so `müller` and `mueller` find the
//! same tenant), stored compactly in shared chunks so a filter job on another thread can own a
//! snapshot without copying the text.

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::Item;

/// Entries per chunk. A changed haystack rewrites its whole chunk (about 55 KB of text).
const CHUNK_BITS: u32 = 9;
const CHUNK_LEN: usize = 1 << CHUNK_BITS;

/// Lower-case `text` and spell out umlauts and ß, appending to `out`.
pub fn fold_into(text: &str, out: &mut String) {
    for ch in text.chars() {
        if ch.is_ascii() {
            out.push(ch.to_ascii_lowercase());
            continue;
        }
        for lower in ch.to_lowercase() {
            match lower {
                'ä' => out.push_str("ae"),
                'ö' => out.push_str("oe"),
                'ü' => out.push_str("ue"),
                'ß' => out.push_str("ss"),
                other => out.push(other),
            }
        }
    }
}

/// [`fold_into`] into a new string.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

/// The folded search text of an item.
pub fn haystack_of(item: &Item) -> String {
    let mut out = String::new();
    haystack_into(item, &mut out);
    out
}

/// [`haystack_of`] into a reused buffer (cleared first).
pub fn haystack_into(item: &Item, out: &mut String) {
    out.clear();
    fold_into(&item.title, out);
    out.push(' ');
    fold_into(item.tenant.as_str(), out);
    if let Some(host) = item.host.as_deref().filter(|h| !h.is_empty()) {
        out.push(' ');
        fold_into(host, out);
    }
    out.push(' ');
    fold_into(&item.key.external_id, out);
}

/// One bit per byte class present in `bytes` (letters and digits have a bit each). A pattern
/// can only match a haystack whose mask contains the pattern's mask.
pub fn byte_mask(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |m, &b| m | byte_bit(b))
}

#[inline]
fn byte_bit(b: u8) -> u64 {
    let class = match b {
        b'a'..=b'z' => b - b'a',
        b'0'..=b'9' => 26 + (b - b'0'),
        _ => 36 + (b % 28),
    };
    1 << class
}

#[derive(Debug, Default)]
struct Chunk {
    text: String,
    /// End offset of each slot's text; the start is the previous slot's end.
    ends: Vec<u32>,
    masks: Vec<u64>,
}

impl Chunk {
    fn get(&self, slot: usize) -> &str {
        match self.ends.get(slot) {
            Some(&end) => {
                let start = if slot == 0 { 0 } else { self.ends[slot - 1] };
                &self.text[start as usize..end as usize]
            }
            None => "",
        }
    }

    fn mask(&self, slot: usize) -> u64 {
        self.masks.get(slot).copied().unwrap_or(0)
    }

    /// A copy of this chunk with `changes` (sorted by slot, unique) applied.
    fn rebuilt(&self, changes: &[(usize, &str)]) -> Chunk {
        let last = changes.last().map_or(0, |(s, _)| s + 1);
        let slots = self.ends.len().max(last);
        let extra: usize = changes.iter().map(|(_, s)| s.len()).sum();
        let mut out = Chunk {
            text: String::with_capacity(self.text.len() + extra),
            ends: Vec::with_capacity(slots),
            masks: Vec::with_capacity(slots),
        };
        let mut pending = changes.iter().peekable();
        for slot in 0..slots {
            match pending.next_if(|(s, _)| *s == slot) {
                Some((_, text)) => {
                    out.text.push_str(text);
                    out.masks.push(byte_mask(text.as_bytes()));
                }
                None => {
                    out.text.push_str(self.get(slot));
                    out.masks.push(self.mask(slot));
                }
            }
            out.ends.push(out.text.len() as u32);
        }
        out.text.shrink_to_fit();
        out
    }
}

/// Haystacks of all slots. Changes are staged (their text appended to one arena, so a bulk
/// load makes no small allocations) and written chunk by chunk on [`Self::flush`].
#[derive(Debug, Default)]
pub struct Haystacks {
    chunks: Vec<Arc<Chunk>>,
    staged: HashMap<u32, (u32, u32)>,
    arena: String,
}

impl Haystacks {
    /// Replace the haystack of slot `id` at the next flush (empty for a freed slot).
    pub fn stage(&mut self, id: u32, text: &str) {
        let start = self.arena.len() as u32;
        self.arena.push_str(text);
        self.staged.insert(id, (start, self.arena.len() as u32));
    }

    /// The haystack slot `id` will have after the next flush.
    pub fn latest(&self, id: u32) -> &str {
        match self.staged.get(&id) {
            Some(&(start, end)) => &self.arena[start as usize..end as usize],
            None => self.get(id),
        }
    }

    /// Write staged changes; each touched chunk is rebuilt once. Only the ids are sorted (4
    /// bytes each rather than id and text, 24): the buffers of a bulk load stay small, so less
    /// of them is left behind as free heap between the long-lived chunks.
    pub fn flush(&mut self) {
        if self.staged.is_empty() {
            return;
        }
        let arena = std::mem::take(&mut self.arena);
        let staged = std::mem::take(&mut self.staged);
        let text = |id: u32| {
            let (start, end) = staged[&id];
            &arena[start as usize..end as usize]
        };
        let mut ids: Vec<u32> = staged.keys().copied().collect();
        ids.sort_unstable();
        for ids in ids.chunk_by(|a, b| a >> CHUNK_BITS == b >> CHUNK_BITS) {
            let changes: Vec<(usize, &str)> = ids
                .iter()
                .map(|&id| ((id as usize) & (CHUNK_LEN - 1), text(id)))
                .collect();
            self.rewrite_chunk((ids[0] >> CHUNK_BITS) as usize, &changes);
        }
    }

    fn rewrite_chunk(&mut self, chunk: usize, changes: &[(usize, &str)]) {
        while self.chunks.len() <= chunk {
            self.chunks.push(Arc::default());
        }
        let rebuilt = self.chunks[chunk].rebuilt(changes);
        self.chunks[chunk] = Arc::new(rebuilt);
    }

    /// The haystack of slot `id` as of the last flush.
    pub fn get(&self, id: u32) -> &str {
        get(&self.chunks, id)
    }

    pub fn mask(&self, id: u32) -> u64 {
        mask(&self.chunks, id)
    }

    /// A read-only view that shares the current chunks; later changes do not affect it.
    pub fn snapshot(&self) -> HaystackSnapshot {
        HaystackSnapshot {
            chunks: self.chunks.iter().cloned().collect(),
        }
    }

    /// Heap bytes held by the text, offsets and masks.
    pub fn heap_bytes(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| c.text.capacity() + c.ends.capacity() * 4 + c.masks.capacity() * 8)
            .sum()
    }
}

/// Shared, immutable haystacks for a filter job running on another thread.
#[derive(Clone, Debug, Default)]
pub struct HaystackSnapshot {
    chunks: Arc<[Arc<Chunk>]>,
}

impl HaystackSnapshot {
    pub fn get(&self, id: u32) -> &str {
        get(&self.chunks, id)
    }

    pub fn mask(&self, id: u32) -> u64 {
        mask(&self.chunks, id)
    }
}

#[inline]
fn get(chunks: &[Arc<Chunk>], id: u32) -> &str {
    match chunks.get((id >> CHUNK_BITS) as usize) {
        Some(c) => c.get((id as usize) & (CHUNK_LEN - 1)),
        None => "",
    }
}

#[inline]
fn mask(chunks: &[Arc<Chunk>], id: u32) -> u64 {
    match chunks.get((id >> CHUNK_BITS) as usize) {
        Some(c) => c.mask((id as usize) & (CHUNK_LEN - 1)),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_umlauts() {
        assert_eq!(fold("Müller GmbH"), "mueller gmbh");
        assert_eq!(fold("ÄÖÜ Straße"), "aeoeue strasse");
        assert_eq!(fold("Café"), "café");
    }

    #[test]
    fn mask_is_necessary_for_containment() {
        let hay = byte_mask(b"srv-db-03.kunde-mueller.local");
        assert_eq!(hay & byte_mask(b"mueller"), byte_mask(b"mueller"));
        assert_ne!(hay & byte_mask(b"xyz"), byte_mask(b"xyz"));
    }

    #[test]
    fn staged_changes_apply_per_chunk_and_snapshots_stay() {
        let mut h = Haystacks::default();
        for id in 0..1500u32 {
            h.stage(id, &format!("item {id}"));
        }
        h.flush();
        let snap = h.snapshot();
        h.stage(3, "changed");
        h.stage(1200, "");
        h.stage(3, "changed twice");
        h.stage(2000, "far away");
        assert_eq!(h.latest(3), "changed twice");
        assert_eq!(h.get(3), "item 3");
        h.flush();
        assert_eq!(h.get(3), "changed twice");
        assert_eq!(h.get(4), "item 4");
        assert_eq!(h.get(1200), "");
        assert_eq!(h.get(1201), "item 1201");
        assert_eq!(h.get(2000), "far away");
        assert_eq!(h.get(1999), "");
        assert_eq!(h.get(99_999), "");
        assert_eq!(snap.get(3), "item 3");
        assert_eq!(snap.get(1200), "item 1200");
        assert_eq!(h.mask(3), byte_mask(b"changed twice"));
    }
}
