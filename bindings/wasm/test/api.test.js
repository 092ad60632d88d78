// The WebAssembly build against the native CLI, on the bundled scenario
// the Rust tests use (examples/aks-multitenant.yaml and its PDB fix): the
// same reports field by field (wall-clock timings aside), the facts the
// README states, bad input as Errors naming file, object and field, and
// panics as Errors after which the module still works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as podplan from '../js/node.js';
import { example, native, withoutTimings } from './native.js';

const cluster = example('aks-multitenant.yaml');
const clusterJson = example('aks-multitenant.json');
const fix = example('db-pdb-fix.yaml');
// Files named by their paths, so that any message naming a file is the CLI's.
const files = (...xs) => xs.map((x) => ({ name: x.file, text: x.text }));

/** Asserts the WASM report equals the CLI's JSON, timings aside. */
function assertSameAsNative(wasmReport, nativeRun) {
  assert.ok(nativeRun.json, `native run failed: ${nativeRun.stderr}`);
  assert.deepStrictEqual(withoutTimings(wasmReport), withoutTimings(nativeRun.json));
}

test('explain: same report as the CLI, README facts', () => {
  const report = podplan.explain(files(cluster));
  const cli = native(['explain', cluster.file]);
  assert.equal(cli.status, 1, 'some pods fit no node: exit 1');
  assertSameAsNative(report, cli);
  const byPod = Object.fromEntries(report.pods.map((p) => [p.pod, p]));
  assert.deepEqual(byPod['shop/web-0'].feasibleNodes, ['aks-general-0', 'aks-general-1', 'aks-general-2']);
  assert.deepEqual(byPod['analytics/reports-0'].feasibleNodes, []);
  assert.equal(byPod['analytics/reports-0'].feasibleCount, 0);
  assert.equal(byPod['analytics/reports-0'].filtered['aks-highmem-0'][0].message, 'Insufficient memory');
  assert.match(byPod['batch/crawler-0'].message, /^0\/7 nodes are available: /);
  assert.deepEqual(byPod['ml/train-0'].feasibleNodes, ['aks-gpu-0']);
});

test('explain --summary --with-pools and --pod: same as the CLI', () => {
  const summary = podplan.explain(files(cluster), { summary: true, withPools: true });
  assertSameAsNative(summary, native(['explain', cluster.file, '--summary', '--with-pools']));
  assert.ok(summary.pods.every((p) => p.filtered === undefined && Array.isArray(p.reasons)));
  // The feasible nodes once per group of pods with the same verdict.
  assert.ok(summary.pods.every((p) => p.feasibleNodes === undefined && Number.isInteger(p.feasibleGroup)));
  const full = podplan.explain(files(cluster), { withPools: true });
  assert.equal(full.feasibleGroups, undefined);
  assert.deepEqual(summary.pods.map((p) => p.pod), full.pods.map((p) => p.pod));
  summary.pods.forEach((p, i) => {
    assert.deepEqual(summary.feasibleGroups[p.feasibleGroup].feasibleNodes, full.pods[i].feasibleNodes, p.pod);
    assert.equal(p.feasibleCount, full.pods[i].feasibleNodes.length, p.pod);
    assert.equal(full.pods[i].feasibleCount, p.feasibleCount, p.pod);
  });
  assert.equal(summary.feasibleGroups.length, 5, 'one group per workload');
  // With a new node of each pool, the Spot crawler fits spot-new-0.
  const crawler = summary.pods.find((p) => p.pod === 'batch/crawler-0');
  assert.deepEqual(summary.feasibleGroups[crawler.feasibleGroup].feasibleNodes, ['spot-new-0']);
  assert.equal(crawler.feasibleGroup, summary.pods.find((p) => p.pod === 'batch/crawler-2').feasibleGroup);
  const one = podplan.explain(files(cluster), { pod: 'ml/train-1' });
  assertSameAsNative(one, native(['explain', cluster.file, '--pod', 'ml/train-1']));
  assert.deepEqual(one.pods.map((p) => p.pod), ['ml/train-1']);
});

test('explain --fix: the same proven fixes as the CLI, with and without pools', () => {
  for (const withPools of [false, true]) {
    const report = podplan.explain(files(cluster), { fix: true, withPools });
    assertSameAsNative(report, native(['explain', cluster.file, '--fix', ...(withPools ? ['--with-pools'] : [])]));
    const fixed = report.pods.filter((p) => p.fixes !== undefined);
    assert.ok(fixed.length > 0 && fixed.every((p) => p.fixes.length > 0), 'every pod that fits no node has a fix');
  }
});

test('the kubectl List JSON and a JS object read as the YAML does', () => {
  const fromYaml = podplan.explain(files(cluster));
  const fromJson = podplan.explain(files(clusterJson));
  assertSameAsNative(fromJson, native(['explain', clusterJson.file]));
  assert.deepStrictEqual(fromJson, fromYaml);
  assert.deepStrictEqual(podplan.explain(JSON.parse(clusterJson.text)), fromJson);
  assert.deepStrictEqual(podplan.explain(cluster.text), fromYaml);
});

test('place: same plan, cost, bound and status as the CLI', () => {
  const report = podplan.place(files(cluster), { timeLimit: 10 });
  const cli = native(['place', cluster.file, '--time-limit', '10']);
  assertSameAsNative(report, cli);
  assert.equal(report.status, 'optimal');
  assert.equal(report.cost, report.lowerBound);
  assert.equal(report.unplaced.length, 0);
  // The cost is the new nodes' hourly price, as the pools declare it.
  const pools = Object.fromEntries(podplan.inventory(files(cluster)).pools.map((p) => [p.name, p]));
  const priced = Object.entries(report.newNodes).reduce((sum, [pool, n]) => sum + n * pools[pool].costPerHour, 0);
  assert.ok(Math.abs(priced - report.cost) < 1e-9, `${priced} vs ${report.cost}`);
  assert.ok(report.stats.solveMillis >= 0);
});

test('simulate: same report as the CLI, never cheaper than place', () => {
  const report = podplan.simulate(files(cluster));
  assertSameAsNative(report, native(['simulate', cluster.file]));
  assert.ok(report.cost >= podplan.place(files(cluster)).lowerBound - 1e-9);
});

test('drain --pool general --surge 1: blocked by PDB shop/db, as the CLI says', () => {
  const report = podplan.drain(files(cluster), { pool: 'general', surge: 1 });
  const cli = native(['drain', cluster.file, '--pool', 'general', '--surge', '1']);
  assert.equal(cli.status, 1);
  assertSameAsNative(report, cli);
  assert.equal(report.feasible, false);
  const pdbBlockers = report.blockers.filter((b) => b.reason === 'PodDisruptionBudget');
  assert.deepEqual(pdbBlockers.map((b) => b.pod).sort(), ['shop/db-0', 'shop/db-1', 'shop/db-2']);
  assert.ok(pdbBlockers.every((b) => b.pdb === 'shop/db'));
  assert.equal(report.pdbs.find((p) => p.pdb === 'shop/db').disruptionsAllowed, 0);
});

test('drain with the PDB fix (later object wins) and --force: feasible in 3 waves', () => {
  const options = { pool: 'general', surge: 1, force: true };
  const report = podplan.drain(files(cluster, fix), options);
  const cli = native(['drain', cluster.file, fix.file, '--pool', 'general', '--surge', '1', '--force']);
  assert.equal(cli.status, 0);
  assertSameAsNative(report, cli);
  assert.equal(report.feasible, true);
  assert.equal(report.waves.length, 3);
  assert.deepEqual(report.blockers, []);
  assert.deepEqual(report.surgeNodes, ['general-new-0']);
  // One db pod per wave: the fixed budget allows one disruption.
  for (const wave of report.waves) {
    assert.equal(wave.evictions.filter((e) => e.pod.startsWith('shop/db-')).length, 1);
  }
  // The fix given inline, as a JS object after the YAML, reads the same.
  const inline = {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db', namespace: 'shop' },
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'db' } } },
  };
  assert.deepStrictEqual(withoutTimings(podplan.drain([files(cluster)[0], inline], options)), withoutTimings(report));
});

test('drain by node names and maxUnavailable: same as the CLI', () => {
  const report = podplan.drain(files(cluster, fix), { nodes: ['aks-general-0', 'aks-general-1'], force: true, maxUnavailable: 1 });
  assertSameAsNative(report, native(['drain', cluster.file, fix.file, '--nodes', 'aks-general-0,aks-general-1', '--force', '--max-unavailable', '1']));
});

test('headroom --workload shop/db: 6, as the CLI says', () => {
  const report = podplan.headroom(files(cluster), { workload: 'shop/db' });
  assertSameAsNative(report, native(['headroom', cluster.file, '--workload', 'shop/db']));
  assert.equal(report.fits, 6);
  assert.equal(Object.values(report.perNode).reduce((a, b) => a + b, 0), report.fits);
});

test('headroom with a Pod manifest and pools: same as the CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'podplan-'));
  const pod = path.join(dir, 'pod.yaml');
  writeFileSync(pod, 'apiVersion: v1\nkind: Pod\nmetadata: {name: probe, namespace: shop}\nspec:\n  containers: [{name: c, resources: {requests: {cpu: "1", memory: 2Gi}}}]\n');
  const report = podplan.headroom(files(cluster), { pod: { file: pod, text: readFileSync(pod, 'utf8') }, withPools: true });
  assertSameAsNative(report, native(['headroom', cluster.file, '--pod', pod, '--with-pools']));
  assert.ok(report.fits > 0);
});

test('inventory: each node carries the requests of its pods', () => {
  const inv = podplan.inventory(files(cluster));
  assert.equal(inv.nodes.length, 7);
  const explained = podplan.explain(files(cluster));
  assert.deepEqual(inv.pending.map((p) => p.pod), explained.pods.map((p) => p.pod));
  for (const node of inv.nodes) {
    const cpu = node.pods.reduce((s, p) => s + p.requests.cpuMilli, 0);
    const mem = node.pods.reduce((s, p) => s + p.requests.memory, 0);
    assert.equal(node.requested.cpuMilli, cpu, node.name);
    assert.equal(node.requested.memory, mem, node.name);
    assert.ok(node.requested.cpuMilli <= node.allocatable.cpuMilli, node.name);
  }
  assert.deepEqual(inv.pools.map((p) => p.name), ['system', 'general', 'highmem', 'gpu', 'win', 'spot']);
  assert.equal(inv.nodes.find((n) => n.name === 'aks-gpu-0').pool, 'gpu');
});

test('bad input: an Error naming file, object and field, as the CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'podplan-'));
  const cases = {
    'quantity.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: default}\nspec:\n  containers: [{name: c, resources: {requests: {cpu: 12x}}}]\n',
    'type.json': '{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": []}}}',
    'truncated.json': '{"apiVersion": "v1", "kind": "List", "items": [{"kind": "Pod"',
    'invalid.yaml': 'kind: Pod\nmetadata: {name: [\n',
    'empty.yaml': '',
  };
  for (const [name, text] of Object.entries(cases)) {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    const cli = native(['explain', file]);
    assert.equal(cli.status, 2, `${name}: CLI exit 2`);
    const message = cli.stderr.trim().replace(/^error: /, '');
    assert.throws(() => podplan.explain([{ name: file, text }]), (e) => {
      assert.ok(e instanceof Error, name);
      assert.equal(e.message, message, name);
      return true;
    });
  }
  assert.throws(() => podplan.explain([{ name: 'pods.yaml', text: cases['quantity.yaml'] }]),
    { message: 'pods.yaml: Pod default/web-1: spec.containers[0].resources.requests.cpu: invalid quantity "12x"' });
});

test('a file given as its UTF-8 bytes reads as its text; bytes that are not UTF-8 fail as in the CLI', () => {
  const fromText = podplan.explain(files(cluster));
  const bytes = readFileSync(cluster.file);
  assert.deepStrictEqual(podplan.explain(bytes), fromText);
  assert.deepStrictEqual(podplan.explain([{ name: cluster.file, text: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) }]), fromText);
  assert.deepStrictEqual(podplan.explain([{ name: cluster.file, text: new Uint8Array(bytes) }, fix.text]),
    podplan.explain(files(cluster, fix)));
  // Text beyond ASCII (encoded by js/api.js) reads the same from a string and from bytes.
  const labelled = cluster.text.replace('    namespace: shop\n', '    namespace: shop\n    annotations: {note: "Grüße, 東京 ✓"}\n');
  assert.notEqual(labelled, cluster.text);
  assert.deepStrictEqual(podplan.explain(labelled), podplan.explain(Buffer.from(labelled)));
  assert.deepStrictEqual(podplan.explain(labelled), podplan.explain(cluster.text));

  const dir = mkdtempSync(path.join(tmpdir(), 'podplan-'));
  const file = path.join(dir, 'latin1.json');
  const latin1 = Buffer.concat([Buffer.from('{"kind": "List", "items": [], "note": "'), Buffer.from([0xe9]), Buffer.from('"}')]);
  writeFileSync(file, latin1);
  const cli = native(['explain', file]);
  assert.equal(cli.status, 2);
  assert.throws(() => podplan.explain([{ name: file, text: latin1 }]), { message: cli.stderr.trim().replace(/^error: /, '') });
});

test('read once, several operations: the reports of the one-shot functions', () => {
  const c = podplan.read(files(cluster, fix));
  const one = files(cluster, fix);
  assert.deepStrictEqual(c.explain({ summary: true }), podplan.explain(one, { summary: true }));
  assert.deepStrictEqual(c.inventory(), podplan.inventory(one));
  const drainOptions = { pool: 'general', surge: 1, force: true };
  assert.deepStrictEqual(withoutTimings(c.drain(drainOptions)), withoutTimings(podplan.drain(one, drainOptions)));
  assert.deepStrictEqual(withoutTimings(c.simulate()), withoutTimings(podplan.simulate(one)));
  assert.deepStrictEqual(c.headroom({ workload: 'shop/db' }).fits, podplan.headroom(one, { workload: 'shop/db' }).fits);
  assert.deepStrictEqual(withoutTimings(c.place({ timeLimit: 10 })), withoutTimings(podplan.place(one, { timeLimit: 10 })));
  assert.throws(() => c.drain({ pool: 'nope' }), /no pool named "nope"/);
  assert.equal(c.explain().pods.length, 12, 'still usable after an error');
  c.free();
  c.free();
  assert.throws(() => c.explain(), /freed/);
  assert.throws(() => podplan.read('kind: Pod\nmetadata: {name: [\n'), Error);
});

test('limits: a few bytes asking for billions of nodes throw as in the CLI; read takes the limits', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'podplan-'));
  const file = path.join(dir, 'pool.yaml');
  const text = 'apiVersion: podplan.dev/v1alpha1\nkind: NodePool\nmetadata: {name: p}\nspec: {vmSize: Standard_D2s_v5, minCount: 4000000000}\n';
  writeFileSync(file, text);
  const cli = native(['place', file]);
  assert.equal(cli.status, 2);
  assert.match(cli.stderr, /spec\.minCount: 4000000000 nodes: above the limit of 1000 nodes per pool/);
  assert.throws(() => podplan.place([{ name: file, text }]), { message: cli.stderr.trim().replace(/^error: /, '') });
  const roomy = podplan.read(files(cluster), { maxPods: 1000, maxNodes: 100 });
  assert.equal(roomy.explain().pods.length, 12);
  roomy.free();
  assert.throws(() => podplan.read(files(cluster), { maxPods: 3 }), /above the limit of 3 pods/);
});

test('a cluster read before a panic throws instead of reading freed memory', () => {
  const old = podplan.read(files(cluster));
  const kept = podplan.read(files(cluster));
  assert.throws(() => podplan.__panicForTest('reset'), /podplan panicked/);
  assert.throws(() => old.explain(), /read the scenario again/);
  // Freeing it does not free memory of the new instance.
  kept.free();
  const fresh = podplan.read(files(cluster));
  assert.equal(fresh.explain().pods.length, 12);
  assert.deepStrictEqual(podplan.explain(files(cluster)), fresh.explain());
  fresh.free();
});

test('bad options and arguments: Errors, not crashes', () => {
  assert.throws(() => podplan.drain(files(cluster), { pool: 'nope' }), /no pool named "nope"/);
  assert.throws(() => podplan.drain(files(cluster), {}), Error);
  assert.throws(() => podplan.headroom(files(cluster), { workload: 'shop/none' }), Error);
  assert.throws(() => podplan.drain(files(cluster), { pool: 'general', surge: 'one' }), /DrainOptions/);
  assert.throws(() => podplan.place(files(cluster), { timeLimit: 'soon' }), /PlaceOptions/);
  assert.throws(() => podplan.explain(42), TypeError);
  assert.throws(() => podplan.explain([null]), TypeError);
  // Still working afterwards.
  assert.equal(podplan.explain(files(cluster)).pods.length, 12);
});

test('a panic surfaces as an Error, and the next call runs on a fresh instance', () => {
  const before = podplan.explain(files(cluster));
  for (const word of ['first', 'second']) {
    assert.throws(() => podplan.__panicForTest(word), (e) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, new RegExp(`^podplan panicked: .*${word}`, 's'));
      return true;
    });
    assert.deepStrictEqual(podplan.explain(files(cluster)), before);
  }
});

test('the package resolves to the Node entry, and the browser entry works with init(bytes)', async () => {
  const self = await import('podplan');
  assert.equal(self.explain, podplan.explain);
  const browser = await import('../js/browser.js');
  assert.throws(() => browser.explain(files(cluster)), /await init\(\)/);
  await browser.init(readFileSync(new URL('../pkg/podplan_wasm_bg.wasm', import.meta.url)));
  assert.deepStrictEqual(browser.explain(files(cluster)), podplan.explain(files(cluster)));
});

test('diff: same report as the CLI for the three what-ifs, bad change as an Error', () => {
  const change = (name) => example(name);
  for (const name of ['whatif-add-deployment.yaml', 'whatif-delete-spot-pool.yaml', 'whatif-d16-general.yaml']) {
    const c = change(name);
    const report = podplan.diff(files(cluster), files(c));
    const cli = native(['diff', cluster.file, '--with', c.file]);
    assertSameAsNative(report, cli);
    assert.equal(cli.status, report.newlyUnschedulable ? 1 : 0, name);
  }
  const spot = podplan.diff(files(cluster), files(change('whatif-delete-spot-pool.yaml')), { drainPool: 'general' });
  assert.equal(spot.newlyUnschedulable, true);
  assert.deepEqual(spot.pods.map((p) => p.change), ['unschedulable', 'unschedulable', 'unschedulable']);
  assert.equal(spot.drain.pool, 'general');
  const missing = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: nope, namespace: shop, annotations: {podplan.dev/delete: "true"}}\n';
  assert.throws(() => podplan.diff(files(cluster), [{ name: 'gone.yaml', text: missing }]),
    /gone\.yaml: Deployment shop\/nope: metadata\.annotations\[podplan\.dev\/delete\]/);
});

test('sizes and place with pool sizes: the CLI\'s figures', () => {
  const report = podplan.sizes(files(cluster), { pool: 'general', timeLimit: 4 });
  const cli = native(['sizes', cluster.file, '--pool', 'general', '--time-limit', '4']);
  // Every row of this small scenario is proven optimal, so its figures do
  // not depend on the speed of the run.
  assert.ok(report.rows.every((r) => r.status === 'optimal'));
  const figures = (r) => r.rows.map((row) => [row.sizes.join('+'), row.nodes, row.cost.toFixed(6), row.status]);
  assert.deepStrictEqual(figures(report), figures(cli.json));
  assert.equal(report.rows[0].sizes[0], 'Standard_D2s_v5');
  assert.throws(() => podplan.sizes(files(cluster), { pool: 'nope' }), /no NodePool named "nope"/);
  const auto = podplan.placeWithPoolSizes(files(cluster), { timeLimit: 3 });
  const autoCli = native(['place', cluster.file, '--pool-sizes', 'auto', '--time-limit', '3']);
  assert.equal(auto.status, 'optimal');
  assert.equal(auto.cost.toFixed(6), autoCli.json.cost.toFixed(6));
  assert.ok(auto.cost <= report.rows[0].cost + 1e-9);
  assert.equal(auto.pools['general-d2s-v5'].priceEstimated, true);
});

test('tenancy: same report as the CLI, and the layouts add up', () => {
  const report = podplan.tenancy(files(cluster));
  assertSameAsNative(report, native(['tenancy', cluster.file]));
  assert.deepEqual(report.layouts.map((l) => l.name), ['shared', 'dedicated-pools', 'dedicated-clusters']);
  for (const l of report.layouts) {
    const parts = l.parts.controlPlanes + l.parts.systemPools + l.parts.daemonSets + l.parts.workloadNodes;
    assert.ok(Math.abs(parts - l.cost) < 1e-9, l.name);
    assert.ok(l.runs.every((r) => r.validated && r.unplaced.length === 0), l.name);
  }
  const free = podplan.read(files(cluster)).tenancy({ controlPlaneCost: 0, tenants: ['shop', 'ml'] });
  assertSameAsNative(free, native(['tenancy', cluster.file, '--control-plane-cost', '0', '--tenants', 'shop,ml']));
  assert.throws(() => podplan.tenancy(files(cluster), { tenantBy: 'owner' }), /--tenant-by "owner"/);
});
