// The web page in a real browser (headless Debian Chromium driven by
// playwright-core): load the bundled example, run place and drain, and
// check that the numbers the page shows are the native CLI's. Screenshots
// go to test-output/. Skipped when Chromium is absent, unless
// PODPLAN_REQUIRE_BROWSER=1 (ci.sh sets it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './serve.js';
import { example, generate, native } from './native.js';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const OUT = fileURLToPath(new URL('../test-output/', import.meta.url));
const skip = !existsSync(CHROMIUM) && process.env.PODPLAN_REQUIRE_BROWSER !== '1'
  ? `no Chromium at ${CHROMIUM}` : false;

const cluster = example('aks-multitenant.yaml');
const fix = example('db-pdb-fix.yaml');

let server;
let browser;
let page;
const problems = [];
const wasmTypes = [];

before(async () => {
  if (skip) return;
  const { chromium } = await import('playwright-core');
  server = await serve(0);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('response', (r) => {
    if (r.url().endsWith('.wasm')) wasmTypes.push(r.headers()['content-type']);
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  mkdirSync(OUT, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const text = (sel) => page.locator(sel).first().textContent();
const texts = (sel) => page.locator(sel).allTextContents();
const attrs = (sel, name) => page.locator(sel).evaluateAll((els, n) => els.map((e) => e.getAttribute(n)), name);

async function loadExample(value) {
  await page.selectOption('#example', value);
  await page.click('#load-example');
  await page.waitForFunction(() => !document.querySelector('#nodes-card').hidden && /done/.test(document.querySelector('#status').textContent));
}

async function waitDone(sel) {
  await page.waitForSelector(sel);
  await page.waitForFunction(() => /done/.test(document.querySelector('#status').textContent));
}

test('the page explains, places and drains the bundled example as the CLI does', { skip, timeout: 120_000 }, async () => {
  await page.goto(server.url);
  await loadExample('aks-multitenant.yaml');
  assert.deepEqual(wasmTypes, ['application/wasm'], 'the .wasm is fetched once, as application/wasm');

  // Pending pods with kube-scheduler's messages.
  const explained = native(['explain', cluster.file]).json;
  assert.deepEqual(await attrs('#pending tbody tr', 'data-pod'), explained.pods.map((p) => p.pod));
  assert.deepEqual(await texts('#pending tbody tr td:nth-child(3)'), explained.pods.map((p) => p.message));
  assert.deepEqual(await texts('#pending tbody tr td:nth-child(2)'),
    explained.pods.map((p) => (p.feasibleNodes.length ? `fits ${p.feasibleNodes.length} node(s)` : 'unschedulable')));
  // How to fix: each unschedulable pod's proven fixes, as the CLI finds
  // them, with the kubectl command of each change.
  const withFixes = native(['explain', cluster.file, '--fix']).json;
  const kinds = withFixes.pods.flatMap((p) => (p.fixes ?? []).map((f) => f.kind));
  assert.ok(kinds.length > 0, 'the example has fixes');
  assert.deepEqual(await attrs('#pending tbody tr td.fixes .fix', 'data-kind'), kinds);
  const commands = await texts('#pending tbody tr td.fixes pre.patch');
  assert.ok(commands.length > 0 && commands.every((c) => c.startsWith('kubectl ')), commands.join('\n'));

  // Nodes grouped by pool, as SVG bars.
  const inventoryNodes = await attrs('#nodes g.node', 'data-node');
  assert.equal(inventoryNodes.length, 7);
  assert.deepEqual(await attrs('#nodes .pool', 'data-pool'), ['system', 'general', 'highmem', 'gpu', 'win']);
  assert.ok(await page.locator('#nodes rect.seg.bound').count() > 0);

  // Capacity plan.
  await page.fill('#time-limit', '10');
  await page.click('#run-place');
  await waitDone('[data-testid=place-cost]');
  const placed = native(['place', cluster.file, '--time-limit', '10']).json;
  assert.equal(await text('[data-testid=place-status]'), placed.status);
  assert.equal(await text('[data-testid=place-cost]'), placed.cost.toFixed(3));
  assert.equal(Number(await page.getAttribute('[data-testid=place-cost]', 'data-value')), placed.cost);
  assert.equal(await text('[data-testid=place-bound]'), placed.lowerBound.toFixed(3));
  assert.equal(Number(await page.getAttribute('[data-testid=place-bound]', 'data-value')), placed.lowerBound);
  assert.equal(Number(await text('[data-testid=place-placed]')), placed.assignments.length);
  for (const [pool, usage] of Object.entries(placed.pools)) {
    assert.equal(Number(await text(`#place tr[data-pool="${pool}"] [data-testid=new-nodes]`)), usage.newNodes, pool);
    assert.equal(Number(await page.getAttribute(`#place tr[data-pool="${pool}"] [data-testid=pool-cost]`, 'data-value')), usage.cost, pool);
  }
  // The plan's new nodes are drawn in their pools, with planned pods.
  const newNodes = Object.entries(placed.newNodes).flatMap(([pool, n]) => Array.from({ length: n }, (_, k) => `${pool}-new-${k}`));
  const drawn = await attrs('#nodes g.node.new', 'data-node');
  assert.deepEqual([...drawn].sort(), [...newNodes].sort());
  assert.ok(await page.locator('#nodes rect.seg.planned').count() > 0);

  // Drain of the general pool with one surge node: blocked by PDB shop/db.
  await page.selectOption('#drain-pool', 'general');
  await page.fill('#surge', '1');
  await page.click('#run-drain');
  await waitDone('[data-testid=drain-feasible]');
  const drained = native(['drain', cluster.file, '--pool', 'general', '--surge', '1']).json;
  assert.equal(await text('[data-testid=drain-feasible]'), drained.feasible ? 'feasible' : 'BLOCKED');
  assert.equal(Number(await text('[data-testid=drain-waves]')), drained.waves.length);
  assert.equal(Number(await text('[data-testid=drain-blockers]')), drained.blockers.length);
  assert.deepEqual(await attrs('#drain tr.blocker[data-pod]', 'data-pod'), drained.blockers.map((b) => b.pod));
  assert.ok((await texts('[data-testid=blocker-reason]')).some((t) => t.includes('PodDisruptionBudget') && t.includes('shop/db')));
  const highlighted = await page.locator('#nodes rect.seg.blocked title').evaluateAll((ts) => ts.map((t) => t.textContent.split(':')[0]));
  assert.deepEqual([...new Set(highlighted)].sort(), drained.blockers.map((b) => b.pod).sort(), 'every blocker highlighted in the bars');
  assert.equal(await page.locator('#nodes g.node.draining').count(), 3);
  assert.deepEqual(await attrs('#drain tr.blocker[data-pdb]', 'data-pdb'), ['shop/db'], 'the blocking PDB highlighted');
  await page.screenshot({ path: `${OUT}/page.png`, fullPage: true });

  // What if: the bundled change that deletes the spot pool, as the CLI compares.
  await page.selectOption('#whatif-example', 'whatif-delete-spot-pool.yaml');
  await page.click('#run-whatif-example');
  await waitDone('[data-testid=whatif-verdict]');
  const compared = native(['diff', cluster.file, '--with', example('whatif-delete-spot-pool.yaml').file]);
  assert.equal(compared.status, 1);
  assert.equal(await text('[data-testid=whatif-verdict]'), 'makes pods unschedulable');
  assert.equal(Number(await page.getAttribute('[data-testid=whatif-cost-delta]', 'data-value')), compared.json.place.costDelta);
  assert.deepEqual(await attrs('#whatif tr[data-pod]', 'data-pod'), compared.json.pods.map((p) => p.pod));
  assert.deepEqual(await texts('[data-testid=whatif-pod-change]'), compared.json.pods.map((p) => p.change));

  // Tenancy: one bar per layout, stacked by cost part, the CLI's figures.
  await page.click('#run-tenancy');
  await waitDone('[data-testid=tenancy-bars]');
  const tenancy = native(['tenancy', cluster.file]).json;
  assert.equal(Number(await text('[data-testid=tenancy-tenants]')), tenancy.tenants.length);
  assert.deepEqual(await attrs('#tenancy g.layout-bar', 'data-layout'), tenancy.layouts.map((l) => l.name));
  assert.deepEqual((await attrs('#tenancy g.layout-bar', 'data-value')).map(Number), tenancy.layouts.map((l) => l.cost));
  for (const l of tenancy.layouts) {
    const parts = await attrs(`#tenancy g.layout-bar[data-layout="${l.name}"] rect.seg`, 'data-value');
    assert.equal(parts.length, 4, l.name);
    assert.ok(Math.abs(parts.map(Number).reduce((a, b) => a + b, 0) - l.cost) < 1e-9, l.name);
  }
  assert.deepEqual((await attrs('[data-testid=difference-total]', 'data-value')).map(Number), tenancy.differences.map((d) => d.total));
  await page.locator('#tenancy-card').screenshot({ path: `${OUT}/tenancy.png` });

  // The PDB fix as a second file, with --force: feasible in the CLI's waves.
  await loadExample('aks-multitenant.yaml,db-pdb-fix.yaml');
  await page.check('#force');
  await page.click('#run-drain');
  await waitDone('[data-testid=drain-feasible]');
  const fixed = native(['drain', cluster.file, fix.file, '--pool', 'general', '--surge', '1', '--force']).json;
  assert.equal(fixed.feasible, true);
  assert.equal(await text('[data-testid=drain-feasible]'), 'feasible');
  assert.equal(Number(await text('[data-testid=drain-waves]')), fixed.waves.length);
  assert.equal(Number(await text('[data-testid=drain-lower-bound]')), fixed.waveLowerBound);
  assert.deepEqual((await texts('[data-testid=wave-evictions]')).map(Number), fixed.waves.map((w) => w.evictions.length));
  await page.screenshot({ path: `${OUT}/page-drain-fixed.png`, fullPage: true });

  assert.deepEqual(problems, []);
});

test('pasted and dropped input; bad input shows the library error and the page recovers', { skip, timeout: 60_000 }, async () => {
  await page.goto(server.url);
  await page.fill('#text', 'apiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: default}\nspec:\n  containers: [{name: c, resources: {requests: {cpu: 12x}}}]\n');
  await page.click('#analyse');
  await page.waitForSelector('#error:not([hidden])');
  assert.equal(await text('#error'), 'pasted: Pod default/web-1: spec.containers[0].resources.requests.cpu: invalid quantity "12x"');

  // A pasted kubectl List (JSON) reads as the CLI reads the file.
  const json = example('aks-multitenant.json');
  const explained = native(['explain', json.file]).json;
  await page.fill('#text', json.text);
  await page.click('#analyse');
  await page.waitForFunction(() => !document.querySelector('#nodes-card').hidden && /done/.test(document.querySelector('#status').textContent));
  assert.equal(await page.locator('#error').isHidden(), true);
  assert.deepEqual(await texts('#pending tbody tr td:nth-child(3)'), explained.pods.map((p) => p.message));

  // Two files dropped at once: the scenario and the PDB fix, read in order.
  await page.goto(server.url);
  await page.evaluate(([a, b]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([a], 'aks-multitenant.yaml'));
    dt.items.add(new File([b], 'db-pdb-fix.yaml'));
    document.querySelector('#drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [cluster.text, fix.text]);
  await page.waitForFunction(() => !document.querySelector('#drain-card').hidden && /done/.test(document.querySelector('#status').textContent));
  assert.equal(await text('#source'), 'files: aks-multitenant.yaml + db-pdb-fix.yaml');
  await page.check('#force');
  await page.click('#run-drain');
  await waitDone('[data-testid=drain-feasible]');
  const fixed = native(['drain', cluster.file, fix.file, '--pool', 'general', '--surge', '1', '--force']).json;
  assert.equal(Number(await text('[data-testid=drain-waves]')), fixed.waves.length);
  assert.equal(await text('[data-testid=drain-feasible]'), 'feasible');
  assert.deepEqual(problems, []);
});

// Issue #11: the page reaches "done" on a 5,000-node dump in about 5 s. The
// dump is the explain benchmark's (5,000 nodes, 100,000 bound pods, 1,000
// pending; 54 MB), loaded through the file input as a user would. The
// time is printed, not asserted: CI machines are shared. With
// PODPLAN_SCALE_API_FIELDS=1 the same cluster with the fields the API
// server writes (200 MB, like `kubectl get -o json`) is loaded too.
test('the page reaches "done" on a 5,000-node dump', { skip, timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'podplan-page-'));
  const base = ['--nodes', '5000', '--bound-pods', '100000', '--pending-pods', '1000', '--seed', '1'];
  const dumps = [['explain-5000.json', base]];
  if (process.env.PODPLAN_SCALE_API_FIELDS === '1') dumps.push(['explain-5000-api-fields.json', [...base, '--api-fields']]);
  try {
    for (const [name, args] of dumps) {
      const file = generate(args, path.join(dir, name));
      const mb = (statSync(file).size / 1e6).toFixed(0);
      await page.goto(server.url);
      const started = performance.now();
      await page.setInputFiles('#files', file);
      await page.waitForFunction(() => /done/.test(document.querySelector('#status').textContent)
        || !document.querySelector('#error').hidden, null, { timeout: 120_000 });
      const elapsed = performance.now() - started;
      assert.equal(await page.locator('#error').isHidden(), true, await text('#error'));
      t.diagnostic(`${name} (${mb} MB): "done" ${(elapsed / 1000).toFixed(1)} s after the file was chosen (page: ${await text('#status')}; ${await text('#pending-count')})`);
      await page.screenshot({ path: `${OUT}/page-5000-nodes.png` });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(problems, []);
});
