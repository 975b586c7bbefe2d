//! Answering a batch: a batch function (a DataLoader's, or a service's that reads for many
//! keys in one statement) answers for every key it was given, empty where no row has it.

use std::collections::HashMap;

use uuid::Uuid;

/// Groups `rows` by the key each holds, with an entry for every one of `keys` (empty when no
/// row has it): a batch function answers for every key it was given.
pub fn group<R, V>(
    keys: impl IntoIterator<Item = Uuid>,
    rows: impl IntoIterator<Item = R>,
    key: impl Fn(&R) -> Uuid,
    value: impl Fn(R) -> V,
) -> HashMap<Uuid, Vec<V>> {
    let mut out: HashMap<Uuid, Vec<V>> = keys.into_iter().map(|k| (k, Vec::new())).collect();
    for row in rows {
        out.entry(key(&row)).or_default().push(value(row));
    }
    out
}
