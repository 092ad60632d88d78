"""podplan for Python: where Kubernetes pods go, with kube-scheduler's semantics.

Every function takes a *scenario* and returns the report the CLI prints
with ``-o json``, as plain ``dict``s (docs/reports.md in the repository).
A scenario is:

- a ``str`` of JSON or YAML (one object, a ``List``, or several YAML
  documents), or a path to such a file (a ``str`` without a newline that
  names an existing file, or an ``os.PathLike``);
- a ``dict``: a Kubernetes object or ``List``, e.g. from the official
  ``kubernetes`` client's ``ApiClient().sanitize_for_serialization(obj)``;
- ``bytes`` (UTF-8 text);
- or a list or tuple of these, read in order (later objects with the same
  kind, namespace and name replace earlier ones).

Bad input raises :class:`ScenarioError` (a ``ValueError``) with the CLI's
message. The solvers release the GIL, so threads can run several at once.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import _podplan
from ._podplan import ScenarioError

__all__ = [
    "ScenarioError",
    "explain",
    "place",
    "simulate",
    "drain",
    "headroom",
    "diff",
    "tenancy",
    "sizes",
    "__version__",
]

__version__: str = _podplan.__version__


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _options(**given: Any) -> str:
    """The options the caller gave, camelCase, as JSON (the rest default)."""
    return json.dumps({_camel(k): v for k, v in given.items() if v is not None})


def _file(item: Any, index: int) -> Tuple[str, str]:
    if isinstance(item, os.PathLike):
        path = os.fspath(item)
        with open(path, encoding="utf-8") as f:
            return str(path), f.read()
    if isinstance(item, str):
        if "\n" not in item and len(item) < 4096 and os.path.isfile(item):
            with open(item, encoding="utf-8") as f:
                return item, f.read()
        return f"<scenario {index}>", item
    if isinstance(item, (bytes, bytearray, memoryview)):
        try:
            return f"<scenario {index}>", bytes(item).decode("utf-8")
        except UnicodeDecodeError as e:
            raise ScenarioError(f"<scenario {index}>: not UTF-8 text: {e}") from None
    if isinstance(item, dict):
        kind = item.get("kind", "object")
        return f"<scenario {index}: {kind}>", json.dumps(item)
    raise TypeError(
        "a scenario is JSON or YAML text, a path, a dict, bytes, "
        f"or a list of these; got {type(item).__name__}"
    )


def _files(scenario: Any) -> Tuple[List[str], List[str]]:
    items: Sequence[Any] = scenario if isinstance(scenario, (list, tuple)) else [scenario]
    names, texts = [], []
    for i, item in enumerate(items):
        name, text = _file(item, i)
        names.append(name)
        texts.append(text)
    return names, texts


def _run(operation: str, scenario: Any, options: str, change: Any = None) -> Dict[str, Any]:
    names, texts = _files(scenario)
    change_names, change_texts = _files(change) if change is not None else ([], [])
    out = _podplan.run(operation, names, texts, options, change_names, change_texts)
    return json.loads(out)


def explain(
    scenario: Any,
    *,
    pod: Optional[str] = None,
    summary: Optional[bool] = None,
    with_pools: Optional[bool] = None,
    fix: Optional[bool] = None,
) -> Dict[str, Any]:
    """Why each pending pod is (un)schedulable (``podplan explain``)."""
    return _run("explain", scenario, _options(pod=pod, summary=summary, with_pools=with_pools, fix=fix))


def place(
    scenario: Any,
    *,
    time_limit: Optional[float] = None,
    repack: Optional[bool] = None,
    pool_sizes: Optional[str] = None,
) -> Dict[str, Any]:
    """The cheapest nodes for the pending pods, with a proven lower bound
    (``podplan place``); ``pool_sizes="auto"`` lets it choose among the VM
    sizes of each pool's family (``--pool-sizes auto``)."""
    if pool_sizes not in (None, "given", "auto"):
        raise ScenarioError(f'pool_sizes {pool_sizes!r}: expected "given" or "auto"')
    operation = "place_pool_sizes" if pool_sizes == "auto" else "place"
    return _run(operation, scenario, _options(time_limit=time_limit, repack=repack))


def simulate(scenario: Any, *, time_limit: Optional[float] = None) -> Dict[str, Any]:
    """What kube-scheduler and cluster-autoscaler would do (``podplan simulate``)."""
    return _run("simulate", scenario, _options(time_limit=time_limit))


def drain(
    scenario: Any,
    *,
    nodes: Optional[List[str]] = None,
    pool: Optional[str] = None,
    surge: Optional[int] = None,
    max_unavailable: Optional[int] = None,
    force: Optional[bool] = None,
    delete_emptydir_data: Optional[bool] = None,
) -> Dict[str, Any]:
    """Whether nodes can be emptied without breaking a PodDisruptionBudget,
    what blocks it, and in what waves (``podplan drain``)."""
    return _run(
        "drain",
        scenario,
        _options(
            nodes=nodes,
            pool=pool,
            surge=surge,
            max_unavailable=max_unavailable,
            force=force,
            delete_emptydir_data=delete_emptydir_data,
        ),
    )


def headroom(
    scenario: Any,
    *,
    workload: Optional[str] = None,
    pod: Optional[Any] = None,
    with_pools: Optional[bool] = None,
    max_copies: Optional[int] = None,
    time_limit: Optional[float] = None,
) -> Dict[str, Any]:
    """How many more copies of a pod fit (``podplan headroom``): of a
    workload's pod (``"namespace/name"``), or of ``pod`` (a manifest: text,
    a path or a dict)."""
    manifest = None
    if pod is not None:
        name, text = _file(pod, 0)
        manifest = {"file": name, "text": text}
    return _run(
        "headroom",
        scenario,
        _options(
            workload=workload,
            pod=manifest,
            with_pools=with_pools,
            max_copies=max_copies,
            time_limit=time_limit,
        ),
    )


def diff(
    scenario: Any,
    change: Any,
    *,
    time_limit: Optional[float] = None,
    drain_pool: Optional[str] = None,
) -> Dict[str, Any]:
    """The scenario before and after ``change`` (``podplan diff``)."""
    return _run("diff", scenario, _options(time_limit=time_limit, drain_pool=drain_pool), change)


def tenancy(
    scenario: Any,
    *,
    tenant_by: Optional[str] = None,
    tenants: Optional[List[str]] = None,
    control_plane_cost: Optional[float] = None,
    keep_existing: Optional[bool] = None,
    time_limit: Optional[float] = None,
) -> Dict[str, Any]:
    """The price of isolation (``podplan tenancy``)."""
    return _run(
        "tenancy",
        scenario,
        _options(
            tenant_by=tenant_by,
            tenants=tenants,
            control_plane_cost=control_plane_cost,
            keep_existing=keep_existing,
            time_limit=time_limit,
        ),
    )


def sizes(
    scenario: Any,
    *,
    pool: str,
    candidates: Optional[List[str]] = None,
    families: Optional[List[str]] = None,
    region: Optional[str] = None,
    time_limit: Optional[float] = None,
) -> Dict[str, Any]:
    """Which VM size for ``pool`` (``podplan sizes``), cheapest first."""
    return _run(
        "sizes",
        scenario,
        _options(
            pool=pool,
            candidates=candidates,
            families=families,
            region=region,
            time_limit=time_limit,
        ),
    )
