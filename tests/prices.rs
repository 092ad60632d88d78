//! The built-in price catalogue: figures checked against the source named
//! in data/azure-prices.csv, pools priced from it when they give a region
//! but no costPerHour, and price files overriding it.

use podplan::model::{PoolPriority, PriceOrigin};
use podplan::prices::{price_pools, PriceTable, BUILTIN_CSV};
use podplan::{read_scenario, Input};

/// Figures from the Azure Retail Prices API as stored in
/// Azure/karpenter-provider-azure@2b431da (2026-06-18),
/// pkg/providers/pricing/zz_generated.pricing.go.
#[test]
fn builtin_figures_match_the_cited_source() {
    let table = PriceTable::builtin();
    let cases = [
        ("Standard_D4s_v5", "eastus", 0.192),
        ("Standard_D8s_v5", "eastus", 0.384),
        ("Standard_D16s_v5", "eastus", 0.768),
        ("Standard_E16s_v5", "eastus", 1.008),
        ("Standard_F8s_v2", "eastus", 0.338),
        ("Standard_NC24ads_A100_v4", "eastus", 3.673),
        ("Standard_D8s_v5", "westeurope", 0.46),
        ("Standard_E16s_v5", "westeurope", 1.216),
        ("Standard_DS2_v2", "westeurope", 0.136),
        ("Standard_ND96isr_H100_v5", "westeurope", 127.816),
    ];
    for (sku, region, price) in cases {
        let p = table
            .lookup(sku, region, "Linux", PoolPriority::Regular)
            .unwrap_or_else(|| panic!("{sku} {region}"));
        assert_eq!(p.price, price, "{sku} {region}");
        assert_eq!(p.date, "2026-06-18");
        assert!(p.source.contains("karpenter-provider-azure@2b431da"));
    }
    // No Windows or Spot figures are shipped, nor other regions.
    assert!(table
        .lookup(
            "Standard_D8s_v5",
            "eastus",
            "Windows",
            PoolPriority::Regular
        )
        .is_none());
    assert!(table
        .lookup("Standard_D8s_v5", "eastus", "Linux", PoolPriority::Spot)
        .is_none());
    assert!(table
        .lookup(
            "Standard_D8s_v5",
            "northeurope",
            "Linux",
            PoolPriority::Regular
        )
        .is_none());
    for region in ["eastus", "westeurope"] {
        for vm in podplan::catalogue::CATALOGUE {
            assert!(
                table
                    .lookup(vm.name, region, "Linux", PoolPriority::Regular)
                    .is_some(),
                "{} {region}",
                vm.name
            );
        }
    }
    assert!(BUILTIN_CSV.contains("2b431da153a6a92b705c18046512c60b1631b682"));
}

const POOLS: &str = r#"
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: est}
spec: {vmSize: Standard_D8s_v5, region: westeurope}
---
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: given}
spec: {vmSize: Standard_D8s_v5, region: westeurope, costPerHour: 0.3}
---
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: noregion}
spec: {vmSize: Standard_D8s_v5}
---
apiVersion: podplan.dev/v1alpha1
kind: NodePool
metadata: {name: win}
spec: {vmSize: Standard_D8s_v5, region: eastus, osType: Windows}
"#;

#[test]
fn pools_without_cost_are_priced_from_their_region() {
    let cluster = read_scenario(&[Input::new("pools.yaml", POOLS)]).unwrap();
    let pool = |n: &str| cluster.pools.iter().find(|p| p.name == n).unwrap();
    assert_eq!(pool("est").cost_per_hour, 0.46);
    assert_eq!(pool("est").price_origin, PriceOrigin::Catalogue);
    assert_eq!(pool("given").cost_per_hour, 0.3);
    assert_eq!(pool("given").price_origin, PriceOrigin::Given);
    assert_eq!(pool("noregion").cost_per_hour, 0.0);
    assert_eq!(pool("noregion").price_origin, PriceOrigin::Unpriced);
    assert_eq!(pool("win").price_origin, PriceOrigin::Unpriced);
    let estimated: Vec<_> = cluster
        .warnings
        .iter()
        .filter(|w| w.contains("estimated"))
        .collect();
    assert_eq!(estimated.len(), 1, "{:?}", cluster.warnings);
    assert!(estimated[0].starts_with("NodePool est: no costPerHour; estimated 0.46/h"));
    assert!(cluster
        .warnings
        .iter()
        .any(|w| w.starts_with("NodePool win: no costPerHour and no built-in price")));
}

#[test]
fn a_price_file_overrides_the_catalogue_but_not_cost_per_hour() {
    let mut cluster = read_scenario(&[Input::new("pools.yaml", POOLS)]).unwrap();
    let file = PriceTable::parse(
        "p.csv",
        "armSkuName,armRegionName,os,priority,retailPrice,source,date\n\
         Standard_D8s_v5,westeurope,Linux,Regular,0.5,mine,2026-12-01\n\
         Standard_D8s_v5,eastus,Windows,Regular,0.75,mine,2026-12-01\n",
    )
    .unwrap();
    let warnings = price_pools(&mut cluster.pools, &file, PriceOrigin::File);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    let pool = |n: &str| cluster.pools.iter().find(|p| p.name == n).unwrap();
    assert_eq!(pool("est").cost_per_hour, 0.5);
    assert_eq!(pool("est").price_origin, PriceOrigin::File);
    assert_eq!(pool("win").cost_per_hour, 0.75);
    assert_eq!(pool("given").cost_per_hour, 0.3);
}
