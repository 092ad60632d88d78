//! How `place` shares its time limit among its steps: one deadline per
//! kind of work, each a fixed share of the limit from the solve's start
//! ([`Budget`]). The shares are tuned, not derived: changing one changes
//! plans on instances the time limit cuts short.

use web_time::{Duration, Instant};

/// Shortest time limit a solve gets, in seconds (the CLI passes what
/// parsing left of `--time-limit`, which can be nothing).
const SHORTEST_LIMIT: f64 = 0.05;

/// Share of the limit by which the first plan is complete: first-fit
/// decreasing takes under it at every size with a limit of 2 s (measured:
/// 150,000 pods in 0.3 s on the ladder, 0.5 to 0.9 s on the family, whose
/// solve starts after about 0.35 s of parsing). No search step starts
/// before it at that scale anyway (`Budget::search_over`).
const FIRST_PLAN_SHARE: f64 = 0.6;

/// A search step's time in first plans (measured on ladder xl: the LP,
/// the guided packing, its completion and the final check, which has no
/// deadline, took up to four times the first-fit decreasing).
const PACKINGS_PER_STEP: f64 = 4.0;

/// Seconds the report takes per pod once the solve is done (the status
/// proof, the report's lists and their JSON, freeing the state), kept
/// back from the limit before the shares apply
/// ([`Budget::with_report_reserve`]; measured: about 0.35 s for 150,000
/// pods on the family's xl scenarios, and the bound's solves overrun).
const REPORT_SECONDS_PER_POD: f64 = 3.5e-6;

/// The share of the limit the report's reserve leaves at least.
const SHORTEST_SHARE_AFTER_RESERVE: f64 = 0.5;

/// The deadlines of one solve, as shares of its time limit.
///
/// | share | deadline      | what runs until then                          |
/// |-------|---------------|-----------------------------------------------|
/// | 0.6   | `first_plan`  | the first plan (first-fit decreasing); what it has not placed by then stays unplaced in it |
/// | 0.6   | `search`      | the search steps start no new work after it   |
/// | 0.75  | `hard`        | packings under way, and the lower bound       |
/// | 0.9   | `preferences` | the soft-preference pass                      |
/// | 1.0   |               | the report (the last tenth is its margin)     |
///
/// Once the problem's size is known, the report's time is kept back
/// from the limit before the shares of the search, the bound and the
/// preferences apply ([`Budget::with_report_reserve`]).
///
/// Between `search` and `hard`, a packing begun before `search` completes
/// and the bound's LP and MILP get the time left; the MILP that proposes
/// node counts during the search gets at most a tenth of the limit
/// ([`Budget::milp_counts_seconds`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// When the solve started.
    pub start: Instant,
    /// The first plan is complete by then, or stops (0.6 of the limit).
    pub first_plan: Instant,
    /// Search steps start nothing after it (0.6 of the limit).
    pub search: Instant,
    /// Packings stop placing pods, and the bound's solves end (0.75).
    pub hard: Instant,
    /// The soft-preference pass ends (0.9).
    pub preferences: Instant,
    /// Seconds the MILP proposing node counts may take at most (0.1 of
    /// the limit).
    pub milp_counts_seconds: f64,
    /// How long one packing of every pod may take, as the first plan
    /// measured it ([`Budget::with_packing_time`]): the search starts no
    /// step it could not end by its deadline.
    pub packing: Duration,
    /// How long the LP a search step solves before it packs may take, as
    /// the sizing LP measured it ([`Budget::with_lp_time`]).
    pub lp: Duration,
    /// The limit the shares are taken of, in seconds.
    limit: f64,
    /// An end no deadline passes ([`Budget::ending_by`]).
    end: Option<Instant>,
}

impl Budget {
    /// The deadlines of a solve of `time_limit` seconds starting at `start`.
    pub fn new(start: Instant, time_limit: f64) -> Self {
        let limit = time_limit.max(SHORTEST_LIMIT);
        let at = |share: f64| start + Duration::from_secs_f64(limit * share);
        Budget {
            start,
            first_plan: at(FIRST_PLAN_SHARE),
            search: at(0.6),
            hard: at(0.75),
            preferences: at(0.9),
            milp_counts_seconds: limit * 0.1,
            packing: Duration::ZERO,
            lp: Duration::ZERO,
            limit,
            end: None,
        }
    }

    /// The budget with the report's time for `pods` pods
    /// ([`REPORT_SECONDS_PER_POD`]) kept back: the search, bound and
    /// preference deadlines are the same shares of what is left (half the
    /// limit at least); the first plan's is unchanged.
    pub fn with_report_reserve(self, pods: usize) -> Self {
        let reserve = pods as f64 * REPORT_SECONDS_PER_POD;
        let limit = (self.limit - reserve).max(self.limit * SHORTEST_SHARE_AFTER_RESERVE);
        let reserved = Budget::new(self.start, limit);
        let reserved = Budget {
            first_plan: self.first_plan,
            packing: self.packing,
            lp: self.lp,
            limit: self.limit,
            ..reserved
        };
        match self.end {
            Some(end) => reserved.ending_by(end),
            None => reserved,
        }
    }

    /// The budget once the first plan took `first`: a search step (an LP,
    /// a packing, its completion and final check) takes about
    /// [`PACKINGS_PER_STEP`] times that.
    pub fn with_packing_time(self, first: Duration) -> Self {
        Budget {
            packing: first.mul_f64(PACKINGS_PER_STEP),
            ..self
        }
    }

    /// The budget once the sizing LP took `lp`: every search step solves
    /// an LP of the same size before it packs, so a step's estimate grows
    /// by that time (measured on the family's xl scenarios: a 1.4 s LP and
    /// a 3 s packing, ten times the first plan's, overran the limit).
    pub fn with_lp_time(self, lp: Duration) -> Self {
        Budget { lp, ..self }
    }

    /// Whether the search deadline has passed, or is too near for a step
    /// (an LP and a packing).
    pub fn search_over(&self) -> bool {
        Instant::now() + self.packing + self.lp >= self.search
    }

    /// The budget of a search that must end by `end` (one of several in a
    /// solve, as `--pool-sizes auto` runs): its first plan and search deadlines,
    /// and the MILP's seconds, end by then at the latest, also once the
    /// report's time is kept back.
    pub fn ending_by(self, end: Instant) -> Self {
        let end = self.end.map_or(end, |e| e.min(end));
        let left = end.saturating_duration_since(Instant::now()).as_secs_f64();
        Budget {
            first_plan: self.first_plan.min(end),
            search: self.search.min(end),
            milp_counts_seconds: self.milp_counts_seconds.min(left),
            end: Some(end),
            ..self
        }
    }

    /// The instant `share` of the limit after the start.
    pub fn at_share(&self, share: f64) -> Instant {
        self.start + Duration::from_secs_f64(self.limit * share)
    }
}
