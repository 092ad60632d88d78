//! Writes one scenario of the sweep family ([`podplan::families`]) as a
//! kubectl-style List: `cargo run --example family -- SIZE SEED > f.json`.

use podplan::families::family;
use podplan::generate::LadderSize;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size = args
        .first()
        .and_then(|s| LadderSize::parse(s))
        .expect("size: xs, s, m, l or xl");
    let seed: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    println!("{}", family(size, seed));
}
