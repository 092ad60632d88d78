"""Type stubs of the podplan package: the functions, and the main fields of
their reports (docs/reports.md in the repository has every field; the
reports are plain dicts, equal to the CLI's ``-o json``)."""

import os
from typing import Any, Dict, List, Literal, Optional, Sequence, TypedDict, Union

__version__: str

ScenarioItem = Union[str, bytes, os.PathLike, Dict[str, Any]]
Scenario = Union[ScenarioItem, Sequence[ScenarioItem]]
PlanStatus = Literal["optimal", "feasible", "infeasible", "timeout"]

class ScenarioError(ValueError):
    """A scenario or options podplan cannot use; the message is the CLI's."""

class PodExplanation(TypedDict, total=False):
    pod: str
    feasibleCount: int
    feasibleNodes: List[str]
    feasibleGroup: int
    reasons: List[Dict[str, Any]]
    message: str
    filtered: Dict[str, List[Dict[str, Any]]]
    fixes: List[Dict[str, Any]]

class ExplainReport(TypedDict, total=False):
    pods: List[PodExplanation]
    feasibleGroups: List[Dict[str, Any]]
    warnings: List[str]

class PoolUsage(TypedDict, total=False):
    nodes: int
    newNodes: int
    cost: float
    cpuUtilisation: float
    memoryUtilisation: float
    priceEstimated: bool

class PlaceReport(TypedDict, total=False):
    status: PlanStatus
    cost: float
    lowerBound: float
    newNodes: Dict[str, int]
    pools: Dict[str, PoolUsage]
    assignments: List[Dict[str, Any]]
    unplaced: List[Dict[str, Any]]
    stats: Dict[str, Any]

class DrainReport(TypedDict, total=False):
    feasible: bool
    waves: List[Dict[str, Any]]
    waveLowerBound: int
    blockers: List[Dict[str, Any]]
    pdbs: List[Dict[str, Any]]
    surgeNodes: List[Dict[str, Any]]
    warnings: List[str]

class HeadroomReport(TypedDict, total=False):
    pod: str
    fits: int
    perNode: Dict[str, int]
    stoppedBy: str
    warnings: List[str]

class DiffReport(TypedDict, total=False):
    changes: List[Dict[str, Any]]
    pods: List[Dict[str, Any]]
    newlyUnschedulable: int
    place: Dict[str, Any]
    headroom: List[Dict[str, Any]]
    drain: Dict[str, Any]

class TenancyReport(TypedDict, total=False):
    tenantBy: str
    tenants: List[str]
    controlPlaneCost: float
    keepExisting: bool
    layouts: List[Dict[str, Any]]
    differences: List[Dict[str, Any]]

class SizeRow(TypedDict, total=False):
    sizes: List[str]
    prices: List[float]
    nodes: int
    poolCost: float
    cost: float
    lowerBound: float
    gap: Optional[float]
    status: PlanStatus
    unplaced: int

class SizesReport(TypedDict, total=False):
    pool: str
    currentSize: Optional[str]
    region: str
    regionAssumed: bool
    os: str
    priority: str
    rows: List[SizeRow]
    unpriced: List[str]
    warnings: List[str]

def explain(
    scenario: Scenario,
    *,
    pod: Optional[str] = ...,
    summary: Optional[bool] = ...,
    with_pools: Optional[bool] = ...,
    fix: Optional[bool] = ...,
) -> ExplainReport: ...
def place(
    scenario: Scenario,
    *,
    time_limit: Optional[float] = ...,
    repack: Optional[bool] = ...,
    pool_sizes: Optional[Literal["given", "auto"]] = ...,
) -> PlaceReport: ...
def simulate(scenario: Scenario, *, time_limit: Optional[float] = ...) -> PlaceReport: ...
def drain(
    scenario: Scenario,
    *,
    nodes: Optional[List[str]] = ...,
    pool: Optional[str] = ...,
    surge: Optional[int] = ...,
    max_unavailable: Optional[int] = ...,
    force: Optional[bool] = ...,
    delete_emptydir_data: Optional[bool] = ...,
) -> DrainReport: ...
def headroom(
    scenario: Scenario,
    *,
    workload: Optional[str] = ...,
    pod: Optional[ScenarioItem] = ...,
    with_pools: Optional[bool] = ...,
    max_copies: Optional[int] = ...,
    time_limit: Optional[float] = ...,
) -> HeadroomReport: ...
def diff(
    scenario: Scenario,
    change: Scenario,
    *,
    time_limit: Optional[float] = ...,
    drain_pool: Optional[str] = ...,
) -> DiffReport: ...
def tenancy(
    scenario: Scenario,
    *,
    tenant_by: Optional[str] = ...,
    tenants: Optional[List[str]] = ...,
    control_plane_cost: Optional[float] = ...,
    keep_existing: Optional[bool] = ...,
    time_limit: Optional[float] = ...,
) -> TenancyReport: ...
def sizes(
    scenario: Scenario,
    *,
    pool: str,
    candidates: Optional[List[str]] = ...,
    families: Optional[List[str]] = ...,
    region: Optional[str] = ...,
    time_limit: Optional[float] = ...,
) -> SizesReport: ...
