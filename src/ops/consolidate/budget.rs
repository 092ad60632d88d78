//! How the time limit is shared between the phases of a consolidation.
//!
//! Each phase ends at a fixed share of the limit, counted from the start:
//! the plain plan gets the first quarter, screening (and the early bound)
//! runs to 40%, the search to 80%, the final bound to 92%; the rest is
//! left for validation and the report. Within the search, each `place`
//! call gets a share of what is left of the search phase.

use crate::engine::lp::seconds_until;
use web_time::{Duration, Instant};

/// The shortest time limit honoured, in seconds.
const MIN_TIME_LIMIT: f64 = 0.05;
/// Share of the time limit by which the plain plan must be done.
const BASE_SHARE: f64 = 0.25;
/// Share of the time limit by which screening and the early bound end.
const SCREEN_SHARE: f64 = 0.4;
/// Share of the time limit by which the search (steps 4 to 6) ends.
const SEARCH_SHARE: f64 = 0.8;
/// Share of the time limit by which the final bound ends.
const BOUND_SHARE: f64 = 0.92;
/// The shortest time, in seconds, given to one single-node trial.
const MIN_TRIAL_SECONDS: f64 = 0.05;

/// Each phase's deadline (see the module docs).
pub(super) struct Budget {
    /// The plain plan (step 1).
    pub(super) base: Instant,
    /// The early bound and screening (step 3).
    pub(super) screen: Instant,
    /// The search: removal, replacement and keeping back (steps 4 to 6).
    pub(super) search: Instant,
    /// The final lower bound.
    pub(super) bound: Instant,
}

impl Budget {
    /// The deadlines of a consolidation started at `start` with a time
    /// limit of `time_limit` seconds.
    pub(super) fn new(start: Instant, time_limit: f64) -> Self {
        let limit = time_limit.max(MIN_TIME_LIMIT);
        let at = |share: f64| start + Duration::from_secs_f64(limit * share);
        Budget {
            base: at(BASE_SHARE),
            screen: at(SCREEN_SHARE),
            search: at(SEARCH_SHARE),
            bound: at(BOUND_SHARE),
        }
    }

    /// Whether the search phase is over.
    pub(super) fn search_over(&self) -> bool {
        Instant::now() >= self.search
    }

    /// The deadline of one removal of the screened nodes (step 4): half of
    /// what is left of the search, so that a halved retry has time too.
    pub(super) fn removal_trial(&self) -> Instant {
        let share = seconds_until(self.search) / 2.0;
        Instant::now() + Duration::from_secs_f64(share)
    }

    /// The deadline of one single-node trial (steps 5 and 6): a third of
    /// what is left of the search, at least `MIN_TRIAL_SECONDS`.
    pub(super) fn single_trial(&self) -> Instant {
        let share = (seconds_until(self.search) / 3.0).max(MIN_TRIAL_SECONDS);
        Instant::now() + Duration::from_secs_f64(share)
    }
}
