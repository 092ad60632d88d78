//! `NodePorts`: the pod's host ports must be free on the node
//! (`nodeports/node_ports.go` over `framework.HostPortInfo`).
//!
//! A port is the triple (host IP, protocol, port), with an empty IP read as
//! `0.0.0.0` and an empty protocol as `TCP`. `0.0.0.0` conflicts with every
//! address; any other address conflicts with itself and with `0.0.0.0`.
//! Ports `<= 0` never conflict. Which container ports count (containers and
//! sidecar init containers, `hostPort > 0`) is decided by ingest, see
//! [`PodSpec::host_ports`](crate::model::PodSpec::host_ports).

use super::framework::Verdict;
use super::state::NodeInfo;
use crate::model::{HostPort, Pod};

/// Upstream's `ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

/// `DefaultBindAllHostIP`.
const ANY_IP: &str = "0.0.0.0";

/// `HostPortInfo.sanitize`: the (IP, protocol) a port is recorded under.
fn sanitize(p: &HostPort) -> (&str, &str) {
    let ip = if p.host_ip.is_empty() {
        ANY_IP
    } else {
        &p.host_ip
    };
    let protocol = if p.protocol.is_empty() {
        "TCP"
    } else {
        &p.protocol
    };
    (ip, protocol)
}

/// `HostPortInfo.CheckConflict`: does `want` conflict with a used port?
pub fn conflicts(used: &[HostPort], want: &HostPort) -> bool {
    if want.port <= 0 {
        return false;
    }
    let (want_ip, want_protocol) = sanitize(want);
    used.iter().any(|u| {
        let (ip, protocol) = sanitize(u);
        u.port == want.port
            && protocol == want_protocol
            && (want_ip == ANY_IP || ip == ANY_IP || ip == want_ip)
    })
}

/// Filter (`fitsPorts`): no host port of the pod may conflict with one in use.
pub fn filter(pod: &Pod, info: &NodeInfo) -> Verdict {
    if pod
        .spec
        .host_ports
        .iter()
        .any(|p| conflicts(&info.used_ports, p))
    {
        Err(vec![ERR_REASON.into()])
    } else {
        Ok(())
    }
}
