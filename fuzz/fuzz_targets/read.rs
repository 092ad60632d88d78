//! Reading a scenario within the default limits: an error or a cluster,
//! never a panic, an abort or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let limits = podplan::Limits::default();
    if let Some(cluster) = common::scenario(data, &limits) {
        assert!(cluster.pods.len() <= limits.max_pods);
        assert!(cluster.nodes.len() <= limits.max_nodes);
    }
});
