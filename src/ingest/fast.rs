//! The streaming JSON reader: deserializes list items straight from the
//! text into the wire structs, skipping what podplan does not read without
//! building a `serde_json::Value` for it (a dump's `managedFields` and
//! status are most of its bytes). About three times faster than the
//! general reader on large dumps.
//!
//! It only reads the shapes whose meaning it can decide as it goes: an
//! object's `kind` must come before its content (as in `kubectl` and API
//! server output), or be implied by its list's. On anything else — an
//! error, a duplicate key, content before the kind, an item whose kind is
//! not known yet — it gives up, and the general reader (`mod.rs`) reads the
//! input instead, which also words the errors.

use super::convert::{classify, Builder, Parsed, MAX_LIST_DEPTH};
use crate::error::Error;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// Where objects go as they are read.
struct Sink<'a> {
    builder: &'a mut Builder,
    file: &'a str,
    /// Objects so far (1-based ordinal of the last one).
    ordinal: usize,
    /// Documents that were an object or a list.
    documents: usize,
    /// A conversion error (the general reader would report the same).
    error: Option<Error>,
}

impl Sink<'_> {
    /// Converts an object; false (with the error kept) when it is invalid.
    fn add(&mut self, kind: &str, parsed: Parsed) -> bool {
        self.ordinal += 1;
        match self
            .builder
            .add_parsed(self.file, self.ordinal, kind, parsed)
        {
            Ok(()) => true,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    fn skip(&mut self, what: &str) {
        self.ordinal += 1;
        self.builder.skip(what);
    }
}

/// Reads a JSON text (one or more documents) into `builder` (a fresh one,
/// discarded when this gives up). `Ok(Some(documents))` when read,
/// `Ok(None)` when the general reader must read it, `Err` for an object
/// that is invalid (the error the general reader would give).
pub(crate) fn read_json(
    text: &str,
    builder: &mut Builder,
    file: &str,
) -> Result<Option<usize>, Error> {
    let mut out = Sink {
        builder,
        file,
        ordinal: 0,
        documents: 0,
        error: None,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    loop {
        if (DocSeed { out: &mut out }).deserialize(&mut de).is_err() {
            return match out.error {
                Some(e) => Err(e),
                None => Ok(None),
            };
        }
        if de.end().is_ok() {
            return Ok(Some(out.documents));
        }
    }
}

fn bail<E: de::Error>() -> E {
    E::custom("left to the general reader")
}

/// The kind items of a list take when they have none.
#[derive(Debug, Clone)]
enum ItemKind {
    /// Known: `Some(kind)` for a typed list, `None` for a plain `List`.
    Known(Option<String>),
    /// The list's own kind has not been read yet.
    Unknown,
}

struct DocSeed<'a, 'b> {
    out: &'a mut Sink<'b>,
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object or list")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.out.documents += 1;
        object(self.out, map, &ItemKind::Known(None), 1)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.out.documents += 1;
        items(self.out, seq, &ItemKind::Known(None), 1)
    }
}

struct ElementSeed<'a, 'b> {
    out: &'a mut Sink<'b>,
    default: &'a ItemKind,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ElementSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        object(self.out, map, self.default, self.depth)
    }
}

/// The `items` of a list.
struct ItemsSeed<'a, 'b> {
    out: &'a mut Sink<'b>,
    default: ItemKind,
    depth: usize,
    /// `items: null` is an empty list (else the general reader decides).
    null_ok: bool,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of objects")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        if self.null_ok {
            Ok(())
        } else {
            Err(bail())
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        items(self.out, seq, &self.default, self.depth)
    }
}

fn items<'de, A: SeqAccess<'de>>(
    out: &mut Sink<'_>,
    mut seq: A,
    default: &ItemKind,
    depth: usize,
) -> Result<(), A::Error> {
    while seq
        .next_element_seed(ElementSeed {
            out: &mut *out,
            default,
            depth,
        })?
        .is_some()
    {}
    Ok(())
}

/// One top-level field of an object podplan reads.
struct FieldSeed<'a> {
    parsed: &'a mut Parsed,
    key: &'a str,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.parsed.set_field(self.key, d)
    }
}

/// What an object turned out to be. (One lives on the stack per object
/// being read; boxing the large variant would cost an allocation each.)
#[allow(clippy::large_enum_variant)]
enum State {
    /// Its kind is not known yet.
    Undecided,
    /// A list; its items have been (or will be) read.
    List,
    /// An object podplan reads.
    Object { kind: String, parsed: Parsed },
    /// An object podplan skips.
    Skip,
}

/// `kind` as the general reader takes it: absent, `null` and `""` are none.
fn kind_of<E: de::Error>(v: Value) -> Result<Option<String>, E> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(bail()),
    }
}

fn is_list_kind(kind: &str, depth: usize) -> bool {
    kind.ends_with("List") && depth <= MAX_LIST_DEPTH
}

fn object_state(kind: &str, api_version: Option<&str>) -> State {
    match classify(kind, api_version) {
        Ok(k) => State::Object {
            kind: kind.to_string(),
            parsed: Parsed::empty(k, api_version),
        },
        Err(_) => State::Skip,
    }
}

/// Decides what an object is once its kind is known (or known absent).
fn decide(
    kind: Option<&str>,
    default: &ItemKind,
    api_version: Option<&str>,
    depth: usize,
) -> Option<State> {
    Some(match kind {
        Some(k) if is_list_kind(k, depth) => State::List,
        Some(k) => object_state(k, api_version),
        None => match default {
            ItemKind::Known(Some(d)) => object_state(d, api_version),
            ItemKind::Known(None) => object_state("", api_version),
            ItemKind::Unknown => return None,
        },
    })
}

fn object<'de, A: MapAccess<'de>>(
    out: &mut Sink<'_>,
    mut map: A,
    default: &ItemKind,
    depth: usize,
) -> Result<(), A::Error> {
    let mut kind_seen = false;
    let mut kind: Option<String> = None;
    let mut api_seen = false;
    let mut api_version: Option<String> = None;
    // Decided from the list's kind before the object's own `kind` was read.
    let mut provisional: Option<String> = None;
    let mut items_seen = false;
    let mut state = State::Undecided;
    while let Some(key) = map.next_key::<String>()? {
        match key.as_str() {
            "kind" => {
                if kind_seen {
                    return Err(bail());
                }
                kind_seen = true;
                kind = kind_of(map.next_value::<Value>()?)?;
                match &state {
                    State::Undecided => {}
                    // Read as a list before its kind: the kind must agree.
                    State::List => {
                        if kind.as_deref().is_some_and(|k| !is_list_kind(k, depth)) {
                            return Err(bail());
                        }
                    }
                    // Decided from the list's kind: the object's must agree.
                    State::Object { .. } | State::Skip => {
                        let agrees = match (&kind, &provisional) {
                            (None, _) => true,
                            (Some(k), Some(p)) => k == p && !is_list_kind(k, depth),
                            (Some(_), None) => false,
                        };
                        if !agrees {
                            return Err(bail());
                        }
                    }
                }
            }
            "apiVersion" => {
                if api_seen {
                    return Err(bail());
                }
                api_seen = true;
                api_version = match map.next_value::<Value>()? {
                    Value::Null => None,
                    Value::String(s) => Some(s),
                    _ => return Err(bail()),
                };
            }
            "items" if items_seen => return Err(bail()),
            "items" => match &state {
                // A list decided by its kind, or an object not decided yet.
                State::Undecided | State::List => {
                    items_seen = true;
                    let item_default = if kind_seen {
                        match &kind {
                            Some(k) if is_list_kind(k, depth) => ItemKind::Known(
                                k.strip_suffix("List")
                                    .filter(|k| !k.is_empty())
                                    .map(str::to_string),
                            ),
                            Some(k) => {
                                state = object_state(k, api_version.as_deref());
                                map.next_value::<IgnoredAny>()?;
                                continue;
                            }
                            None => ItemKind::Known(None),
                        }
                    } else {
                        ItemKind::Unknown
                    };
                    if depth > MAX_LIST_DEPTH {
                        return Err(bail());
                    }
                    let null_ok = kind_seen && kind.is_some();
                    state = State::List;
                    map.next_value_seed(ItemsSeed {
                        out: &mut *out,
                        default: item_default,
                        depth: depth + 1,
                        null_ok,
                    })?;
                }
                State::Object { .. } | State::Skip => {
                    if kind_seen && kind.is_some() {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        return Err(bail());
                    }
                }
            },
            _ => {
                if let State::Undecided = state {
                    state = if kind_seen {
                        decide(kind.as_deref(), default, api_version.as_deref(), depth)
                            .ok_or_else(bail)?
                    } else {
                        match default {
                            ItemKind::Known(Some(d)) => {
                                provisional = Some(d.clone());
                                object_state(d, api_version.as_deref())
                            }
                            _ => return Err(bail()),
                        }
                    };
                }
                match &mut state {
                    State::Object { parsed, .. } => {
                        map.next_value_seed(FieldSeed { parsed, key: &key })?
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
    }
    if let State::Undecided = state {
        state = decide(kind.as_deref(), default, api_version.as_deref(), depth).ok_or_else(bail)?;
    }
    // `apiVersion` as finally read.
    let api_version = api_version.as_deref();
    match state {
        State::Undecided | State::List => {}
        State::Object { kind, mut parsed } => match classify(&kind, api_version) {
            Ok(_) => {
                parsed.set_api_version(api_version);
                if !out.add(&kind, parsed) {
                    return Err(bail());
                }
            }
            Err(what) => out.skip(&what),
        },
        State::Skip => {
            // The kind the object was read as; only skipped objects need it
            // again, so the common case clones no list default per item.
            let kind_name = kind
                .as_deref()
                .or(provisional.as_deref())
                .or(match default {
                    ItemKind::Known(d) => d.as_deref(),
                    ItemKind::Unknown => None,
                })
                .unwrap_or_default();
            let what = classify(kind_name, api_version).err().ok_or_else(bail)?;
            out.skip(&what);
        }
    }
    Ok(())
}
