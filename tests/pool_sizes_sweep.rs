//! `place --pool-sizes auto` against the `sizes` table of every pool, on
//! random small scenarios of the second generator family. In a file of its
//! own: both sides run under time limits, and the other tests of
//! `tests/sizes.rs` (ladder m) would share the cores with them. A debug
//! build is ten times slower, unevenly so (the many short searches of
//! `--pool-sizes auto` more than a table's few), so CI runs it in release:
//! `cargo test --release --test pool_sizes_sweep`.

use podplan::check::validate_plan;
use podplan::generate::LadderSize;
use podplan::model::Cluster;
use podplan::{place, read_scenario, sizes, with_pool_sizes, Input, PlaceOptions, SizesOptions};

fn options(pool: &str, time_limit: f64) -> SizesOptions {
    SizesOptions {
        pool: pool.into(),
        time_limit,
        ..Default::default()
    }
}

/// Whether `--pool-sizes auto` keeps some of pool `pool` at its own size:
/// its `minCount` nodes, and pods that select it by its agentpool label
/// (its other sizes are other pools, with their own names, as on AKS).
fn kept_at_own_size(cluster: &Cluster, pool: &str) -> bool {
    let min_count = cluster
        .pools
        .iter()
        .any(|p| p.name == pool && p.min_count > 0);
    min_count
        || cluster.pods.iter().any(|p| {
            p.spec
                .node_selector
                .get("kubernetes.azure.com/agentpool")
                .map(String::as_str)
                == Some(pool)
        })
}

/// The sizes table of every pool of `cluster` whose VM size has other
/// priced sizes and that no pod selects by name: the cheapest single size
/// of each.
fn best_single_sizes(cluster: &Cluster, time_limit: f64) -> Vec<(String, f64, usize)> {
    let (wider, _) = with_pool_sizes(cluster, None);
    let resized: std::collections::BTreeSet<String> = wider
        .pools
        .iter()
        .filter_map(|p| p.resized_from.clone())
        .collect();
    resized
        .into_iter()
        .filter(|pool| !kept_at_own_size(cluster, pool))
        .filter_map(|pool| {
            let table = sizes(cluster, &options(&pool, time_limit)).ok()?;
            let best = table.rows.iter().find(|r| r.sizes.len() == 1)?.clone();
            Some((pool, best.cost, best.unplaced))
        })
        .collect()
}

/// On the second generator family (small scenarios, random pools of
/// several VM sizes), `place --pool-sizes auto`, given the time the
/// tables took, places as many pods as the best single size of every
/// pool's table, never dearer, and its plan validates (pools that pods
/// select by agentpool name, or with a minCount, aside: see
/// `kept_at_own_size`).
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "time-limited on both sides: .ci/run runs it with --release"
)]
fn auto_is_never_worse_than_any_single_size_on_random_small_scenarios() {
    const TABLE_TIME: f64 = 2.0;
    for seed in 1..=12 {
        let text = podplan::families::family(LadderSize::Xs, seed).to_string();
        let cluster = read_scenario(&[Input::new("family", &text)]).unwrap();
        let singles = best_single_sizes(&cluster, TABLE_TIME);
        let (wider, _) = with_pool_sizes(&cluster, None);
        let plan = place(
            &wider,
            &PlaceOptions {
                time_limit: TABLE_TIME * singles.len() as f64,
                repack: false,
            },
        )
        .unwrap();
        if let Err(problems) = validate_plan(&wider, &plan) {
            panic!("seed {seed}: invalid auto plan: {problems:?}");
        }
        for (pool, cost, unplaced) in singles {
            eprintln!("seed {seed} {pool}: single {cost:.3} auto {:.3}", plan.cost);
            assert!(
                (plan.unplaced.len(), plan.cost) <= (unplaced, cost + 1e-6),
                "seed {seed}, pool {pool}: auto {} ({} unplaced) > best single {cost} ({unplaced})",
                plan.cost,
                plan.unplaced.len()
            );
        }
    }
}
