//! A search step of `place` that uses the time the others leave: while
//! the search deadline is ahead, take one node off a pool of the best
//! plan (dearest pool first, then round the pools again) and pack the
//! rest plainly in a shuffled most-constrained-first class order
//! (completed with added nodes and repaired, as every packing); keep it
//! when it beats the best plan. The shuffles are seeded: a run is
//! reproducible for a given amount of time. This is the randomized
//! restart of a first-fit decreasing that the exact steps before it
//! (shrink, swap, enumeration) leave untried.

use super::config_bound::Published;
use super::search::Search;

/// Packings after which a round that finds nothing better ends the
/// polishing (shuffles keep finding new packings, so a few fruitless
/// rounds are allowed on small problems).
const MOST_FRUITLESS_TRIES: usize = 400;

/// Shuffled orders tried per count vector before the next pool.
const ORDERS_PER_VECTOR: usize = 4;

impl Search<'_, '_> {
    /// End of step 10, polish: randomized plain packings of one node fewer per
    /// pool, until the search deadline, the plan meets a bound `known`
    /// (published as it is proven, [`super::config_bound`]) or the search
    /// sees, or a round over the pools finds nothing better once
    /// [`MOST_FRUITLESS_TRIES`] packings have been tried.
    pub fn polish(&mut self, known: &Published) {
        let mut seed = 0x5851_F42D_4C95_7F2Du64;
        let mut tries = 0usize;
        loop {
            let (tried, improved) = self.polish_round(known, &mut seed);
            tries += tried;
            if tried == 0 || (!improved && tries >= MOST_FRUITLESS_TRIES) {
                break;
            }
        }
        self.setup
            .trace
            .say(|| format!("polished ({tries} packings)"));
    }

    /// One round over the pools, dearest first: packings tried, and
    /// whether one beat the best plan. Tries nothing once the deadline
    /// has passed or the plan meets a known bound.
    fn polish_round(&mut self, known: &Published, seed: &mut u64) -> (usize, bool) {
        let (mut tried, mut improved) = (0, false);
        for pi in self.setup.pools_by_cost.clone() {
            if self.setup.budget.search_over() || self.meets_a_known_bound(known) {
                break;
            }
            if self.best.pool_nodes[pi] == 0 {
                continue;
            }
            let mut fewer = self.best.pool_nodes.clone();
            fewer[pi] -= 1;
            for _ in 0..ORDERS_PER_VECTOR {
                let order = self.shuffled_order(seed);
                let trial = self.setup.plain(&fewer, &order);
                tried += 1;
                self.packings += 1;
                if trial.better_than(&self.best, self.setup.p) {
                    self.replace_best(trial, false);
                    improved = true;
                    break;
                }
            }
        }
        (tried, improved)
    }

    /// Whether the best plan places every pod at the cost of a bound the
    /// search already holds (the sizing LP's, the enumeration's, `known`): no
    /// packing can beat it then.
    fn meets_a_known_bound(&self, known: &Published) -> bool {
        let setup = &self.setup;
        if !self.best.leftover.is_empty() {
            return false;
        }
        let cost = self.best.cost(setup.p);
        let sized = setup
            .sizing
            .as_ref()
            .filter(|b| b.unplaced_pods < 1e-9)
            .map_or(0.0, |b| b.value);
        let known = sized
            .max(self.enumerated_bound.unwrap_or(0.0))
            .max(known.get());
        cost <= known + 1e-6 * (1.0 + cost)
    }

    /// The most-constrained-first class order, shuffled by a xorshift
    /// step of `seed`.
    fn shuffled_order(&self, seed: &mut u64) -> Vec<usize> {
        let mut order = self.setup.constrained.clone();
        for i in (1..order.len()).rev() {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            order.swap(i, (*seed % (i as u64 + 1)) as usize);
        }
        order
    }
}
