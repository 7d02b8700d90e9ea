//! A one-line text input with a cursor and history, used by the filter and the command line.

/// Editable line of text; the cursor is a char index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    cursor: usize,
    history: Vec<String>,
    history_pos: Option<usize>,
}

impl LineInput {
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Cursor position in chars.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn set(&mut self, text: &str) {
        self.text = text.to_string();
        self.cursor = self.text.chars().count();
    }

    pub fn clear(&mut self) {
        self.set("");
        self.history_pos = None;
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(b, _)| b)
    }

    pub fn insert(&mut self, c: char) {
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }

    pub fn insert_str(&mut self, s: &str) {
        s.chars()
            .filter(|c| !c.is_control())
            .for_each(|c| self.insert(c));
    }

    pub fn delete_backward(&mut self) {
        if self.cursor == 0 {
            return;
        }
        self.cursor -= 1;
        let at = self.byte_at(self.cursor);
        self.text.remove(at);
    }

    /// Deletes the word before the cursor (and the blanks after it).
    pub fn delete_word(&mut self) {
        let chars: Vec<char> = self.text.chars().collect();
        let mut start = self.cursor;
        while start > 0 && chars[start - 1] == ' ' {
            start -= 1;
        }
        while start > 0 && chars[start - 1] != ' ' {
            start -= 1;
        }
        let (a, b) = (self.byte_at(start), self.byte_at(self.cursor));
        self.text.replace_range(a..b, "");
        self.cursor = start;
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.text.chars().count());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.text.chars().count();
    }

    /// Remembers the current text (when accepted) for history-prev/next.
    pub fn commit_history(&mut self) {
        let t = self.text.trim();
        if !t.is_empty() && self.history.last().map(String::as_str) != Some(t) {
            self.history.push(t.to_string());
        }
        self.history_pos = None;
    }

    pub fn history_prev(&mut self) {
        if self.history.is_empty() {
            return;
        }
        let pos = match self.history_pos {
            Some(0) => 0,
            Some(p) => p - 1,
            None => self.history.len() - 1,
        };
        self.history_pos = Some(pos);
        let entry = self.history[pos].clone();
        self.set(&entry);
    }

    pub fn history_next(&mut self) {
        match self.history_pos {
            Some(p) if p + 1 < self.history.len() => {
                self.history_pos = Some(p + 1);
                let entry = self.history[p + 1].clone();
                self.set(&entry);
            }
            Some(_) => {
                self.history_pos = None;
                self.set("");
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editing_with_umlauts() {
        let mut l = LineInput::default();
        l.insert_str("t:müller db");
        l.left();
        l.left();
        l.delete_backward();
        assert_eq!(l.text(), "t:müllerdb");
        l.end();
        l.delete_word();
        assert_eq!(l.text(), "");
        l.insert_str("a b");
        l.delete_word();
        assert_eq!(l.text(), "a ");
        assert_eq!(l.cursor(), 2);
    }

    #[test]
    fn history_walks_back_and_forth() {
        let mut l = LineInput::default();
        for q in ["p:1", "k:alert"] {
            l.set(q);
            l.commit_history();
        }
        l.clear();
        l.history_prev();
        assert_eq!(l.text(), "k:alert");
        l.history_prev();
        assert_eq!(l.text(), "p:1");
        l.history_next();
        assert_eq!(l.text(), "k:alert");
        l.history_next();
        assert_eq!(l.text(), "");
    }
}
