//! drain at Kubernetes scale: a whole 1,000-node pool of a 5,000-node
//! cluster running 150,000 pods of 2,000 workloads, each under a PDB
//! (`podplan generate --drain-workloads 2000 --nodes 5000 --bound-pods
//! 150000`, then `drain --pool drain`). Parsing excluded.

use criterion::{criterion_group, criterion_main, Criterion};
use podplan::generate::{drain_scenario, DrainScenarioOptions};
use podplan::{drain, read_scenario, DrainOptions, Input};
use std::time::Duration;

fn bench_drain(c: &mut Criterion) {
    let text = drain_scenario(&DrainScenarioOptions {
        nodes: 5000,
        pods: 150_000,
        workloads: 2000,
        seed: 1,
    })
    .to_string();
    let cluster =
        read_scenario(&[Input::new("running.json", &text)]).expect("generated scenario reads");
    let options = DrainOptions {
        pool: Some("drain".into()),
        ..DrainOptions::default()
    };
    let report = drain(&cluster, &options).expect("drain");
    eprintln!(
        "drain pool: {} nodes, {} evictions, {} waves (lower bound {}), {} blockers",
        report.stats.nodes,
        report.stats.evictions,
        report.waves.len(),
        report.wave_lower_bound,
        report.blockers.len()
    );
    let mut group = c.benchmark_group("drain_5000n_150000p_2000pdb");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("pool_of_1000_nodes", |b| {
        b.iter(|| drain(&cluster, &options).expect("drain"))
    });
    group.finish();
}

criterion_group!(benches, bench_drain);
criterion_main!(benches);
