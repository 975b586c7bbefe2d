//! Parsing a document, with syntax errors a person can read in one line: where (line and
//! column), what the grammar expected there, and what it found.
//!
//! async-graphql's parser reports pest's multi-line drawing (`--> 1:13`, the line, a caret,
//! `= expected selection_set, …`), which is made for a terminal and names the grammar's
//! internal rules. The position and the expected rules are kept; the rest is said again in
//! words a front-end developer knows.

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Pos, ServerError};

use super::limits::set_code;
use crate::error::ErrorCode;

/// Parses `query`, or says in one line why it does not parse (`GRAPHQL_PARSE_FAILED`).
pub fn parse(query: &str) -> Result<ExecutableDocument, ServerError> {
    async_graphql::parser::parse_query(query).map_err(|err| {
        let mut error = match &err {
            async_graphql::parser::Error::Syntax { message, start, .. } => {
                ServerError::new(readable(query, message, *start), Some(*start))
            }
            // The others (duplicate operations or fragments, an anonymous operation beside
            // others) already read as sentences.
            _ => ServerError::from(err),
        };
        set_code(&mut error, ErrorCode::GraphqlParseFailed);
        error
    })
}

/// `Syntax error at line 3, column 9: expected a field or `}`; found `)``.
fn readable(query: &str, pest_message: &str, at: Pos) -> String {
    let mut out = format!("Syntax error at line {}, column {}", at.line, at.column);
    match expectation(pest_message) {
        Some(Expectation::Expected(rules)) => {
            out.push_str(": expected ");
            out.push_str(&join_or(&describe(&rules)));
            out.push_str("; found ");
            out.push_str(&found(query, at));
        }
        Some(Expectation::Unexpected(rules)) => {
            out.push_str(": unexpected ");
            out.push_str(&join_or(&describe(&rules)));
        }
        Some(Expectation::Other(text)) => {
            out.push_str(": ");
            out.push_str(&text);
        }
        None => {
            out.push_str(": unexpected ");
            out.push_str(&found(query, at));
        }
    }
    out
}

/// What pest's message says was wanted.
enum Expectation {
    /// `expected a, b, or c`: the rules that could have come next.
    Expected(Vec<String>),
    /// `unexpected a`: rules that must not come here.
    Unexpected(Vec<String>),
    /// A message of the grammar's own (a custom error).
    Other(String),
}

/// Reads the last line of pest's drawing, `  = expected a, b, or c` (or `unexpected …`, or a
/// custom message). If pest ever words it otherwise, the error still says where, and what it
/// found there.
fn expectation(pest_message: &str) -> Option<Expectation> {
    let last = pest_message.lines().last()?.trim();
    let text = last.strip_prefix("= ")?;
    let rules = |list: &str| {
        list.split(", ")
            .flat_map(|r| r.split(" or "))
            .map(|r| r.trim().trim_start_matches("or ").to_owned())
            .filter(|r| !r.is_empty())
            .collect::<Vec<_>>()
    };
    if let Some(list) = text.strip_prefix("expected ") {
        let (list, _) = list.split_once("; found").unwrap_or((list, ""));
        return Some(Expectation::Expected(rules(list)));
    }
    if let Some(list) = text.strip_prefix("unexpected ") {
        return Some(Expectation::Unexpected(rules(list)));
    }
    Some(Expectation::Other(text.to_owned()))
}

/// The grammar's rule names in a developer's words, without repeats.
fn describe(rules: &[String]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for rule in rules {
        let words = match rule.as_str() {
            "selection_set" => "`{`",
            "selection" | "field" => "a field",
            "alias" => "an alias",
            "fragment_spread" => "a fragment spread (`...Name`)",
            "inline_fragment" => "an inline fragment (`... on Type`)",
            "directive" | "directives" | "const_directive" | "const_directives" => {
                "a directive (`@include`, `@skip`)"
            }
            "arguments" | "const_arguments" => "arguments (`(name: value)`)",
            "argument" | "const_argument" => "an argument (`name: value`)",
            "name" | "name_start" => "a name",
            "variable" => "a variable (`$name`)",
            "variable_definitions" | "variable_definition" => "a variable definition",
            "value" | "const_value" | "default_value" => "a value",
            "string" | "block_string_content" | "string_content" => "a string",
            "number" | "int" | "float" => "a number",
            "boolean" => "`true` or `false`",
            "null" => "`null`",
            "enum_value" => "an enum value",
            "list" | "const_list" => "a list (`[…]`)",
            "object" | "const_object" => "an input object (`{…}`)",
            "object_field" | "const_object_field" => "an input field (`name: value`)",
            "type_" => "a type",
            "type_condition" => "`on` and a type",
            "executable_definition"
            | "operation_definition"
            | "named_operation_definition"
            | "fragment_definition" => {
                "an operation (`query`, `mutation`, `subscription` or `{`) or a `fragment`"
            }
            "operation_type" => "`query`, `mutation` or `subscription`",
            "EOI" => "the end of the document",
            _ => "more of the document",
        };
        if !out.contains(&words) {
            out.push(words);
        }
    }
    out
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[&str]) -> String {
    match items {
        [] => "more of the document".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// What stands at `at` in `query` (or after the blanks there): a punctuator, a word, a
/// string, or the end of the document.
fn found(query: &str, at: Pos) -> String {
    // Lines and columns count from 1; columns count characters.
    let line_start: usize = query
        .split_inclusive('\n')
        .take(at.line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest: String = query[line_start.min(query.len())..]
        .chars()
        .skip(at.column.saturating_sub(1))
        .collect();
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
    let Some(first) = rest.chars().next() else {
        return "the end of the document".to_owned();
    };
    if first == '"' {
        return "a string".to_owned();
    }
    if first.is_alphanumeric() || first == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        return format!("`{word}`");
    }
    if rest.starts_with("...") {
        return "`...`".to_owned();
    }
    format!("`{first}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(query: &str) -> String {
        parse(query).unwrap_err().message
    }

    #[test]
    fn an_unclosed_selection_names_the_end_of_the_document() {
        let m = message("{ me { role ");
        assert!(
            m.starts_with("Syntax error at line 1, column 13: expected "),
            "{m}"
        );
        assert!(m.ends_with("found the end of the document"), "{m}");
        assert!(!m.contains('\n'), "{m}");
    }

    #[test]
    fn a_stray_bracket_is_named() {
        let m = message("query {\n  me {\n    role)\n  }\n}");
        assert!(m.starts_with("Syntax error at line 3, column 9"), "{m}");
        assert!(m.contains("found `)`"), "{m}");
        assert!(m.contains("a field"), "{m}");
    }

    #[test]
    fn a_missing_argument_value_says_a_value_was_expected() {
        let m = message("{ actions(asOf: ) { totalCount } }");
        assert!(
            m.contains("expected a value") || m.contains("a value"),
            "{m}"
        );
        assert!(m.contains("found `)`"), "{m}");
    }

    #[test]
    fn other_document_errors_keep_their_sentence() {
        let m = message("query A { me { role } } query A { me { role } }");
        assert!(m.contains("defined twice"), "{m}");
    }

    #[test]
    fn lists_read_as_english() {
        assert_eq!(join_or(&["a"]), "a");
        assert_eq!(join_or(&["a", "b"]), "a or b");
        assert_eq!(join_or(&["a", "b", "c"]), "a, b or c");
    }
}
