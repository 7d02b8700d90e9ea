//! Working on many items: saved views (named filters, `mine` built in), marks on items
//! (`space`) that turn an action into a batch over every marked item, and `a:me` in filters.

use std::collections::BTreeMap;

use super::state::App;
use crate::i18n::{Msg, fill, t};
use crate::model::ItemKey;

/// The built-in view of my items.
pub const MINE: (&str, &str) = ("mine", "a:me");

impl App {
    /// The configured views; `mine` is there unless the config redefines it.
    pub fn set_views(&mut self, configured: &BTreeMap<String, String>) {
        let mut views = BTreeMap::from([(MINE.0.to_string(), MINE.1.to_string())]);
        views.extend(configured.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.views = views;
    }

    /// `view NAME`: the view's filter becomes the filter.
    pub(super) fn apply_view(&mut self, name: &str) {
        match self.views.get(name.trim()).cloned() {
            Some(filter) => {
                self.set_filter(&filter);
                self.flash_info(fill(t(self.lang, Msg::ViewShown), &[name.trim(), &filter]));
            }
            None => {
                let known: Vec<&str> = self.views.keys().map(String::as_str).collect();
                self.flash_error(fill(
                    t(self.lang, Msg::ViewUnknown),
                    &[name.trim(), &known.join(", ")],
                ));
            }
        }
    }

    /// The filter as the queue reads it: `a:me` names me.
    pub(super) fn expanded_filter(&self) -> String {
        let me = format!("a:\"{}\"", self.user.replace('"', ""));
        self.filter
            .text()
            .split(' ')
            .map(|w| match w {
                "a:me" => me.clone(),
                "-a:me" => format!("-{me}"),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `space`: mark or unmark the selected item, then move on.
    pub(super) fn toggle_mark(&mut self) {
        let Some(key) = self.selected.clone() else {
            return;
        };
        if !self.marked.remove(&key) {
            self.marked.insert(key);
        }
        self.select_next_row();
    }

    /// Marks every item in the current view.
    pub(super) fn mark_all(&mut self) {
        let keys: Vec<ItemKey> = self
            .view
            .iter()
            .filter_map(|&id| self.queue.entry(id).map(|e| e.item.key.clone()))
            .collect();
        self.marked.extend(keys);
        self.flash_info(fill(
            t(self.lang, Msg::Marked),
            &[&self.marked.len().to_string()],
        ));
    }

    /// The items an action is for: every marked item still in the queue, in queue order;
    /// else the selected one.
    pub(super) fn action_targets(&self) -> Vec<ItemKey> {
        if self.marked.is_empty() {
            return self
                .selected_item()
                .map(|i| vec![i.key.clone()])
                .unwrap_or_default();
        }
        self.queue
            .order()
            .iter()
            .filter_map(|&id| self.queue.entry(id))
            .map(|e| &e.item.key)
            .filter(|k| self.marked.contains(*k))
            .cloned()
            .collect()
    }

    /// Marks of items that left the queue are dropped.
    pub(super) fn prune_marks(&mut self) {
        if !self.marked.is_empty() {
            let queue = &self.queue;
            self.marked.retain(|k| queue.get(k).is_some());
        }
    }
}
