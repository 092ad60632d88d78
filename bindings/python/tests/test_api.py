"""The Python package against the native CLI on the bundled examples: every
function returns the CLI's ``-o json`` report; every scenario form reads the
same; errors are ``ScenarioError`` with the CLI's message; the GIL is
released during a solve.

The CLI is ``$PODPLAN_BIN``, else ``target/release/podplan`` (``cargo build
--release`` at the repository's root).
"""

import json
import os
import pathlib
import subprocess
import sys
import threading
import time

import pytest

import podplan

ROOT = pathlib.Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "aks-multitenant.yaml"
EXAMPLE_JSON = ROOT / "examples" / "aks-multitenant.json"
CHANGE = ROOT / "examples" / "whatif-add-deployment.yaml"


def binary() -> str:
    path = os.environ.get("PODPLAN_BIN") or str(ROOT / "target" / "release" / "podplan")
    if not os.path.exists(path):
        pytest.skip(f"no native CLI at {path}: cargo build --release first")
    return path


def native(*args: str):
    """``podplan ARGS -o json``: (exit code, report or None, stderr)."""
    r = subprocess.run([binary(), *args, "-o", "json"], capture_output=True, text=True)
    report = json.loads(r.stdout) if r.returncode in (0, 1) else None
    return r.returncode, report, r.stderr


def without_timings(report):
    """The report without wall-clock times, which differ run to run."""
    if isinstance(report, dict):
        return {k: without_timings(v) for k, v in report.items() if k != "solveMillis"}
    if isinstance(report, list):
        return [without_timings(v) for v in report]
    return report


def same_as_cli(report, *args):
    code, cli, stderr = native(*args)
    assert cli is not None, stderr
    assert without_timings(report) == without_timings(cli)
    return cli


def test_explain_plain_summary_and_fix():
    same_as_cli(podplan.explain(str(EXAMPLE)), "explain", str(EXAMPLE))
    summary = podplan.explain(EXAMPLE, summary=True, with_pools=True)
    same_as_cli(summary, "explain", str(EXAMPLE), "--summary", "--with-pools")
    fixed = podplan.explain(EXAMPLE, fix=True)
    same_as_cli(fixed, "explain", str(EXAMPLE), "--fix")
    by_pod = {p["pod"]: p for p in fixed["pods"]}
    assert by_pod["analytics/reports-0"]["feasibleNodes"] == []


def test_place_simulate_and_pool_sizes():
    # Small enough to be proven optimal in the time: the same plan each run.
    placed = podplan.place(EXAMPLE, time_limit=3)
    assert placed["status"] == "optimal"
    same_as_cli(placed, "place", str(EXAMPLE), "--time-limit", "3")
    same_as_cli(podplan.simulate(EXAMPLE), "simulate", str(EXAMPLE))
    auto = podplan.place(EXAMPLE, time_limit=3, pool_sizes="auto")
    _, cli, _ = native("place", str(EXAMPLE), "--time-limit", "3", "--pool-sizes", "auto")
    assert auto["status"] == cli["status"] == "optimal"
    assert abs(auto["cost"] - cli["cost"]) < 1e-9
    assert auto["cost"] <= placed["cost"] + 1e-9
    with pytest.raises(podplan.ScenarioError, match="pool_sizes"):
        podplan.place(EXAMPLE, pool_sizes="all")


def test_drain_headroom_diff_tenancy_sizes():
    same_as_cli(podplan.drain(EXAMPLE, pool="general", surge=1), "drain", str(EXAMPLE), "--pool", "general", "--surge", "1")
    same_as_cli(podplan.headroom(EXAMPLE, workload="shop/db"), "headroom", str(EXAMPLE), "--workload", "shop/db")
    same_as_cli(podplan.diff(EXAMPLE, CHANGE), "diff", str(EXAMPLE), "--with", str(CHANGE))
    report = podplan.tenancy(EXAMPLE, control_plane_cost=0)
    same_as_cli(report, "tenancy", str(EXAMPLE), "--control-plane-cost", "0")
    assert [l["name"] for l in report["layouts"]] == ["shared", "dedicated-pools", "dedicated-clusters"]
    table = podplan.sizes(EXAMPLE, pool="general", time_limit=4)
    _, cli, _ = native("sizes", str(EXAMPLE), "--pool", "general", "--time-limit", "4")
    # Every row of the example is proven optimal: the figures do not
    # depend on how far each run got.
    figures = lambda t: [(r["sizes"], r["nodes"], round(r["cost"], 6), r["status"]) for r in t["rows"]]
    assert figures(table) == figures(cli)
    assert table["rows"][0]["sizes"] == ["Standard_D2s_v5"]


def test_headroom_of_a_pod_manifest():
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe", "namespace": "shop"},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]},
    }
    report = podplan.headroom(EXAMPLE, pod=pod)
    assert report["fits"] > 0
    assert sum(report["perNode"].values()) == report["fits"]


def test_every_scenario_form_reads_the_same():
    text = EXAMPLE.read_text()
    listing = json.loads(EXAMPLE_JSON.read_text())
    reference = podplan.explain(EXAMPLE, summary=True)
    forms = [str(EXAMPLE), EXAMPLE, text, text.encode(), listing, [listing], (EXAMPLE,)]
    for form in forms:
        assert podplan.explain(form, summary=True) == reference, type(form)
    # A dict per object, as the kubernetes client serialises them.
    objects = listing["items"]
    assert podplan.explain(objects, summary=True) == reference
    # Several files, read in order: the change adds a workload.
    both = podplan.explain([EXAMPLE, CHANGE], summary=True)
    assert len(both["pods"]) > len(reference["pods"])
    with pytest.raises(TypeError):
        podplan.explain(42)


def test_errors_carry_the_cli_message():
    bad = "kind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: c, resources: {requests: {cpu: lots}}}]}\n"
    with pytest.raises(podplan.ScenarioError) as raised:
        podplan.explain(bad)
    assert isinstance(raised.value, ValueError)
    assert 'spec.containers[0].resources.requests.cpu: invalid quantity "lots"' in str(raised.value)
    with pytest.raises(podplan.ScenarioError) as raised:
        podplan.sizes(EXAMPLE, pool="nope")
    code, _, stderr = native("sizes", str(EXAMPLE), "--pool", "nope")
    assert code == 2
    assert stderr.strip() == f"error: {raised.value}"
    with pytest.raises(podplan.ScenarioError, match="not UTF-8"):
        podplan.explain(b"\xff\xfe")


def test_the_gil_is_released_while_place_runs(tmp_path):
    # Ladder m (4,000 pods): place uses most of its time limit on it.
    ladder = tmp_path / "m.json"
    ladder.write_text(subprocess.run([binary(), "generate", "--ladder", "m"], capture_output=True, text=True, check=True).stdout)
    done = threading.Event()

    def solve():
        podplan.place(ladder, time_limit=2)
        done.set()

    worker = threading.Thread(target=solve)
    worker.start()
    time.sleep(0.2)
    ticks = 0
    began = time.monotonic()
    while not done.is_set() and time.monotonic() - began < 1.0:
        ticks += 1
        time.sleep(0.001)
    worker.join()
    # With the GIL held for the whole solve, this thread would not run
    # until it ends: at most a tick or two.
    assert ticks > 50, ticks


def test_capacity_report_example():
    script = ROOT / "examples" / "capacity_report.py"
    r = subprocess.run([sys.executable, str(script), str(EXAMPLE)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    report = podplan.place(EXAMPLE, time_limit=3)
    for pool, usage in report["pools"].items():
        if usage["newNodes"] > 0:
            assert pool in r.stdout
    assert f"{report['cost']:.3f}" in r.stdout
