//! Documents parsed once: front ends send the same few documents again and again, and parsing
//! one (with pest) cost about 6% of the service's CPU on an action plan. A document that
//! parsed and was admitted within the limits is remembered by its text, as it is before any
//! request's variables touch it; the next request with the same text starts from a copy.
//!
//! Nothing of a caller is in it: the text, its syntax tree and its measured shape are the same
//! for whoever sends them, and each request still checks its own token, variables and access.
//! Documents refused are not remembered, so every refusal is worked out (and said) afresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;

use crate::graphql::measure::DocumentShape;

/// A document that parsed, was admitted within the limits, and was marked for answering in
/// the order asked.
pub(crate) struct Admitted {
    /// The document, ready to run.
    pub(crate) document: Arc<ExecutableDocument>,
    /// What admitting it measured.
    pub(crate) shape: DocumentShape,
}

/// The documents remembered, by their text, up to a budget of text: the parsed trees of
/// small documents take some tens of times their text, so the budget bounds the memory too.
pub struct ParsedDocuments {
    held: Mutex<Held>,
    budget: usize,
}

#[derive(Default)]
struct Held {
    by_text: HashMap<String, Arc<Admitted>>,
    bytes: usize,
}

/// Documents longer than this are not remembered: they are rare, and each would take much
/// of the budget.
const LONGEST: usize = 16 * 1024;

/// The text of all documents remembered at once, at most: several front ends' worth.
const BUDGET: usize = 1024 * 1024;

impl Default for ParsedDocuments {
    fn default() -> Self {
        ParsedDocuments::with_budget(BUDGET)
    }
}

impl ParsedDocuments {
    /// An empty store holding up to `budget` bytes of document text.
    pub(crate) fn with_budget(budget: usize) -> Self {
        ParsedDocuments {
            held: Mutex::new(Held::default()),
            budget,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // A panic elsewhere while holding the lock leaves a map that is still a valid cache.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The document remembered for `text`.
    pub(crate) fn get(&self, text: &str) -> Option<Arc<Admitted>> {
        self.lock().by_text.get(text).cloned()
    }

    /// Remembers `admitted` for `text`, emptying the store first when it would go over its
    /// budget (a few parses again cost less than an eviction policy to keep right).
    pub(crate) fn remember(&self, text: &str, admitted: Arc<Admitted>) {
        if text.len() > LONGEST || text.len() > self.budget {
            return;
        }
        let mut held = self.lock();
        if held.by_text.contains_key(text) {
            return;
        }
        if held.bytes + text.len() > self.budget {
            held.by_text.clear();
            held.bytes = 0;
        }
        held.bytes += text.len();
        held.by_text.insert(text.to_owned(), admitted);
    }

    /// How many documents are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().by_text.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::limits::admit;
    use crate::limits::Limits;

    fn admitted(text: &str) -> Arc<Admitted> {
        let document = async_graphql::parser::parse_query(text).expect("parses");
        let shape = admit(&document, &Limits::default()).expect("admitted");
        Arc::new(Admitted {
            document: Arc::new(document),
            shape,
        })
    }

    #[test]
    fn a_document_is_found_by_its_exact_text() {
        let store = ParsedDocuments::default();
        let text = "{ me { id } }";
        store.remember(text, admitted(text));
        assert!(store.get(text).is_some());
        assert!(store.get("{ me { id }}").is_none());
    }

    #[test]
    fn the_store_empties_rather_than_go_over_its_budget() {
        let first = "{ a: me { id } }";
        let second = "{ b: me { id } }";
        let store = ParsedDocuments::with_budget(first.len() + second.len() - 1);
        store.remember(first, admitted(first));
        store.remember(first, admitted(first));
        assert_eq!(store.len(), 1);
        store.remember(second, admitted(second));
        assert_eq!(store.len(), 1);
        assert!(store.get(first).is_none());
        assert!(store.get(second).is_some());
    }

    #[test]
    fn a_long_document_is_not_remembered() {
        let store = ParsedDocuments::default();
        let text = format!("{{ me {{ id }} }}{}", " ".repeat(LONGEST));
        store.remember(&text, admitted(&text));
        assert_eq!(store.len(), 0);
    }
}
