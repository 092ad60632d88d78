//! Rounding a lower bound up to a cost some plan can have: every plan's
//! cost is `sum_p n_p * price_p` over whole numbers of new nodes `n_p`
//! (at most each pool's room), so no plan costs strictly between a bound
//! and the smallest such sum at or above it. With one price this is
//! `ceil(LB)` nodes; with several, a subset-sum over the prices (the
//! integrality step of the notes' §4).

use super::problem::Problem;

/// Steps of the walk over count vectors before it gives up (and the
/// bound stays as it was).
const ROUNDING_STEPS: usize = 200_000;

/// The smallest cost of whole new nodes per pool that is at least
/// `lower`, and at most `upper` (a cost some plan has, so every plan
/// costs at least the answer); `lower` itself when the walk is too long.
pub(crate) fn round_up_to_achievable(p: &Problem, lower: f64, upper: f64) -> f64 {
    if upper <= lower {
        return lower;
    }
    let mut pools: Vec<(f64, u32)> = p
        .cluster
        .pools
        .iter()
        .zip(&p.pool_room)
        .filter(|(pool, room)| pool.cost_per_hour > 0.0 && **room > 0)
        .map(|(pool, room)| (pool.cost_per_hour, *room))
        .collect();
    pools.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut rest = vec![0.0; pools.len() + 1];
    for k in (0..pools.len()).rev() {
        rest[k] = rest[k + 1] + pools[k].0 * f64::from(pools[k].1);
    }
    let mut walk = RoundUp {
        pools: &pools,
        rest: &rest,
        target: lower - 1e-9,
        best: upper,
        steps: 0,
    };
    walk.descend(0, 0.0);
    if walk.steps > ROUNDING_STEPS {
        return lower;
    }
    walk.best.max(lower)
}

/// The depth-first walk of [`round_up_to_achievable`], dearest pool first.
struct RoundUp<'a> {
    /// (price, room) of each priced pool.
    pools: &'a [(f64, u32)],
    /// Per position, the most the pools from there on can add.
    rest: &'a [f64],
    target: f64,
    /// The smallest sum at or above the target found so far.
    best: f64,
    steps: usize,
}

impl RoundUp<'_> {
    /// Every count of pool `k` and the ones after it, `spent` on those
    /// before.
    fn descend(&mut self, k: usize, spent: f64) {
        self.steps += 1;
        if self.steps > ROUNDING_STEPS {
            return;
        }
        if spent >= self.target {
            self.best = self.best.min(spent);
            return;
        }
        if k == self.pools.len() || spent + self.rest[k] < self.target {
            return;
        }
        let (price, room) = self.pools[k];
        // Fewer of this pool cannot reach the target with all the rest.
        let short = self.target - spent - self.rest[k + 1];
        let first = if short > 0.0 {
            (short / price).ceil() as u32
        } else {
            0
        };
        for n in first.saturating_sub(1)..=room {
            let s = spent + f64::from(n) * price;
            if s >= self.best {
                break;
            }
            self.descend(k + 1, s);
            if s >= self.target || self.steps > ROUNDING_STEPS {
                break;
            }
        }
    }
}
