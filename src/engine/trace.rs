//! Debug output of the solvers: one `Trace` per solve, enabled by the
//! `PODPLAN_DEBUG` environment variable, printing `<ms since start> ms
//! <message>` lines to stderr. Messages are built only when it is on, so a
//! trace point costs one branch otherwise.

use web_time::Instant;

/// Where a solve's debug lines go (see the module docs).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trace {
    enabled: bool,
    start: Instant,
}

impl Trace {
    /// A trace measured from `start`, on when `PODPLAN_DEBUG` is set.
    pub(crate) fn from_env(start: Instant) -> Self {
        Trace {
            enabled: std::env::var_os("PODPLAN_DEBUG").is_some(),
            start,
        }
    }

    /// Prints the line `message()` builds, with the time since the start.
    pub(crate) fn say(&self, message: impl FnOnce() -> String) {
        if self.enabled {
            eprintln!("{:>8} ms  {}", self.start.elapsed().as_millis(), message());
        }
    }
}
