//! Steps 11 and 12 of `place`: the safety net and the choice. The safety
//! net is kube-scheduler and cluster-autoscaler's plan (`simulate`), which
//! small instances with odd shapes can get from a greedy order the search
//! missed; the choice is the candidate that passes every filter in its
//! final state (`check::validate`) and places most pods, then costs least.

use super::anytime_status::proven_unplaceable;
use super::pack::Packing;
use super::search::{Search, Setup, PLAIN_PACKING_UP_TO};
use crate::check::validate::validate_plan;
use crate::engine::lp::seconds_until;
use crate::engine::plan::{self, Plan};
use crate::error::{Error, Result};
use crate::model::PodId;
use crate::ops::simulate::simulate;
use crate::predicates::fit_error::unschedulable_message;
use crate::predicates::PodState;
use crate::report::place::{PlaceOptions, PlaceReport, PlanStats};
use std::collections::HashMap;
use web_time::Instant;

/// A plan that passes the final check: its report, and whether it is the
/// search's best packing (else the simulate baseline's).
pub(crate) struct Chosen {
    /// The plan's report, not yet proven.
    pub report: PlaceReport,
    /// Whether it is [`Search::best`].
    pub packed: bool,
}

/// `simulate`'s plan within the search deadline (None when it fails).
fn simulated(setup: &Setup) -> Option<PlaceReport> {
    let options = PlaceOptions {
        time_limit: seconds_until(setup.budget.search),
        repack: false,
    };
    simulate(setup.p.cluster, &options).ok()
}

/// The safety net, run before the search on small instances, so that the
/// search cannot crowd it out of the time limit.
pub(crate) fn early_baseline(setup: &Setup) -> Option<PlaceReport> {
    (setup.p.pods.len() <= PLAIN_PACKING_UP_TO)
        .then(|| simulated(setup))
        .flatten()
}

impl Search<'_, '_> {
    /// Step 11, the safety net: the `early` baseline, else `simulate` now
    /// while the search has time; kept when it places more pods than the
    /// search's plan, or as many for less.
    pub fn baseline(&self, early: Option<PlaceReport>) -> Option<PlaceReport> {
        let late = || (!self.setup.budget.search_over()).then(|| simulated(&self.setup));
        let baseline = early.or_else(|| late().flatten());
        self.setup.trace.say(|| "simulated".into());
        let (left, cost) = (self.best.leftover.len(), self.best.cost(self.setup.p));
        baseline.filter(|r| {
            r.unplaced.len() < left || (r.unplaced.len() == left && r.cost < cost - 1e-9)
        })
    }

    /// Step 12, choose: the `baseline` when it passes the final check, and
    /// the search's plan (every packing went through `repaired`: it
    /// passes); the one placing most pods, then the cheapest, the packing
    /// on a tie.
    pub fn choose(&self, baseline: Option<PlaceReport>) -> Result<Chosen> {
        let cluster = self.setup.p.cluster;
        let mut valid: Vec<Chosen> = Vec::new();
        if let Some(report) = baseline.filter(|r| validate_plan(cluster, r).is_ok()) {
            valid.push(Chosen {
                report,
                packed: false,
            });
        }
        let method = format!("lp-guided packing ({} packings)", self.packings);
        valid.push(Chosen {
            report: self.packing_report(&self.best, method),
            packed: true,
        });
        valid.sort_by(|a, b| {
            a.report
                .unplaced
                .len()
                .cmp(&b.report.unplaced.len())
                .then(a.report.cost.total_cmp(&b.report.cost))
                .then(b.packed.cmp(&a.packed))
        });
        self.setup.trace.say(|| "validated".into());
        valid
            .into_iter()
            .next()
            .ok_or_else(|| Error::Internal("place found no consistent plan".into()))
    }

    /// The report of `packing`, its leftovers with the scheduler's reasons.
    fn packing_report(&self, packing: &Packing, method: String) -> PlaceReport {
        let p = self.setup.p;
        let plan = Plan {
            placed: packing.placed.clone(),
            unplaced: self.unplaced_with_reasons(packing),
            lower_bound: 0.0,
            proven: false,
        };
        let stats = PlanStats {
            solve_millis: self.setup.budget.start.elapsed().as_millis() as u64,
            pods: p.pods.len(),
            pod_classes: p.classes.len(),
            method,
            time_limit_hit: false,
            ..PlanStats::default()
        };
        plan::report(&packing.snapshot, plan, stats)
    }
}

/// The message of a pod left unplaced because the time limit stopped the
/// search before it was placed, with no proof that it cannot be: cheap,
/// where kube-scheduler's message costs a filter call per node.
pub(crate) const NOT_TRIED_MESSAGE: &str = "not tried: time limit";

/// Filter calls (classes with leftovers times nodes) up to which every
/// leftover gets kube-scheduler's message whatever the time limit did.
const CHEAP_MESSAGES: usize = 100_000;

impl Search<'_, '_> {
    /// The message of each leftover pod of `packing`, computed once per
    /// class on the final state: kube-scheduler's (`0/N nodes are
    /// available: ...`) for classes proven unplaceable and when the
    /// messages are cheap ([`CHEAP_MESSAGES`]), and for the others when no
    /// time limit cut the search short and the report deadline
    /// (`Budget::hard`) has not passed; else [`NOT_TRIED_MESSAGE`].
    fn unplaced_with_reasons(&self, packing: &Packing) -> Vec<(PodId, String)> {
        let (p, budget) = (self.setup.p, &self.setup.budget);
        if packing.leftover.is_empty() {
            return Vec::new();
        }
        let mut left = vec![0usize; p.classes.len()];
        for pod in &packing.leftover {
            left[p.class_of[pod]] += 1;
        }
        let proven = proven_unplaceable(p, &left);
        let classes_left = left.iter().filter(|l| **l > 0).count();
        let cheap = classes_left * packing.snapshot.node_count() <= CHEAP_MESSAGES;
        let mut messages: HashMap<usize, String> = HashMap::new();
        let mut message_of = |pod: PodId| {
            let c = p.class_of[&pod];
            // A proof's message is its explanation, and cheap ones cost
            // milliseconds: those are always kube-scheduler's.
            let real = proven[c] || cheap || (!self.time_limit_hit && Instant::now() < budget.hard);
            let message = messages.entry(c).or_insert_with(|| {
                if real {
                    let state = PodState::new(&packing.snapshot, pod);
                    unschedulable_message(&packing.snapshot, &state)
                } else {
                    NOT_TRIED_MESSAGE.to_string()
                }
            });
            message.clone()
        };
        packing
            .leftover
            .iter()
            .map(|pod| (*pod, message_of(*pod)))
            .collect()
    }
}
