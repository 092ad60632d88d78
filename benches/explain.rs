//! explain at Kubernetes scale: 1,000 pending pods against 5,000 nodes
//! carrying 100,000 bound pods; a third of the pending pods with required
//! pod anti-affinity, a third with zone topology spread.
//!
//! Two shapes: pending pods as replicas of 50 Deployments (what clusters
//! have; identical replicas are filtered once), and 1,000 pods that are all
//! different (the worst case: 5 million pod × node filter calls).

use criterion::{criterion_group, criterion_main, Criterion};
use podplan::generate::{generate, GenerateOptions};
use podplan::{explain, read_scenario, ExplainOptions, Input};
use std::time::Duration;

fn scenario(pending_workloads: usize) -> podplan::model::Cluster {
    let text = generate(&GenerateOptions {
        nodes: 5000,
        bound_pods: 100_000,
        pending_pods: 1000,
        pending_workloads,
        seed: 7,
    })
    .to_string();
    read_scenario(&[Input::new("generated.json", &text)]).expect("generated scenario reads")
}

fn bench_explain(c: &mut Criterion) {
    let options = ExplainOptions {
        summary: true,
        ..ExplainOptions::default()
    };
    let mut group = c.benchmark_group("explain_5000n_100000b_1000p");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    let workloads = scenario(50);
    group.bench_function("50_deployments", |b| {
        b.iter(|| explain(&workloads, &options).expect("explain"))
    });
    let distinct = scenario(0);
    group.bench_function("1000_distinct_pods", |b| {
        b.iter(|| explain(&distinct, &options).expect("explain"))
    });
    group.finish();
}

criterion_group!(benches, bench_explain);
criterion_main!(benches);
