//! The layers of `src/` point one way, as kube-scheduler's
//! `.import-restrictions` keep its packages apart. This test reads every
//! file's `crate::…`, `super::…` and `self::…` paths (and, in a `mod.rs`,
//! the paths through its own child modules), resolves each to the file
//! that defines it, and fails on
//!
//! 1. an import from a layer that is not below the importer's
//!    ([`ALLOWED`]);
//! 2. an operation that imports another outside consolidate → place →
//!    simulate;
//! 3. a file-level import cycle, a `mod.rs` and its children included
//!    (a child that imports an item its parent defines, while the parent
//!    uses the child: shared types belong in a sibling file).
//!
//! Test modules (`#[cfg(test)]` to the end of the file) and comments are
//! not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each layer (a top-level module of the crate) and the layers it may
/// import from. `lib`, and the command line's `main`, `cli` and `bin`
/// (the shells), may import anything.
const ALLOWED: &[(&str, &[&str])] = &[
    ("parallel", &[]),
    ("error", &["parallel"]),
    ("model", &["parallel", "error"]),
    ("report", &["parallel", "error", "model"]),
    ("ingest", &["parallel", "error", "model"]),
    ("predicates", &["parallel", "error", "model"]),
    ("scoring", &["parallel", "error", "model", "predicates"]),
    (
        "engine",
        &[
            "parallel",
            "error",
            "model",
            "report",
            "predicates",
            "scoring",
        ],
    ),
    (
        "check",
        &[
            "parallel",
            "error",
            "model",
            "report",
            "predicates",
            "scoring",
            "engine",
        ],
    ),
    (
        "ops",
        &[
            "parallel",
            "error",
            "model",
            "report",
            "predicates",
            "scoring",
            "engine",
            "check",
        ],
    ),
];

/// Operations that may import another operation: consolidation starts
/// from place, place from simulate; diff runs explain, place, headroom
/// and drain before and after a change; tenancy runs place on each layout.
const OPERATION_CALLS: &[(&str, &str)] = &[
    ("consolidate", "place"),
    ("place", "simulate"),
    ("diff", "explain"),
    ("diff", "place"),
    ("diff", "headroom"),
    ("diff", "drain"),
    ("sizes", "place"),
    ("tenancy", "place"),
];

/// A source file: its module path and its text without comments and tests.
struct Source {
    module: Vec<String>,
    is_mod_file: bool,
    text: String,
    children: BTreeSet<String>,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("src readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file: comments, string literals and the test module
/// removed.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut kept = String::new();
        let mut in_string = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if in_string {
                if c == '\\' {
                    chars.next();
                } else if c == '"' {
                    in_string = false;
                }
                continue;
            }
            if c == '/' && chars.peek() == Some(&'/') {
                break;
            }
            if c == '"' {
                in_string = true;
                continue;
            }
            kept.push(c);
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

fn read_sources() -> BTreeMap<String, Source> {
    let root = src_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut sources = BTreeMap::new();
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let mut module: Vec<String> = rel
            .trim_end_matches(".rs")
            .split('/')
            .map(String::from)
            .collect();
        let last = module.last().cloned().unwrap_or_default();
        let is_mod_file = matches!(last.as_str(), "mod" | "lib" | "main");
        if is_mod_file {
            module.pop();
        }
        let text = code_of(&std::fs::read_to_string(&path).expect("readable"));
        let children = text
            .lines()
            .filter_map(|l| {
                let l = l.trim();
                let l = l
                    .strip_prefix("pub(crate) ")
                    .or_else(|| l.strip_prefix("pub "))
                    .unwrap_or(l);
                l.strip_prefix("mod ")
                    .and_then(|r| r.strip_suffix(';'))
                    .map(|n| n.trim().to_string())
            })
            .collect();
        sources.insert(
            rel,
            Source {
                module,
                is_mod_file,
                text,
                children,
            },
        );
    }
    sources
}

/// Every path the code names that starts at `crate`, `super`, `self` or
/// (in a file with child modules) at one of its children, with `use`
/// groups (`a::{b, c::d}`) expanded one level.
fn named_paths(source: &Source) -> Vec<Vec<String>> {
    let text = &source.text;
    let mut paths = Vec::new();
    let bytes = text.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident(bytes[i]) || (i > 0 && (is_ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            i += 1;
            continue;
        }
        // A path: identifiers separated by `::`, maybe ending in `::{`.
        let mut segments = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < bytes.len() && is_ident(bytes[j]) {
                j += 1;
            }
            segments.push(text[start..j].to_string());
            if text[j..].starts_with("::") && j + 2 < bytes.len() && is_ident(bytes[j + 2]) {
                j += 2;
                continue;
            }
            break;
        }
        let head = segments[0].as_str();
        let relevant = matches!(head, "crate" | "super" | "self") || source.children.contains(head);
        if relevant && (segments.len() > 1 || text[j..].starts_with("::{")) {
            if text[j..].starts_with("::{") {
                let close = text[j..].find('}').map_or(text.len(), |k| j + k);
                for item in text[j + 3..close].split(',') {
                    let item = item.split(" as ").next().unwrap_or("").trim();
                    let first: Vec<String> = item
                        .split("::")
                        .map(|s| s.trim().to_string())
                        .take_while(|s| !s.is_empty() && s.bytes().all(is_ident))
                        .collect();
                    if !first.is_empty() && first[0] != "self" {
                        let mut p = segments.clone();
                        p.extend(first);
                        paths.push(p);
                    }
                }
            } else {
                paths.push(segments.clone());
            }
        }
        i = j.max(i + 1);
    }
    paths
}

/// The file a path points into: the longest prefix that is a module file.
fn resolve(
    source: &Source,
    path: &[String],
    by_module: &BTreeMap<Vec<String>, String>,
) -> Option<String> {
    let mut base: Vec<String> = match path[0].as_str() {
        "crate" => Vec::new(),
        "self" => source.module.clone(),
        "super" => {
            let mut b = source.module.clone();
            b.pop();
            b
        }
        _ => source.module.clone(),
    };
    let mut rest = match path[0].as_str() {
        "crate" | "self" | "super" => &path[1..],
        _ => path,
    };
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    let mut full = base;
    full.extend(rest.iter().cloned());
    (0..=full.len())
        .rev()
        .find_map(|k| by_module.get(&full[..k].to_vec()).cloned())
}

fn import_graph() -> (BTreeMap<String, Source>, BTreeMap<String, BTreeSet<String>>) {
    let sources = read_sources();
    let by_module: BTreeMap<Vec<String>, String> = sources
        .iter()
        .map(|(rel, s)| (s.module.clone(), rel.clone()))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, source) in &sources {
        let targets = edges.entry(rel.clone()).or_default();
        for path in named_paths(source) {
            if let Some(target) = resolve(source, &path, &by_module) {
                if &target != rel {
                    targets.insert(target);
                }
            }
        }
    }
    (sources, edges)
}

fn layer(source: &Source) -> String {
    source
        .module
        .first()
        .cloned()
        .unwrap_or_else(|| "lib".into())
}

#[test]
fn every_import_points_down() {
    let (sources, edges) = import_graph();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (from, targets) in &edges {
        let from_layer = layer(&sources[from]);
        let Some(may) = allowed.get(from_layer.as_str()) else {
            assert!(
                matches!(from_layer.as_str(), "lib" | "main" | "cli" | "bin"),
                "{from}: layer {from_layer} is not in ALLOWED"
            );
            continue;
        };
        for to in targets {
            let to_layer = layer(&sources[to]);
            if to_layer != from_layer && !may.contains(&to_layer.as_str()) {
                wrong.push(format!("{from} imports {to} ({from_layer} -> {to_layer})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that point up or sideways:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn operations_call_each_other_only_along_the_chain() {
    let (sources, edges) = import_graph();
    let operation = |rel: &str| -> Option<String> {
        let m = &sources[rel].module;
        (m.first().is_some_and(|l| l == "ops") && m.len() > 1).then(|| m[1].clone())
    };
    let mut wrong = Vec::new();
    for (from, targets) in &edges {
        let Some(a) = operation(from) else { continue };
        for to in targets {
            let Some(b) = operation(to) else { continue };
            if a != b && !OPERATION_CALLS.contains(&(a.as_str(), b.as_str())) {
                wrong.push(format!("{from} imports {to} (operation {a} -> {b})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "operations outside the chain:\n{}",
        wrong.join("\n")
    );
}

/// Strongly connected components of more than one file (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            let edges = self.edges;
            for w in edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.found
}

#[test]
fn no_file_level_import_cycle() {
    let (_, edges) = import_graph();
    let found = cycles(&edges);
    let shown: Vec<String> = found.iter().map(|c| c.join(" <-> ")).collect();
    assert!(found.is_empty(), "import cycles:\n{}", shown.join("\n"));
}

/// The checker itself sees what it must: a child importing an item of
/// its parent while the parent uses the child is a cycle.
#[test]
fn the_checker_sees_a_parent_child_cycle() {
    let mut edges = BTreeMap::new();
    let parent = Source {
        module: vec!["a".into()],
        is_mod_file: true,
        text: "mod b;\nuse b::Thing;\npub struct Shared;\n".into(),
        children: ["b".to_string()].into(),
    };
    let child = Source {
        module: vec!["a".into(), "b".into()],
        is_mod_file: false,
        text: "use super::Shared;\npub struct Thing;\n".into(),
        children: BTreeSet::new(),
    };
    let by_module: BTreeMap<Vec<String>, String> = [
        (parent.module.clone(), "a/mod.rs".to_string()),
        (child.module.clone(), "a/b.rs".to_string()),
    ]
    .into();
    assert!(parent.is_mod_file && !child.is_mod_file);
    for (rel, s) in [("a/mod.rs", &parent), ("a/b.rs", &child)] {
        let targets: BTreeSet<String> = named_paths(s)
            .iter()
            .filter_map(|p| resolve(s, p, &by_module))
            .filter(|t| t != rel)
            .collect();
        edges.insert(rel.to_string(), targets);
    }
    assert_eq!(cycles(&edges).len(), 1, "{edges:?}");
    assert_eq!(
        code_of("let a = \"crate::x\"; // crate::y\nuse crate::z;\n#[cfg(test)]\nuse crate::t;"),
        "let a = ; \nuse crate::z;\n"
    );
}
