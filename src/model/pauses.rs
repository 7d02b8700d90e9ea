//! [`Pauses`]: an item's past pauses in 8 bytes. Most items never paused; those that did keep
//! their list behind one pointer.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Interval;

/// Past pauses in the order they were recorded (a list of [`Interval`]s).
#[derive(Clone, Default, PartialEq, Eq)]
#[allow(
    clippy::box_collection,
    reason = "a thin pointer: 8 bytes in every item instead of a Vec's 24"
)]
pub struct Pauses(Option<Box<Vec<Interval>>>);

impl Pauses {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, pause: Interval) {
        self.0.get_or_insert_default().push(pause);
    }

    pub fn as_slice(&self) -> &[Interval] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl Deref for Pauses {
    type Target = [Interval];

    fn deref(&self) -> &[Interval] {
        self.as_slice()
    }
}

impl<'a> IntoIterator for &'a Pauses {
    type Item = &'a Interval;
    type IntoIter = std::slice::Iter<'a, Interval>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl From<Vec<Interval>> for Pauses {
    fn from(pauses: Vec<Interval>) -> Self {
        Pauses((!pauses.is_empty()).then(|| Box::new(pauses)))
    }
}

impl fmt::Debug for Pauses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_slice().fmt(f)
    }
}

/// As a list, as a `Vec` would be.
impl Serialize for Pauses {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Pauses {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<Interval>::deserialize(deserializer).map(Pauses::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn pause(from: i64, to: i64) -> Interval {
        let at = |s| Timestamp::from_second(s).expect("valid");
        Interval {
            start: at(from),
            end: at(to),
        }
    }

    #[test]
    fn eight_bytes_and_no_heap_until_the_first_pause() {
        assert_eq!(std::mem::size_of::<Pauses>(), 8);
        let mut pauses = Pauses::new();
        assert!(pauses.is_empty());
        assert!(pauses.0.is_none());
        pauses.push(pause(10, 20));
        pauses.push(pause(30, 40));
        assert_eq!(pauses.as_slice(), [pause(10, 20), pause(30, 40)]);
        assert_eq!(pauses.iter().count(), 2);
        assert_eq!(Pauses::from(Vec::new()), Pauses::new());
    }

    #[test]
    fn serialized_as_a_list() {
        let pauses = Pauses::from(vec![pause(10, 20)]);
        let json = serde_json::to_string(&pauses).expect("serializes");
        assert_eq!(json, serde_json::to_string(&vec![pause(10, 20)]).unwrap());
        let back: Pauses = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, pauses);
        assert_eq!(serde_json::to_string(&Pauses::new()).unwrap(), "[]");
    }
}
