//! The CLI: exit codes (0 all fit, 1 some pod fits nowhere, 2 bad input),
//! output formats, stdin, and error messages naming file, object and field.

use std::io::Write;
use std::process::{Command, Stdio};

fn podplan(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_podplan"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("podplan runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn explain_example_exits_1_because_some_pods_fit_nowhere() {
    let (code, out, _) = podplan(&["explain", "examples/aks-multitenant.yaml"], None);
    assert_eq!(code, 1);
    assert!(
        out.contains("analytics/reports-0  [UNSCHEDULABLE]"),
        "{out}"
    );
    assert!(out.contains("Insufficient memory"));
}

#[test]
fn explain_json_is_the_spec_report() {
    let (code, out, _) = podplan(
        &[
            "explain",
            "examples/aks-multitenant.yaml",
            "--output",
            "json",
            "--pod",
            "shop/web-0",
        ],
        None,
    );
    assert_eq!(code, 0, "web-0 fits");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["pods"][0]["pod"], "shop/web-0");
    assert_eq!(v["pods"][0]["feasibleNodes"].as_array().unwrap().len(), 3);
    assert_eq!(
        v["pods"][0]["filtered"]["aks-gpu-0"][0]["plugin"],
        "TaintToleration"
    );
}

#[test]
fn explain_summary_json_lists_feasible_nodes_once_per_verdict() {
    let json = |extra: &[&str]| {
        let mut args = vec!["explain", "examples/aks-multitenant.yaml", "-o", "json"];
        args.extend_from_slice(extra);
        let (code, out, _) = podplan(&args, None);
        assert_eq!(code, 0, "with new pool nodes every pod fits");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let full = json(&["--with-pools"]);
    let summary = json(&["--with-pools", "--summary"]);
    assert!(full.get("feasibleGroups").is_none());
    let groups = summary["feasibleGroups"].as_array().unwrap();
    let (fp, sp) = (
        full["pods"].as_array().unwrap(),
        summary["pods"].as_array().unwrap(),
    );
    assert_eq!(fp.len(), sp.len());
    for (f, s) in fp.iter().zip(sp) {
        // Same pod, same nodes; the summary names them through its group.
        assert_eq!(f["pod"], s["pod"]);
        assert!(s.get("feasibleNodes").is_none() && f.get("feasibleGroup").is_none());
        let group = &groups[s["feasibleGroup"].as_u64().unwrap() as usize];
        assert_eq!(group["feasibleNodes"], f["feasibleNodes"], "{}", s["pod"]);
        let count = f["feasibleNodes"].as_array().unwrap().len();
        assert_eq!(s["feasibleCount"], count);
        assert_eq!(f["feasibleCount"], count);
    }
    assert_eq!(sp[0]["feasibleGroup"], 0);
    assert_eq!(groups.len(), 5, "one group per workload");
}

#[test]
fn json_list_example_matches_yaml_example() {
    let (_, yaml, _) = podplan(
        &["explain", "examples/aks-multitenant.yaml", "-o", "json"],
        None,
    );
    let (_, json, _) = podplan(
        &["explain", "examples/aks-multitenant.json", "-o", "json"],
        None,
    );
    assert_eq!(yaml, json);
}

#[test]
fn stdin_is_read_with_dash() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/aks-multitenant.yaml"),
    )
    .unwrap();
    let (code, out, _) = podplan(&["explain", "-", "--summary"], Some(&text));
    assert_eq!(code, 1);
    assert!(out.contains("node(s)"));
}

#[test]
fn bad_inputs_exit_2_naming_file_object_and_field() {
    let cases: &[(&str, &[&str])] = &[
        (
            r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"default"},"spec":{"containers":[{"name":"c","resources":{"requests":{"cpu":"12x"}}}]}}"#,
            &[
                "<stdin>",
                "Pod default/web-1",
                "spec.containers[0].resources.requests.cpu",
                "12x",
            ],
        ),
        (
            r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"#,
            &["<stdin>"],
        ),
        ("", &["<stdin>"]),
        (
            r#"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d"},"spec":{"replicas":"three"}}"#,
            &["Deployment default/d", "spec.replicas"],
        ),
        (
            r#"{"kind":"Pod","apiVersion":"v1","metadata":{"namespace":"x"},"spec":{"containers":[]}}"#,
            &["Pod", "metadata.name"],
        ),
    ];
    for (input, needles) in cases {
        let (code, _, err) = podplan(&["explain", "-"], Some(input));
        assert_eq!(code, 2, "input {input:?} -> {err}");
        for n in *needles {
            assert!(
                err.contains(n),
                "error for {input:?} should mention {n:?}: {err}"
            );
        }
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn missing_file_exits_2() {
    let (code, _, err) = podplan(&["explain", "does-not-exist.yaml"], None);
    assert_eq!(code, 2);
    assert!(err.contains("does-not-exist.yaml"));
}

/// Files are mapped, not copied: a mapped file reads like one read into
/// memory, and an empty file, a directory and bytes that are not UTF-8
/// are errors naming the file.
#[test]
fn mapped_files_read_as_before_and_bad_files_are_named() {
    let dir = std::env::temp_dir().join(format!("podplan-cli-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/aks-multitenant.yaml"),
    )
    .unwrap();
    let copy = dir.join("copy.yaml");
    std::fs::write(&copy, &example).unwrap();
    let from_file = podplan(&["explain", copy.to_str().unwrap(), "-o", "json"], None);
    let from_stdin = podplan(&["explain", "-", "-o", "json"], Some(&example));
    assert_eq!(from_file.0, from_stdin.0);
    assert_eq!(from_file.1, from_stdin.1);

    let empty = dir.join("empty.yaml");
    std::fs::write(&empty, "").unwrap();
    let (code, _, err) = podplan(&["explain", empty.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(err.contains("empty.yaml"), "{err}");

    let latin1 = dir.join("latin1.yaml");
    std::fs::write(&latin1, b"kind: Node\nmetadata: {name: caf\xe9}\n").unwrap();
    let (code, _, err) = podplan(&["explain", latin1.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(
        err.contains("latin1.yaml: not UTF-8 text (invalid byte at offset 31)"),
        "{err}"
    );

    let (code, _, err) = podplan(&["explain", dir.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(err.contains(dir.to_str().unwrap()), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `podplan generate | head` must not panic when the reader goes away.
#[test]
fn a_closed_stdout_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_podplan"))
        .args(["generate", "--nodes", "200", "--bound-pods", "20000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("podplan runs");
    // Close the pipe before podplan writes its megabytes.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

const PRICED: &str = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: est}
spec: {vmSize: Standard_D8s_v5, region: westeurope, maxCount: 3}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers: [{name: c, image: x, resources: {requests: {cpu: "1", memory: 1Gi}}}]
"#;

#[test]
fn prices_estimated_from_the_catalogue_or_a_price_file() {
    let (code, out, err) = podplan(&["place", "-", "-o", "json"], Some(PRICED));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"cost\": 0.46"), "{out}");
    assert!(out.contains("\"priceEstimated\": true"), "{out}");
    assert!(
        err.contains("NodePool est: no costPerHour; estimated 0.46/h for Standard_D8s_v5 westeurope Linux Regular (source karpenter-provider-azure@2b431da, 2026-06-18)"),
        "{err}"
    );
    let dir = std::env::temp_dir().join(format!("podplan-cli-prices-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "armSkuName,armRegionName,os,priority,retailPrice,source,date\n\
         Standard_D8s_v5,westeurope,Linux,Regular,0.5,mine,2026-12-01\n",
    )
    .unwrap();
    let good = good.to_str().unwrap();
    let (code, out, err) = podplan(&["place", "-", "--prices", good], Some(PRICED));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("0.500*"), "{out}");
    assert!(
        err.contains("estimated 0.5/h") && err.contains("mine"),
        "{err}"
    );
    assert!(!err.contains("0.46"), "{err}");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "Standard_D8s_v5,westeurope,Linux,Regular,x\n").unwrap();
    let bad = bad.to_str().unwrap();
    // A file, not stdin: the price file is read first, so stdin is not.
    let scenario = dir.join("priced.yaml");
    std::fs::write(&scenario, PRICED).unwrap();
    let scenario = scenario.to_str().unwrap();
    for command in ["place", "simulate", "sizes"] {
        let mut args = vec![command, scenario, "--prices", bad];
        if command == "sizes" {
            args.extend(["--pool", "est"]);
        }
        let (code, _, err) = podplan(&args, None);
        assert_eq!(code, 2, "{command}: {err}");
        assert!(
            err.contains("bad.csv: line 1: retailPrice: must be a number ≥ 0, got \"x\""),
            "{command}: {err}"
        );
    }
    let (code, out, err) = podplan(
        &["sizes", "-", "--pool", "est", "--time-limit", "2"],
        Some(PRICED),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("region westeurope   Linux Regular"), "{out}");
    assert!(out.contains("Standard_D2s_v5"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `-o yaml` is the JSON report as YAML, for every operation that prints
/// a report (as `kubectl -o yaml`).
#[test]
fn yaml_output_equals_the_json_report() {
    let example = "examples/aks-multitenant.yaml";
    let runs: [&[&str]; 5] = [
        &["explain", example],
        &["place", example, "--time-limit", "2"],
        &["drain", example, "--pool", "general", "--surge", "1"],
        &["headroom", example, "--workload", "shop/db"],
        &["tenancy", example, "--time-limit", "3"],
    ];
    for args in runs {
        let (code, json, err) = podplan(&[args, &["-o", "json"]].concat(), None);
        assert!(code == 0 || code == 1, "{args:?}: {err}");
        let (code_yaml, yaml, err) = podplan(&[args, &["-o", "yaml"]].concat(), None);
        assert_eq!(code, code_yaml, "{args:?}: {err}");
        let mut from_json: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut from_yaml: serde_json::Value = serde_norway::from_str(&yaml).unwrap();
        for v in [&mut from_json, &mut from_yaml] {
            if let Some(stats) = v.get_mut("stats").and_then(|s| s.as_object_mut()) {
                stats.remove("solveMillis");
            }
        }
        assert!(same_values(&from_yaml, &from_json), "{args:?}:\n{yaml}");
    }
}

/// Equal values, numbers to within a few units in the last place (the
/// YAML reader's float parsing is not always correctly rounded).
fn same_values(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_values(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_values(v, w)))
        }
        _ => a == b,
    }
}

/// Completions for bash, zsh and fish name the subcommands.
#[test]
fn completions_for_three_shells() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = podplan(&["completions", shell], None);
        assert_eq!(code, 0, "{shell}: {err}");
        for sub in ["explain", "place", "drain", "tenancy", "sizes"] {
            assert!(out.contains(sub), "{shell}: no {sub}");
        }
    }
    let (code, _, err) = podplan(&["completions", "tcsh"], None);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
}

/// `kubectl-podplan` is the same command under kubectl's plugin name.
#[test]
fn kubectl_plugin_binary_runs_the_same_command() {
    let run = |bin: &str| {
        Command::new(bin)
            .args(["explain", "examples/aks-multitenant.yaml", "-o", "json"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    let plugin = run(env!("CARGO_BIN_EXE_kubectl-podplan"));
    let direct = run(env!("CARGO_BIN_EXE_podplan"));
    assert_eq!(plugin.status.code(), direct.status.code());
    assert_eq!(plugin.stdout, direct.stdout);
}

/// The README's set-up runs `cargo run --release -- explain ...`: with two
/// binaries (`podplan`, `kubectl-podplan`) cargo needs `default-run`.
#[test]
fn cargo_run_picks_the_podplan_binary() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let bins = manifest.matches("[[bin]]").count();
    assert!(bins >= 2);
    assert!(manifest.contains("default-run = \"podplan\""));
}
