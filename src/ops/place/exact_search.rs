//! Exact feasibility of one vector of new nodes per pool: a depth-first
//! search over the pods, class by class (most constrained first), onto
//! the existing nodes and the vector's new nodes, that either finds a
//! packing passing every filter in its final state or proves there is
//! none — or, out of steps, says nothing.
//!
//! At each pod the search tries the nodes kube-scheduler's filters accept
//! for what can only get worse as pods are added: the node-local plugins
//! (resources, taints, node affinity, ports) and, for a pod without
//! required pod affinity, InterPodAffinity (then only anti-affinity,
//! which more pods never satisfy again). Topology spread and required pod
//! affinity can pass later what fails now, so they are checked on the
//! complete packing, by the validator itself (`check::validate`).
//! So a search that ends without a packing proves the vector infeasible.
//!
//! Symmetry: pods of one class are interchangeable, so a class's pods
//! take nodes in non-decreasing order; new nodes of one type are
//! interchangeable while empty, so a pod takes only the first empty one
//! of a type. Pruning: the pods left must fit the free room of the nodes
//! they may use, per dimension. (CP-style search for bin packing with
//! conflicts: Sadykov & Vanderbeck, *INFORMS JoC* 25, 2013.)

use super::pack::Packing;
use super::problem::{free_of, Problem};
use super::repair::repaired;
use crate::check::validate::validate_plan;
use crate::engine::plan::{self, Plan};
use crate::model::{NodeId, PodId, PoolId};
use crate::predicates::{filter_node_local, PodState, Snapshot};
use crate::report::place::PlanStats;
use std::collections::HashMap;
use web_time::Instant;

/// What the search found for one vector.
pub(crate) enum Outcome<'c> {
    /// A packing of every pod that passes every filter in its final state.
    Packed(Box<Packing<'c>>),
    /// Proven: no packing of every pod on these nodes exists.
    Infeasible,
    /// Out of steps or time: nothing proven.
    Unknown,
}

/// Searches for a packing of every pod of `p` with `counts` new nodes per
/// pool, classes in `order`, in at most `steps` placements tried and
/// until `deadline`.
pub(crate) fn search_vector<'c>(
    p: &Problem<'c>,
    counts: &[u32],
    order: &[usize],
    steps: usize,
    deadline: Instant,
) -> Outcome<'c> {
    let mut dfs = Dfs::new(p, counts, order, steps, deadline);
    match dfs.descend(0) {
        Some(true) => match dfs.packing(counts) {
            Some(packing) => Outcome::Packed(Box::new(packing)),
            None => Outcome::Unknown,
        },
        Some(false) if !dfs.inexact => Outcome::Infeasible,
        _ => Outcome::Unknown,
    }
}

/// The nodes a search places pods on: the base snapshot with the
/// vector's new nodes added (round-robin over zones, after the pool's
/// minCount nodes, as the packer and `place`'s report do), and which are
/// interchangeable while empty.
struct Layout<'c> {
    snapshot: Snapshot<'c>,
    /// Existing nodes, then the new ones.
    nodes: Vec<NodeId>,
    /// Per position in `nodes`, its type when it is new or planned in for
    /// a minCount ([`minimum_node_type`]).
    node_type: Vec<Option<usize>>,
    /// Per type, its positions in `nodes`, in order.
    positions_of_type: Vec<Vec<usize>>,
}

impl<'c> Layout<'c> {
    /// The layout of `counts` new nodes per pool.
    fn new(p: &Problem<'c>, counts: &[u32]) -> Self {
        let mut snapshot = p.base.clone();
        let mut nodes = p.existing.clone();
        let mut node_type: Vec<Option<usize>> =
            nodes.iter().map(|n| minimum_node_type(p, *n)).collect();
        let mut positions_of_type = vec![Vec::new(); p.types.len()];
        for (pos, t) in node_type.iter().enumerate() {
            if let Some(t) = t {
                positions_of_type[*t].push(pos);
            }
        }
        for (pi, pool) in p.cluster.pools.iter().enumerate() {
            let zones = pool.zones.len().max(1);
            for k in 0..counts[pi] as usize {
                let id = snapshot.add_node(pool.new_node(PoolId(pi as u32), k));
                // The pool's nodes planned in for its minCount come first.
                let zone = (k + pool.first_new_index) % zones;
                let t = p.type_index.get(&(pi, zone)).copied();
                if let Some(t) = t {
                    positions_of_type[t].push(nodes.len());
                }
                nodes.push(id);
                node_type.push(t);
            }
        }
        Layout {
            snapshot,
            nodes,
            node_type,
            positions_of_type,
        }
    }
}

/// The search's state.
struct Dfs<'a, 'c> {
    p: &'a Problem<'c>,
    snapshot: Snapshot<'c>,
    /// Every node a pod may go to: existing ones, then the new ones.
    nodes: Vec<NodeId>,
    /// Per position in `nodes`, its type when it is new or planned in for
    /// a minCount ([`minimum_node_type`]).
    node_type: Vec<Option<usize>>,
    /// Per type, its positions in `nodes`, in order.
    positions_of_type: Vec<Vec<usize>>,
    /// Per class, the positions it may take (by the problem's fit alone).
    candidates: Vec<Vec<usize>>,
    /// The pods in search order, with their class.
    pods: Vec<(usize, PodId)>,
    /// Per position, pods of the problem placed there.
    problem_pods: Vec<u32>,
    /// Position of each pod placed, in search order.
    at: Vec<usize>,
    /// Per dimension, the free room of every usable node.
    room: Vec<f64>,
    /// Per search position and dimension, what the pods from there request.
    rest: Vec<Vec<f64>>,
    /// Per position in `nodes`, its free room per dimension.
    free: Vec<Vec<f64>>,
    /// Per position in `nodes` and class, the class's pods placed there.
    on_node: Vec<Vec<u32>>,
    /// The classes in search order, with where each one's pods end in
    /// `pods`.
    blocks: Vec<(usize, usize)>,
    steps: usize,
    deadline: Instant,
    /// A complete packing the search accepted failed the final repair:
    /// its exhaustion proves nothing.
    inexact: bool,
}

impl<'a, 'c> Dfs<'a, 'c> {
    /// The search's start: the base snapshot with the new nodes added
    /// (round-robin over zones, as the packer and `place`'s report do).
    fn new(
        p: &'a Problem<'c>,
        counts: &[u32],
        order: &[usize],
        steps: usize,
        deadline: Instant,
    ) -> Self {
        let Layout {
            snapshot,
            nodes,
            node_type,
            positions_of_type,
        } = Layout::new(p, counts);
        let candidates = class_candidates(p, &positions_of_type);
        let pods: Vec<(usize, PodId)> = order
            .iter()
            .flat_map(|c| p.classes[*c].pods.iter().map(move |pod| (*c, *pod)))
            .collect();
        let room = usable_room(p, &snapshot, &nodes, &candidates);
        let rest = remaining_requests(p, &pods);
        let free = nodes
            .iter()
            .map(|n| free_of(&p.dims, &snapshot.node(*n).allocatable, snapshot.info(*n)))
            .collect();
        let blocks = order
            .iter()
            .scan(0, |end, c| {
                *end += p.classes[*c].pods.len();
                Some((*c, *end))
            })
            .collect();
        Dfs {
            free,
            on_node: vec![vec![0; p.classes.len()]; nodes.len()],
            blocks,
            p,
            snapshot,
            problem_pods: vec![0; nodes.len()],
            nodes,
            node_type,
            positions_of_type,
            candidates,
            at: Vec::with_capacity(pods.len()),
            pods,
            room,
            rest,
            steps,
            deadline,
            inexact: false,
        }
    }

    /// Places pods `i..`: Some(true) when a complete packing passes the
    /// final check, Some(false) when none does, None when out of steps.
    fn descend(&mut self, i: usize) -> Option<bool> {
        if i == self.pods.len() {
            return Some(self.final_state_passes());
        }
        if self.rest[i].iter().zip(&self.room).any(|(r, f)| *r > *f) || self.some_class_short(i) {
            return Some(false);
        }
        let (c, pod) = self.pods[i];
        let start = match i.checked_sub(1).map(|j| (self.pods[j].0, self.at[j])) {
            Some((prev, at)) if prev == c => at,
            _ => 0,
        };
        let state = PodState::new(&self.snapshot, pod);
        // The class's next pod reads the list too: a copy, not a take.
        let candidates = self.candidates[c].clone();
        let mut outcome = Some(false);
        for &pos in candidates.iter().filter(|pos| **pos >= start) {
            if !self.first_empty_of_its_type(pos) || !self.accepts(c, &state, pos) {
                continue;
            }
            self.steps = self.steps.saturating_sub(1);
            if self.steps == 0 || Instant::now() >= self.deadline {
                outcome = None;
                break;
            }
            self.place(i, pos);
            let below = self.descend(i + 1);
            if below == Some(true) {
                outcome = below;
                break;
            }
            self.unplace(i, pos);
            if below.is_none() {
                outcome = None;
                break;
            }
        }
        outcome
    }

    /// Whether the pods from the `i`-th on include a class whose pods left
    /// outnumber what its nodes still hold of it (each node alone, by free
    /// room and one pod per node where the class repels itself).
    fn some_class_short(&self, i: usize) -> bool {
        let first = self.blocks.partition_point(|(_, end)| *end <= i);
        self.blocks[first..]
            .iter()
            .enumerate()
            .any(|(k, (c, end))| {
                let left = if k == 0 {
                    end - i
                } else {
                    self.p.classes[*c].pods.len()
                };
                let mut room = 0usize;
                for pos in &self.candidates[*c] {
                    room += self.holds(*c, *pos);
                    if room >= left {
                        return false;
                    }
                }
                true
            })
    }

    /// Pods of class `c` the node at `pos` still holds, alone.
    fn holds(&self, c: usize, pos: usize) -> usize {
        let class = &self.p.classes[c];
        if class.one_per_node && self.on_node[pos][c] > 0 {
            return 0;
        }
        let req = &self.p.class_req[c];
        let fit = req
            .iter()
            .zip(&self.free[pos])
            .filter(|(r, _)| **r > 0.0)
            .map(|(r, f)| (f / r).floor().max(0.0))
            .fold(f64::INFINITY, f64::min);
        let cap = if class.one_per_node {
            fit.min(1.0)
        } else {
            fit
        };
        cap.min(class.pods.len() as f64) as usize
    }

    /// Whether `pos` is existing, busy, or the first empty node of its type.
    fn first_empty_of_its_type(&self, pos: usize) -> bool {
        match self.node_type[pos] {
            Some(t) if self.problem_pods[pos] == 0 => self.positions_of_type[t]
                .iter()
                .find(|q| self.problem_pods[**q] == 0)
                .is_none_or(|q| *q == pos),
            _ => true,
        }
    }

    /// The filters that only get stricter as pods are added: node-local
    /// ones, and InterPodAffinity when the class has no pod affinity.
    fn accepts(&self, c: usize, state: &PodState, pos: usize) -> bool {
        let node = self.nodes[pos];
        let pod = self.snapshot.pod(state.pod);
        let info = self.snapshot.info(node);
        filter_node_local(pod, self.snapshot.node(node), info, &state.node_affinity).is_ok()
            && (has_pod_affinity(self.p, c)
                || state
                    .inter_pod_affinity
                    .filter(&self.snapshot, pod, node)
                    .is_ok())
    }

    /// Puts the `i`-th pod on the node at `pos`.
    fn place(&mut self, i: usize, pos: usize) {
        let (c, pod) = self.pods[i];
        self.snapshot.assign(pod, self.nodes[pos]);
        self.problem_pods[pos] += 1;
        self.on_node[pos][c] += 1;
        self.at.push(pos);
        for (f, r) in self.room.iter_mut().zip(&self.p.class_req[c]) {
            *f -= r;
        }
        for (f, r) in self.free[pos].iter_mut().zip(&self.p.class_req[c]) {
            *f -= r;
        }
    }

    /// Takes the `i`-th pod off the node at `pos`.
    fn unplace(&mut self, i: usize, pos: usize) {
        let (c, pod) = self.pods[i];
        self.snapshot.unassign(pod);
        self.problem_pods[pos] -= 1;
        self.on_node[pos][c] -= 1;
        self.at.pop();
        for (f, r) in self.room.iter_mut().zip(&self.p.class_req[c]) {
            *f += r;
        }
        for (f, r) in self.free[pos].iter_mut().zip(&self.p.class_req[c]) {
            *f += r;
        }
    }

    /// Whether the complete packing passes the validator
    /// (`check::validate`), the judge of every plan: a leaf check neither
    /// stricter nor looser than it keeps the search's exhaustion a proof.
    fn final_state_passes(&mut self) -> bool {
        let plan = Plan {
            placed: self.placements(),
            unplaced: Vec::new(),
            lower_bound: 0.0,
            proven: false,
        };
        let report = plan::report(&self.snapshot, plan, PlanStats::default());
        validate_plan(self.p.cluster, &report).is_ok()
    }

    /// Each pod placed, with its node.
    fn placements(&self) -> Vec<(PodId, NodeId)> {
        self.pods
            .iter()
            .zip(&self.at)
            .map(|((_, pod), pos)| (*pod, self.nodes[*pos]))
            .collect()
    }

    /// The complete packing as the search's plans are kept, repaired as
    /// every packing is (None, and the search inexact, when that drops a
    /// pod).
    fn packing(&mut self, counts: &[u32]) -> Option<Packing<'c>> {
        let p = self.p;
        let mut packing = Packing {
            snapshot: self.snapshot.clone(),
            pool_nodes: counts.to_vec(),
            placed: Vec::with_capacity(self.pods.len()),
            leftover: Vec::new(),
            on_existing: vec![HashMap::new(); p.classes.len()],
            on_types: vec![HashMap::new(); p.classes.len()],
            nodes_of_type: vec![Vec::new(); p.types.len()],
            node_type: HashMap::new(),
        };
        // Existing nodes (those planned in for a minCount too) are not new.
        let new_from = p.existing.len();
        for (pos, t) in self.node_type.iter().enumerate().skip(new_from) {
            if let Some(t) = t {
                packing.nodes_of_type[*t].push(self.nodes[pos]);
                packing.node_type.insert(self.nodes[pos], *t);
            }
        }
        for (i, (c, pod)) in self.pods.iter().enumerate() {
            let pos = self.at[i];
            packing.placed.push((*pod, self.nodes[pos]));
            let tally = match self.node_type[pos] {
                Some(t) if pos >= new_from => packing.on_types[*c].entry(t),
                _ => packing.on_existing[*c].entry(pos),
            };
            *tally.or_insert(0) += 1;
        }
        let packing = repaired(p, packing);
        if packing.leftover.is_empty() {
            return Some(packing);
        }
        self.inexact = true;
        None
    }
}

/// The type of a node planned in for a pool's minCount (`is_new`, made by
/// the pool like the new ones, as loaded as they are): it is
/// interchangeable with the type's new nodes while empty. None for other
/// existing nodes.
fn minimum_node_type(p: &Problem, node: NodeId) -> Option<usize> {
    let n = p.base.node(node);
    let pool = n.pool.filter(|_| n.is_new)?.index();
    let zones = &p.cluster.pools[pool].zones;
    let zone = match n.labels.get("topology.kubernetes.io/zone") {
        Some(z) => zones.iter().position(|x| x == z)?,
        None if zones.is_empty() => 0,
        None => return None,
    };
    let t = p.type_index.get(&(pool, zone)).copied()?;
    // As loaded as a new node of the type: its DaemonSet pods only.
    let i = *p.existing_index.get(&node)?;
    (p.existing_free[i] == p.type_free[t]).then_some(t)
}

/// Whether class `c`'s pods have required pod affinity.
fn has_pod_affinity(p: &Problem, c: usize) -> bool {
    let pod = p.cluster.pod(p.classes[c].representative());
    !pod.spec.pod_affinity.is_empty()
}

/// Per class, the positions of the nodes it fits alone, in order.
fn class_candidates(p: &Problem, positions_of_type: &[Vec<usize>]) -> Vec<Vec<usize>> {
    (0..p.classes.len())
        .map(|c| {
            let mut list: Vec<usize> = p.compat_existing[c].iter().map(|(i, _)| *i).collect();
            for (t, _) in &p.compat_types[c] {
                list.extend(&positions_of_type[*t]);
            }
            list.sort_unstable();
            list
        })
        .collect()
}

/// Per dimension, the free room of the nodes some class may use.
fn usable_room(
    p: &Problem,
    snapshot: &Snapshot,
    nodes: &[NodeId],
    candidates: &[Vec<usize>],
) -> Vec<f64> {
    let mut usable = vec![false; nodes.len()];
    for list in candidates {
        for pos in list {
            usable[*pos] = true;
        }
    }
    let mut room = vec![0.0; p.dims.len()];
    for (_, node) in nodes.iter().enumerate().filter(|(pos, _)| usable[*pos]) {
        let free = free_of(
            &p.dims,
            &snapshot.node(*node).allocatable,
            snapshot.info(*node),
        );
        for (r, f) in room.iter_mut().zip(free) {
            *r += f;
        }
    }
    room
}

/// Per position of the search order, what the pods from there on request
/// per dimension.
fn remaining_requests(p: &Problem, pods: &[(usize, PodId)]) -> Vec<Vec<f64>> {
    let mut rest = vec![vec![0.0; p.dims.len()]; pods.len() + 1];
    for i in (0..pods.len()).rev() {
        let req = &p.class_req[pods[i].0];
        rest[i] = rest[i + 1].iter().zip(req).map(|(a, r)| a + r).collect();
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::place::bound;
    use crate::{read_scenario, Input};

    /// Three pods of 600m and three of 500m on 1-CPU nodes: no two big
    /// ones share a node, and a big one takes no small one, so five nodes
    /// are needed. The LP with four (3.3 CPU of 4) is feasible; the
    /// search proves four infeasible and packs five.
    #[test]
    fn proves_what_the_lp_cannot_and_packs_the_rest() {
        let yaml = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: user}
spec: {allocatable: {cpu: "1", memory: 8Gi, pods: "110"}, zones: ["1", "2"], maxCount: 8, costPerHour: 0.5}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec: {containers: [{name: c, resources: {requests: {cpu: 600m, memory: 1Gi}}}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: small, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: small}}
  template:
    metadata: {labels: {app: small}}
    spec: {containers: [{name: c, resources: {requests: {cpu: 500m, memory: 1Gi}}}]}
"#;
        let cluster = read_scenario(&[Input::new("frag.yaml", yaml)]).expect("scenario reads");
        let p = Problem::new(&cluster, cluster.pending_pods().collect());
        let order: Vec<usize> = (0..p.classes.len()).collect();
        let demand = p.demand();
        let deadline = Instant::now() + web_time::Duration::from_secs(5);
        assert!(!bound::refutes(&p, &[4], &demand, 5.0));
        assert!(matches!(
            search_vector(&p, &[4], &order, 100_000, deadline),
            Outcome::Infeasible
        ));
        match search_vector(&p, &[5], &order, 100_000, deadline) {
            Outcome::Packed(packing) => {
                assert!(packing.leftover.is_empty());
                assert_eq!(packing.placed.len(), 6);
            }
            Outcome::Infeasible => panic!("five nodes hold the pods: infeasible"),
            Outcome::Unknown => panic!("five nodes hold the pods: unknown"),
        }
    }

    /// A pool of the random scenarios: NAME, CPU (milli), ZONES and LEAST
    /// (minCount) filled in.
    const POOL: &str = "apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: NAME}
spec: {allocatable: {cpu: CPUm, memory: 8Gi, pods: '110'}, zones: ZONES, minCount: LEAST, maxCount: 3, costPerHour: 1}
---
";

    /// A pod of the random scenarios: NAME, APP, CPU and EXTRA filled in.
    const POD: &str = "apiVersion: v1
kind: Pod
metadata: {name: NAME, namespace: default, labels: {app: APP}}
spec: {EXTRAcontainers: [{name: c, resources: {requests: {cpu: CPUm}}}]}
---
";

    /// Required hostname anti-affinity to the pod's app.
    const ANTI: &str =
        "affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: \
        [{labelSelector: {matchLabels: {app: APP}}, topologyKey: kubernetes.io/hostname}]}}, ";

    /// Zone spread of the pod's app.
    const SPREAD: &str =
        "topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, \
        whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: APP}}}], ";

    /// A small random scenario: one or two pools, up to five pods of two
    /// apps, some with hostname anti-affinity or zone spread on their app.
    fn random_scenario(seed: &mut u64) -> String {
        let mut draw = |n: u64| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed % n
        };
        let mut yaml = String::new();
        for pool in 0..1 + draw(2) {
            let zones = if draw(2) == 0 { "['1']" } else { "['1', '2']" };
            yaml += &POOL
                .replace("NAME", &format!("p{pool}"))
                .replace("CPU", &(1000 + 500 * draw(4)).to_string())
                .replace("ZONES", zones)
                .replace("LEAST", &draw(2).to_string());
        }
        for pod in 0..1 + draw(5) {
            let (cpu, app) = (250 * (1 + draw(6)), format!("a{}", draw(2)));
            let mut extra = String::new();
            if draw(3) == 0 {
                extra += ANTI;
            }
            if draw(3) == 0 {
                extra += SPREAD;
            }
            yaml += &POD
                .replace("EXTRA", &extra)
                .replace("NAME", &format!("x{pod}"))
                .replace("APP", &app)
                .replace("CPU", &cpu.to_string());
        }
        yaml
    }

    /// Whether some assignment of every pod to the nodes of `counts`
    /// passes the validator, by trying them all.
    fn brute_force(p: &Problem, counts: &[u32]) -> bool {
        let dfs = Dfs::new(p, counts, &[], 0, Instant::now());
        let mut snapshot = dfs.snapshot;
        let nodes = dfs.nodes;
        let pods = p.pods.clone();
        let total = nodes.len().pow(pods.len() as u32);
        (0..total).any(|code| {
            let mut c = code;
            for pod in &pods {
                snapshot.assign(*pod, nodes[c % nodes.len()]);
                c /= nodes.len();
            }
            let plan = Plan {
                placed: pods
                    .iter()
                    .map(|pod| (*pod, snapshot.placement(*pod).expect("placed")))
                    .collect(),
                unplaced: Vec::new(),
                lower_bound: 0.0,
                proven: false,
            };
            let report = plan::report(&snapshot, plan, PlanStats::default());
            let ok = validate_plan(p.cluster, &report).is_ok();
            for pod in &pods {
                snapshot.unassign(*pod);
            }
            ok
        })
    }

    /// On random small scenarios and every vector of up to two new nodes
    /// per pool, the search packs exactly when brute force can, and
    /// proves infeasible exactly when it cannot.
    #[test]
    fn agrees_with_brute_force() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let (mut packed, mut infeasible) = (0, 0);
        for _ in 0..150 {
            let yaml = random_scenario(&mut seed);
            let cluster = read_scenario(&[Input::new("r.yaml", &yaml)]).expect("reads");
            // The pools' minCount nodes planned in, as `place` does.
            let cluster = cluster.with_min_counts().map_or(cluster, |(c, _)| c);
            let p = Problem::new(&cluster, cluster.pending_pods().collect());
            let order: Vec<usize> = (0..p.classes.len()).collect();
            let pools = cluster.pools.len();
            for code in 0..3u32.pow(pools as u32) {
                let counts: Vec<u32> = (0..pools).map(|i| code / 3u32.pow(i as u32) % 3).collect();
                if counts.iter().sum::<u32>() == 0 {
                    continue;
                }
                let deadline = Instant::now() + web_time::Duration::from_secs(5);
                let exact = search_vector(&p, &counts, &order, 1_000_000, deadline);
                let possible = brute_force(&p, &counts);
                match exact {
                    Outcome::Packed(_) => assert!(possible, "{counts:?}\n{yaml}"),
                    Outcome::Infeasible => assert!(!possible, "{counts:?}\n{yaml}"),
                    Outcome::Unknown => panic!("unknown on {counts:?}\n{yaml}"),
                }
                packed += usize::from(possible);
                infeasible += usize::from(!possible);
            }
        }
        assert!(
            packed > 100 && infeasible > 100,
            "{packed} packed, {infeasible} infeasible"
        );
    }

    /// On random small scenarios, the configuration LP's bound and its
    /// Lagrangian are never above the cheapest vector of up to two new nodes per pool that brute
    /// force can pack (so never above the optimum it bounds).
    #[test]
    fn configuration_bound_is_below_brute_force_optimum() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let (mut compared, mut lagrangian) = (0, 0);
        for _ in 0..120 {
            let yaml = random_scenario(&mut seed);
            let cluster = read_scenario(&[Input::new("r.yaml", &yaml)]).expect("reads");
            let cluster = cluster.with_min_counts().map_or(cluster, |(c, _)| c);
            let p = Problem::new(&cluster, cluster.pending_pods().collect());
            let pools = cluster.pools.len();
            let cheapest = (0..3u32.pow(pools as u32))
                .map(|code| {
                    (0..pools)
                        .map(|i| code / 3u32.pow(i as u32) % 3)
                        .collect::<Vec<u32>>()
                })
                .filter(|counts| brute_force(&p, counts))
                .map(|counts| p.counts_cost(&counts))
                .fold(f64::INFINITY, f64::min);
            if !cheapest.is_finite() {
                continue;
            }
            let demand = p.demand();
            let deadline = Instant::now() + web_time::Duration::from_secs(5);
            let bound = super::super::config_lp::config_lp_bound(&p, &demand, cheapest, deadline);
            if let Some(b) = bound {
                assert!(
                    b.value <= cheapest + 1e-6,
                    "{} > {cheapest}\n{yaml}",
                    b.value
                );
                compared += 1;
            }
            // The Lagrangian too (its existing-node knapsacks, surrogate
            // pricing bounds and scaled-down prices included).
            let deadline = Instant::now() + web_time::Duration::from_millis(200);
            let ascended =
                super::super::config_lagrange::subgradient_bound(&p, &demand, cheapest, deadline);
            if let Some(b) = ascended {
                assert!(b <= cheapest + 1e-6, "lagrangian {b} > {cheapest}\n{yaml}");
                lagrangian += 1;
            }
        }
        assert!(compared > 50, "{compared} compared");
        assert!(lagrangian > 50, "{lagrangian} Lagrangian bounds compared");
    }
}
