//! Resource vectors as kube-scheduler's `framework.Resource`: CPU in
//! millicores, memory and ephemeral storage in bytes, everything else
//! (extended resources such as `nvidia.com/gpu`, hugepages) as scalars.

use serde::{Deserialize, Serialize};

/// Name of the CPU resource.
pub const CPU: &str = "cpu";
/// Name of the memory resource.
pub const MEMORY: &str = "memory";
/// Name of the ephemeral storage resource.
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";
/// Name of the pod-count resource.
pub const PODS: &str = "pods";

/// A quantity per resource. Scalars are kept sorted by name so that two
/// vectors compare and merge in linear time; most pods have none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Resources {
    /// CPU in millicores.
    pub milli_cpu: i64,
    /// Memory in bytes.
    pub memory: i64,
    /// Ephemeral storage in bytes.
    pub ephemeral_storage: i64,
    /// Allowed pod count (meaningful on nodes; pods request one implicitly).
    pub pods: i64,
    /// Extended and other scalar resources, sorted by name, no duplicates.
    pub scalars: Vec<(String, i64)>,
}

impl Resources {
    /// Value of the named resource (`cpu` in millicores).
    pub fn get(&self, name: &str) -> i64 {
        match name {
            CPU => self.milli_cpu,
            MEMORY => self.memory,
            EPHEMERAL_STORAGE => self.ephemeral_storage,
            PODS => self.pods,
            _ => self.scalar(name),
        }
    }

    /// Value of a scalar resource, 0 when absent.
    pub fn scalar(&self, name: &str) -> i64 {
        match self.scalars.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(i) => self.scalars[i].1,
            Err(_) => 0,
        }
    }

    /// Sets the named resource (`cpu` in millicores).
    pub fn set(&mut self, name: &str, value: i64) {
        match name {
            CPU => self.milli_cpu = value,
            MEMORY => self.memory = value,
            EPHEMERAL_STORAGE => self.ephemeral_storage = value,
            PODS => self.pods = value,
            _ => match self.scalars.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
                Ok(i) => self.scalars[i].1 = value,
                Err(i) => self.scalars.insert(i, (name.to_string(), value)),
            },
        }
    }

    /// Adds `other` component-wise (saturating: inputs are untrusted).
    pub fn add(&mut self, other: &Resources) {
        self.combine(other, i64::saturating_add);
    }

    /// Subtracts `other` component-wise (saturating).
    pub fn sub(&mut self, other: &Resources) {
        self.combine(other, i64::saturating_sub);
    }

    /// Component-wise maximum, as for init containers.
    pub fn max_with(&mut self, other: &Resources) {
        self.combine(other, i64::max);
    }

    fn combine(&mut self, other: &Resources, f: impl Fn(i64, i64) -> i64) {
        self.milli_cpu = f(self.milli_cpu, other.milli_cpu);
        self.memory = f(self.memory, other.memory);
        self.ephemeral_storage = f(self.ephemeral_storage, other.ephemeral_storage);
        self.pods = f(self.pods, other.pods);
        for (name, v) in &other.scalars {
            let cur = self.scalar(name);
            self.set(name, f(cur, *v));
        }
        // Scalars present only in `self` combine with 0 from `other`.
        for i in 0..self.scalars.len() {
            let (ref name, v) = self.scalars[i];
            if other.scalar(name) == 0 && !other.scalars.iter().any(|(n, _)| n == name) {
                self.scalars[i].1 = f(v, 0);
            }
        }
    }

    /// True when no resource is requested.
    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.pods == 0
            && self.scalars.iter().all(|(_, v)| *v == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_and_combine() {
        let mut a = Resources::default();
        a.set(CPU, 100);
        a.set("nvidia.com/gpu", 1);
        let mut b = Resources::default();
        b.set(CPU, 300);
        b.set("example.com/foo", 2);
        a.max_with(&b);
        assert_eq!(a.get(CPU), 300);
        assert_eq!(a.scalar("nvidia.com/gpu"), 1);
        assert_eq!(a.scalar("example.com/foo"), 2);
        a.sub(&b);
        assert_eq!(a.get(CPU), 0);
        assert_eq!(a.scalar("example.com/foo"), 0);
        assert_eq!(a.scalar("nvidia.com/gpu"), 1);
        assert!(!a.is_zero());
    }
}
