//! A sweep of `place` over many seeds of the scenario family
//! ([`podplan::families`]), which `place` was not tuned on: per size, the
//! distribution (median and worst) of the gap to the proven bound and of the
//! wall time (parsing included), how many plans the validator accepts, how
//! many are proven optimal, and the cost ratio of `place` to `simulate`
//! (kube-scheduler + cluster-autoscaler) and to a first-fit-decreasing
//! baseline written here, independently of the library's solvers.
//!
//! ```sh
//! cargo run --release --example sweep                    # xs s m: 20 seeds, l xl: 5
//! cargo run --release --example sweep -- s 5             # one size, 5 seeds
//! cargo run --release --example sweep -- m 20 --limit 10 # time limit (s)
//! ```
//! Add `--rows` to print one row per scenario too, `--no-ffd` to skip the
//! first-fit-decreasing baseline (slow at 150,000 pods), `--place-only` to
//! skip both baselines.

use podplan::check::validate_plan;
use podplan::families::family;
use podplan::generate::LadderSize;
use podplan::model::{Cluster, NodeId, PodId, PoolId};
use podplan::predicates::{filter, PodState, Snapshot};
use podplan::{place, read_scenario, simulate, Input, PlaceOptions, PlaceReport};
use std::collections::HashMap;
use std::time::Instant;

/// One scenario's outcome.
struct Row {
    seed: u64,
    pods: usize,
    status: String,
    cost: f64,
    bound: f64,
    gap: f64,
    secs: f64,
    valid: bool,
    unplaced: usize,
    simulate: f64,
    ffd: Option<f64>,
    ffd_valid: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows_too = args.iter().any(|a| a == "--rows");
    let limit: f64 = flag(&args, "--limit").unwrap_or(10.0);
    let place_only = args.iter().any(|a| a == "--place-only");
    let with_ffd = !place_only && !args.iter().any(|a| a == "--no-ffd");
    let first_seed: u64 = flag(&args, "--first-seed").unwrap_or(1);
    let plain: Vec<&String> = positional(&args);
    let plan: Vec<(LadderSize, u64)> = match plain.as_slice() {
        [] => vec![
            (LadderSize::Xs, 20),
            (LadderSize::S, 20),
            (LadderSize::M, 20),
            (LadderSize::L, 5),
            (LadderSize::Xl, 5),
        ],
        [size] => vec![(parse_size(size), 20)],
        [size, seeds, ..] => vec![(parse_size(size), seeds.parse().expect("seeds"))],
    };
    println!("| size | seeds | pods | valid | optimal | infeasible | gap median | gap worst | time median s | time worst s | place/simulate | place/FFD |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (size, seeds) in plan {
        let rows: Vec<Row> = (first_seed..first_seed + seeds)
            .map(|seed| run(size, seed, limit, with_ffd, !place_only))
            .inspect(|r| {
                if rows_too {
                    eprintln!(
                        "{} seed {:>3}: {} cost {:.3} bound {:.3} gap {:.2}% {:.2}s valid {} unplaced {} simulate {:.3} ffd {:?} (valid {})",
                        size.name(), r.seed, r.status, r.cost, r.bound, r.gap * 100.0, r.secs,
                        r.valid, r.unplaced, r.simulate, r.ffd.map(|c| (c * 1000.0).round() / 1000.0), r.ffd_valid
                    );
                }
            })
            .collect();
        summarise(size, &rows);
    }
}

fn flag<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.parse().ok()
}

fn positional(args: &[String]) -> Vec<&String> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if a == "--limit" || a == "--first-seed" {
            skip = true;
        } else if !a.starts_with("--") {
            out.push(a);
        }
    }
    out
}

fn parse_size(s: &str) -> LadderSize {
    LadderSize::parse(s).unwrap_or_else(|| panic!("unknown size {s}"))
}

/// Generates, reads and plans one scenario; runs the baselines.
fn run(size: LadderSize, seed: u64, limit: f64, with_ffd: bool, with_simulate: bool) -> Row {
    let text = family(size, seed).to_string();
    let t0 = Instant::now();
    let cluster = read_scenario(&[Input::new("family.json", &text)]).expect("reads");
    let left = (limit - t0.elapsed().as_secs_f64()).max(0.01);
    let options = PlaceOptions {
        time_limit: left,
        repack: false,
    };
    let plan = place(&cluster, &options).expect("place");
    let secs = t0.elapsed().as_secs_f64();
    let valid = validate_plan(&cluster, &plan).is_ok();
    let options = PlaceOptions {
        time_limit: 600.0,
        repack: false,
    };
    let baseline = with_simulate.then(|| simulate(&cluster, &options).expect("simulate"));
    let ffd = with_ffd.then(|| first_fit_decreasing(&cluster)).flatten();
    let ffd_valid = ffd.as_ref().is_none_or(|f| {
        let checked = validate_plan(&cluster, &f.report(&cluster, &plan));
        if let Err(v) = &checked {
            eprintln!("seed {seed}: FFD plan invalid: {:?}", &v[..v.len().min(3)]);
        }
        checked.is_ok()
    });
    Row {
        seed,
        pods: plan.stats.pods,
        status: format!("{:?}", plan.status).to_lowercase(),
        cost: plan.cost,
        bound: plan.lower_bound,
        gap: gap(&plan),
        secs,
        valid,
        unplaced: plan.unplaced.len(),
        simulate: match &baseline {
            Some(b) if b.unplaced.len() <= plan.unplaced.len() => b.cost,
            _ => f64::NAN,
        },
        ffd: ffd.as_ref().map(|f| f.cost),
        ffd_valid,
    }
}

/// `cost / lowerBound - 1`, as reports define it.
fn gap(plan: &PlaceReport) -> f64 {
    plan.gap()
}

/// First-fit decreasing over kube-scheduler's filters: pending pods by
/// decreasing requests (CPU cores plus memory GiB), each on the first node
/// (existing, then opened) that passes every filter, else on a new node of
/// the cheapest pool whose node takes it (one try per zone). The cost of
/// the opened nodes, or None when a pod is left over.
fn first_fit_decreasing(cluster: &Cluster) -> Option<Ffd> {
    let mut pods: Vec<PodId> = cluster.pending_pods().collect();
    let size = |p: &PodId| {
        let r = &cluster.pod(*p).spec.requests;
        r.milli_cpu as f64 / 1000.0 + r.memory as f64 / f64::from(1u32 << 30)
    };
    pods.sort_by(|a, b| size(b).total_cmp(&size(a)).then(a.cmp(b)));
    let mut snapshot = Snapshot::new(cluster);
    let mut pools: Vec<usize> = (0..cluster.pools.len()).collect();
    pools.sort_by(|a, b| {
        let c = |i: &usize| cluster.pools[*i].cost_per_hour;
        c(a).total_cmp(&c(b)).then(a.cmp(b))
    });
    let mut per_pool: Vec<u32> = cluster.nodes_per_pool();
    let mut added: Vec<usize> = vec![0; cluster.pools.len()];
    let mut cost = 0.0;
    // Per spec, the first node that may still take such a pod.
    let mut cursor: HashMap<usize, usize> = HashMap::new();
    for pod in pods {
        let state = PodState::new(&snapshot, pod);
        let key = std::sync::Arc::as_ptr(&cluster.pod(pod).spec) as usize;
        let from = cursor.get(&key).copied().unwrap_or(0);
        let found = (from..snapshot.node_count())
            .map(|i| NodeId(i as u32))
            .find(|&n| filter(&snapshot, &state, n).is_ok());
        if let Some(node) = found {
            cursor.insert(key, node.index());
            snapshot.assign(pod, node);
            continue;
        }
        open_node(
            cluster,
            &mut snapshot,
            &pools,
            &mut per_pool,
            &mut added,
            pod,
        )?;
    }
    // Pools below their minCount get the missing nodes, as any plan must.
    let mut new_nodes = std::collections::BTreeMap::new();
    for (p, pool) in cluster.pools.iter().enumerate() {
        let missing = pool.min_count.saturating_sub(per_pool[p]) as usize;
        let count = added[p] + missing;
        cost += count as f64 * pool.cost_per_hour;
        if count > 0 {
            new_nodes.insert(pool.name.clone(), count as u32);
        }
    }
    let mut assignments: Vec<(PodId, String)> = cluster
        .pending_pods()
        .filter_map(|p| {
            snapshot
                .placement(p)
                .map(|n| (p, snapshot.node(n).name.clone()))
        })
        .collect();
    assignments.sort();
    Some(Ffd {
        cost,
        assignments,
        new_nodes,
    })
}

/// The first-fit-decreasing plan.
struct Ffd {
    cost: f64,
    assignments: Vec<(PodId, String)>,
    new_nodes: std::collections::BTreeMap<String, u32>,
}

impl Ffd {
    /// The plan as a `place` report (on `template`'s other fields), so that
    /// the validator can check it.
    fn report(&self, cluster: &Cluster, template: &PlaceReport) -> PlaceReport {
        let mut r = template.clone();
        r.cost = self.cost;
        r.lower_bound = 0.0;
        r.status = podplan::report::place::PlanStatus::Feasible;
        r.new_nodes = self.new_nodes.clone();
        r.unplaced.clear();
        r.assignments = self
            .assignments
            .iter()
            .map(|(p, n)| podplan::report::place::Assignment {
                pod: cluster.pod(*p).key(),
                node: n.clone(),
            })
            .collect();
        r
    }
}

/// A new node of the cheapest pool that takes `pod`, placed; its pool.
/// Nodes tried in other zones on the way are kept (empty), so that new
/// nodes keep their names `<pool>-new-0..n`.
fn open_node(
    cluster: &Cluster,
    snapshot: &mut Snapshot,
    pools: &[usize],
    per_pool: &mut [u32],
    added: &mut [usize],
    pod: PodId,
) -> Option<usize> {
    for &p in pools {
        let pool = &cluster.pools[p];
        if pool.max_count.is_some_and(|m| per_pool[p] >= m) {
            continue;
        }
        // One try per zone: the pool's k-th new node is in zone k mod zones.
        for offset in 0..pool.zones.len().max(1) {
            if pool
                .max_count
                .is_some_and(|m| per_pool[p] + offset as u32 >= m)
            {
                break;
            }
            // The nodes of the zones skipped so far stay, empty.
            for skipped in 0..offset {
                snapshot.add_node(pool.new_node(PoolId(p as u32), added[p] + skipped));
            }
            let node = snapshot.add_node(pool.new_node(PoolId(p as u32), added[p] + offset));
            let state = PodState::new(snapshot, pod);
            if filter(snapshot, &state, node).is_ok() {
                snapshot.assign(pod, node);
                added[p] += offset + 1;
                per_pool[p] += offset as u32 + 1;
                return Some(p);
            }
            for _ in 0..=offset {
                snapshot.remove_last_node();
            }
        }
    }
    None
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn worst(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::max)
}

fn summarise(size: LadderSize, rows: &[Row]) {
    let gaps: Vec<f64> = rows.iter().map(|r| r.gap * 100.0).collect();
    let secs: Vec<f64> = rows.iter().map(|r| r.secs).collect();
    let ratio = |other: fn(&Row) -> Option<f64>| {
        let v: Vec<f64> = rows
            .iter()
            .filter_map(|r| {
                other(r)
                    .filter(|c| c.is_finite() && *c > 0.0)
                    .map(|c| r.cost / c)
            })
            .collect();
        format!("{:.3} (n={})", median(v.clone()), v.len())
    };
    println!(
        "| {} | {} | {:.0} | {}/{} | {} | {} | {:.2}% | {:.2}% | {:.2} | {:.2} | {} | {} |",
        size.name(),
        rows.len(),
        median(rows.iter().map(|r| r.pods as f64).collect()),
        rows.iter().filter(|r| r.valid).count(),
        rows.len(),
        rows.iter().filter(|r| r.status == "optimal").count(),
        rows.iter().filter(|r| r.status == "infeasible").count(),
        median(gaps.clone()),
        worst(&gaps),
        median(secs.clone()),
        worst(&secs),
        ratio(|r| Some(r.simulate)),
        ratio(|r| r.ffd),
    );
}
