//! Fuzzy text matching of one item: a byte-class mask and an ordered-subsequence test on the
//! folded haystack first, then SkimMatcherV2 where the cheap test is not conclusive.
//!
//! SkimMatcherV2 (fuzzy-matcher 0.3.7) accepts a choice exactly when the pattern's characters
//! occur in it in order, comparing ASCII case-insensitively; its score only ranks matches.
//! The queue never ranks (filtering keeps the SLA order), so for an ASCII word on a folded
//! haystack the subsequence test *is* skim's answer and skim is not called. For words with
//! other characters the byte test is only a necessary condition and skim decides. A unit test
//! checks that both agree on generated data; the bench measures skim on every candidate.

use std::sync::Arc;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::haystack::byte_mask;
use super::query::is_subsequence;

/// The text matcher behind the fast path, so it can be swapped.
pub trait TextMatcher: Send + Sync {
    fn is_match(&self, haystack: &str, pattern: &str) -> bool;
}

/// [`TextMatcher`] backed by fuzzy-matcher's SkimMatcherV2.
#[derive(Default)]
pub struct SkimText(SkimMatcherV2);

impl TextMatcher for SkimText {
    fn is_match(&self, haystack: &str, pattern: &str) -> bool {
        self.0.fuzzy_match(haystack, pattern).is_some()
    }
}

struct Word {
    text: Box<str>,
    ascii: bool,
}

/// The fuzzy part of a query, ready to test haystacks.
pub struct TextPattern {
    words: Vec<Word>,
    phrases: Vec<Box<str>>,
    mask: u64,
    matcher: Arc<dyn TextMatcher>,
}

impl TextPattern {
    pub fn new(words: &[Box<str>], phrases: &[Box<str>]) -> Self {
        Self::with_matcher(words, phrases, Arc::new(SkimText::default()))
    }

    pub fn with_matcher(
        words: &[Box<str>],
        phrases: &[Box<str>],
        matcher: Arc<dyn TextMatcher>,
    ) -> Self {
        let mask = words
            .iter()
            .chain(phrases)
            .fold(0, |m, w| m | byte_mask(w.as_bytes()));
        Self {
            words: words
                .iter()
                .map(|w| Word {
                    text: w.clone(),
                    ascii: w.is_ascii(),
                })
                .collect(),
            phrases: phrases.to_vec(),
            mask,
            matcher,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty()
    }

    /// Does the folded `haystack` (with its [`byte_mask`]) match every word and phrase?
    #[inline]
    pub fn matches(&self, haystack: &str, mask: u64) -> bool {
        if mask & self.mask != self.mask {
            return false;
        }
        let hay = haystack.as_bytes();
        self.words.iter().all(|w| {
            is_subsequence(w.text.as_bytes(), hay)
                && (w.ascii || self.matcher.is_match(haystack, &w.text))
        }) && self.phrases.iter().all(|p| haystack.contains(&**p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::haystack::{fold, haystack_of};
    use crate::queue::testdata;

    fn pattern(words: &[&str]) -> TextPattern {
        let words: Vec<Box<str>> = words.iter().map(|w| fold(w).into()).collect();
        TextPattern::new(&words, &[])
    }

    fn check(p: &TextPattern, hay: &str) -> bool {
        p.matches(hay, byte_mask(hay.as_bytes()))
    }

    #[test]
    fn words_match_in_order_and_all_must_match() {
        let hay =
            fold("CRITICAL disk /var 97% on srv-db-03 mueller srv-db-03.kunde-mueller.local a-17");
        assert!(check(&pattern(&["mueller-db"]), &hay));
        assert!(check(&pattern(&["Müller"]), &hay));
        assert!(check(&pattern(&["disk", "var"]), &hay));
        assert!(!check(&pattern(&["disk", "zz"]), &hay));
        assert!(!check(&pattern(&["%var"]), &hay));
        let phrase = TextPattern::new(&[], &["disk /var".into()]);
        assert!(check(&phrase, &hay));
        let phrase = TextPattern::new(&[], &["disk var".into()]);
        assert!(!check(&phrase, &hay));
    }

    #[test]
    fn non_ascii_words_are_decided_by_skim() {
        let hay = fold("Serveur café à Genève");
        assert!(check(&pattern(&["café"]), &hay));
        assert!(check(&pattern(&["genève"]), &hay));
        assert!(!check(&pattern(&["genèva"]), &hay));
        // Same bytes in order but not the same character: skim says no.
        assert!(!check(&pattern(&["é"]), "\u{e8}\u{a9}"));
    }

    /// The fast path must give SkimMatcherV2's answer for every item and query.
    #[test]
    fn fast_path_agrees_with_skim_on_generated_data() {
        let skim = SkimMatcherV2::default();
        let items = testdata::items(2_000, 7);
        let mut rng = fastrand::Rng::with_seed(11);
        let alphabet: Vec<char> = "abcdefgilmnoprstuvz-0123456789 .éü".chars().collect();
        let mut queries: Vec<String> = ["mueller-db", "backupfail", "srvdb03", "kng", "éa"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for _ in 0..60 {
            let len = rng.usize(1..7);
            queries.push(
                (0..len)
                    .map(|_| alphabet[rng.usize(..alphabet.len())])
                    .collect(),
            );
        }
        let mut matched = 0;
        for q in &queries {
            let folded = fold(q);
            let p = pattern(&[folded.as_str()]);
            for item in &items {
                let hay = haystack_of(item);
                let fast = check(&p, &hay);
                let reference = skim.fuzzy_match(&hay, &folded).is_some();
                assert_eq!(fast, reference, "query {q:?} on {hay:?}");
                matched += usize::from(fast);
            }
        }
        assert!(
            matched > 1_000,
            "the data should produce matches: {matched}"
        );
    }
}
