//! JSON Patches (RFC 6902) that say what [`inject`](crate::inject::inject)
//! changed, and applying them to YAML documents.
//!
//! A patch is computed from two JSON values: the object as qsec parsed it
//! and as it mutated it. It must also apply to the object as it really is,
//! which can hold fields qsec's Kubernetes types do not know: so arrays are
//! diffed as insertions (containers, volumes and mounts are only ever added)
//! and nothing that did not change is ever written back.

use json_patch::{AddOperation, Patch, PatchOperation, RemoveOperation, ReplaceOperation};
use serde_json::Value;

use crate::error::{Error, Result};

/// The operations that turn `before` into `after`.
///
/// Objects are compared key by key; arrays are aligned (by `name` when
/// every element has a distinct one, else by equality) so added elements
/// become `add` operations at their index and changed elements are diffed in
/// place. An array that cannot be aligned that way is replaced as a whole.
///
/// ```
/// use serde_json::json;
///
/// let before = json!({"spec": {"containers": [{"name": "app"}]}});
/// let after = json!({"spec": {"containers": [{"name": "app", "volumeMounts": []}, {"name": "side"}]}});
/// let patch = qsec_k8s::patch::diff(&before, &after);
/// assert_eq!(serde_json::to_value(&patch)?, json!([
///     {"op": "add", "path": "/spec/containers/1", "value": {"name": "side"}},
///     {"op": "add", "path": "/spec/containers/0/volumeMounts", "value": []},
/// ]));
/// let mut patched = before.clone();
/// json_patch::patch(&mut patched, &patch)?;
/// assert_eq!(patched, after);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn diff(before: &Value, after: &Value) -> Patch {
    let mut operations = Vec::new();
    diff_at("", before, after, &mut operations);
    Patch(operations)
}

fn diff_at(path: &str, before: &Value, after: &Value, operations: &mut Vec<PatchOperation>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            for key in old.keys().filter(|key| !new.contains_key(*key)) {
                operations.push(PatchOperation::Remove(RemoveOperation { path: pointer(&child(path, key)) }));
            }
            for (key, value) in new {
                let at = child(path, key);
                match old.get(key) {
                    Some(previous) => diff_at(&at, previous, value, operations),
                    None => operations.push(add(&at, value)),
                }
            }
        }
        (Value::Array(old), Value::Array(new)) => match align(old, new) {
            Some(matches) => {
                // Insertions first, at their final index in ascending order:
                // each lands after the elements already in their final place.
                for (index, value) in new.iter().enumerate() {
                    if matches[index].is_none() {
                        operations.push(add(&child(path, &index.to_string()), value));
                    }
                }
                for (index, previous) in matches.iter().enumerate() {
                    if let Some(previous) = previous {
                        diff_at(&child(path, &index.to_string()), &old[*previous], &new[index], operations);
                    }
                }
            }
            None => operations.push(replace(path, after)),
        },
        _ => operations.push(replace(path, after)),
    }
}

/// For each element of `new`, the index of the element of `old` it is
/// (`None`: inserted), when `new` is `old` with elements inserted and
/// possibly changed in place; `None` when elements were removed or reordered.
fn align(old: &[Value], new: &[Value]) -> Option<Vec<Option<usize>>> {
    let by_name = distinct_names(old) && distinct_names(new);
    let same = |a: &Value, b: &Value| if by_name { a.get("name") == b.get("name") } else { a == b };
    let mut next = 0;
    let mut matches = Vec::with_capacity(new.len());
    for value in new {
        if next < old.len() && same(&old[next], value) {
            matches.push(Some(next));
            next += 1;
        } else {
            matches.push(None);
        }
    }
    (next == old.len()).then_some(matches)
}

fn distinct_names(values: &[Value]) -> bool {
    let mut names: Vec<&str> = Vec::with_capacity(values.len());
    for value in values {
        match value.get("name").and_then(Value::as_str) {
            Some(name) if !names.contains(&name) => names.push(name),
            _ => return false,
        }
    }
    true
}

fn child(path: &str, key: &str) -> String {
    format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn pointer(path: &str) -> json_patch::jsonptr::PointerBuf {
    // Every path here is built by `child`, so it is a valid JSON pointer.
    json_patch::jsonptr::PointerBuf::parse(path).unwrap_or_default()
}

fn add(path: &str, value: &Value) -> PatchOperation {
    PatchOperation::Add(AddOperation { path: pointer(path), value: value.clone() })
}

fn replace(path: &str, value: &Value) -> PatchOperation {
    PatchOperation::Replace(ReplaceOperation { path: pointer(path), value: value.clone() })
}

/// Applies `patch` to a YAML document (as [`diff`] makes them: `add`,
/// `remove` and `replace`), keeping the document's key order and every field
/// the patch does not touch.
pub fn apply_to_yaml(document: &mut serde_yaml_ng::Value, patch: &Patch) -> Result<()> {
    for operation in &patch.0 {
        let (path, value) = match operation {
            PatchOperation::Add(AddOperation { path, value }) => (path, Some(value)),
            PatchOperation::Replace(ReplaceOperation { path, value }) => (path, Some(value)),
            PatchOperation::Remove(RemoveOperation { path }) => (path, None),
            other => return Err(unsupported(format!("operation {other:?} is not supported"))),
        };
        let tokens: Vec<String> = path.tokens().map(|token| token.decoded().into_owned()).collect();
        let Some((last, parents)) = tokens.split_last() else {
            *document = yaml(value.unwrap_or(&Value::Null))?;
            continue;
        };
        let mut target = &mut *document;
        for token in parents {
            target = step(target, token).ok_or_else(|| unsupported(format!("path {path} does not exist")))?;
        }
        let replacing = matches!(operation, PatchOperation::Replace(_));
        match (target, value) {
            (serde_yaml_ng::Value::Mapping(mapping), Some(value)) => {
                mapping.insert(last.as_str().into(), yaml(value)?);
            }
            (serde_yaml_ng::Value::Mapping(mapping), None) => {
                mapping.remove(last.as_str());
            }
            (serde_yaml_ng::Value::Sequence(sequence), value) => {
                let index = if last == "-" { sequence.len() } else { last.parse().unwrap_or(usize::MAX) };
                match value {
                    Some(value) if replacing && index < sequence.len() => sequence[index] = yaml(value)?,
                    Some(value) if !replacing && index <= sequence.len() => sequence.insert(index, yaml(value)?),
                    None if index < sequence.len() => {
                        sequence.remove(index);
                    }
                    _ => return Err(unsupported(format!("index in {path} is out of range"))),
                }
            }
            _ => return Err(unsupported(format!("path {path} does not name a field or element"))),
        }
    }
    Ok(())
}

fn step<'a>(value: &'a mut serde_yaml_ng::Value, token: &str) -> Option<&'a mut serde_yaml_ng::Value> {
    match value {
        serde_yaml_ng::Value::Mapping(mapping) => mapping.get_mut(token),
        serde_yaml_ng::Value::Sequence(sequence) => sequence.get_mut(token.parse::<usize>().ok()?),
        _ => None,
    }
}

fn yaml(value: &Value) -> Result<serde_yaml_ng::Value> {
    serde_yaml_ng::to_value(value).map_err(|error| unsupported(error.to_string()))
}

fn unsupported(reason: String) -> Error {
    Error::InvalidPod { reason: format!("cannot apply the patch: {reason}") }
}
