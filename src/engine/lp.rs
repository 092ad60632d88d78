//! The LP/MILP backend, chosen in one place: pure-Rust `microlp` by default
//! (it builds for wasm32), HiGHS with the `highs` feature (native only).
//! What differs between them is a capability trait ([`InterruptedBound`]),
//! as good_lp's own `WithTimeLimit`, not a `cfg` at each call site.

#[cfg(feature = "highs")]
pub(crate) use good_lp::highs as backend;
#[cfg(not(feature = "highs"))]
pub(crate) use good_lp::microlp as backend;

/// A MILP solution that the time limit interrupted may still carry a
/// proven bound over its open branches.
pub(crate) trait InterruptedBound {
    /// The proven bound, when the backend exposes one.
    fn interrupted_bound(self) -> Option<f64>;
}

#[cfg(not(feature = "highs"))]
impl InterruptedBound for good_lp::solvers::microlp::MicroLpSolution {
    /// microlp's best bound over the open branches.
    fn interrupted_bound(self) -> Option<f64> {
        self.into_inner().stats().best_bound
    }
}

#[cfg(feature = "highs")]
impl InterruptedBound for good_lp::solvers::highs::HighsSolution {
    /// good_lp does not expose HiGHS's dual bound: none (the LP bound
    /// stands).
    fn interrupted_bound(self) -> Option<f64> {
        None
    }
}

/// `variable().integer()` when asked: one model serves the LP relaxation
/// and the MILP.
pub(crate) trait IntegerIf {
    /// Integral when `integer`, continuous otherwise.
    fn integer_if(self, integer: bool) -> Self;
}

impl IntegerIf for good_lp::variable::VariableDefinition {
    fn integer_if(self, integer: bool) -> Self {
        if integer {
            self.integer()
        } else {
            self
        }
    }
}

/// Seconds left until `until`, at least 0.01 (a solver given 0 may not
/// return at all).
pub(crate) fn seconds_until(until: web_time::Instant) -> f64 {
    until
        .saturating_duration_since(web_time::Instant::now())
        .as_secs_f64()
        .max(0.01)
}
