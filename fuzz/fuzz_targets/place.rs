//! `place` with a 0.2 s limit on any scenario that reads: a report or an
//! error, within the time limit's order of magnitude.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let Some(cluster) = common::scenario(data, &common::small_limits()) else {
        return;
    };
    let options = podplan::PlaceOptions {
        time_limit: 0.2,
        repack: false,
    };
    let _ = podplan::place(&cluster, &options);
});
