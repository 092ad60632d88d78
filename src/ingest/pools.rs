//! The `NodePool` kind (podplan.dev/v1alpha1) with AKS conventions.
