//! What every target shares: the fuzzer's bytes as one scenario file.

use podplan::model::Cluster;
use podplan::{read_scenario_with, Input, Limits};

/// The limits of the targets that run an operation: smaller than the
/// defaults, so that executions stay fast (the `read` target checks the
/// defaults).
#[allow(dead_code)] // not used by the read target
pub fn small_limits() -> Limits {
    Limits {
        max_pods: 20_000,
        max_workload_replicas: 20_000,
        max_nodes: 500,
        ..Limits::default()
    }
}

/// The scenario of `data` (UTF-8 text, JSON or YAML) within `limits`, if
/// it is one; a reading error is fine, a panic is a bug.
pub fn scenario(data: &[u8], limits: &Limits) -> Option<Cluster> {
    let text = std::str::from_utf8(data).ok()?;
    let name = if text.trim_start().starts_with(['{', '[']) {
        "fuzz.json"
    } else {
        "fuzz.yaml"
    };
    let cluster = read_scenario_with(&[Input::new(name, text)], limits);
    if let Err(e) = &cluster {
        // Every error names the input (or is an option error).
        let message = e.to_string();
        assert!(!message.is_empty());
    }
    cluster.ok()
}
