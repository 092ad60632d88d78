//! Reading one large JSON List on several threads (feature `parallel`;
//! the WASM build reads serially). A `kubectl get -o json` dump is one
//! List whose `items` are nearly all of its bytes: the items are cut into
//! chunks, each chunk is read by the streaming reader (`fast.rs`) into a
//! builder of its own on its own thread, and the builders are merged in
//! order, as if the items had been read one by one.
//!
//! Cutting scans nothing but the few bytes around each cut: a cut is
//! tried where `}`, `,` and `{` meet (whitespace between) near the
//! chunk's share of the text, at an object that has a `kind` and a
//! `metadata`, as an item has. A cut may still land inside an item (or a
//! string); the read proves it did not: the list's head must be plain
//! `"key": "string"` members, its tail must be members and `}`, and every
//! chunk between brackets must read as a JSON array. Joined by the cut
//! commas, valid chunks form a valid array whose elements are theirs, and
//! JSON's grammar is unambiguous, so those are the items. Anything else —
//! an unusual shape, an invalid object, a cut that fails — and the input
//! is read serially instead (which also words the errors).

use super::convert::Builder;
use super::fast::{self, ItemKind};
use serde::de::IgnoredAny;
use serde::Deserialize;

/// Inputs below this size are read serially: threads would cost more than
/// they save.
const MIN_BYTES: usize = 8 << 20;
/// How far past its target offset a cut is looked for.
const CUT_WINDOW: usize = 1 << 20;

/// The input read on several threads: its builder, or `None` when it must
/// be read serially.
pub(crate) fn read_list(text: &str, file: &str) -> Option<Builder> {
    let threads = crate::parallel::threads();
    if threads < 2 || text.len() < MIN_BYTES {
        return None;
    }
    read_in_chunks(text, file, threads * 2)
}

/// [`read_list`] in about `parts` chunks, whatever the size.
fn read_in_chunks(text: &str, file: &str, parts: usize) -> Option<Builder> {
    let head = list_head(text)?;
    let close = items_end(text, head.items_start)?;
    // The list without its items: its own kind and fields, read as the
    // serial reader would (it checks that the kind is a list's).
    let skeleton = format!("{}[]{}", &text[..head.items_start], &text[close + 1..]);
    let mut builder = Builder::default();
    if fast::read_json(&skeleton, &mut builder, file).ok()? != Some(1) {
        return None;
    }
    let items = head.items_start + 1..close;
    let cuts = cuts(text, items.clone(), parts);
    let chunks: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    let last = chunks.len() - 1;
    let default = head.item_kind;
    let read = crate::parallel::map_range(chunks.len(), 1, |k| {
        let (from, to) = chunks[k];
        // A chunk ends with the cut's comma, the last at the items' end.
        let body = text[from..to].trim_end();
        let body = if k < last {
            body.strip_suffix(',')?
        } else {
            body
        };
        let wrapped = format!("[{body}]");
        let mut local = Builder::default();
        match fast::read_list_items(&wrapped, &mut local, file, default.clone(), 2) {
            Ok(true) => Some(local),
            _ => None,
        }
    });
    for local in read {
        builder.merge(local?);
    }
    Some(builder)
}

/// Where a list's items start, and the kind they take without their own.
struct Head {
    /// Offset of the `[` of `items`.
    items_start: usize,
    item_kind: ItemKind,
}

/// Reads `{ "key": "value", ... "items": [` at the start of `text`: only
/// plain string members (without escapes) may come before `items`.
fn list_head(text: &str) -> Option<Head> {
    let bytes = text.as_bytes();
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    let mut kind: Option<&str> = None;
    loop {
        i = skip_ws(bytes, i + 1);
        let (key, after) = plain_string(text, i)?;
        i = skip_ws(bytes, after);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(bytes, i + 1);
        if key == "items" {
            if bytes.get(i) != Some(&b'[') {
                return None;
            }
            let item_kind = match kind {
                // The kind is read after the items: items need their own.
                None => ItemKind::Unknown,
                Some(k) => ItemKind::Known(
                    k.strip_suffix("List")
                        .filter(|k| !k.is_empty())
                        .map(str::to_string),
                ),
            };
            return Some(Head {
                items_start: i,
                item_kind,
            });
        }
        let (value, after) = plain_string(text, i)?;
        if key == "kind" {
            // Not a list's kind: its `items` are an object's field.
            if !value.ends_with("List") {
                return None;
            }
            kind = Some(value);
        }
        i = skip_ws(bytes, after);
        if bytes.get(i) != Some(&b',') {
            return None;
        }
    }
}

/// The string starting at `at` (a `"`) when it has no escape, and the
/// offset after its closing quote.
fn plain_string(text: &str, at: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let len = bytes[at + 1..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\')?;
    let end = at + 1 + len;
    (bytes[end] == b'"').then(|| (&text[at + 1..end], end + 1))
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The offset of the `]` that ends the items: the last `]` of the text,
/// when what follows it is the list's remaining members and its `}` (a
/// `]` inside them makes this fail, and the input is read serially).
fn items_end(text: &str, items_start: usize) -> Option<usize> {
    let close = text.rfind(']')?;
    if close <= items_start {
        return None;
    }
    let tail = text[close + 1..].trim_start();
    let members = match tail.strip_prefix(',') {
        Some(rest) => format!("{{{rest}"),
        None => tail.to_string(),
    };
    // Members and one closing brace, nothing after.
    let mut de = serde_json::Deserializer::from_str(&members);
    serde_json::Map::<String, serde_json::Value>::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(close)
}

/// Chunk boundaries over `items` (offsets: the first item's start, the
/// cuts, the items' end), about `parts` chunks.
fn cuts(text: &str, items: std::ops::Range<usize>, parts: usize) -> Vec<usize> {
    let mut out = vec![items.start];
    let share = items.len() / parts.max(1);
    for k in 1..parts {
        let target = (items.start + k * share).max(*out.last().unwrap_or(&0) + 1);
        if let Some(cut) = cut_near(text, target, items.end) {
            if cut > *out.last().unwrap_or(&0) {
                out.push(cut);
            }
        }
    }
    out.push(items.end);
    out
}

/// The first offset at or after `from` (within [`CUT_WINDOW`], before
/// `end`) where an item seems to start: a `{` after `}` and `,`, opening
/// an object with `kind` and `metadata` that a `,` or `]` follows.
fn cut_near(text: &str, from: usize, end: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let limit = end.min(from.saturating_add(CUT_WINDOW));
    let mut i = from;
    while i < limit {
        let comma = i + bytes[i..limit].iter().position(|&b| b == b',')?;
        i = comma + 1;
        let before = bytes[..comma]
            .iter()
            .rposition(|b| !b.is_ascii_whitespace());
        if before.map(|b| bytes[b]) != Some(b'}') {
            continue;
        }
        let start = skip_ws(bytes, comma + 1);
        if bytes.get(start) == Some(&b'{') && looks_like_item(text, start) {
            return Some(start);
        }
    }
    None
}

/// Whether the object at `start` has `kind` and `metadata` members and is
/// followed by `,` or `]`.
fn looks_like_item(text: &str, start: usize) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        kind: Option<IgnoredAny>,
        metadata: Option<IgnoredAny>,
    }
    let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Probe>();
    match stream.next() {
        Some(Ok(Probe {
            kind: Some(_),
            metadata: Some(_),
        })) => {
            let after = skip_ws(text.as_bytes(), start + stream.byte_offset());
            matches!(text.as_bytes().get(after), Some(b',' | b']'))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{add_api_fields, drain_scenario, DrainScenarioOptions};
    use crate::model::Cluster;

    /// The serial streaming reader's cluster, or its error's text.
    fn serial(text: &str) -> Result<Cluster, String> {
        let mut b = Builder::default();
        match fast::read_json(text, &mut b, "t") {
            Ok(Some(_)) => b.finish().map_err(|e| e.to_string()),
            Ok(None) => Err("general reader".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Read in chunks, every way of cutting agrees with the serial read.
    fn agrees(text: &str) -> bool {
        let want = serial(text);
        let mut split_any = false;
        for parts in [1, 2, 3, 7, 40] {
            if let Some(b) = read_in_chunks(text, "t", parts) {
                split_any = true;
                assert_eq!(b.finish().map_err(|e| e.to_string()), want, "{parts} parts");
            }
        }
        split_any
    }

    fn scenario(seed: u64) -> serde_json::Value {
        drain_scenario(&DrainScenarioOptions {
            nodes: 30,
            pods: 400,
            workloads: 20,
            seed,
        })
    }

    #[test]
    fn chunks_read_as_the_whole() {
        let mut v = scenario(1);
        assert!(agrees(&v.to_string()));
        assert!(agrees(&serde_json::to_string_pretty(&v).unwrap()));
        add_api_fields(&mut v);
        assert!(agrees(&v.to_string()));
        // The kind before the items: a typed list gives its items a kind.
        let items = v["items"].clone();
        let typed = serde_json::json!({"kind": "PodList", "apiVersion": "v1", "items": items});
        assert!(agrees(&typed.to_string()));
    }

    #[test]
    fn unusual_shapes_are_read_serially_or_alike() {
        let v = scenario(2);
        let text = v.to_string();
        // An item without a kind in a kubectl List (kind after the items).
        let no_kind = text.replacen(r#""kind":"Pod","#, "", 1);
        agrees(&no_kind);
        // A cut-looking sequence inside a string.
        let tricky = text.replacen(
            r#""name":"app-0""#,
            r#""name":"app-0","note":"}, {\"kind\":1,\"metadata\":2}""#,
            1,
        );
        agrees(&tricky);
        // A trailing comma is invalid JSON: never read as valid.
        let close = text.rfind(']').unwrap();
        let trailing = format!("{},{}", &text[..close], &text[close..]);
        assert!(serial(&trailing).is_err());
        for parts in [1, 2, 5] {
            assert!(read_in_chunks(&trailing, "t", parts).is_none());
        }
        // Not a list's kind before the items; a second document after.
        assert!(read_in_chunks(&text.replacen('{', r#"{"kind":"Pod","#, 1), "t", 3).is_none());
        assert!(read_in_chunks(&format!("{text}{text}"), "t", 3).is_none());
    }

    #[test]
    fn invalid_objects_are_left_to_the_serial_read() {
        let text = scenario(3).to_string();
        let bad = text.replacen(r#""cpu":"#, r#""cpu":"lots","x":"#, 1);
        assert!(serial(&bad).is_err());
        for parts in [1, 2, 5] {
            assert!(read_in_chunks(&bad, "t", parts).is_none());
        }
    }
}
