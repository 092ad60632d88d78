//! `drain` of the scenario's first node, on any scenario that reads and
//! has a node.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let Some(cluster) = common::scenario(data, &common::small_limits()) else {
        return;
    };
    let Some(first) = cluster.nodes.first() else {
        return;
    };
    let options = podplan::DrainOptions {
        nodes: vec![first.name.clone()],
        ..Default::default()
    };
    let _ = podplan::drain(&cluster, &options);
});
