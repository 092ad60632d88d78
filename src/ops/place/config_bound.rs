//! The configuration LP's bound on plans that place every pending pod,
//! found while the search runs: column generation ([`super::config_lp`])
//! until half the time it is given, then — when that does not converge
//! — the subgradient ascent on its Lagrangian ([`super::config_lagrange`])
//! in the rest. Where the master is too big for column generation (tens
//! of thousands of pods), the ascent gets a quarter of that time and the
//! tight LP relaxation of the aggregated model ([`super::bound`]) the rest,
//! on the second thread: that LP is much the better bound when it ends,
//! but the search's sizing LP and the proof's each had too little time
//! for it alone. Each better bound is published as soon as it is proven,
//! so that the search can stop improving a plan that meets it.
//!
//! With the `parallel` feature (native builds; the WASM build leaves it
//! off) it runs on a second thread beside the search ([`super::place`]);
//! without, between the search's steps with half the time left before the
//! search deadline. Either way its answer depends only on the problem and
//! the time it gets.

use super::config_lagrange::subgradient_bound;
use super::config_lp::config_lp_bound;
use super::problem::Problem;
use super::search::relaxation;
use crate::engine::trace::Trace;
use std::sync::atomic::{AtomicU64, Ordering};
use web_time::Instant;

/// A configuration-LP bound on plans placing every pod.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EarlyBound {
    /// The bound.
    pub value: f64,
    /// What proved it (`stats.boundSource`).
    pub source: &'static str,
}

/// The best bound proven so far, shared between threads (an `f64`'s bits;
/// 0 until one is proven).
#[derive(Debug, Default)]
pub(crate) struct Published(AtomicU64);

impl Published {
    /// The bound proven so far (0 when none).
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    /// Publishes `value` when it is higher.
    fn raise(&self, value: f64) {
        if value > self.get() {
            self.0.store(value.to_bits(), Ordering::Relaxed);
        }
    }
}

/// The bound for placing `demand` pods per class, given a plan costing
/// `upper`, by `deadline`: column generation, else the Lagrangian and —
/// `with_lp` — the aggregated LP after it; each better bound published
/// in `published`.
pub(crate) fn configuration_bound(
    p: &Problem,
    demand: &[u32],
    upper: f64,
    deadline: Instant,
    with_lp: bool,
    trace: Trace,
    published: &Published,
) -> Option<EarlyBound> {
    let now = Instant::now();
    let half = now + deadline.saturating_duration_since(now) / 2;
    let generated = config_lp_bound(p, demand, upper, half);
    let mut best: Option<EarlyBound> = None;
    let mut offer = |value: Option<f64>, source: &'static str| {
        if let Some(value) = value.filter(|v| best.is_none_or(|b| *v > b.value)) {
            published.raise(value);
            best = Some(EarlyBound { value, source });
        }
    };
    if let Some(b) = &generated {
        trace.say(|| {
            format!(
                "configuration lp {:.3} (converged {}, {} columns, {} rounds, {} inexact pricings)",
                b.value, b.converged, b.columns, b.rounds, b.inexact
            )
        });
        offer(Some(b.value), "configuration-lp");
        if b.converged {
            return best;
        }
    }
    // A master too big for column generation: the Lagrangian first (it
    // answers in a second), then the aggregated LP until the deadline;
    // the LP only with a second ahead at least: microlp checks its time
    // limit between pivots and overran short ones by a second at xl.
    let with_lp = with_lp
        && generated.is_none()
        && deadline.saturating_duration_since(Instant::now()) >= SHORTEST_LP;
    let lagrangian_until = if with_lp {
        let now = Instant::now();
        now + deadline.saturating_duration_since(now) / LAGRANGIAN_SHARE
    } else {
        deadline
    };
    let ascended = subgradient_bound(p, demand, upper, lagrangian_until);
    trace.say(|| format!("configuration lagrangian {ascended:?}"));
    offer(ascended, "configuration-lagrangian");
    if with_lp {
        // The tight LP of the bound model for every pod: on the family's
        // l scenarios 5-20% above the Lagrangian when it ends in time.
        let lp = relaxation(p, None, demand, None, deadline, true).map(|b| b.value);
        trace.say(|| format!("aggregated lp beside the search {lp:?}"));
        offer(lp, "lp");
    }
    best
}

/// The least time the aggregated LP beside the search is started with.
const SHORTEST_LP: web_time::Duration = web_time::Duration::from_secs(1);

/// The share of the search's time the Lagrangian gets before the
/// aggregated LP, on problems too big for column generation.
const LAGRANGIAN_SHARE: u32 = 4;
