//! `explain` (with the pools' new nodes and the fixes) on any scenario
//! that reads.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let Some(cluster) = common::scenario(data, &common::small_limits()) else {
        return;
    };
    let options = podplan::ExplainOptions {
        with_pools: true,
        fix: true,
        ..Default::default()
    };
    let _ = podplan::explain(&cluster, &options);
});
