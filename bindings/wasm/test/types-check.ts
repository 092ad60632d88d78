// Type-checked by types.test.js (tsc --noEmit), never run: the package's
// declarations describe what the functions return, and reject what they
// do not accept.
import init, { drain, explain, headroom, inventory, place, placeWithPoolSizes, read, simulate, sizes, tenancy, toFiles } from 'podplan';
import type { Cluster, DrainReport, ExplainReport, InputFile, PlaceReport, PlanStatus, Scenario } from 'podplan';

export async function usage(yaml: string): Promise<number> {
  await init();
  const scenario: Scenario = [{ name: 'cluster.yaml', text: yaml }, { kind: 'PodDisruptionBudget' }];
  const files: InputFile[] = toFiles(scenario);
  const e: ExplainReport = explain(files, { summary: true, withPools: true });
  const group: number | undefined = e.pods[0].feasibleGroup;
  const feasible: string[] = e.feasibleGroups?.[group ?? 0].feasibleNodes ?? e.pods[0].feasibleNodes ?? [];
  // Declared optional: `#[serde(default)]` (older reports read without it)
  // makes tsify mark it so, although every report has it.
  const count: number = e.pods[0].feasibleCount ?? 0;
  // @ts-expect-error: feasibleNodes is absent with summary
  const listed: string[] = e.pods[0].feasibleNodes;
  const reasons: number | undefined = e.pods[0].reasons?.[0].nodes;
  const p: PlaceReport = place(yaml, { timeLimit: 5 });
  const status: PlanStatus = p.status;
  const gpus: number | undefined = p.newNodes['gpu'];
  const millis: number = simulate(yaml).stats.solveMillis;
  const d: DrainReport = drain(yaml, { pool: 'general', surge: 1, force: true });
  const to: string | null = d.waves[0].evictions[0].to;
  const blocker: 'PodDisruptionBudget' | 'NoFeasibleNode' | 'UnmanagedPod' | 'LocalStorage' | 'MultiplePDBs' = d.blockers[0].reason;
  const fits: number = headroom(yaml, { workload: 'shop/db' }).fits;
  const fragmentation: number = tenancy(yaml, { tenantBy: 'namespace', controlPlaneCost: 0 }).differences[0].fragmentation;
  const cheapest: string[] = sizes(yaml, { pool: 'general', families: ['Dsv5'], timeLimit: 4 }).rows[0].sizes;
  const auto: number = placeWithPoolSizes(yaml, { timeLimit: 3 }).cost;
  const cpu: number = inventory(yaml).nodes[0].requested.cpuMilli;
  // A file's UTF-8 bytes (a Node Buffer, a File's arrayBuffer()) read as its text.
  inventory([{ name: 'dump.json', text: new Uint8Array(0) }, new ArrayBuffer(0)]);
  // Read once, several operations.
  const c: Cluster = read(yaml);
  const explained: ExplainReport = c.explain({ summary: true });
  const drained: DrainReport = c.drain({ pool: 'general' });
  c.free();
  // @ts-expect-error: drain needs its options, here too
  c.drain();
  // @ts-expect-error: no such option
  place(yaml, { timeLimt: 5 });
  // @ts-expect-error: drain needs its options
  drain(yaml);
  // @ts-expect-error: a status is a string
  const wrong: number = p.status;
  return feasible.length + count + listed.length + (reasons ?? 0) + (gpus ?? 0) + millis + fits + fragmentation + cpu + status.length + (to ?? '').length + blocker.length + wrong;
}
