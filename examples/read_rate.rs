//! How fast a dump is read: `cargo run --release --example read_rate FILE...`
//! prints the bytes, the median and best of five reads, and their rates
//! (MB/s; the best is the steadier figure on a shared machine). The text is
//! already in memory: the CLI maps its files, which costs no copy.

use podplan::{read_scenario, Input};
use std::time::Instant;

fn main() {
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path).expect("readable file");
        let mut times: Vec<f64> = (0..5)
            .map(|_| {
                let start = Instant::now();
                let cluster = read_scenario(&[Input::new(&path, &text)]).expect("valid scenario");
                let secs = start.elapsed().as_secs_f64();
                drop(cluster);
                secs
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let mb = text.len() as f64 / 1e6;
        println!(
            "{path}: {mb:.1} MB, median {:.3} s ({:.0} MB/s), best {:.3} s ({:.0} MB/s)",
            times[2],
            mb / times[2],
            times[0],
            mb / times[0]
        );
    }
}
