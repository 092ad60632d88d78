//! The AKS VM catalogue and node resource reservation rules, through the
//! public items of `podplan::catalogue`.

use podplan::catalogue::{
    aks_allocatable, aks_reserved_cpu, aks_reserved_memory, vm_capacity, vm_size, VmSize,
    CATALOGUE, DEFAULT_MAX_PODS, GPU_RESOURCE,
};
use podplan::model::Resources;

const MIB: i64 = 1 << 20;
const GIB: i64 = 1 << 30;

fn node(cores: i64, memory: i64, pods: i64) -> Resources {
    Resources {
        milli_cpu: cores * 1000,
        memory,
        pods,
        ..Resources::default()
    }
}

#[test]
fn cpu_reservation_reproduces_the_aks_table() {
    // https://learn.microsoft.com/azure/aks/node-resource-reservations
    let table = [
        (1, 60),
        (2, 100),
        (4, 140),
        (8, 180),
        (16, 260),
        (32, 420),
        (64, 740),
    ];
    for (cores, reserved) in table {
        assert_eq!(aks_reserved_cpu(cores * 1000), reserved, "{cores} cores");
        let a = aks_allocatable(&node(cores, 64 * GIB, 110), false);
        assert_eq!(a.milli_cpu, cores * 1000 - reserved, "{cores} cores");
    }
    // Between the table's points: 10m per core above 4.
    assert_eq!(aks_reserved_cpu(24_000), 340);
    assert_eq!(aks_reserved_cpu(48_000), 580);
    assert_eq!(aks_reserved_cpu(96_000), 1060);
    assert_eq!(aks_reserved_cpu(0), 0);
    assert_eq!(aks_reserved_cpu(-5), 0);
    // Fractional cores interpolate, rounding the reservation up.
    assert_eq!(aks_reserved_cpu(500), 30);
    assert_eq!(aks_reserved_cpu(1), 1);
    assert_eq!(aks_reserved_cpu(i64::MAX), 92_233_720_368_547_859);
}

#[test]
fn memory_rule_for_a_d4s_v5() {
    let vm = vm_size("Standard_D4s_v5").unwrap();
    let capacity = vm_capacity(vm, DEFAULT_MAX_PODS);
    assert_eq!(capacity.memory, 16 * GIB);
    assert_eq!(capacity.pods, 110);
    // min(20 × 110 + 50 = 2250 MiB, 25 % × 16 GiB = 4096 MiB) + 100 MiB eviction.
    assert_eq!(aks_reserved_memory(16 * GIB, 110, false), 2350 * MIB);
    let a = aks_allocatable(&capacity, false);
    assert_eq!(a.memory, 16 * GIB - 2350 * MIB);
    assert_eq!(a.milli_cpu, 3860);
    assert_eq!(a.pods, 110);
}

#[test]
fn windows_reserves_two_gib_more() {
    let capacity = vm_capacity(vm_size("Standard_D4s_v5").unwrap(), 110);
    let linux = aks_allocatable(&capacity, false);
    let windows = aks_allocatable(&capacity, true);
    assert_eq!(linux.memory - windows.memory, 2 * GIB);
    assert_eq!(windows.memory, (16384 - 2250 - 100 - 2048) * MIB);
    assert_eq!(linux.milli_cpu, windows.milli_cpu);
}

#[test]
fn quarter_of_memory_binds_on_small_vms() {
    // F2s_v2: 4 GiB; 20 × 110 + 50 = 2250 MiB > 25 % = 1024 MiB.
    let capacity = vm_capacity(vm_size("Standard_F2s_v2").unwrap(), 110);
    assert_eq!(
        aks_reserved_memory(capacity.memory, 110, false),
        (1024 + 100) * MIB
    );
    assert_eq!(
        aks_allocatable(&capacity, false).memory,
        (4096 - 1124) * MIB
    );
    // DS2_v2: 7 GiB; 25 % = 1792 MiB < 2250 MiB.
    let capacity = vm_capacity(vm_size("Standard_DS2_v2").unwrap(), 110);
    assert_eq!(
        aks_allocatable(&capacity, false).memory,
        (7168 - 1792 - 100) * MIB
    );
    // The documentation's example: 8 GB and 30 pods reserve 650 MB.
    assert_eq!(aks_reserved_memory(8 * GIB, 30, false), (650 + 100) * MIB);
    // A node smaller than the eviction threshold has nothing allocatable.
    assert_eq!(aks_allocatable(&node(1, 64 * MIB, 110), false).memory, 0);
}

#[test]
fn gpus_and_other_scalars_pass_through() {
    let capacity = vm_capacity(vm_size("Standard_ND96isr_H100_v5").unwrap(), 110);
    assert_eq!(capacity.scalar(GPU_RESOURCE), 8);
    let mut with_extra = capacity.clone();
    with_extra.set("example.com/dongle", 3);
    let a = aks_allocatable(&with_extra, false);
    assert_eq!(a.scalar(GPU_RESOURCE), 8);
    assert_eq!(a.scalar("example.com/dongle"), 3);
    assert_eq!(a.pods, 110);
    assert_eq!(a.milli_cpu, 96_000 - 1060);
    assert_eq!(a.memory, 1900 * GIB - (2250 + 100) * MIB);
}

#[test]
fn ephemeral_storage_keeps_the_kubelet_nodefs_threshold() {
    // A real AKS node (Standard_DS2_v2): capacity 101445900Ki, allocatable
    // 93492541286 after `nodefs.available<10%`.
    let mut capacity = node(2, 7 * GIB, 110);
    capacity.ephemeral_storage = 101_445_900 * 1024;
    let a = aks_allocatable(&capacity, false);
    assert_eq!(a.ephemeral_storage, 93_492_541_286);
    assert_eq!(a.milli_cpu, 1900);
}

#[test]
fn catalogue_lookup_and_contents() {
    let a100 = vm_size("STANDARD_NC24ADS_A100_V4").unwrap();
    assert_eq!(
        *a100,
        VmSize {
            name: "Standard_NC24ads_A100_v4",
            vcpus: 24,
            memory_mib: 220 * 1024,
            gpus: 1,
            gpu_model: Some("A100"),
        }
    );
    assert!(vm_size("Standard_Nope_v9").is_none());
    let check = |name: &str, vcpus: u32, gib: u64, gpus: u32| {
        let vm = vm_size(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(
            (vm.vcpus, vm.memory_mib, vm.gpus),
            (vcpus, gib * 1024, gpus),
            "{name}"
        );
        assert_eq!(vm.gpu_model.is_some(), gpus > 0, "{name}");
    };
    for n in [2, 4, 8, 16, 32, 48, 64] {
        check(&format!("Standard_D{n}s_v5"), n, 4 * u64::from(n), 0);
        check(&format!("Standard_E{n}s_v5"), n, 8 * u64::from(n), 0);
        check(&format!("Standard_F{n}s_v2"), n, 2 * u64::from(n), 0);
    }
    for n in [2, 4, 8] {
        check(&format!("Standard_D{n}s_v3"), n, 4 * u64::from(n), 0);
    }
    check("Standard_E64s_v5", 64, 512, 0);
    check("Standard_F72s_v2", 72, 144, 0);
    check("Standard_DS2_v2", 2, 7, 0);
    check("Standard_NC48ads_A100_v4", 48, 440, 2);
    check("Standard_NC96ads_A100_v4", 96, 880, 4);
    check("Standard_NC4as_T4_v3", 4, 28, 1);
    check("Standard_NC8as_T4_v3", 8, 56, 1);
    check("Standard_NC16as_T4_v3", 16, 110, 1);
    check("Standard_NC64as_T4_v3", 64, 440, 4);
    check("Standard_ND96isr_H100_v5", 96, 1900, 8);
    // Names are unique, case-insensitively.
    for (i, a) in CATALOGUE.iter().enumerate() {
        for b in &CATALOGUE[i + 1..] {
            assert!(!a.name.eq_ignore_ascii_case(b.name), "{} twice", a.name);
        }
    }
}

#[test]
fn vm_capacity_without_gpus_has_no_gpu_scalar() {
    let capacity = vm_capacity(vm_size("Standard_E8s_v5").unwrap(), 30);
    assert_eq!(capacity.milli_cpu, 8000);
    assert_eq!(capacity.memory, 64 * GIB);
    assert_eq!(capacity.pods, 30);
    assert!(capacity.scalars.is_empty());
}
