//! Errors: where (file, `Kind ns/name`, field path) and what.

use thiserror::Error;

/// Everything that can go wrong reading a scenario or running an operation.
/// An unsatisfiable request is not an error: it is a report.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// The document is not valid JSON/YAML at all, or larger than
    /// [`Limits::max_input_bytes`](crate::model::Limits::max_input_bytes) allows.
    #[error("{file}: {message}")]
    Syntax {
        /// The input's name (file path or `<stdin>`).
        file: String,
        /// What the parser said, with line/column where known.
        message: String,
    },
    /// An object has a bad field, or one beyond a limit of
    /// [`Limits`](crate::model::Limits) (too many replicas, nodes, pods).
    #[error("{file}: {object}: {field}: {message}")]
    Field {
        /// The input's name.
        file: String,
        /// `Kind ns/name` (or `Kind` with the item index when unnamed).
        object: String,
        /// Field path, e.g. `spec.containers[0].resources.requests.cpu`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The input holds nothing podplan reads (e.g. an empty file).
    #[error("{file}: {message}")]
    Empty {
        /// The input's name.
        file: String,
        /// What is missing.
        message: String,
    },
    /// An option of an operation is wrong (unknown node, pool, pod...).
    #[error("{0}")]
    Usage(String),
    /// Something that should not happen: a bug in podplan, not in the
    /// input. The message asks for a report.
    #[error("internal error: {0} (this is a bug in podplan: please report it with the input that caused it)")]
    Internal(String),
}

/// Result with podplan's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
