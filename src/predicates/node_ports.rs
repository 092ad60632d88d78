//! `NodePorts`: the pod's host ports must be free on the node, where an
//! empty or `0.0.0.0` host IP conflicts with every address.

use super::{NodeInfo, Verdict};
use crate::model::{HostPort, Pod};

/// Upstream's `ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

const ANY_IP: &str = "0.0.0.0";

fn ip(p: &HostPort) -> &str {
    if p.host_ip.is_empty() {
        ANY_IP
    } else {
        &p.host_ip
    }
}

/// `HostPortInfo.CheckConflict`: does `want` conflict with a used port?
pub fn conflicts(used: &[HostPort], want: &HostPort) -> bool {
    let want_ip = ip(want);
    used.iter().any(|u| {
        u.port == want.port
            && u.protocol == want.protocol
            && (want_ip == ANY_IP || ip(u) == ANY_IP || ip(u) == want_ip)
    })
}

/// Filter.
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
