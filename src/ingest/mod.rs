//! Kubernetes JSON/YAML → validated [`Cluster`]: the only code that knows
//! the wire format.
//!
//! * **Formats.** An input is JSON when its first non-blank character is
//!   `{` or `[` (a `List`, a typed list such as `PodList`, a single object,
//!   an array of objects, or several concatenated documents; YAML flow
//!   style is tried when it is not JSON), and a YAML stream
//!   (`---`-separated documents, each a list or an object) otherwise, read
//!   as `kubectl` reads YAML (merge keys, numeric keys as strings). List
//!   items without `kind` take it from their list's (`PodList` → `Pod`).
//!   Large JSON dumps are streamed straight into the wire structs
//!   (`fast.rs`); everything else goes through `serde_json::Value`.
//! * **Kinds.** Objects of kinds podplan does not read (or of another API
//!   group, such as Karpenter's `NodePool`) are skipped with one warning per
//!   kind in [`Cluster::warnings`]. Fields podplan does not read are never
//!   looked at; `null` anywhere is absent. A later object with the same
//!   kind, namespace and name replaces an earlier one (with a warning).
//! * **Errors.** A bad field is an [`Error::Field`] naming the file, the
//!   object (`Pod default/web-1`, or `Pod #3`, the 3rd object of the file,
//!   when it has no name) and the field path
//!   (`spec.containers[0].resources.requests.cpu`). Text that is not JSON or
//!   YAML is an [`Error::Syntax`] with the parser's line and column; an
//!   input without any object or list (empty, comments only) is an
//!   [`Error::Empty`]. No input panics.
//! * **What depends on other objects** — priorities from PriorityClasses,
//!   the node a pod is bound to, a node's pool, the replicas workloads still
//!   have to create — is resolved after all inputs are read.

mod api_fields;
pub(crate) mod change;
mod chunked;
mod convert;
pub mod families;
mod fast;
mod filter;
pub mod generate;
#[cfg(feature = "k8s-openapi")]
pub mod k8s;
pub mod pools;
pub mod quantity;
pub mod resize;
mod wire;

use crate::error::{Error, Result};
use crate::model::{Cluster, Limits};
use serde::Deserialize;
use serde_json::{Map, Value};

/// One input document: its name (file path, or `<stdin>`) and text.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// Name used in error messages.
    pub name: String,
    /// The document text (JSON or YAML).
    pub text: &'a str,
}

impl<'a> Input<'a> {
    /// An input named `name` with `text`.
    pub fn new(name: impl Into<String>, text: &'a str) -> Self {
        Input {
            name: name.into(),
            text,
        }
    }
}

/// Reads and merges inputs, in order, into one cluster.
///
/// Pods come in input order (Pod objects), followed by the replicas that
/// Deployments, ReplicaSets, StatefulSets and Jobs still have to create, in
/// workload order. Priorities, bound nodes and pools are resolved once all
/// inputs are read, so objects may refer to objects of later inputs.
///
/// The scenario is read within the default [`Limits`]; see
/// [`read_scenario_with`].
pub fn read_scenario(inputs: &[Input]) -> Result<Cluster> {
    read_scenario_with(inputs, &Limits::default())
}

/// [`read_scenario`] within `limits`: going beyond one (too many pods,
/// replicas, nodes per pool or in the cluster, too many bytes) is an
/// [`Error::Field`] naming the object and the field (an [`Error::Syntax`]
/// for the size of an input), found before what it counts is built. The
/// cluster keeps the limits ([`Cluster::limits`]).
pub fn read_scenario_with(inputs: &[Input], limits: &Limits) -> Result<Cluster> {
    read_with(inputs, true, limits)
}

/// [`read_scenario_with`], with or without the streaming JSON reader (the
/// general reader alone gives the same result, more slowly).
fn read_with(inputs: &[Input], streaming: bool, limits: &Limits) -> Result<Cluster> {
    let mut builder = convert::Builder::with_limits(*limits);
    let mut bytes = 0usize;
    for input in inputs {
        bytes = bytes.saturating_add(input.text.len());
        if bytes > limits.max_input_bytes {
            return Err(Error::Syntax {
                file: input.name.clone(),
                message: format!(
                    "{bytes} bytes of input (this file and those before it): above the limit \
                     of {} bytes ({})",
                    limits.max_input_bytes,
                    Limits::how_to_raise("max-input-bytes", "maxInputBytes")
                ),
            });
        }
        read_input(&mut builder, input, streaming, None)?;
        check_counts(&builder, input, limits)?;
    }
    builder.finish()
}

/// The Pod and Node objects read so far are within `limits` (the replicas
/// workloads create are counted when they are known, in
/// `Builder::finish`); the first object beyond a limit is named, with
/// `input`, the file it came from.
fn check_counts(builder: &convert::Builder, input: &Input, limits: &Limits) -> Result<()> {
    let (pods, nodes) = builder.counts();
    let (object, message) = if pods > limits.max_pods {
        (
            builder.pod_description(limits.max_pods),
            format!(
                "pod number {}: above the limit of {} pods (Kubernetes supports 150000; {})",
                limits.max_pods + 1,
                limits.max_pods,
                Limits::how_to_raise("max-pods", "maxPods")
            ),
        )
    } else if nodes > limits.max_nodes {
        (
            builder.node_description(limits.max_nodes),
            format!(
                "node number {}: above the limit of {} nodes per cluster (Kubernetes supports \
                 5000; {})",
                limits.max_nodes + 1,
                limits.max_nodes,
                Limits::how_to_raise("max-nodes", "maxNodes")
            ),
        )
    } else {
        return Ok(());
    };
    Err(Error::Field {
        file: input.name.clone(),
        object,
        field: "metadata.name".into(),
        message,
    })
}

/// Walks one input's documents and hands each object to the builder.
struct Reader<'b> {
    builder: &'b mut convert::Builder,
    file: &'b str,
    /// Objects seen so far in this file (1-based ordinal of the last one).
    ordinal: usize,
    /// Documents that were an object or a list.
    documents: usize,
    /// For the change files of `podplan diff`: where their objects are
    /// recorded (deletions are not added to the builder).
    log: Option<&'b mut filter::ChangeLog>,
}

/// Reads one input into `builder`; with `log`, a change file of `podplan
/// diff` (read by the general reader, which sees annotations).
fn read_input(
    builder: &mut convert::Builder,
    input: &Input,
    streaming: bool,
    log: Option<&mut filter::ChangeLog>,
) -> Result<()> {
    let text = input.text.strip_prefix('\u{feff}').unwrap_or(input.text);
    let json_like = matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['));
    // Each input is read on its own, then merged: a reader that gives up
    // leaves nothing behind.
    if json_like && streaming && log.is_none() {
        let mut local = builder.child();
        if let Some(documents) = fast::read_json(text, &mut local, &input.name)? {
            if documents == 0 {
                return Err(empty(input));
            }
            builder.merge(local);
            return Ok(());
        }
    }
    let mut local = builder.child();
    let mut reader = Reader {
        builder: &mut local,
        file: &input.name,
        ordinal: 0,
        documents: 0,
        log,
    };
    if json_like {
        match parse_json(text) {
            Ok(docs) => {
                for doc in docs {
                    reader.document(doc, 1)?;
                }
            }
            // YAML flow style also starts with `{` or `[`.
            Err(json_error) => match parse_yaml(text) {
                Ok(docs) => {
                    for doc in docs {
                        reader.document(doc, 1)?;
                    }
                }
                Err(_) => {
                    return Err(Error::Syntax {
                        file: input.name.clone(),
                        message: json_error,
                    })
                }
            },
        }
    } else {
        if too_deep(text, MAX_FLOW_DEPTH) {
            return Err(Error::Syntax {
                file: input.name.clone(),
                message: too_deep_error(),
            });
        }
        for (i, doc) in serde_norway::Deserializer::from_str(text).enumerate() {
            let value = yaml_document(doc).map_err(|message| Error::Syntax {
                file: input.name.clone(),
                message: name_document(i, message),
            })?;
            reader.document(value, 1)?;
        }
    }
    if reader.documents == 0 {
        return Err(empty(input));
    }
    builder.merge(local);
    Ok(())
}

fn empty(input: &Input) -> Error {
    Error::Empty {
        file: input.name.clone(),
        message: "no Kubernetes objects".into(),
    }
}

/// All JSON documents of a text (usually one).
fn parse_json(text: &str) -> std::result::Result<Vec<Value>, String> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

/// Deepest `[`/`{` nesting the YAML reader is given. Deeper documents fail
/// its recursion limit (128) anyway, but its scanner needs time quadratic
/// in the depth to get there.
const MAX_FLOW_DEPTH: usize = 1000;

/// Whether brackets nest deeper than `limit` (a cheap over-approximation of
/// YAML flow nesting: brackets inside strings count too).
fn too_deep(text: &str, limit: usize) -> bool {
    let mut depth = 0usize;
    for b in text.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn too_deep_error() -> String {
    format!("documents nested more than {MAX_FLOW_DEPTH} levels deep are not read")
}

/// All YAML documents of a text.
fn parse_yaml(text: &str) -> std::result::Result<Vec<Value>, String> {
    if too_deep(text, MAX_FLOW_DEPTH) {
        return Err(too_deep_error());
    }
    serde_norway::Deserializer::from_str(text)
        .enumerate()
        .map(|(i, doc)| yaml_document(doc).map_err(|e| name_document(i, e)))
        .collect()
}

/// A YAML error that has no position in the text (an alias bomb's
/// "repetition limit exceeded": its aliases expand to more values than
/// the reader builds) named by the document (`document 2`, 1-based) it
/// is in; other errors as they are (they give line and column).
fn name_document(index: usize, message: String) -> String {
    if message.contains("repetition limit exceeded") {
        format!(
            "document {}: {message} (its aliases expand to too many values: podplan does not \
             expand a YAML alias bomb)",
            index + 1
        )
    } else {
        message
    }
}

/// One YAML document as JSON, as `kubectl` reads YAML
/// (`sigs.k8s.io/yaml`): merge keys (`<<: *anchor`) applied, scalar keys
/// spelled as strings, tags ignored.
fn yaml_document(doc: serde_norway::Deserializer) -> std::result::Result<Value, String> {
    let mut value = serde_norway::Value::deserialize(doc).map_err(|e| e.to_string())?;
    value.apply_merge().map_err(|e| e.to_string())?;
    yaml_to_json(value)
}

/// Converts a YAML value (at most 128 levels deep: the YAML reader's
/// recursion limit) to JSON.
fn yaml_to_json(v: serde_norway::Value) -> std::result::Result<Value, String> {
    use serde_norway::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<std::result::Result<_, _>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = Map::with_capacity(m.len());
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_string(),
                    _ => return Err("mapping keys must be strings or numbers".to_string()),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value)?,
    })
}

/// What a JSON value is, for messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Reader<'_> {
    /// A top-level document: an object, a list, or nothing (skipped).
    fn document(&mut self, doc: Value, depth: usize) -> Result<()> {
        match doc {
            Value::Null => Ok(()),
            Value::Object(map) => {
                self.documents += 1;
                self.object(map, None, depth)
            }
            Value::Array(items) => {
                self.documents += 1;
                self.items(items, None, "items", depth)
            }
            other => Err(Error::Syntax {
                file: self.file.to_string(),
                message: format!(
                    "expected a Kubernetes object or list, found {}",
                    type_name(&other)
                ),
            }),
        }
    }

    /// An object, or a list of objects (`items`), whose kind defaults to
    /// `default_kind` (the kind of the list it is in).
    fn object(
        &mut self,
        mut map: Map<String, Value>,
        default_kind: Option<&str>,
        depth: usize,
    ) -> Result<()> {
        let kind = match map.get("kind") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.ordinal += 1;
                return Err(Error::Field {
                    file: self.file.to_string(),
                    object: format!("object #{}", self.ordinal),
                    field: "kind".into(),
                    message: format!("must be a string, found {}", type_name(other)),
                });
            }
        };
        let is_list = match &kind {
            Some(k) => k.ends_with("List"),
            None => matches!(map.get("items"), Some(Value::Array(_))),
        };
        if is_list && depth <= convert::MAX_LIST_DEPTH {
            let item_kind = kind
                .as_deref()
                .and_then(|k| k.strip_suffix("List"))
                .filter(|k| !k.is_empty())
                .map(str::to_string);
            let list_name = kind.as_deref().unwrap_or("List").to_string();
            return match map.remove("items") {
                None | Some(Value::Null) => Ok(()),
                Some(Value::Array(items)) => {
                    self.items(items, item_kind.as_deref(), &list_name, depth + 1)
                }
                Some(other) => Err(Error::Field {
                    file: self.file.to_string(),
                    object: list_name,
                    field: "items".into(),
                    message: format!("must be an array, found {}", type_name(&other)),
                }),
            };
        }
        self.ordinal += 1;
        let kind = kind.or_else(|| default_kind.map(str::to_string));
        if let (Some(log), Some(kind)) = (self.log.as_deref_mut(), &kind) {
            let api_version = map.get("apiVersion").and_then(Value::as_str);
            // Kinds podplan does not read are skipped with a warning.
            if let Ok(k) = convert::classify(kind, api_version) {
                if log.record(self.file, self.ordinal, kind, k.namespaced(), &map)? {
                    return Ok(());
                }
            }
        }
        match kind {
            Some(kind) => self.builder.add_object(self.file, self.ordinal, &kind, map),
            // Skipped with a warning, like an unknown kind.
            None => self
                .builder
                .add_object(self.file, self.ordinal, "", Map::new()),
        }
    }

    fn items(
        &mut self,
        items: Vec<Value>,
        default_kind: Option<&str>,
        list_name: &str,
        depth: usize,
    ) -> Result<()> {
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::Null => {}
                Value::Object(map) => self.object(map, default_kind, depth)?,
                other => {
                    return Err(Error::Field {
                        file: self.file.to_string(),
                        object: list_name.to_string(),
                        field: format!("items[{i}]"),
                        message: format!("must be an object, found {}", type_name(&other)),
                    })
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Both readers agree: same cluster, or both fail (with the general
    /// reader's error).
    fn same(texts: &[&str]) {
        let inputs: Vec<Input> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Input::new(format!("in{i}.json"), t))
            .collect();
        let fast = read_with(&inputs, true, &Limits::default());
        let slow = read_with(&inputs, false, &Limits::default());
        assert_eq!(fast, slow, "{texts:?}");
    }

    #[test]
    fn streaming_reader_agrees_on_real_dumps() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realworld");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        let mut texts = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".json") && name != "expect.json" {
                texts.push((name, std::fs::read_to_string(e.path()).unwrap()));
            }
        }
        assert!(!texts.is_empty());
        for (name, t) in &texts {
            same(&[t]);
            // The streaming reader really is used for them.
            let mut b = convert::Builder::default();
            assert!(
                matches!(fast::read_json(t, &mut b, name), Ok(Some(_))),
                "{name}"
            );
        }
        let all: Vec<&str> = texts.iter().map(|(_, t)| t.as_str()).collect();
        same(&all);
    }

    #[test]
    fn api_fields_change_nothing_read() {
        use crate::generate::{add_api_fields, drain_scenario, generate, DrainScenarioOptions};
        let scenarios = [
            drain_scenario(&DrainScenarioOptions {
                nodes: 40,
                pods: 600,
                workloads: 30,
                seed: 3,
            }),
            generate(&crate::generate::GenerateOptions::default()),
        ];
        for lean in scenarios {
            let mut heavy = lean.clone();
            add_api_fields(&mut heavy);
            let (lean, heavy) = (lean.to_string(), heavy.to_string());
            assert!(heavy.len() > 2 * lean.len());
            let read = |t: &str| read_scenario(&[Input::new("g.json", t)]).unwrap();
            assert_eq!(read(&lean), read(&heavy));
            // The streaming reader takes the heavy dump, and agrees.
            let mut b = convert::Builder::default();
            assert!(matches!(fast::read_json(&heavy, &mut b, "g"), Ok(Some(1))));
            same(&[&heavy]);
        }
    }

    #[test]
    fn streaming_reader_agrees_on_shapes() {
        for t in [
            r#"{"kind": "PodList", "items": [{"metadata": {"name": "a"}}, {"kind": "Pod", "metadata": {"name": "b"}}]}"#,
            r#"{"items": [{"metadata": {"name": "a"}}], "kind": "PodList"}"#,
            r#"{"items": [{"kind": "Pod", "metadata": {"name": "a"}}], "kind": "Pod"}"#,
            r#"{"items": [{"kind": "Pod", "metadata": {"name": "a"}}], "kind": null}"#,
            r#"{"items": [{"kind": "Pod", "metadata": {"name": "a"}}]}"#,
            r#"{"kind": "List", "items": null}"#,
            r#"{"kind": "Pod", "items": null, "metadata": {"name": "a"}}"#,
            r#"{"metadata": {"name": "a"}, "kind": "Pod"}"#,
            r#"{"kind": "NodeList", "items": [{"metadata": {"name": "a"}, "kind": "Pod"}]}"#,
            r#"{"kind": "NodeList", "items": [{"metadata": {"name": "a"}, "kind": "Node"}]}"#,
            r#"{"kind": "NodeList", "items": [{"metadata": {"name": "a"}, "kind": ""}]}"#,
            r#"{"kind": "ServiceList", "items": [{"metadata": {"name": "a"}}]}"#,
            r#"{"kind": "Node", "metadata": {"name": "a"}, "apiVersion": "example.com/v1"}"#,
            r#"{"kind": "PodDisruptionBudget", "spec": {"selector": {}}, "metadata": {"name": "a"}, "apiVersion": "policy/v1beta1"}"#,
            r#"{"kind": "Pod", "kind": "Node", "metadata": {"name": "a"}}"#,
            r#"{"kind": "Pod", "metadata": {"name": "a"}, "metadata": {"name": "b"}}"#,
            r#"{"kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": [], "containers": [{"name": "x"}]}}"#,
            r#"[{"kind": "Pod", "metadata": {"name": "a"}}, null, {"kind": "Secret"}, {}]"#,
            r#"{"kind": "List", "items": [{"kind": "List", "items": [{"kind": "Node", "metadata": {"name": "n"}}]}]}"#,
            r#"{"kind": "Pod", "apiVersion": 1, "metadata": {"name": "a"}}"#,
            r#"{"kind": "Pod", "apiVersion": "", "metadata": {"name": "a"}}"#,
            r#"{"kind": "NodePool", "apiVersion": "podplan.dev/v1alpha1", "metadata": {"name": "p"}, "spec": {"vmSize": "Standard_D2s_v5"}}"#,
            r#"{"kind": "PriorityClass", "metadata": {"name": "p"}, "value": 5, "globalDefault": true} {"kind": "Pod", "metadata": {"name": "a"}}"#,
            r#"{"kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "12x"}}}]}}"#,
            r#"{"kind": "Pod", "metadata": {"name": "a"}"#,
            "{kind: Pod, metadata: {name: a}}",
            "[]",
            "{}",
        ] {
            same(&[t]);
        }
    }

    const KEYS: &[&str] = &[
        "kind",
        "apiVersion",
        "items",
        "metadata",
        "name",
        "namespace",
        "labels",
        "spec",
        "status",
        "containers",
        "resources",
        "requests",
        "cpu",
        "nodeName",
        "selector",
        "replicas",
        "template",
        "ownerReferences",
        "controller",
        "value",
        "globalDefault",
        "phase",
        "minAvailable",
        "taints",
        "effect",
        "key",
    ];
    const STRINGS: &[&str] = &[
        "Node",
        "Pod",
        "List",
        "NodeList",
        "PodList",
        "Deployment",
        "ReplicaSet",
        "Service",
        "PodDisruptionBudget",
        "PriorityClass",
        "Namespace",
        "v1",
        "apps/v1",
        "policy/v1beta1",
        "x/v1",
        "",
        "a",
        "b",
        "100m",
        "Running",
        "ReplicaSet",
        "NoSchedule",
    ];

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-2i64..4).prop_map(Value::from),
            prop::sample::select(STRINGS).prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 64, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                    Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
        #[test]
        fn streaming_reader_agrees_on_random_json(v in value(), w in value()) {
            same(&[&v.to_string(), &w.to_string()]);
        }
    }
}
