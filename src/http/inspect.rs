//! Looking at a GraphQL request before executing it: how deeply it nests, which operation it
//! runs, and whether that operation needs a caller.

use std::collections::HashSet;

pub use crate::limits::MAX_NESTING;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::{Name, Positioned};

/// The deepest bracket nesting of a GraphQL document, ignoring strings and comments.
pub fn nesting_depth(source: &str) -> usize {
    let bytes = source.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // An escaped triple quote does not close a block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
}

/// What the handler needs to know about the operation a request will run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationInfo {
    /// Query, mutation or subscription.
    pub kind: OperationType,
    /// Whether it selects anything beyond introspection (`__schema`, `__type`, `__typename`),
    /// which is all a caller without a token may ask for.
    pub needs_caller: bool,
    /// Whether it asks for the schema (`__schema` or `__type`).
    pub introspects: bool,
}

/// The operation `operation_name` selects, if the document has exactly one that fits (when it
/// has not, execution reports the problem).
pub fn operation_info(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationInfo> {
    let (_, op) = selected(doc, operation_name)?;
    let mut fields = Vec::new();
    root_fields(
        doc,
        &op.node.selection_set.node,
        &mut HashSet::new(),
        &mut fields,
    );
    Some(OperationInfo {
        kind: op.node.ty,
        needs_caller: fields.iter().any(|f| !f.starts_with("__")),
        introspects: fields.iter().any(|f| *f == "__schema" || *f == "__type"),
    })
}

/// The name of the operation a request runs: the one it asked for, or the name of a
/// document's only operation.
pub fn operation_name(doc: &ExecutableDocument, operation_name: Option<&str>) -> Option<String> {
    match operation_name {
        Some(name) => Some(name.to_owned()),
        None => selected(doc, None)?.0.map(|n| n.to_string()),
    }
}

/// The operation `operation_name` selects, with its name (`None` for an anonymous one), if
/// the document has exactly one that fits.
fn selected<'a>(
    doc: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<(Option<&'a Name>, &'a Positioned<OperationDefinition>)> {
    let (name, op) = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => return Some((None, op)),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get_key_value(name)?,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.iter().next()?,
        _ => return None,
    };
    Some((Some(name), op))
}

/// The names of the fields an operation selects at its root, through fragments.
fn root_fields<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    seen: &mut HashSet<&'a str>,
    out: &mut Vec<&'a str>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => out.push(field.node.name.node.as_str()),
            Selection::InlineFragment(inline) => {
                root_fields(doc, &inline.node.selection_set.node, seen, out)
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                // A fragment cycle is a validation error reported later; here it must not loop.
                if seen.insert(name.as_str())
                    && let Some(fragment) = doc.fragments.get(name)
                {
                    root_fields(doc, &fragment.node.selection_set.node, seen, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn info(query: &str, name: Option<&str>) -> Option<OperationInfo> {
        operation_info(&parse_query(query).unwrap(), name)
    }

    #[test]
    fn nesting_ignores_strings_and_comments() {
        assert_eq!(nesting_depth("{ a { b } }"), 2);
        assert_eq!(nesting_depth(r#"{ a(x: "{{{{") }"#), 2);
        assert_eq!(nesting_depth("# {{{{\n{ a }"), 1);
        assert_eq!(nesting_depth(r#"{ a(x: """ {{{ \""" {{ """) }"#), 2);
        assert_eq!(nesting_depth(&"{".repeat(1000)), 1000);
    }

    #[test]
    fn introspection_alone_needs_no_caller() {
        let i = info("{ __schema { types { name } } __typename }", None).unwrap();
        assert_eq!(i.kind, OperationType::Query);
        assert!(!i.needs_caller);
        assert!(i.introspects);
        assert!(!info("{ __typename }", None).unwrap().introspects);
        assert!(
            info("{ __typename me { role } }", None)
                .unwrap()
                .needs_caller
        );
    }

    #[test]
    fn fragments_are_followed_and_cycles_do_not_loop() {
        let q =
            "query { ...F } fragment F on Query { ...G } fragment G on Query { me { role } ...F }";
        assert!(info(q, None).unwrap().needs_caller);
    }

    #[test]
    fn the_named_operation_is_chosen() {
        let q =
            "query A { __typename } mutation B { createOrganisation(input: {}) { __typename } }";
        assert_eq!(info(q, Some("B")).unwrap().kind, OperationType::Mutation);
        assert_eq!(info(q, Some("A")).unwrap().kind, OperationType::Query);
        assert_eq!(info(q, None), None);
        assert_eq!(info(q, Some("C")), None);
    }
}
