//! Hourly VM prices: the built-in catalogue (`data/azure-prices.csv`,
//! compiled in) and price files in the same CSV format (`--prices`).
//!
//! A row is `armSkuName,armRegionName,os,priority,retailPrice,source,date`
//! (the Azure Retail Prices API's field names; `os` is `Linux` or
//! `Windows`, `priority` `Regular` or `Spot`, `source` and `date` say
//! where the figure comes from). Lines starting with `#` and blank lines
//! are skipped, as is a header line starting with `armSkuName`.
//!
//! The built-in rows are Linux pay-as-you-go prices for every size of the
//! VM catalogue in `eastus` and `westeurope`, from the Azure Retail Prices
//! API as captured on 2026-06-18 (the file's header names the source);
//! no Windows or Spot prices are built in.

use super::{NodePool, PoolPriority, PriceOrigin};
use crate::error::{Error, Result};
use std::sync::OnceLock;

/// The built-in price file's text.
pub const BUILTIN_CSV: &str = include_str!("../../data/azure-prices.csv");
/// The name the built-in price file goes by in messages.
pub const BUILTIN_NAME: &str = "data/azure-prices.csv";
/// The region assumed when neither the pool nor the caller names one.
pub const DEFAULT_REGION: &str = "eastus";

/// One price row.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    /// The VM size (`armSkuName`), e.g. `Standard_D8s_v5`.
    pub sku: String,
    /// The region (`armRegionName`), e.g. `eastus`.
    pub region: String,
    /// `Linux` or `Windows`.
    pub os: String,
    /// Regular (pay-as-you-go) or Spot.
    pub priority: PoolPriority,
    /// USD per hour (`retailPrice`).
    pub price: f64,
    /// Where the figure comes from.
    pub source: String,
    /// When it was taken (as written in the file).
    pub date: String,
}

/// A set of price rows, looked up by size, region, OS and priority
/// (compared case-insensitively); a later row for the same key wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    /// The rows in file order.
    pub rows: Vec<Price>,
}

impl PriceTable {
    /// Reads a price CSV; errors name `file`, the line and the field.
    pub fn parse(file: &str, text: &str) -> Result<PriceTable> {
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("armSkuName") {
                continue;
            }
            rows.push(parse_row(line).map_err(|(field, message)| Error::Field {
                file: file.into(),
                object: format!("line {}", i + 1),
                field: field.into(),
                message,
            })?);
        }
        Ok(PriceTable { rows })
    }

    /// The built-in catalogue.
    pub fn builtin() -> &'static PriceTable {
        static TABLE: OnceLock<PriceTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            // The file is part of the crate and checked by tests.
            PriceTable::parse(BUILTIN_NAME, BUILTIN_CSV).unwrap_or_default()
        })
    }

    /// The row for a size in a region, OS and priority.
    pub fn lookup(
        &self,
        sku: &str,
        region: &str,
        os: &str,
        priority: PoolPriority,
    ) -> Option<&Price> {
        self.rows.iter().rev().find(|p| {
            p.sku.eq_ignore_ascii_case(sku)
                && p.region.eq_ignore_ascii_case(region)
                && p.os.eq_ignore_ascii_case(os)
                && p.priority == priority
        })
    }

    /// The row for `pool`'s VM size, OS and priority in `region`.
    pub fn for_pool(&self, pool: &NodePool, region: &str) -> Option<&Price> {
        let sku = pool.vm_size.as_deref()?;
        self.lookup(sku, region, &pool.os_type, pool.priority)
    }
}

/// One CSV line: the bad field's name and a message on error.
fn parse_row(line: &str) -> std::result::Result<Price, (&'static str, String)> {
    const FIELDS: [&str; 7] = [
        "armSkuName",
        "armRegionName",
        "os",
        "priority",
        "retailPrice",
        "source",
        "date",
    ];
    let cells: Vec<&str> = line.split(',').map(str::trim).collect();
    if cells.len() < 5 || cells.len() > FIELDS.len() {
        return Err((
            "",
            format!(
                "expected {} comma-separated fields ({}), got {}",
                FIELDS.len(),
                FIELDS.join(","),
                cells.len()
            ),
        ));
    }
    for (i, name) in FIELDS.iter().enumerate().take(4) {
        if cells[i].is_empty() {
            return Err((name, "is required".into()));
        }
    }
    let os = ["Linux", "Windows"]
        .into_iter()
        .find(|o| o.eq_ignore_ascii_case(cells[2]))
        .ok_or((
            "os",
            format!("must be Linux or Windows, got {:?}", cells[2]),
        ))?;
    let priority = match cells[3].to_ascii_lowercase().as_str() {
        "regular" => PoolPriority::Regular,
        "spot" => PoolPriority::Spot,
        _ => {
            return Err((
                "priority",
                format!("must be Regular or Spot, got {:?}", cells[3]),
            ))
        }
    };
    let price = cells[4]
        .parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p >= 0.0)
        .ok_or((
            "retailPrice",
            format!("must be a number ≥ 0, got {:?}", cells[4]),
        ))?;
    Ok(Price {
        sku: cells[0].into(),
        region: cells[1].into(),
        os: os.into(),
        priority,
        price,
        source: cells.get(5).copied().unwrap_or_default().into(),
        date: cells.get(6).copied().unwrap_or_default().into(),
    })
}

/// Prices every pool of `pools` that has no `costPerHour` from `table`
/// (`origin` says which table it is), in the pool's region; returns a
/// warning per pool priced so. Pools with an explicit `costPerHour` are
/// left alone; pools without a region are not priced.
pub fn price_pools(pools: &mut [NodePool], table: &PriceTable, origin: PriceOrigin) -> Vec<String> {
    let mut warnings = Vec::new();
    for pool in pools.iter_mut() {
        if pool.price_origin == PriceOrigin::Given {
            continue;
        }
        let Some(region) = pool.region.clone() else {
            continue;
        };
        if let Some(p) = table.for_pool(pool, &region) {
            pool.cost_per_hour = p.price;
            pool.price_origin = origin;
            warnings.push(estimated_warning(pool, p));
        }
    }
    warnings
}

/// Prices the pools without `costPerHour` from the built-in catalogue;
/// warns for each pool priced so, and for each pool with a region but no
/// price to be found (its nodes cost 0 unless `--prices` gives one).
pub(crate) fn price_from_catalogue(pools: &mut [NodePool]) -> Vec<String> {
    let mut warnings = price_pools(pools, PriceTable::builtin(), PriceOrigin::Catalogue);
    for pool in pools.iter() {
        if pool.price_origin == PriceOrigin::Unpriced {
            if let Some(region) = &pool.region {
                warnings.push(format!(
                    "NodePool {}: no costPerHour and no built-in price for {} {} {} {:?}: \
                     its nodes cost 0 unless a price file gives one",
                    pool.name,
                    pool.vm_size.as_deref().unwrap_or("(no vmSize)"),
                    region,
                    pool.os_type,
                    pool.priority,
                ));
            }
        }
    }
    warnings
}

impl super::Cluster {
    /// Prices the pools without `costPerHour` from `table` (a price file:
    /// it wins over the built-in catalogue), replacing the catalogue's
    /// warnings for the pools it prices with its own.
    pub fn apply_prices(&mut self, table: &PriceTable) {
        let warnings = price_pools(&mut self.pools, table, PriceOrigin::File);
        let repriced: Vec<String> = self
            .pools
            .iter()
            .filter(|p| p.price_origin == PriceOrigin::File)
            .map(|p| format!("NodePool {}: no costPerHour", p.name))
            .collect();
        self.warnings
            .retain(|w| !repriced.iter().any(|r| w.starts_with(r.as_str())));
        self.warnings.extend(warnings);
    }
}

/// The warning for a pool priced from a table.
fn estimated_warning(pool: &NodePool, p: &Price) -> String {
    format!(
        "NodePool {}: no costPerHour; estimated {}/h for {} {} {} {:?} (source {}, {})",
        pool.name,
        p.price,
        p.sku,
        p.region,
        p.os,
        p.priority,
        if p.source.is_empty() { "?" } else { &p.source },
        if p.date.is_empty() {
            "undated"
        } else {
            &p.date
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses() {
        let table = PriceTable::parse(BUILTIN_NAME, BUILTIN_CSV).unwrap();
        assert_eq!(PriceTable::builtin().rows.len(), table.rows.len());
        assert_eq!(table.rows.len(), 88);
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = PriceTable::parse("p.csv", "# c\nStandard_D2s_v5,eastus,Linux,Regular,cheap\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "p.csv: line 2: retailPrice: must be a number ≥ 0, got \"cheap\""
        );
        let e = PriceTable::parse("p.csv", "a,b,Plan9,Regular,1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.csv: line 1: os: "), "{e}");
        let e = PriceTable::parse("p.csv", "a,b,Linux,Low,1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.csv: line 1: priority: "), "{e}");
        let e = PriceTable::parse("p.csv", "a,b\n").unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        let e = PriceTable::parse("p.csv", ",b,Linux,Spot,1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.csv: line 1: armSkuName: "), "{e}");
    }

    #[test]
    fn later_rows_win_and_lookup_ignores_case() {
        let t = PriceTable::parse(
            "p.csv",
            "Standard_D2s_v5,eastus,Linux,Spot,0.02,x,2026-01-01\nstandard_d2s_v5,EastUS,linux,spot,0.03\n",
        )
        .unwrap();
        let p = t
            .lookup("Standard_D2s_v5", "eastus", "Linux", PoolPriority::Spot)
            .unwrap();
        assert_eq!(p.price, 0.03);
        assert!(t
            .lookup("Standard_D2s_v5", "eastus", "Linux", PoolPriority::Regular)
            .is_none());
    }
}
