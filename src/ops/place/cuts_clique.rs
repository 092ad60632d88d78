//! Clique cuts for the bound model: sets of classes no two pods of which
//! fit together on one node of a bin (a new-node type, or an existing
//! node), so that the bin's nodes hold at most one pod of the set each:
//! `sum_{c in K} x_{c,b} <= n_b`.
//!
//! Two pods conflict on a node when their requests together exceed its
//! free capacity in some dimension, or when they are of one class that
//! takes at most one pod per node (hostname anti-affinity on itself, a
//! host port, or size). The aggregated model sees only each class's own
//! cap per node; these rows add what pairs of big pods cost: twelve pods
//! of 7 to 11 CPU need twelve 16-CPU nodes, though their CPU fills eight.
//! Bin packing with conflicts: Gendreau, Laporte & Semet, *C&OR* 31, 2004;
//! Muritiba, Iori, Malaguti & Toth, *INFORMS JoC* 22, 2010.
//!
//! The cliques are the maximal ones of the conflict graph over the classes
//! a bin may take (Bron–Kerbosch with pivoting; a class of one pod
//! counts as single whatever its size), at most
//! [`CLIQUES_PER_BIN`] per bin, of two classes or more (a lone class is
//! the model's own per-node cap).

use super::problem::Problem;

/// Maximal cliques kept per bin (the first found).
const CLIQUES_PER_BIN: usize = 32;

/// Whether a pod of class `a` and one of another class `b` cannot share
/// a node with `free` capacity per dimension (requests are whole numbers,
/// so the sum is exact).
fn conflict(p: &Problem, a: usize, b: usize, free: &[f64]) -> bool {
    let (ra, rb) = (&p.class_req[a], &p.class_req[b]);
    (0..free.len()).any(|d| ra[d] + rb[d] > free[d])
}

/// The cliques of one bin: `members` are (class, pods of it the bin's node
/// holds alone) for the demanded classes the bin takes, `frees` the free
/// capacity of each node the bin stands for (a pair conflicts only when it
/// does on every one of them).
fn cliques_on(p: &Problem, members: &[(usize, f64)], frees: &[&[f64]]) -> Vec<Vec<usize>> {
    // Only classes of which one node holds a single pod can be in a clique.
    let single: Vec<usize> = members
        .iter()
        .filter(|(_, cap)| *cap < 2.0)
        .map(|(c, _)| *c)
        .collect();
    if single.len() < 2 {
        return Vec::new();
    }
    let n = single.len();
    let adjacent: Vec<Vec<bool>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    i != j
                        && frees
                            .iter()
                            .all(|free| conflict(p, single[i], single[j], free))
                })
                .collect()
        })
        .collect();
    let mut found = Vec::new();
    let mut search = MaximalCliques {
        adjacent: &adjacent,
        found: &mut found,
    };
    search.extend(Vec::new(), (0..n).collect(), Vec::new());
    found
        .into_iter()
        .filter(|k| k.len() >= 2)
        .map(|k| k.into_iter().map(|i| single[i]).collect())
        .collect()
}

/// Bron–Kerbosch with pivoting over an adjacency matrix.
struct MaximalCliques<'a> {
    adjacent: &'a [Vec<bool>],
    found: &'a mut Vec<Vec<usize>>,
}

impl MaximalCliques<'_> {
    /// Every maximal clique containing `r`, extended by vertices of
    /// `candidates` and not by those of `excluded`.
    fn extend(&mut self, r: Vec<usize>, candidates: Vec<usize>, mut excluded: Vec<usize>) {
        if self.found.len() >= CLIQUES_PER_BIN {
            return;
        }
        if candidates.is_empty() && excluded.is_empty() {
            self.found.push(r);
            return;
        }
        let adj = self.adjacent;
        let pivot = candidates
            .iter()
            .chain(&excluded)
            .copied()
            .max_by_key(|u| candidates.iter().filter(|v| adj[*u][**v]).count())
            .unwrap_or(0);
        let mut left = candidates.clone();
        for v in candidates.into_iter().filter(|v| !adj[pivot][*v]) {
            let mut next = r.clone();
            next.push(v);
            let keep = |list: &[usize]| list.iter().copied().filter(|u| adj[v][*u]).collect();
            self.extend(next, keep(&left), keep(&excluded));
            left.retain(|u| *u != v);
            excluded.push(v);
        }
    }
}

/// Per type: the cliques of demanded classes on one of its nodes.
pub(crate) fn type_cliques(p: &Problem, demand: &[u32]) -> Vec<Vec<Vec<usize>>> {
    let mut members: Vec<Vec<(usize, f64)>> = vec![Vec::new(); p.types.len()];
    for (c, list) in p.compat_types.iter().enumerate() {
        if demand[c] > 0 {
            for (t, cap) in list {
                members[*t].push((c, cap.min(f64::from(demand[c]))));
            }
        }
    }
    members
        .iter()
        .enumerate()
        .map(|(t, m)| cliques_on(p, m, &[&p.type_free[t]]))
        .collect()
}

/// Per existing bin (its member nodes, indices into `existing`): the
/// cliques of demanded classes that conflict on every member node.
pub(crate) fn bin_cliques(
    p: &Problem,
    demand: &[u32],
    bins: &[Vec<usize>],
) -> Vec<Vec<Vec<usize>>> {
    let mut caps: Vec<Vec<(usize, f64)>> = vec![Vec::new(); p.existing.len()];
    for (c, list) in p.compat_existing.iter().enumerate() {
        if demand[c] > 0 {
            for (i, cap) in list {
                caps[*i].push((c, cap.min(f64::from(demand[c]))));
            }
        }
    }
    bins.iter()
        .map(|nodes| {
            // A class is single in the bin when it is so on every node
            // that takes it.
            let mut members: Vec<(usize, f64)> = Vec::new();
            for i in nodes {
                for (c, cap) in &caps[*i] {
                    match members.iter_mut().find(|(m, _)| m == c) {
                        Some((_, m_cap)) => *m_cap = m_cap.max(*cap),
                        None => members.push((*c, *cap)),
                    }
                }
            }
            let frees: Vec<&[f64]> = nodes
                .iter()
                .map(|i| p.existing_free[*i].as_slice())
                .collect();
            cliques_on(p, &members, &frees)
        })
        .collect()
}
