//! [`Value`]: template data with the Go types a template can observe.
//!
//! Go templates see more than JSON: `int` and `int64` print alike but are
//! different types (`printf "%T"`, `typeOf`, and Go's argument checks tell
//! them apart); Sprig returns `[]string`, `map[string]string`, `time.Time` and
//! `*semver.Version`; and maps are references, so Sprig's `set` changes the
//! map every variable holding it sees. `Value` models exactly that.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::gotime::GoTime;
use crate::registry::Function;
use crate::sprig::semver::Version;

/// The element type of a Go slice or map value, for `%T` and type checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem {
    /// `interface {}`: any value.
    Any,
    /// `string`.
    Str,
    /// `int`.
    Int,
    /// `[]interface {}` (Sprig's `chunk`).
    AnyList,
}

impl Elem {
    fn go_name(self) -> &'static str {
        match self {
            Elem::Any => "interface {}",
            Elem::Str => "string",
            Elem::Int => "int",
            Elem::AnyList => "[]interface {}",
        }
    }
}

/// A Go slice: its element type and its items. Sprig never changes a slice
/// in place, so items are shared, not locked.
#[derive(Debug)]
pub struct ListData {
    /// The Go element type.
    pub elem: Elem,
    /// The items.
    pub items: Vec<Value>,
}

/// A Go `map[string]T`: shared and mutable, like a Go map.
#[derive(Debug)]
pub(crate) struct MapData {
    elem: Elem,
    entries: RwLock<BTreeMap<Arc<str>, Value>>,
}

/// A reference to a Go map; clones refer to the same map.
#[derive(Debug, Clone)]
pub struct Map(Arc<MapData>);

impl Map {
    /// A new `map[string]interface {}` holding `entries`.
    pub fn new(entries: BTreeMap<Arc<str>, Value>) -> Self {
        Self::typed(Elem::Any, entries)
    }

    /// A new map with the given element type.
    pub fn typed(elem: Elem, entries: BTreeMap<Arc<str>, Value>) -> Self {
        Map(Arc::new(MapData { elem, entries: RwLock::new(entries) }))
    }

    /// The element type.
    pub fn elem(&self) -> Elem {
        self.0.elem
    }

    /// Reads the entries (sorted by key, as Go prints and ranges maps).
    pub fn read(&self) -> RwLockReadGuard<'_, BTreeMap<Arc<str>, Value>> {
        self.0.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changes the entries in place; every holder of this map sees it.
    pub fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<Arc<str>, Value>> {
        self.0.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The value under `key`, if present.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.read().get(key).cloned()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// True when the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when both refer to the same Go map.
    pub fn same(&self, other: &Map) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A Go struct value (Sprig's `certificate`): a type name and named fields.
#[derive(Debug)]
pub struct StructData {
    /// Go type name, e.g. `sprig.certificate`.
    pub type_name: &'static str,
    /// Fields in declaration order.
    pub fields: Vec<(&'static str, Value)>,
}

/// A template value: Go's dynamic types as templates see them.
#[derive(Clone, Default)]
pub enum Value {
    /// Go's untyped `nil` (and a missing map key).
    #[default]
    Nil,
    /// `bool`.
    Bool(bool),
    /// `int` (template integer constants, JSON integers, `len`).
    Int(i64),
    /// `int64` (Sprig's integer math).
    Int64(i64),
    /// `uint64` (semver's parts).
    Uint64(u64),
    /// `float64`.
    Float(f64),
    /// `string`.
    Str(Arc<str>),
    /// A slice.
    List(Arc<ListData>),
    /// A map.
    Map(Map),
    /// `time.Time`.
    Time(Arc<GoTime>),
    /// `*semver.Version`.
    Version(Arc<Version>),
    /// A struct.
    Struct(Arc<StructData>),
    /// A function value, for `call`.
    Func(Function),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.type_name(), crate::gofmt::sprint_value(self))
    }
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<Arc<str>>) -> Self {
        Value::Str(s.into())
    }

    /// A `[]interface {}` value.
    pub fn list(items: Vec<Value>) -> Self {
        Value::typed_list(Elem::Any, items)
    }

    /// A slice with the given element type.
    pub fn typed_list(elem: Elem, items: Vec<Value>) -> Self {
        Value::List(Arc::new(ListData { elem, items }))
    }

    /// A `[]string` value.
    pub fn str_list(items: impl IntoIterator<Item = String>) -> Self {
        Value::typed_list(Elem::Str, items.into_iter().map(Value::from).collect())
    }

    /// A new `map[string]interface {}`.
    pub fn map(entries: BTreeMap<Arc<str>, Value>) -> Self {
        Value::Map(Map::new(entries))
    }

    /// True for `nil`.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The items, if this is a slice.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(&l.items),
            _ => None,
        }
    }

    /// Go's truth: what `if`, `with`, `and`, `or` and `not` test.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Uint64(u) => *u != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Time(_) | Value::Version(_) | Value::Struct(_) | Value::Func(_) => true,
        }
    }

    /// Go's `%T` of the value.
    pub fn type_name(&self) -> String {
        match self {
            Value::List(l) => format!("[]{}", l.elem.go_name()),
            Value::Map(m) => format!("map[string]{}", m.elem().go_name()),
            Value::Struct(s) => s.type_name.to_string(),
            other => other.kind_type_name().to_string(),
        }
    }

    fn kind_type_name(&self) -> &'static str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Uint64(_) => "uint64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::Time(_) => "time.Time",
            Value::Version(_) => "*semver.Version",
            Value::Func(_) => "func(...interface {}) (interface {}, error)",
            Value::List(_) | Value::Map(_) | Value::Struct(_) => "",
        }
    }

    /// Go's `reflect.Kind` name of the value (Sprig's `kindOf`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Time(_) | Value::Struct(_) => "struct",
            Value::Version(_) => "ptr",
            Value::Func(_) => "func",
            other => other.kind_type_name(),
        }
    }

    /// Go's `reflect.DeepEqual`.
    pub fn deep_equal(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) | (Value::Int64(a), Value::Int64(b)) => a == b,
            (Value::Uint64(a), Value::Uint64(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                a.elem == b.elem
                    && a.items.len() == b.items.len()
                    && a.items.iter().zip(&b.items).all(|(x, y)| x.deep_equal(y))
            }
            (Value::Map(a), Value::Map(b)) => {
                if a.same(b) {
                    return true;
                }
                let (ra, rb) = (a.read(), b.read());
                a.elem() == b.elem()
                    && ra.len() == rb.len()
                    && ra.iter().all(|(k, v)| rb.get(k).is_some_and(|w| v.deep_equal(w)))
            }
            (Value::Time(a), Value::Time(b)) => a == b,
            (Value::Version(a), Value::Version(b)) => a == b,
            (Value::Struct(a), Value::Struct(b)) => {
                a.type_name == b.type_name && a.fields.iter().zip(&b.fields).all(|((_, x), (_, y))| x.deep_equal(y))
            }
            _ => false,
        }
    }

    /// A deep copy: maps become new maps (Sprig's `deepCopy`).
    pub fn deep_copy(&self) -> Value {
        match self {
            Value::List(l) => Value::typed_list(l.elem, l.items.iter().map(Value::deep_copy).collect()),
            Value::Map(m) => {
                let copied = m.read().iter().map(|(k, v)| (k.clone(), v.deep_copy())).collect();
                Value::Map(Map::typed(m.elem(), copied))
            }
            other => other.clone(),
        }
    }

    /// Converts JSON data the way the Go oracle decodes it: integers that fit
    /// `int64` and are written without `.`/`e` become `int`, other numbers
    /// `float64`, objects `map[string]interface {}`, arrays `[]interface {}`.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::str(s.as_str()),
            serde_json::Value::Array(items) => Value::list(items.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(entries) => {
                Value::map(entries.iter().map(|(k, v)| (Arc::from(k.as_str()), Value::from_json(v))).collect())
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(Arc::from(s))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_map_to_int_or_float_like_the_go_oracle() {
        let data: serde_json::Value =
            serde_json::from_str(r#"{"i": 3, "f": 2.0, "e": 1e3, "big": 18446744073709551615}"#).expect("valid json");
        let Value::Map(m) = Value::from_json(&data) else { panic!("expected a map") };
        assert!(matches!(m.get("i"), Some(Value::Int(3))));
        assert!(matches!(m.get("f"), Some(Value::Float(f)) if f == 2.0));
        assert!(matches!(m.get("e"), Some(Value::Float(_))));
        assert!(matches!(m.get("big"), Some(Value::Float(_))));
    }

    #[test]
    fn maps_are_shared_references() {
        let a = Value::map(BTreeMap::new());
        let b = a.clone();
        if let Value::Map(m) = &a {
            m.write().insert(Arc::from("k"), Value::Int(1));
        }
        let Value::Map(m) = b else { panic!("expected a map") };
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn type_and_kind_names_are_go_names() {
        assert_eq!(Value::list(vec![]).type_name(), "[]interface {}");
        assert_eq!(Value::str_list(vec![]).type_name(), "[]string");
        assert_eq!(Value::Int64(1).type_name(), "int64");
        assert_eq!(Value::list(vec![]).kind_name(), "slice");
        assert_eq!(Value::Nil.type_name(), "<nil>");
    }
}
