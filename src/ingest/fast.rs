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
use compact_str::CompactString as Word;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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

impl<'a> Sink<'a> {
    fn new(builder: &'a mut Builder, file: &'a str) -> Self {
        Sink {
            builder,
            file,
            ordinal: 0,
            documents: 0,
            error: None,
        }
    }

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
    let mut out = Sink::new(builder, file);
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

/// Reads the text of a list's `items` cut out of a larger input and put
/// between brackets (`[item, ...]`), as the list's items would be read:
/// taking `default` as their kind when they have none, at list depth
/// `depth`. `Ok(true)` when read, `Ok(false)` when the general reader
/// must read the input, `Err` for an invalid object.
pub(crate) fn read_list_items(
    text: &str,
    builder: &mut Builder,
    file: &str,
    default: ItemKind,
    depth: usize,
) -> Result<bool, Error> {
    let mut out = Sink::new(builder, file);
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = ItemsSeed {
        out: &mut out,
        default,
        depth,
        null_ok: false,
    };
    if seed.deserialize(&mut de).is_err() {
        return match out.error {
            Some(e) => Err(e),
            None => Ok(false),
        };
    }
    Ok(de.end().is_ok())
}

fn bail<E: de::Error>() -> E {
    E::custom("left to the general reader")
}

/// The kind items of a list take when they have none.
#[derive(Debug, Clone)]
pub(crate) enum ItemKind {
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
    Object { kind: Word, parsed: Parsed },
    /// An object podplan skips.
    Skip,
}

/// A `kind` or `apiVersion` as written: a string (`Some`, inline up to
/// 24 bytes: no allocation per object) or `null` (`None`); anything else
/// is left to the general reader.
struct MaybeWord(Option<Word>);

impl<'de> serde::Deserialize<'de> for MaybeWord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MaybeWord;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<MaybeWord, E> {
                Ok(MaybeWord(None))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<MaybeWord, E> {
                Ok(MaybeWord(Some(Word::from(s))))
            }
        }
        d.deserialize_any(V)
    }
}

/// `kind` as the general reader takes it: absent, `null` and `""` are none.
fn kind_of(v: MaybeWord) -> Option<Word> {
    v.0.filter(|s| !s.is_empty())
}

fn is_list_kind(kind: &str, depth: usize) -> bool {
    kind.ends_with("List") && depth <= MAX_LIST_DEPTH
}

fn object_state(kind: &str, api_version: Option<&str>) -> State {
    match classify(kind, api_version) {
        Ok(k) => State::Object {
            kind: Word::from(kind),
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

/// Reads one object (or list) field by field into `out`.
fn object<'de, A: MapAccess<'de>>(
    out: &mut Sink<'_>,
    mut map: A,
    default: &ItemKind,
    depth: usize,
) -> Result<(), A::Error> {
    let mut reader = ObjectReader::new(default, depth);
    // Keys inline (no allocation): a reader's keys are short.
    while let Some(key) = map.next_key::<Word>()? {
        match key.as_str() {
            "kind" => reader.read_kind(&mut map)?,
            "apiVersion" => reader.read_api_version(&mut map)?,
            "items" => reader.read_items(out, &mut map)?,
            _ => reader.read_field(&key, &mut map)?,
        }
    }
    reader.finish(out)
}

/// What has been read of one object so far. An object is decided (list,
/// object read, object skipped) as soon as that is known, so that its
/// content is read straight into the wire struct; everything read after
/// must agree with the decision, or the general reader takes over.
struct ObjectReader<'a> {
    /// The kind the object takes from its list.
    default: &'a ItemKind,
    /// How deep in lists the object is.
    depth: usize,
    /// Whether the `kind` key was there.
    kind_seen: bool,
    /// `kind` as read (absent, `null` and `""` are none).
    kind: Option<Word>,
    /// Whether the `apiVersion` key was there.
    api_seen: bool,
    api_version: Option<Word>,
    /// Decided from the list's kind before the object's own `kind` was read.
    provisional: Option<String>,
    /// Whether the object's `items` were read as a list's.
    items_seen: bool,
    state: State,
}

impl<'a> ObjectReader<'a> {
    fn new(default: &'a ItemKind, depth: usize) -> Self {
        ObjectReader {
            default,
            depth,
            kind_seen: false,
            kind: None,
            api_seen: false,
            api_version: None,
            provisional: None,
            items_seen: false,
            state: State::Undecided,
        }
    }

    fn read_kind<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error> {
        if self.kind_seen {
            return Err(bail());
        }
        self.kind_seen = true;
        self.kind = kind_of(map.next_value::<MaybeWord>().map_err(|_| bail())?);
        if self.kind_agrees() {
            Ok(())
        } else {
            Err(bail())
        }
    }

    /// Whether the object's own kind, just read, agrees with what the
    /// object was decided to be before it.
    fn kind_agrees(&self) -> bool {
        match &self.state {
            State::Undecided => true,
            // Read as a list before its kind: the kind must be a list's.
            State::List => self
                .kind
                .as_deref()
                .is_none_or(|k| is_list_kind(k, self.depth)),
            // Decided from the list's kind: the object's must be the same.
            State::Object { .. } | State::Skip => match (&self.kind, &self.provisional) {
                (None, _) => true,
                (Some(k), Some(p)) => k == p && !is_list_kind(k, self.depth),
                (Some(_), None) => false,
            },
        }
    }

    fn read_api_version<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error> {
        if self.api_seen {
            return Err(bail());
        }
        self.api_seen = true;
        self.api_version = map.next_value::<MaybeWord>().map_err(|_| bail())?.0;
        Ok(())
    }

    fn read_items<'de, A: MapAccess<'de>>(
        &mut self,
        out: &mut Sink<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if self.items_seen {
            return Err(bail());
        }
        match &self.state {
            // A list decided by its kind, or an object not decided yet.
            State::Undecided | State::List => self.read_list_items(out, map),
            // A field of an object that is known not to be a list.
            State::Object { .. } | State::Skip => {
                if self.kind_seen && self.kind.is_some() {
                    map.next_value::<IgnoredAny>()?;
                    Ok(())
                } else {
                    Err(bail())
                }
            }
        }
    }

    /// Reads `items` as a list's (unless the kind already read is not a
    /// list's), its items taking the list's kind.
    fn read_list_items<'de, A: MapAccess<'de>>(
        &mut self,
        out: &mut Sink<'_>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        self.items_seen = true;
        let item_default = if self.kind_seen {
            match &self.kind {
                Some(k) if is_list_kind(k, self.depth) => ItemKind::Known(
                    k.strip_suffix("List")
                        .filter(|k| !k.is_empty())
                        .map(str::to_string),
                ),
                Some(k) => {
                    self.state = object_state(k, self.api_version.as_deref());
                    map.next_value::<IgnoredAny>()?;
                    return Ok(());
                }
                None => ItemKind::Known(None),
            }
        } else {
            ItemKind::Unknown
        };
        if self.depth > MAX_LIST_DEPTH {
            return Err(bail());
        }
        let null_ok = self.kind_seen && self.kind.is_some();
        self.state = State::List;
        map.next_value_seed(ItemsSeed {
            out,
            default: item_default,
            depth: self.depth + 1,
            null_ok,
        })
    }

    /// Reads a content field: into the wire struct of an object podplan
    /// reads, deciding what the object is at its first content field.
    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if let State::Undecided = self.state {
            self.state = self.decide_at_content()?;
        }
        match &mut self.state {
            State::Object { parsed, .. } => map.next_value_seed(FieldSeed { parsed, key }),
            _ => map.next_value::<IgnoredAny>().map(|_| ()),
        }
    }

    /// What the object is, decided at its first content field: by its
    /// kind, or, before the kind was read, by its typed list's.
    fn decide_at_content<E: de::Error>(&mut self) -> Result<State, E> {
        if self.kind_seen {
            return self.decide_by_kind();
        }
        match self.default {
            ItemKind::Known(Some(d)) => {
                self.provisional = Some(d.clone());
                Ok(object_state(d, self.api_version.as_deref()))
            }
            _ => Err(bail()),
        }
    }

    /// What the object is by its kind as read (see [`decide`]).
    fn decide_by_kind<E: de::Error>(&self) -> Result<State, E> {
        decide(
            self.kind.as_deref(),
            self.default,
            self.api_version.as_deref(),
            self.depth,
        )
        .ok_or_else(bail)
    }

    /// Hands the object read to `out` (converted or skipped).
    fn finish<E: de::Error>(mut self, out: &mut Sink<'_>) -> Result<(), E> {
        if let State::Undecided = self.state {
            self.state = self.decide_by_kind()?;
        }
        // `apiVersion` as finally read.
        let api_version = self.api_version.as_deref();
        match self.state {
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
                // The kind the object was read as; only skipped objects
                // need it again, so the common case clones no list default
                // per item.
                let kind_name = self
                    .kind
                    .as_deref()
                    .or(self.provisional.as_deref())
                    .or(match self.default {
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
}
