//! The domain model: plain data, arena-indexed with typed ids. Nothing here
//! knows the Kubernetes wire format.

mod cluster;
mod labels;
mod limits;
mod resources;
mod variants;

pub mod prices;
pub use cluster::*;
pub use labels::*;
pub use limits::Limits;
pub use resources::*;
