//! The operations over a cluster: explain, place (and consolidation),
//! simulate, drain, headroom; diff, which runs them before and after a
//! change; sizes and tenancy, which run place on variants of the cluster.
//! Each takes the model and its options and returns its report.
//!
//! Operations call each other only along consolidate → place → simulate
//! (simulate is place's baseline and first plan; place is consolidation's
//! starting point), from sizes, which runs place per VM size, from
//! tenancy, which runs place on each layout, and from diff, which compares
//! their reports. What more than one needs lives in the engine layer.

pub(crate) mod consolidate;
pub(crate) mod diff;
pub(crate) mod drain;
pub(crate) mod explain;
pub(crate) mod headroom;
pub(crate) mod place;
pub(crate) mod simulate;
pub(crate) mod sizes;
pub(crate) mod tenancy;

use crate::error::Result;
use crate::model::Cluster;
use crate::report::place::{PlaceOptions, PlaceReport};

/// `place`, or with `options.repack` consolidation (bound pods may move).
pub(crate) fn place_or_consolidate(
    cluster: &Cluster,
    options: &PlaceOptions,
) -> Result<PlaceReport> {
    if options.repack {
        consolidate::consolidate(cluster, options)
    } else {
        place::place(cluster, options)
    }
}
