//! The repository stands alone: no source, script or document points at a
//! `shared` folder beside the clone (which a user's clone does not have), and
//! the real-world fixtures the tests read are in the repository itself.

use std::path::{Path, PathBuf};

/// What must not appear. Built from pieces so that this file does not
/// contain them itself.
fn forbidden() -> Vec<String> {
    let shared = "shared";
    vec![
        format!("..{}{shared}", '/'),
        format!("{shared}/SPEC.md"),
        format!("{shared}/TOOLCHAIN.md"),
        format!("{shared}/realworld"),
    ]
}

/// Files and folders that are checked, relative to the repository root.
const ROOTS: &[&str] = &[
    "README.md",
    "BENCHMARKS.md",
    "Cargo.toml",
    "docs",
    "src",
    "tests",
    "benches",
    "examples",
    ".ci",
    "bindings/wasm/README.md",
    "bindings/wasm/Cargo.toml",
    "bindings/wasm/build.sh",
    "bindings/wasm/ci.sh",
    "bindings/wasm/package.json",
    "bindings/wasm/js",
    "bindings/wasm/src",
    "bindings/wasm/test",
    "bindings/wasm/www",
];

/// Never walked: data copied from elsewhere, build outputs, installed tools.
fn skipped(rel: &Path) -> bool {
    rel.starts_with("tests/fixtures")
        || rel.components().any(|c| {
            matches!(
                c.as_os_str().to_str(),
                Some("node_modules" | "target" | "pkg" | "test-output")
            )
        })
        // Copied by build.sh from examples/; not tracked.
        || rel.starts_with("bindings/wasm/www/examples")
}

fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    if skipped(rel) {
        return;
    }
    let path = root.join(rel);
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .map(|e| rel.join(e.expect("directory entry").file_name()))
            .collect();
        entries.sort();
        for entry in entries {
            walk(root, &entry, out);
        }
    } else if path.is_file() {
        out.push(rel.to_path_buf());
    }
}

#[test]
fn nothing_points_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for r in ROOTS {
        walk(root, Path::new(r), &mut files);
    }
    assert!(
        files.iter().any(|f| f == Path::new("README.md")),
        "README.md is checked"
    );
    assert!(
        files.iter().any(|f| f.starts_with("src")),
        "src/ is checked"
    );
    let forbidden = forbidden();
    let mut found = Vec::new();
    for file in &files {
        // Text only; images, .wasm and the like cannot hold a path we follow.
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            let hits: Vec<&str> = forbidden
                .iter()
                .filter(|f| line.contains(f.as_str()))
                .map(String::as_str)
                .collect();
            if !hits.is_empty() {
                found.push(format!(
                    "{}:{}: {}: {}",
                    file.display(),
                    i + 1,
                    hits.join(", "),
                    line.trim()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "paths outside the repository:\n{}",
        found.join("\n")
    );
}

#[test]
fn realworld_fixtures_are_in_the_repository() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realworld");
    for name in ["SOURCES.md", "expect.json"] {
        assert!(
            dir.join(name).is_file(),
            "{} is missing",
            dir.join(name).display()
        );
    }
}
