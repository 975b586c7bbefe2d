//! Measuring a parsed document before it is validated: how deep it nests, how many fields it
//! selects and how much work its validation would be, once every fragment spread is expanded.
//!
//! async-graphql's validation expands a fragment each time it is spread, so a short document
//! whose fragments each spread the next one twice costs time exponential in its length (27
//! fragments in 1 KB: 2^27 fields, 48 seconds of one worker thread). Here each fragment is
//! measured once and its measure reused wherever it is spread, so measuring takes time linear
//! in the document's size, and a document over the limits is refused before validation starts.
//!
//! The measures are upper bounds of what validation walks: [`DocumentShape::fields`] is the
//! fan-out (every field costs at least 1 in the complexity estimate, so more fields than the
//! cost limit can never pass it), [`DocumentShape::depth`] is the depth async-graphql computes,
//! and [`DocumentShape::nodes`] bounds the work of its rules, some of which expand spreads from
//! every selection set of every definition.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// The root fields whose subtrees are introspection, which has a depth limit of its own.
const INTROSPECTION_ROOTS: [&str; 2] = ["__schema", "__type"];

/// What a document asks for once every fragment spread is expanded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DocumentShape {
    /// Fields its operations select; a fragment spread twice counts twice.
    pub fields: u64,
    /// Deepest field nesting under a root field other than introspection.
    pub depth: usize,
    /// Deepest field nesting under `__schema` or `__type`.
    pub introspection_depth: usize,
    /// Fields, spreads, inline fragments, arguments and directives of every definition
    /// (operations and fragments alike), each expanded: what validation may walk.
    pub nodes: u64,
}

/// Why a document could not be measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unmeasurable {
    /// A fragment spreads itself, directly or through others.
    Cycle(String),
}

/// Whether a root field is introspection or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Root {
    Plain,
    Introspection,
}

/// A fragment spread inside a definition.
struct Use<'a> {
    fragment: &'a str,
    /// How many fields enclose the spread within its definition.
    level: usize,
    /// The root field it sits under; `None` when it is spread at the definition's root.
    root: Option<Root>,
}

/// What one definition holds itself, without following its spreads.
#[derive(Default)]
struct Local<'a> {
    fields: u64,
    nodes: u64,
    depth: usize,
    introspection_depth: usize,
    uses: Vec<Use<'a>>,
}

impl<'a> Local<'a> {
    /// Walks one selection set. Recursion follows the document's bracket nesting, which the
    /// parser's own limit bounds, never a chain of fragments.
    fn walk(&mut self, set: &'a SelectionSet, level: usize, root: Option<Root>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.fields += 1;
                    self.nodes += 1 + field.arguments.len() as u64 + field.directives.len() as u64;
                    let here = root.unwrap_or_else(|| {
                        if INTROSPECTION_ROOTS.contains(&field.name.node.as_str()) {
                            Root::Introspection
                        } else {
                            Root::Plain
                        }
                    });
                    let depth = match here {
                        Root::Plain => &mut self.depth,
                        Root::Introspection => &mut self.introspection_depth,
                    };
                    *depth = (*depth).max(level + 1);
                    self.walk(&field.selection_set.node, level + 1, Some(here));
                }
                Selection::InlineFragment(inline) => {
                    self.nodes += 1 + inline.node.directives.len() as u64;
                    self.walk(&inline.node.selection_set.node, level, root);
                }
                Selection::FragmentSpread(spread) => {
                    self.nodes += 1 + spread.node.directives.len() as u64;
                    self.uses.push(Use {
                        fragment: spread.node.fragment_name.node.as_str(),
                        level,
                        root,
                    });
                }
            }
        }
    }

    fn of(set: &'a SelectionSet) -> Self {
        let mut local = Local::default();
        local.walk(set, 0, None);
        local
    }

    /// The definition's shape, given the shapes of the fragments it spreads.
    fn expand(&self, shape_of: impl Fn(&str) -> Shape) -> Shape {
        let mut out = Shape {
            fields: self.fields,
            nodes: self.nodes,
            depth: self.depth,
            introspection_depth: self.introspection_depth,
        };
        for u in &self.uses {
            let inner = shape_of(u.fragment);
            out.fields = out.fields.saturating_add(inner.fields);
            out.nodes = out.nodes.saturating_add(inner.nodes);
            let whole = inner.depth.max(inner.introspection_depth);
            match u.root {
                None => {
                    out.depth = out.depth.max(inner.depth);
                    out.introspection_depth =
                        out.introspection_depth.max(inner.introspection_depth);
                }
                Some(Root::Plain) => out.depth = out.depth.max(u.level + whole),
                Some(Root::Introspection) => {
                    out.introspection_depth = out.introspection_depth.max(u.level + whole)
                }
            }
        }
        out
    }
}

/// The expanded shape of one definition.
#[derive(Clone, Copy, Debug, Default)]
struct Shape {
    fields: u64,
    nodes: u64,
    depth: usize,
    introspection_depth: usize,
}

/// Measures `doc`, in time linear in its size.
pub fn measure(doc: &ExecutableDocument) -> Result<DocumentShape, Unmeasurable> {
    let locals: HashMap<&str, Local<'_>> = doc
        .fragments
        .iter()
        .map(|(name, fragment)| (name.as_str(), Local::of(&fragment.node.selection_set.node)))
        .collect();
    let shapes = fragment_shapes(&locals)?;
    // A spread of an unknown fragment adds nothing here; validation reports it.
    let shape_of = |name: &str| shapes.get(name).copied().unwrap_or_default();

    let mut out = DocumentShape {
        nodes: shapes
            .values()
            .fold(0u64, |sum, s| sum.saturating_add(s.nodes)),
        ..Default::default()
    };
    for (_, operation) in doc.operations.iter() {
        let shape = Local::of(&operation.node.selection_set.node).expand(shape_of);
        out.fields = out.fields.saturating_add(shape.fields);
        out.nodes = out.nodes.saturating_add(shape.nodes);
        out.depth = out.depth.max(shape.depth);
        out.introspection_depth = out.introspection_depth.max(shape.introspection_depth);
    }
    Ok(out)
}

/// Every fragment's expanded shape, each computed once, in an order where a fragment comes
/// after those it spreads. The walk keeps its own stack: a chain of thousands of fragments,
/// each spreading the next, must not recurse thousands of frames deep.
fn fragment_shapes<'a>(
    locals: &HashMap<&'a str, Local<'a>>,
) -> Result<HashMap<&'a str, Shape>, Unmeasurable> {
    let mut done: HashMap<&str, Shape> = HashMap::with_capacity(locals.len());
    let mut visiting: HashSet<&str> = HashSet::new();
    for &start in locals.keys() {
        if done.contains_key(start) {
            continue;
        }
        // Each entry is a fragment and how many of its spreads have been followed.
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        visiting.insert(start);
        while let Some((name, next)) = stack.last_mut() {
            let local = &locals[*name];
            if let Some(u) = local.uses.get(*next) {
                *next += 1;
                let target = u.fragment;
                if done.contains_key(target) || !locals.contains_key(target) {
                    continue;
                }
                if !visiting.insert(target) {
                    return Err(Unmeasurable::Cycle(target.to_owned()));
                }
                stack.push((target, 0));
            } else {
                let name = *name;
                let shape = local.expand(|f| done.get(f).copied().unwrap_or_default());
                done.insert(name, shape);
                visiting.remove(name);
                stack.pop();
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn shape(query: &str) -> DocumentShape {
        measure(&parse_query(query).unwrap()).unwrap()
    }

    /// `{ ...F0 }` and `n` fragments, each spreading the next twice, the last `{ me { role } }`.
    fn fan_out(n: usize) -> String {
        let mut q = String::from("{ ...F0 }");
        for i in 0..n - 1 {
            q += &format!(" fragment F{i} on Query {{ ...F{} ...F{} }}", i + 1, i + 1);
        }
        q + &format!(" fragment F{} on Query {{ me {{ role }} }}", n - 1)
    }

    #[test]
    fn fields_and_depth_of_a_plain_query() {
        let s = shape("{ me { role organisation { id name } } __typename }");
        assert_eq!(s.fields, 6);
        assert_eq!(s.depth, 3);
        assert_eq!(s.introspection_depth, 0);
    }

    #[test]
    fn fragments_count_once_per_spread_and_add_their_depth_where_spread() {
        let s = shape(
            "{ me { ...Org } a: me { ...Org } } fragment Org on Me { organisation { id ...Name } } fragment Name on Organisation { name }",
        );
        // me, a, and twice (organisation, id, name)
        assert_eq!(s.fields, 8);
        assert_eq!(s.depth, 3);
    }

    #[test]
    fn a_fan_out_of_two_to_the_twenty_sixth_is_measured_at_once() {
        let started = std::time::Instant::now();
        let s = shape(&fan_out(27));
        assert_eq!(s.fields, 2u64.pow(26) * 2);
        assert_eq!(s.depth, 2);
        assert!(
            started.elapsed().as_millis() < 50,
            "{:?}",
            started.elapsed()
        );
        // Far more fragments than bits in a u64 saturate rather than overflow.
        assert_eq!(shape(&fan_out(100)).fields, u64::MAX);
    }

    #[test]
    fn a_long_chain_of_fragments_does_not_recurse() {
        let n = 20_000;
        let mut q = String::from("{ ...C0 }");
        for i in 0..n {
            q += &format!(" fragment C{i} on Query {{ __typename ...C{} }}", i + 1);
        }
        q += &format!(" fragment C{n} on Query {{ __typename }}");
        let s = shape(&q);
        assert_eq!(s.fields, n as u64 + 1);
        // Every fragment's expansion counts: the chain is quadratic work for validation.
        assert!(s.nodes > (n as u64 * n as u64) / 2);
    }

    #[test]
    fn introspection_is_measured_apart() {
        let s = shape(
            "{ __schema { types { ...T } } me { role } } fragment T on __Type { name ofType { name ofType { name } } }",
        );
        assert_eq!(s.introspection_depth, 5);
        assert_eq!(s.depth, 2);
        // Spread at the root, a fragment's introspection stays introspection.
        let s = shape("{ ...R } fragment R on Query { __type(name: \"Me\") { name } }");
        assert_eq!((s.depth, s.introspection_depth), (0, 2));
    }

    #[test]
    fn every_operation_and_unused_fragment_counts() {
        let s = shape(
            "query A { me { role } } query B { __typename } fragment U on Query { me { role } }",
        );
        assert_eq!(s.fields, 3);
        // A's 2, B's 1, and the unused fragment's 2 (validation walks it too).
        assert_eq!(s.nodes, 5);
    }

    #[test]
    fn cycles_are_reported() {
        let doc = parse_query("{ ...A } fragment A on Query { ...B } fragment B on Query { me { ...C } } fragment C on Me { role } fragment D on Query { ...A }").unwrap();
        assert!(measure(&doc).is_ok());
        let doc = parse_query("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
            .unwrap();
        assert!(matches!(measure(&doc), Err(Unmeasurable::Cycle(_))));
        let doc = parse_query("{ ...A } fragment A on Query { me { ...A } }").unwrap();
        assert!(matches!(measure(&doc), Err(Unmeasurable::Cycle(_))));
    }

    #[test]
    fn unknown_fragments_add_nothing() {
        assert_eq!(shape("{ me { role } ...Missing }").fields, 2);
    }
}
