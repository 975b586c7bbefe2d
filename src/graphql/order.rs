//! Responses in the order of the request.
//!
//! The GraphQL specification (§7.2.2, "Serialized Map Ordering") asks that an object's fields
//! come in the order its selection set asked for them, fragments expanded in place. async-graphql
//! resolves the fields of an object concurrently and writes each as it finishes, so the same
//! request could come back with its fields in another order each time: a committee's figures
//! would differ byte for byte, and snapshot tests, ETags and caches could not rely on them.
//!
//! Resolution stays concurrent; the answer is put in order afterwards. [`Shapes`] reads, once,
//! from the schema what each field returns and which types an interface or union may be.
//! [`mark_abstract`] asks every selection on an interface or union for the object's own type
//! (under an alias of ours), because a fragment on one member applies only to objects of that
//! member. [`reorder`] then walks the answer beside the document, collecting each selection set's
//! fields as the specification's `CollectFields` does (aliases, fragments, type conditions,
//! `@skip` and `@include` with the request's variables), and puts each object's keys in that
//! order, dropping the alias it added. Errors are sorted by where they arose in the document, so
//! that they too come in the same order every time.

use std::collections::{HashMap, HashSet};

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    BaseType, Directive, DocumentOperations, ExecutableDocument, Field, OperationDefinition,
    OperationType, Selection, SelectionSet, TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::{Positioned, parse_schema};
use async_graphql::{Name, PathSegment, Response, ServerError, Value, Variables};

/// The alias under which an object reached through an interface or union names its type.
const TYPE_KEY: &str = "_resilienceHubTypename";

/// What the ordering needs to know of the schema: each object's and interface's fields with the
/// named types they return, and the members of each interface and union.
#[derive(Debug, Default)]
pub struct Shapes {
    fields: HashMap<String, HashMap<String, String>>,
    members: HashMap<String, HashSet<String>>,
    query: String,
    mutation: String,
    subscription: String,
}

impl Shapes {
    /// Reads the shapes of the schema written as `sdl`. Introspection's own types are not in
    /// it: their selections are ordered without type conditions, which is exact for them (all
    /// are objects).
    pub fn from_sdl(sdl: &str) -> Self {
        let mut shapes = Shapes {
            query: "Query".into(),
            mutation: "Mutation".into(),
            subscription: "Subscription".into(),
            ..Default::default()
        };
        let Ok(doc) = parse_schema(sdl) else {
            return shapes;
        };
        let mut implements: Vec<(String, String)> = Vec::new();
        for definition in doc.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if let Some(q) = schema.query {
                        shapes.query = q.node.to_string();
                    }
                    if let Some(m) = schema.mutation {
                        shapes.mutation = m.node.to_string();
                    }
                    if let Some(s) = schema.subscription {
                        shapes.subscription = s.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let ty = ty.node;
                    let name = ty.name.node.to_string();
                    let (fields, interfaces) = match ty.kind {
                        TypeKind::Object(o) => (o.fields, o.implements),
                        TypeKind::Interface(i) => {
                            shapes.members.entry(name.clone()).or_default();
                            (i.fields, i.implements)
                        }
                        TypeKind::Union(u) => {
                            shapes.members.insert(
                                name.clone(),
                                u.members.iter().map(|m| m.node.to_string()).collect(),
                            );
                            continue;
                        }
                        _ => continue,
                    };
                    for interface in interfaces {
                        implements.push((interface.node.to_string(), name.clone()));
                    }
                    let fields = fields
                        .into_iter()
                        .map(|f| (f.node.name.node.to_string(), named(&f.node.ty.node.base)))
                        .collect();
                    shapes.fields.insert(name, fields);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        for (interface, member) in implements {
            shapes.members.entry(interface).or_default().insert(member);
        }
        shapes
    }

    fn is_abstract(&self, ty: &str) -> bool {
        self.members.contains_key(ty)
    }

    /// The named type `field` of `ty` returns; `None` where the schema does not say
    /// (introspection).
    fn field_type(&self, ty: Option<&str>, field: &str) -> Option<&str> {
        self.fields.get(ty?)?.get(field).map(String::as_str)
    }

    /// Whether a fragment on `condition` applies to an object of type `runtime` (unknown:
    /// it applies, which is exact where validation leaves only the object's own type).
    fn applies(&self, condition: &str, runtime: Option<&str>) -> bool {
        match runtime {
            None => true,
            Some(runtime) => {
                condition == runtime
                    || self
                        .members
                        .get(condition)
                        .is_some_and(|m| m.contains(runtime))
            }
        }
    }

    fn root(&self, ty: OperationType) -> &str {
        match ty {
            OperationType::Query => &self.query,
            OperationType::Mutation => &self.mutation,
            OperationType::Subscription => &self.subscription,
        }
    }
}

fn named(base: &BaseType) -> String {
    match base {
        BaseType::Named(name) => name.to_string(),
        BaseType::List(inner) => named(&inner.base),
    }
}

/// Adds, to every selection set on an interface or union, a request for the object's type under
/// an alias of ours, so that [`reorder`] knows which fragments applied.
pub fn mark_abstract(doc: &mut ExecutableDocument, shapes: &Shapes) {
    match &mut doc.operations {
        DocumentOperations::Single(op) => {
            let root = shapes.root(op.node.ty).to_owned();
            mark_set(&mut op.node.selection_set.node, Some(&root), shapes);
        }
        DocumentOperations::Multiple(ops) => {
            for op in ops.values_mut() {
                let root = shapes.root(op.node.ty).to_owned();
                mark_set(&mut op.node.selection_set.node, Some(&root), shapes);
            }
        }
    }
    for fragment in doc.fragments.values_mut() {
        let on = fragment.node.type_condition.node.on.node.to_string();
        mark_set(&mut fragment.node.selection_set.node, Some(&on), shapes);
    }
}

fn mark_set(set: &mut SelectionSet, ty: Option<&str>, shapes: &Shapes) {
    for selection in &mut set.items {
        match &mut selection.node {
            Selection::Field(field) => {
                let sub = &mut field.node.selection_set;
                if sub.node.items.is_empty() {
                    continue;
                }
                let returns = shapes
                    .field_type(ty, &field.node.name.node)
                    .map(str::to_owned);
                if returns.as_deref().is_some_and(|t| shapes.is_abstract(t)) {
                    let pos = sub.pos;
                    sub.node.items.push(Positioned::new(
                        Selection::Field(Positioned::new(
                            Field {
                                alias: Some(Positioned::new(Name::new(TYPE_KEY), pos)),
                                name: Positioned::new(Name::new("__typename"), pos),
                                arguments: Vec::new(),
                                directives: Vec::new(),
                                selection_set: Positioned::new(SelectionSet::default(), pos),
                            },
                            pos,
                        )),
                        pos,
                    ));
                }
                mark_set(&mut sub.node, returns.as_deref(), shapes);
            }
            Selection::InlineFragment(inline) => {
                let on = inline
                    .node
                    .type_condition
                    .as_ref()
                    .map(|c| c.node.on.node.to_string());
                let ty = on.as_deref().or(ty).map(str::to_owned);
                mark_set(&mut inline.node.selection_set.node, ty.as_deref(), shapes);
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// Puts `response`'s data in the order of the operation it answers, and its errors in the order
/// of where they arose. `document` is the one executed (after [`mark_abstract`]).
pub fn reorder(
    response: &mut Response,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    shapes: &Shapes,
) {
    sort_errors(&mut response.errors);
    let Some(operation) = operation(document, operation_name) else {
        return;
    };
    let walk = Walk {
        document,
        variables,
        shapes,
    };
    let root = shapes.root(operation.ty);
    if let Value::Object(map) = &mut response.data {
        walk.object(map, &[&operation.selection_set.node], Some(root));
    }
}

fn operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// Gives every variable the request left out its default from the operation, as the
/// specification's `CoerceVariableValues` does. async-graphql reads defaults for arguments, but
/// not when it drops the selections `@skip` and `@include` rule out, which then ran a field that
/// `@skip(if: $v)` with `$v: Boolean = true` should have skipped.
pub fn fill_defaults(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &mut Variables,
) {
    let Some(operation) = operation(document, operation_name) else {
        return;
    };
    for definition in &operation.variable_definitions {
        let definition = &definition.node;
        if !variables.contains_key(&definition.name.node)
            && let Some(default) = &definition.default_value
        {
            variables.insert(definition.name.node.clone(), default.node.clone());
        }
    }
}

/// One response key of an object: the fields asked under it (one per time it was asked), the
/// selection sets below them, and the type they return.
struct Entry<'d> {
    key: &'d Name,
    fields: Vec<&'d Field>,
    sub: Vec<&'d SelectionSet>,
    returns: Option<&'d str>,
}

/// The fields an object answers, by response key in the order asked.
type Plan<'d> = Vec<Entry<'d>>;

struct Walk<'d> {
    document: &'d ExecutableDocument,
    variables: &'d Variables,
    shapes: &'d Shapes,
}

impl<'d> Walk<'d> {
    fn object(
        &self,
        map: &mut IndexMap<Name, Value>,
        sets: &[&'d SelectionSet],
        ty: Option<&'d str>,
    ) {
        let runtime: Option<String> = match ty {
            Some(t) if self.shapes.is_abstract(t) => match map.shift_remove(TYPE_KEY) {
                Some(Value::String(s)) => Some(s),
                _ => None,
            },
            other => other.map(str::to_owned),
        };
        let plan = self.plan(sets, runtime.as_deref());
        self.apply(map, &plan);
    }

    fn apply(&self, map: &mut IndexMap<Name, Value>, plan: &Plan<'d>) {
        // Most objects finish in order (their fields resolve at once): then only what is below
        // them moves.
        let mut entries = plan.iter();
        let in_order = map
            .keys()
            .all(|key| entries.by_ref().any(|entry| entry.key == key));
        if in_order {
            let mut entries = plan.iter();
            for (key, value) in map.iter_mut() {
                if let Some(entry) = entries.by_ref().find(|entry| entry.key == key) {
                    self.below(entry, value);
                }
            }
            return;
        }
        let mut ordered = IndexMap::with_capacity(map.len());
        for entry in plan {
            let Some(mut value) = map.swap_remove(entry.key) else {
                continue;
            };
            self.below(entry, &mut value);
            ordered.insert(entry.key.clone(), value);
        }
        // Anything not asked for (nothing, in a valid answer) keeps its place after.
        ordered.extend(map.drain(..));
        *map = ordered;
    }

    /// Orders what is below a field's value, when the field has a selection set.
    fn below(&self, entry: &Entry<'d>, value: &mut Value) {
        if !entry.sub.is_empty() {
            self.value(value, &entry.sub, entry.returns);
        }
    }

    fn value(&self, value: &mut Value, sets: &[&'d SelectionSet], ty: Option<&'d str>) {
        match value {
            Value::Object(map) => self.object(map, sets, ty),
            Value::List(items) => {
                // A list of one object type shares one plan.
                let concrete = ty.filter(|t| !self.shapes.is_abstract(t));
                if let Some(t) = concrete {
                    let plan = self.plan(sets, Some(t));
                    for item in items {
                        match item {
                            Value::Object(map) => self.apply(map, &plan),
                            other => self.value(other, sets, ty),
                        }
                    }
                } else {
                    for item in items {
                        self.value(item, sets, ty);
                    }
                }
            }
            _ => {}
        }
    }

    /// The specification's `CollectFields` over `sets` for an object of type `runtime`.
    fn plan(&self, sets: &[&'d SelectionSet], runtime: Option<&str>) -> Plan<'d> {
        let mut plan = Plan::new();
        let mut visited = HashSet::new();
        for set in sets {
            self.collect(set, runtime, &mut plan, &mut visited);
        }
        for entry in &mut plan {
            entry.sub = entry
                .fields
                .iter()
                .map(|f| &f.selection_set.node)
                .filter(|s| !s.items.is_empty())
                .collect();
            if !entry.sub.is_empty() {
                entry.returns = self.shapes.field_type(runtime, &entry.fields[0].name.node);
            }
        }
        plan
    }

    fn collect(
        &self,
        set: &'d SelectionSet,
        runtime: Option<&str>,
        plan: &mut Plan<'d>,
        visited: &mut HashSet<&'d Name>,
    ) {
        for selection in &set.items {
            if !self.included(selection.node.directives()) {
                continue;
            }
            match &selection.node {
                Selection::Field(field) => {
                    let key = &field.node.response_key().node;
                    match plan.iter_mut().find(|entry| entry.key == key) {
                        Some(entry) => entry.fields.push(&field.node),
                        None => plan.push(Entry {
                            key,
                            fields: vec![&field.node],
                            sub: Vec::new(),
                            returns: None,
                        }),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if !visited.insert(name) {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(name)
                        && self
                            .shapes
                            .applies(&fragment.node.type_condition.node.on.node, runtime)
                    {
                        self.collect(&fragment.node.selection_set.node, runtime, plan, visited);
                    }
                }
                Selection::InlineFragment(inline) => {
                    let applies = inline
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.shapes.applies(&c.node.on.node, runtime));
                    if applies {
                        self.collect(&inline.node.selection_set.node, runtime, plan, visited);
                    }
                }
            }
        }
    }

    /// `@skip(if:)` and `@include(if:)`, with the request's variables.
    fn included(&self, directives: &[Positioned<Directive>]) -> bool {
        directives.iter().all(|d| {
            let condition = d.node.get_argument("if").is_some_and(|v| {
                let value = v.node.clone().into_const_with(|name| {
                    Ok::<_, ()>(self.variables.get(&name).cloned().unwrap_or(Value::Null))
                });
                matches!(value, Ok(Value::Boolean(true)))
            });
            match d.node.name.node.as_str() {
                "skip" => !condition,
                "include" => condition,
                _ => true,
            }
        })
    }
}

/// Sorts errors by where they arose in the document, then by their path: a stable order for an
/// answer whose fields failed concurrently.
fn sort_errors(errors: &mut [ServerError]) {
    errors.sort_by(|a, b| {
        let at = |e: &ServerError| e.locations.first().map(|p| (p.line, p.column));
        at(a)
            .cmp(&at(b))
            .then_with(|| compare_paths(&a.path, &b.path))
    });
}

fn compare_paths(a: &[PathSegment], b: &[PathSegment]) -> std::cmp::Ordering {
    let key = |s: &PathSegment| match s {
        PathSegment::Index(i) => (0, *i, String::new()),
        PathSegment::Field(f) => (1, 0, f.clone()),
    };
    a.iter().map(key).cmp(b.iter().map(key))
}
