//! Plain data: objects whose fields are values already in memory, answered straight from the
//! selection set, without a future per field.
//!
//! async-graphql resolves every field of every object as a future of its own, joined with its
//! siblings'. For a heat map of 33 members and 15 standards that is thousands of futures, to
//! copy values that are already at hand. A list of [`Plain`] items wrapped in [`PlainList`]
//! builds its answer in one pass instead, when its selection asks only for plain fields, each
//! once, by name or alias, without fragments or directives: what a front end's query for a
//! table looks like. Anything else (a fragment, a field that needs the database, a directive)
//! is resolved the usual way, so the answer is always the same; a test compares both.
//!
//! An item whose plain fields need what was read for its whole list (a page of actions and
//! their latest updates) is a [`PlainNode`]: one future for the item, not one per field.

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, InputType, OutputType, Positioned, ServerResult, Value};

/// A GraphQL object some of whose fields are plain data.
pub(crate) trait Plain: OutputType {
    /// The value of `field` of this object, asking for its own selection set beneath it; `None`
    /// when that field (or one beneath it) must be resolved. Only fields without arguments are
    /// asked.
    fn field(&self, field: &Field) -> Option<Value>;
}

/// `value`'s answer to `set`, or `None` when any field in it is not plain.
pub(crate) fn object<T: Plain>(value: &T, set: &SelectionSet) -> Option<Value> {
    answer(
        set,
        || value.introspection_type_name().into_owned(),
        |field| value.field(field),
    )
}

/// The answer to `set` of an object called `type_name` whose plain fields `field` answers, or
/// `None` when any field in `set` is not plain.
fn answer(
    set: &SelectionSet,
    type_name: impl Fn() -> String,
    mut field: impl FnMut(&Field) -> Option<Value>,
) -> Option<Value> {
    let mut map = IndexMap::with_capacity(set.items.len());
    for item in &set.items {
        let Selection::Field(selected) = &item.node else {
            return None;
        };
        let selected = &selected.node;
        if !selected.directives.is_empty() || !selected.arguments.is_empty() {
            return None;
        }
        let key = &selected.response_key().node;
        if map.contains_key(key) {
            // The same key twice merges selections: left to async-graphql.
            return None;
        }
        let value = if selected.name.node == "__typename" {
            Value::String(type_name())
        } else {
            field(selected)?
        };
        map.insert(key.clone(), value);
    }
    Some(Value::Object(map))
}

/// `value`'s answer to `set` for a nullable object.
pub(crate) fn optional<T: Plain>(value: Option<&T>, set: &SelectionSet) -> Option<Value> {
    match value {
        Some(value) => object(value, set),
        None => Some(Value::Null),
    }
}

/// The answer of every item of `items` to `set`.
pub(crate) fn list<'a, T: Plain + 'a>(
    items: impl ExactSizeIterator<Item = &'a T>,
    set: &SelectionSet,
) -> Option<Value> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(object(item, set)?);
    }
    Some(Value::List(out))
}

/// A scalar or enum, written as its resolver would write it.
pub(crate) fn value<T: InputType>(value: &T) -> Value {
    value.to_value()
}

/// A string field.
pub(crate) fn string(value: &str) -> Value {
    Value::String(value.to_owned())
}

/// A nullable string field.
pub(crate) fn optional_string(value: Option<&str>) -> Value {
    value.map_or(Value::Null, string)
}

/// A list of plain objects: answered in one pass when its selection allows (see the module's
/// documentation), else resolved as any list. In the schema it is the list it wraps.
pub(crate) struct PlainList<'a, T>(pub &'a [T]);

impl<T: Plain + Sync> OutputType for PlainList<'_, T> {
    fn type_name() -> Cow<'static, str> {
        <&[T] as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <&[T] as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <&[T] as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match list(self.0.iter(), &ctx.item.node) {
            Some(answer) => Ok(answer),
            None => OutputType::resolve(&self.0, ctx, field).await,
        }
    }
}

/// A GraphQL object some of whose plain fields come from what was read for its whole list
/// (`H`) rather than from the object itself: an action's latest update, read for its page.
pub(crate) trait PlainWith<H>: OutputType {
    /// As [`Plain::field`], with what was read beside the object.
    fn field_with(&self, held: &H, field: &Field) -> Option<Value>;
}

/// An item of a list, with what was read for the whole list beside it: one future for the
/// item instead of one per field, answered as plain data when its selection allows (see the
/// module's documentation), else by the item's own resolvers. In the schema it is the item.
pub(crate) struct PlainNode<T, H> {
    /// The object.
    pub item: T,
    /// What was read for the list it is in, shared by every item of the list.
    pub held: Arc<H>,
}

impl<T: PlainWith<H> + Sync, H: Send + Sync> OutputType for PlainNode<T, H> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let plain = answer(
            &ctx.item.node,
            || self.item.introspection_type_name().into_owned(),
            |selected| self.item.field_with(&self.held, selected),
        );
        match plain {
            Some(answer) => Ok(answer),
            None => self.item.resolve(ctx, field).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::{DocumentOperations, ExecutableDocument};

    use super::*;

    fn name(key: &str) -> async_graphql::Name {
        async_graphql::Name::new(key)
    }

    #[derive(async_graphql::SimpleObject)]
    struct Point {
        x: i32,
        label: String,
    }

    impl Plain for Point {
        fn field(&self, field: &Field) -> Option<Value> {
            match field.name.node.as_str() {
                "x" => Some(value(&self.x)),
                "label" => Some(string(&self.label)),
                _ => None,
            }
        }
    }

    fn selection(query: &str) -> SelectionSet {
        let doc: ExecutableDocument = parse_query(query).unwrap();
        let DocumentOperations::Single(op) = doc.operations else {
            panic!("one operation")
        };
        op.node.selection_set.node
    }

    #[test]
    fn a_selection_of_plain_fields_is_answered_in_order_with_aliases() {
        let p = Point {
            x: 3,
            label: "Barnet".into(),
        };
        let answer = object(&p, &selection("{ label where: x __typename }")).unwrap();
        let mut expected = IndexMap::new();
        expected.insert(name("label"), Value::from("Barnet"));
        expected.insert(name("where"), Value::from(3));
        expected.insert(name("__typename"), Value::from("Point"));
        assert_eq!(answer, Value::Object(expected));
    }

    #[test]
    fn fragments_directives_repeats_and_unknown_fields_are_left_to_the_resolvers() {
        let p = Point {
            x: 3,
            label: "Barnet".into(),
        };
        for query in [
            "{ ... on Point { x } }",
            "{ x @include(if: true) }",
            "{ x x }",
            "{ y }",
        ] {
            assert_eq!(object(&p, &selection(query)), None, "{query}");
        }
    }
}
