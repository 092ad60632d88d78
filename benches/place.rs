//! place and simulate on the capacity-planning ladder (`podplan generate
//! --ladder SIZE`): xs, s and m, `--time-limit 10`, parsing excluded. The
//! full table with costs, bounds and gaps up to xl is printed by
//! `cargo run --release --example ladder` (BENCHMARKS.md).

use criterion::{criterion_group, criterion_main, Criterion};
use podplan::generate::{ladder, LadderSize};
use podplan::{place, read_scenario, simulate, Input, PlaceOptions};
use std::time::Duration;

fn bench_ladder(c: &mut Criterion) {
    let options = PlaceOptions {
        time_limit: 10.0,
        repack: false,
    };
    let mut group = c.benchmark_group("ladder");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    for size in [LadderSize::Xs, LadderSize::S, LadderSize::M] {
        let text = ladder(size, 1).to_string();
        let cluster = read_scenario(&[Input::new("ladder.json", &text)]).expect("ladder reads");
        let name = format!("{size:?}").to_lowercase();
        let report = place(&cluster, &options).expect("place");
        let baseline = simulate(&cluster, &options).expect("simulate");
        eprintln!(
            "ladder {name}: place {:.3}/h (bound {:.3}, gap {:.2}%), simulate {:.3}/h",
            report.cost,
            report.lower_bound,
            report.gap() * 100.0,
            baseline.cost
        );
        group.bench_function(format!("place_{name}"), |b| {
            b.iter(|| place(&cluster, &options).expect("place"))
        });
        group.bench_function(format!("simulate_{name}"), |b| {
            b.iter(|| simulate(&cluster, &options).expect("simulate"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_ladder);
criterion_main!(benches);
