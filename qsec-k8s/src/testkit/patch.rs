//! PATCH bodies as the API server applies them: JSON merge patch,
//! strategic merge patch (as a merge patch: the objects qsec patches have no
//! keyed lists in play), JSON patch, and server-side apply with field
//! ownership, whose conflicts are what leader election relies on.

use std::collections::BTreeMap;

use serde_json::Value;

/// The kinds of PATCH, by Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PatchKind {
    Merge,
    Strategic,
    Json,
    Apply,
}

impl PatchKind {
    pub(crate) fn from_content_type(content_type: &str) -> Option<Self> {
        match content_type.split(';').next().unwrap_or_default().trim() {
            "application/merge-patch+json" => Some(Self::Merge),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/json-patch+json" => Some(Self::Json),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Some(Self::Apply),
            _ => None,
        }
    }
}

/// Why a patch was not applied.
#[derive(Debug)]
pub(crate) enum PatchError {
    /// 400/422: the patch itself is unusable.
    Invalid(String),
    /// 409: server-side apply found fields another manager owns.
    Conflict(String),
}

/// Applies an update-style patch (merge, strategic, JSON) to `object`; the
/// fields it sets become `manager`'s.
pub(crate) fn apply_update(
    kind: PatchKind,
    object: &mut Value,
    patch: &Value,
    owners: &mut BTreeMap<String, String>,
    manager: &str,
) -> Result<(), PatchError> {
    match kind {
        PatchKind::Merge | PatchKind::Strategic => {
            if !patch.is_object() {
                return Err(PatchError::Invalid("a merge patch must be a JSON object".into()));
            }
            json_patch::merge(object, patch);
            take_ownership(patch, "", owners, manager);
        }
        PatchKind::Json => {
            let operations: json_patch::Patch = serde_json::from_value(patch.clone())
                .map_err(|error| PatchError::Invalid(format!("not a JSON patch: {error}")))?;
            json_patch::patch(object, &operations).map_err(|error| PatchError::Invalid(error.to_string()))?;
        }
        PatchKind::Apply => unreachable!("server-side apply goes through apply_server_side"),
    }
    Ok(())
}

/// Server-side apply of `patch` by `manager`: a field another manager owns
/// with a different value is a conflict unless `force`.
pub(crate) fn apply_server_side(
    object: &mut Value,
    patch: &Value,
    owners: &mut BTreeMap<String, String>,
    manager: &str,
    force: bool,
) -> Result<(), PatchError> {
    if !patch.is_object() {
        return Err(PatchError::Invalid("an apply patch must be an object".into()));
    }
    let mut leaves = Vec::new();
    collect_leaves(patch, "", &mut leaves);
    let conflicts: Vec<&str> = leaves
        .iter()
        .filter(|(path, value)| {
            owners.get(path).is_some_and(|owner| owner != manager) && lookup(object, path).is_some_and(|v| v != *value)
        })
        .map(|(path, _)| path.as_str())
        .collect();
    if !conflicts.is_empty() && !force {
        return Err(PatchError::Conflict(format!(
            "Apply failed with {} conflict(s): {}",
            conflicts.len(),
            conflicts
                .iter()
                .map(|path| format!("conflict with another manager: {path}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    json_patch::merge(object, patch);
    for (path, _) in leaves {
        owners.insert(path, manager.to_owned());
    }
    Ok(())
}

fn take_ownership(patch: &Value, prefix: &str, owners: &mut BTreeMap<String, String>, manager: &str) {
    let mut leaves = Vec::new();
    collect_leaves(patch, prefix, &mut leaves);
    for (path, value) in leaves {
        if value.is_null() {
            owners.retain(|owned, _| owned != &path && !owned.starts_with(&format!("{path}.")));
        } else {
            owners.insert(path, manager.to_owned());
        }
    }
}

/// Dotted paths of the patch's leaves, metadata's bookkeeping aside.
fn collect_leaves<'a>(value: &'a Value, prefix: &str, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(fields) if !fields.is_empty() => {
            for (key, child) in fields {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                if matches!(path.as_str(), "apiVersion" | "kind" | "metadata.resourceVersion" | "metadata.name") {
                    continue;
                }
                collect_leaves(child, &path, out);
            }
        }
        _ if !prefix.is_empty() => out.push((prefix.to_owned(), value)),
        _ => {}
    }
}

fn lookup<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(object, |value, part| value.get(part)).filter(|value| !value.is_null())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn apply_conflicts_with_another_owner_only_on_different_values() {
        let mut lease = json!({"spec": {}});
        let mut owners = BTreeMap::new();
        apply_server_side(&mut lease, &json!({"spec": {"holderIdentity": "a"}}), &mut owners, "m-a", false).unwrap();
        let taken = apply_server_side(&mut lease, &json!({"spec": {"holderIdentity": "b"}}), &mut owners, "m-b", false);
        assert!(matches!(taken, Err(PatchError::Conflict(_))));
        apply_server_side(&mut lease, &json!({"spec": {"holderIdentity": "a"}}), &mut owners, "m-b", false).unwrap();
        // An update clearing the field drops its ownership: the next apply wins.
        apply_update(PatchKind::Strategic, &mut lease, &json!({"spec": {"holderIdentity": null}}), &mut owners, "m-a")
            .unwrap();
        apply_server_side(&mut lease, &json!({"spec": {"holderIdentity": "b"}}), &mut owners, "m-b", false).unwrap();
        assert_eq!(lease["spec"]["holderIdentity"], "b");
    }
}
