//! The capacity-planning ladder: per size, simulate's cost (kube-scheduler
//! and cluster-autoscaler), place's cost, its proven lower bound, the gap
//! and the times (parsing included), as a Markdown table.
//!
//! ```sh
//! cargo run --release --example ladder            # all sizes
//! cargo run --release --example ladder -- xs s m  # some
//! ```

use podplan::check::validate_plan;
use podplan::generate::{ladder, LadderSize};
use podplan::{place, read_scenario, simulate, Input, PlaceOptions};
use std::time::Instant;

/// Peak resident memory of this process so far, in MiB (Linux).
fn peak_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or("?".into(), |kb| format!("{}", kb / 1024))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes: Vec<LadderSize> = if args.is_empty() {
        LadderSize::ALL.to_vec()
    } else {
        args.iter()
            .map(|a| LadderSize::parse(a).unwrap_or_else(|| panic!("unknown size {a}")))
            .collect()
    };
    println!("| size | pods | classes | simulate $/h | simulate s | place $/h | lower bound | gap | status | place s (parse incl.) | valid | peak MiB |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for size in sizes {
        let text = ladder(size, 1).to_string();
        let limit = 10.0;
        let t0 = Instant::now();
        let cluster = read_scenario(&[Input::new("ladder.json", &text)]).expect("reads");
        let left = limit - t0.elapsed().as_secs_f64();
        let plan = place(
            &cluster,
            &PlaceOptions {
                time_limit: left,
                repack: false,
            },
        )
        .expect("place");
        let place_secs = t0.elapsed().as_secs_f64();
        let valid = validate_plan(&cluster, &plan).is_ok();
        let t1 = Instant::now();
        let baseline = simulate(
            &cluster,
            &PlaceOptions {
                time_limit: 120.0,
                repack: false,
            },
        )
        .expect("simulate");
        let sim_secs = t1.elapsed().as_secs_f64();
        println!(
            "| {} | {} | {} | {:.3}{} | {:.2} | {:.3} | {:.3} | {:.2}% | {:?} | {:.2} | {} | {} |",
            size.name(),
            plan.stats.pods,
            plan.stats.pod_classes,
            baseline.cost,
            if baseline.unplaced.is_empty() {
                String::new()
            } else {
                format!(" ({} unplaced)", baseline.unplaced.len())
            },
            sim_secs,
            plan.cost,
            plan.lower_bound,
            plan.gap() * 100.0,
            plan.status,
            place_secs,
            valid,
            peak_mib()
        );
    }
}
