"""A per-pool capacity table from `podplan.place`: which nodes to add, what
they cost, how full they are. With pandas installed, also as a DataFrame.

    python examples/capacity_report.py examples/aks-multitenant.yaml [--time-limit 10]
"""

import argparse

import podplan


def rows(report):
    """One row per pool that gets new nodes, dearest first."""
    out = []
    for pool, usage in report["pools"].items():
        if usage["newNodes"] == 0:
            continue
        out.append(
            {
                "pool": pool,
                "new_nodes": usage["newNodes"],
                "nodes": usage["nodes"],
                "cost_per_hour": usage["cost"],
                "cpu": usage["cpuUtilisation"],
                "memory": usage["memoryUtilisation"],
                "estimated_price": usage.get("priceEstimated", False),
            }
        )
    return sorted(out, key=lambda r: -r["cost_per_hour"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="+")
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    report = podplan.place(args.scenario, time_limit=args.time_limit)
    table = rows(report)
    print(f"{'POOL':<20} {'NEW':>4} {'NODES':>5} {'COST/H':>8} {'CPU':>5} {'MEM':>5}")
    for r in table:
        mark = "*" if r["estimated_price"] else ""
        print(
            f"{r['pool']:<20} {r['new_nodes']:>4} {r['nodes']:>5} {r['cost_per_hour']:>7.3f}{mark:1} "
            f"{r['cpu']:>5.0%} {r['memory']:>5.0%}"
        )
    print(
        f"total {report['cost']:.3f}/h ({report['status']}; lower bound {report['lowerBound']:.3f}/h), "
        f"{len(report['unplaced'])} pods left pending"
    )
    try:
        import pandas as pd
    except ImportError:
        return
    print()
    print(pd.DataFrame(table).set_index("pool"))


if __name__ == "__main__":
    main()
