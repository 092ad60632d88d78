//! Independent oracles: replays of the plans the operations produce,
//! through kube-scheduler's filter plugins and the disruption controller's
//! arithmetic, from scratch. They use the model, the predicates and the
//! engine only — never the operation they check — and every test runs
//! them on every plan.

pub mod preferences;
pub mod validate;
pub mod validate_drain;

pub use preferences::report_violations;
pub use validate::{validate_plan, validate_repack_plan, Violation};
pub use validate_drain::validate_drain;
