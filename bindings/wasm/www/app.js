// The planner page: reads a scenario (bundled example, pasted text or
// dropped files), asks the worker for podplan's reports, and draws them.
// All computing happens in worker.js; this file only renders.

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const GiB = 1024 ** 3;

// ---------------------------------------------------------------- worker

let worker;
let nextId = 1;
const waiting = new Map();
// The files the worker has read (it keeps them for the next operations);
// null for a new worker, or after a read failed.
let workerFiles = null;

function startWorker() {
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => {
    const w = waiting.get(data.id);
    if (!w) return;
    waiting.delete(data.id);
    if (data.ok) w.resolve(data.result);
    else w.reject(new Error(data.error));
  };
  worker.onerror = (e) => {
    e.preventDefault();
    failAll(new Error(`worker: ${e.message || 'failed to start'}`));
  };
}

function failAll(error) {
  for (const w of waiting.values()) w.reject(error);
  waiting.clear();
}

/** Runs one podplan operation in the worker, on the current files (sent when it has not read them). */
function run(op, options) {
  const id = nextId++;
  const files = workerFiles === state.files ? undefined : state.files;
  workerFiles = state.files;
  return new Promise((resolve, reject) => {
    waiting.set(id, {
      resolve,
      reject: (e) => {
        if (files) workerFiles = null;
        reject(e);
      },
    });
    worker.postMessage({ id, op, files, options });
  });
}

/** Stops a long solve: the worker is replaced by a fresh one. */
function cancel() {
  worker.terminate();
  failAll(new Error('cancelled'));
  startWorker();
  workerFiles = null;
}

// ---------------------------------------------------------------- state

const state = { files: null, inventory: null, explain: null, place: null, drain: null, drainedPool: null };

async function busy(label, fn) {
  const buttons = [...document.querySelectorAll('button:not(#cancel)')];
  buttons.forEach((b) => { b.disabled = true; });
  $('#cancel').hidden = false;
  $('#status').textContent = label;
  const started = performance.now();
  try {
    await fn();
    $('#status').textContent = `done in ${Math.round(performance.now() - started)} ms`;
  } catch (e) {
    $('#status').textContent = '';
    showError(e.message);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    $('#cancel').hidden = true;
  }
}

function showError(message) {
  $('#error').hidden = !message;
  $('#error').textContent = message ?? '';
}

async function load(files, source) {
  state.files = files;
  Object.assign(state, { inventory: null, explain: null, place: null, drain: null, drainedPool: null });
  expandedPools.clear();
  showError(null);
  $('#source').textContent = source;
  for (const id of ['#nodes-card', '#pending-card', '#place-card', '#drain-card', '#whatif-card', '#tenancy-card']) $(id).hidden = true;
  $('#whatif').innerHTML = '';
  $('#tenancy').innerHTML = '';
  $('#place').innerHTML = '';
  $('#drain').innerHTML = '';
  await busy('reading…', async () => {
    state.inventory = await run('inventory');
    // The page shows counts and messages only: the summary skips the
    // per-node detail (5 million entries at 1,000 pods × 5,000 nodes).
    // With the remedies of the pods that fit no node (`fix`): found once
    // per class of identical pods, so replicas cost one search.
    state.explain = await run('explain', { summary: true, fix: true });
    renderWarnings();
    renderPoolSelect();
    renderNodes();
    renderPending();
    for (const id of ['#nodes-card', '#pending-card', '#place-card', '#drain-card', '#whatif-card', '#tenancy-card']) $(id).hidden = false;
  });
}

// ---------------------------------------------------------------- nodes

const cores = (m) => (m / 1000).toFixed(m % 1000 ? 1 : 0);
const gib = (b) => (b / GiB).toFixed(b >= 10 * GiB ? 0 : 1);

/** Nodes as drawn: existing ones, then the new nodes of the plan. */
function drawnNodes() {
  const inv = state.inventory;
  const pendingByKey = new Map(inv.pending.map((p) => [p.pod, p]));
  const blocked = new Set((state.drain?.blockers ?? []).map((b) => `${b.node}\u0000${b.pod}`));
  const planned = new Map();
  for (const a of state.place?.assignments ?? []) {
    if (!planned.has(a.node)) planned.set(a.node, []);
    const p = pendingByKey.get(a.pod);
    if (p) planned.get(a.node).push({ ...p, kind: 'planned' });
  }
  const nodes = inv.nodes.map((n) => ({
    name: n.name,
    pool: n.pool ?? '(no pool)',
    zone: n.zone,
    allocatable: n.allocatable,
    draining: state.drainedPool !== null && n.pool === state.drainedPool,
    cordoned: n.unschedulable,
    isNew: false,
    pods: [
      ...n.pods.map((p) => ({ ...p, kind: blocked.has(`${n.name}\u0000${p.pod}`) ? 'blocked' : p.daemonSet ? 'ds' : 'bound' })),
      ...(planned.get(n.name) ?? []),
    ],
  }));
  for (const [pool, count] of Object.entries(state.place?.newNodes ?? {})) {
    const template = inv.pools.find((p) => p.name === pool);
    for (let k = 0; k < count; k++) {
      const name = `${pool}-new-${k}`;
      nodes.push({
        name, pool, zone: null, allocatable: template.allocatable, draining: false, cordoned: false, isNew: true,
        pods: [{ pod: 'DaemonSet pods', requests: template.daemonSetRequests, kind: 'ds' }, ...(planned.get(name) ?? [])],
      });
    }
  }
  return nodes;
}

/**
 * Nodes drawn per pool until "show all" is clicked: the bars of 5,000
 * nodes with 20 pods each took 3 s to build and 4 s to lay out.
 */
const NODES_SHOWN = 40;

/** Pools whose nodes are all drawn ("show all" clicked). */
const expandedPools = new Set();

/** A node worth drawing first: new in the plan, or holding planned pods or drain blockers. */
const notable = (n) => n.isNew || n.pods.some((p) => p.kind === 'planned' || p.kind === 'blocked');

function renderNodes() {
  const groups = new Map();
  for (const n of drawnNodes()) {
    if (!groups.has(n.pool)) groups.set(n.pool, []);
    groups.get(n.pool).push(n);
  }
  const pools = new Map(state.inventory.pools.map((p) => [p.name, p]));
  $('#nodes').innerHTML = [...groups].map(([pool, nodes]) => {
    const p = pools.get(pool);
    const info = p ? ` · ${esc(p.vmSize ?? 'custom size')} · $${p.costPerHour}/h · max ${p.maxCount ?? '∞'}` : '';
    let shown = nodes;
    let more = '';
    if (nodes.length > NODES_SHOWN && !expandedPools.has(pool)) {
      shown = [...nodes.filter(notable), ...nodes.filter((n) => !notable(n))].slice(0, NODES_SHOWN);
      more = `<p class="muted">${shown.length} of ${nodes.length} nodes drawn <button type="button" class="show-all" data-pool="${esc(pool)}">show all</button></p>`;
    }
    return `<div class="pool" data-pool="${esc(pool)}"><h3>${esc(pool)} <span>${nodes.length} node(s)${info}</span></h3>${bars(shown)}${more}</div>`;
  }).join('');
}

/** One SVG per pool: per node a CPU bar and a memory bar, filled by its pods' requests. */
function bars(nodes) {
  const W = 1000;
  const LABEL = 190;
  const BAR = (W - LABEL - 20) / 2;
  const ROW = 34;
  const rows = nodes.map((n, i) => {
    const y = i * ROW + 4;
    const bar = (x, dim, label, total) => {
      let used = 0;
      const segs = n.pods.map((p) => {
        const v = dim === 'cpu' ? p.requests.cpuMilli : p.requests.memory;
        const w = total > 0 ? Math.max(0, Math.min(v / total, 1 - used)) * BAR : 0;
        const seg = w > 0 ? `<rect class="seg ${p.kind}" x="${(x + used * BAR).toFixed(1)}" y="${y + 12}" width="${w.toFixed(1)}" height="14"><title>${esc(p.pod)}: ${dim === 'cpu' ? `${p.requests.cpuMilli}m CPU` : `${gib(p.requests.memory)} GiB`}</title></rect>` : '';
        used += w / BAR;
        return seg;
      }).join('');
      const sum = n.pods.reduce((s, p) => s + (dim === 'cpu' ? p.requests.cpuMilli : p.requests.memory), 0);
      const text = dim === 'cpu' ? `CPU ${cores(sum)} / ${cores(total)}` : `memory ${gib(sum)} / ${gib(total)} GiB`;
      return `<rect class="frame" x="${x}" y="${y + 12}" width="${BAR}" height="14" rx="2"/>${segs}
        <text class="dim" x="${x}" y="${y + 9}">${label} ${text}</text>`;
    };
    const cls = [n.isNew ? 'new' : '', n.draining ? 'draining' : ''].join(' ');
    const tag = n.isNew ? ' (new)' : n.draining ? ' (draining)' : n.cordoned ? ' (cordoned)' : '';
    return `<g class="node ${cls}" data-node="${esc(n.name)}">
      <text x="0" y="${y + 23}">${esc(n.name)}${tag}</text>
      <text class="dim" x="0" y="${y + 9}">${n.zone ? `zone ${esc(n.zone)}` : ''}</text>
      ${bar(LABEL, 'cpu', '', n.allocatable.cpuMilli)}
      ${bar(LABEL + BAR + 20, 'mem', '', n.allocatable.memory)}
    </g>`;
  }).join('');
  return `<svg class="bars" viewBox="0 0 ${W} ${nodes.length * ROW + 6}" role="img">${rows}</svg>`;
}

// ---------------------------------------------------------------- pending

function renderPending() {
  const pods = state.explain.pods;
  const stuck = pods.filter((p) => p.feasibleCount === 0).length;
  $('#pending-count').textContent = `${pods.length} pending, ${stuck} fit no node now`;
  $('#pending tbody').innerHTML = pods.map((p) => {
    const ok = p.feasibleCount > 0;
    const verdict = ok ? `<span class="ok">fits ${p.feasibleCount} node(s)</span>` : '<span class="bad">unschedulable</span>';
    return `<tr data-pod="${esc(p.pod)}"><td>${esc(p.pod)}</td><td>${verdict}</td><td>${esc(p.message)}</td><td class="fixes">${fixCell(p.fixes)}</td></tr>`;
  }).join('') || '<tr><td colspan="4">No pending pods.</td></tr>';
}

/** The kubectl command of one change (as the CLI prints it). */
function kubectl(change) {
  const t = change.target;
  const kind = t.kind === 'NodePool' ? 'nodepools.podplan.dev' : t.kind.toLowerCase();
  const ns = t.namespace ? ` -n ${t.namespace}` : '';
  if (change.delete) return `kubectl delete ${kind} ${t.name}${ns}`;
  return `kubectl patch ${kind} ${t.name}${ns} --type=json -p '${JSON.stringify(change.patch).replace(/'/g, "'\\''")}'`;
}

/** The "How to fix" cell: the cheapest fix, the others folded, each with
 * its commands and a copy button. */
function fixCell(fixes) {
  if (!fixes) return '';
  if (!fixes.length) return '<span class="muted">no fix found</span>';
  const one = (f) => {
    const cost = f.addedCostPerHour > 0 ? ` <span class="muted">+$${f.addedCostPerHour.toFixed(3)}/h</span>` : '';
    const commands = f.changes.map(kubectl).join('\n');
    const copy = commands ? `<pre class="patch">${esc(commands)}</pre><button type="button" class="copy">copy</button>` : '';
    return `<div class="fix" data-kind="${esc(f.kind)}"><b>${esc(f.kind)}</b> ${esc(f.summary)}${cost}${copy}</div>`;
  };
  const rest = fixes.slice(1);
  const more = rest.length ? `<details><summary>${rest.length} more</summary>${rest.map(one).join('')}</details>` : '';
  return one(fixes[0]) + more;
}

function renderWarnings() {
  const all = [...state.inventory.warnings, ...(state.explain.warnings ?? [])];
  $('#warnings').innerHTML = all.map((w) => `<li>${esc(w)}</li>`).join('');
}

// ---------------------------------------------------------------- place

async function runPlace() {
  const timeLimit = Number($('#time-limit').value) || 10;
  await busy(`planning capacity (time limit ${timeLimit} s)…`, async () => {
    state.place = await run('place', { timeLimit });
    renderPlace();
    renderNodes();
  });
}

function renderPlace() {
  const r = state.place;
  const pct = (x) => `${Math.round(x * 100)}%`;
  const gap = r.cost <= r.lowerBound + 1e-9 ? '0.00%' : r.lowerBound > 0 ? `${((r.cost / r.lowerBound - 1) * 100).toFixed(2)}%` : 'n/a';
  const pools = Object.entries(r.pools).map(([name, p]) => `<tr data-pool="${esc(name)}">
      <td>${esc(name)}</td><td class="num">${p.nodes}</td><td class="num" data-testid="new-nodes">${p.newNodes}</td>
      <td class="num" data-testid="pool-cost" data-value="${p.cost}">${p.cost.toFixed(3)}</td>
      <td class="num">${pct(p.cpuUtilisation)}</td><td class="num">${pct(p.memoryUtilisation)}</td></tr>`).join('');
  const unplaced = r.unplaced.length
    ? `<h3 class="bad">Left pending (${r.unplaced.length})</h3><table><tbody>${r.unplaced.map((u) => `<tr><td>${esc(u.pod)}</td><td>${esc(u.message)}</td></tr>`).join('')}</tbody></table>`
    : '';
  $('#place').innerHTML = `
    <p class="summary">status <b data-testid="place-status" class="${r.status === 'infeasible' || r.status === 'timeout' ? 'bad' : 'ok'}">${r.status}</b>
      · cost <b data-testid="place-cost" data-value="${r.cost}">${r.cost.toFixed(3)}</b>/h
      · lower bound <b data-testid="place-bound" data-value="${r.lowerBound}">${r.lowerBound.toFixed(3)}</b>/h
      · gap <b data-testid="place-gap">${gap}</b>
      · <span class="muted"><span data-testid="place-placed">${r.assignments.length}</span> pods placed, ${r.stats.solveMillis} ms, ${esc(r.stats.method)}</span></p>
    <table><thead><tr><th>Pool</th><th class="num">Nodes</th><th class="num">New</th><th class="num">Cost/h</th><th class="num">CPU</th><th class="num">Memory</th></tr></thead><tbody>${pools}</tbody></table>
    ${unplaced}
    <details><summary>${r.assignments.length} assignments</summary><table><tbody>${r.assignments.map((a) => `<tr><td>${esc(a.pod)}</td><td>→ ${esc(a.node)}</td></tr>`).join('')}</tbody></table></details>`;
}

// ---------------------------------------------------------------- drain

function renderPoolSelect() {
  const withNodes = new Set(state.inventory.nodes.map((n) => n.pool).filter(Boolean));
  const names = state.inventory.pools.map((p) => p.name).filter((n) => withNodes.has(n));
  const sel = $('#drain-pool');
  sel.innerHTML = names.map((n) => `<option>${esc(n)}</option>`).join('');
  if (names.includes('general')) sel.value = 'general';
}

async function runDrain() {
  const pool = $('#drain-pool').value;
  const options = { pool, surge: Math.max(0, Math.floor(Number($('#surge').value) || 0)), force: $('#force').checked };
  await busy(`planning the drain of ${pool}…`, async () => {
    state.drain = await run('drain', options);
    state.drainedPool = pool;
    renderDrain();
    renderNodes();
  });
}

/**
 * Lists longer than this are folded (a closed <details>): the browser then
 * skips their layout, which for a 1,000-node drain (34,000 evictions)
 * took seconds.
 */
const LIST_SHOWN = 30;

/** `html` (a list of `length` items), in a closed <details> titled `title` when long. */
const folded = (title, html, length) => (length > LIST_SHOWN ? `<details><summary>${title}</summary>${html}</details>` : html);

function renderDrain() {
  const r = state.drain;
  const evictions = r.waves.reduce((s, w) => s + w.evictions.length, 0);
  const waves = r.waves.map((w, i) => `<li data-wave="${i + 1}"><b>wave ${i + 1}</b>: <span data-testid="wave-evictions">${w.evictions.length}</span> eviction(s)${w.nodes.length ? `; then empty: ${w.nodes.map(esc).join(', ')}` : ''}
      ${folded(`${w.evictions.length} evictions`, `<ul>${w.evictions.map((e) => `<li>${esc(e.pod)}: ${esc(e.from)} → ${e.to === null ? '<i>deleted</i>' : esc(e.to)}</li>`).join('')}</ul>`, w.evictions.length)}</li>`).join('');
  const blockers = r.blockers.length
    ? `<h3 class="bad">Blockers (${r.blockers.length})</h3><table><thead><tr><th>Pod</th><th>Node</th><th>Reason</th><th>Why</th></tr></thead><tbody>${r.blockers.map((b) => `<tr class="blocker" data-pod="${esc(b.pod)}"><td>${esc(b.pod)}</td><td>${esc(b.node)}</td><td data-testid="blocker-reason">${esc(b.reason)}${b.pdb ? ` <code>${esc(b.pdb)}</code>` : ''}</td><td>${esc(b.message)}</td></tr>`).join('')}</tbody></table>`
    : '';
  const blocking = new Set(r.blockers.flatMap((b) => (b.pdb ? b.pdb.split(',') : [])));
  const pdbs = r.pdbs.map((p) => `<tr data-pdb="${esc(p.pdb)}"${blocking.has(p.pdb) ? ' class="blocker"' : ''}><td>${esc(p.pdb)}</td><td class="num">${p.expectedPods}</td><td class="num">${p.currentHealthy}</td><td class="num">${p.desiredHealthy}</td><td class="num" data-testid="disruptions-allowed">${p.disruptionsAllowed}</td></tr>`).join('');
  $('#drain').innerHTML = `
    <p class="summary"><b data-testid="drain-feasible" class="${r.feasible ? 'ok' : 'bad'}">${r.feasible ? 'feasible' : 'BLOCKED'}</b>
      · <b data-testid="drain-waves">${r.waves.length}</b> wave(s) (lower bound <b data-testid="drain-lower-bound">${r.waveLowerBound}</b>)
      · <b data-testid="drain-evictions">${evictions}</b> eviction(s)
      · <b data-testid="drain-blockers">${r.blockers.length}</b> blocker(s)
      ${r.surgeNodes.length ? `· surge: ${r.surgeNodes.map(esc).join(', ')}` : ''}</p>
    ${blockers}
    ${waves ? `<ol class="waves">${waves}</ol>` : ''}
    <h3>PodDisruptionBudgets</h3>
    <table><thead><tr><th>PDB</th><th class="num">Expected</th><th class="num">Healthy</th><th class="num">Desired</th><th class="num">Disruptions allowed</th></tr></thead><tbody>${pdbs}</tbody></table>
    ${r.warnings.length ? `<ul class="warnings">${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}`;
}

// ---------------------------------------------------------------- what if

async function runWhatIf(change) {
  await busy(`comparing with ${change.map((f) => f.name).join(' + ')}…`, async () => {
    const timeLimit = Number($('#time-limit').value) || 10;
    const report = await run('diff', { change, options: { timeLimit: Math.min(timeLimit, 5) } });
    renderWhatIf(report);
  });
}

async function whatIfExample() {
  const name = $('#whatif-example').value;
  const res = await fetch(`examples/${name}`);
  if (!res.ok) throw new Error(`examples/${name}: HTTP ${res.status}`);
  await runWhatIf([{ name, text: await res.text() }]);
}

function renderWhatIf(r) {
  const side = (s) => `${s.cost.toFixed(3)}/h (${esc(s.status)})${Object.entries(s.newNodes).map(([p, n]) => ` ${esc(p)}: ${n}`).join(',')}${s.unplaced ? `, ${s.unplaced} left pending` : ''}`;
  const changes = r.changes.map((c) => `<li>${esc(c.action)} ${esc(c.kind)} ${esc(c.namespace ? `${c.namespace}/${c.name}` : c.name)}${c.becauseOf ? ` <span class="muted">(with ${esc(c.becauseOf)})</span>` : ''}</li>`).join('');
  const pods = r.pods.map((p) => `<tr data-pod="${esc(p.pod)}"><td>${esc(p.pod)}</td><td data-testid="whatif-pod-change" class="${p.change === 'unschedulable' ? 'bad' : 'ok'}">${esc(p.change)}</td><td>${esc(p.before ?? '—')}</td><td>${esc(p.after ?? '—')}</td></tr>`).join('');
  const headroom = r.headroom.map((h) => `<li>${esc(h.workload)}: ${h.before ? h.before.fits : '(new)'} → ${h.after.fits} more</li>`).join('');
  $('#whatif').innerHTML = `
    <p class="summary"><b data-testid="whatif-verdict" class="${r.newlyUnschedulable ? 'bad' : 'ok'}">${r.newlyUnschedulable ? 'makes pods unschedulable' : 'no pod becomes unschedulable'}</b>
      · cost change <b data-testid="whatif-cost-delta" data-value="${r.place.costDelta}">${r.place.costDelta >= 0 ? '+' : ''}${r.place.costDelta.toFixed(3)}</b>/h</p>
    <table><thead><tr><th></th><th>Before</th><th>After</th></tr></thead><tbody>
      <tr><td>place</td><td data-testid="whatif-place-before">${side(r.place.before)}</td><td data-testid="whatif-place-after">${side(r.place.after)}</td></tr></tbody></table>
    <h3>Changes (${r.changes.length})</h3><ul>${changes}</ul>
    ${pods ? `<h3>Pending pods that change (${r.pods.length})</h3><table><thead><tr><th>Pod</th><th>Change</th><th>Before</th><th>After</th></tr></thead><tbody>${pods}</tbody></table>` : '<p>Pending pods: no change.</p>'}
    ${headroom ? `<h3>Headroom</h3><ul>${headroom}</ul>` : ''}`;
}

// ---------------------------------------------------------------- tenancy

async function runTenancy() {
  const controlPlaneCost = Math.max(0, Number($('#control-plane-cost').value) || 0);
  const timeLimit = Number($('#time-limit').value) || 10;
  await busy('planning three layouts…', async () => {
    renderTenancy(await run('tenancy', { controlPlaneCost, timeLimit }));
  });
}

/** The parts a layout's bar is stacked by, in order: [field, class, label]. */
const TENANCY_PARTS = [
  ['controlPlanes', 'cp', 'control planes'],
  ['systemPools', 'sys', 'system pools'],
  ['daemonSets', 'ds', 'DaemonSets'],
  ['workloadNodes', 'wl', 'workload nodes'],
];

/** One horizontal bar per layout, stacked by cost part, on one scale. */
function tenancyBars(layouts) {
  const max = Math.max(...layouts.map((l) => l.cost), 1e-9);
  const width = 1000;
  const label = 150;
  const row = 26;
  const scale = (width - label - 90) / max;
  const bars = layouts.map((l, i) => {
    let x = label;
    const segs = TENANCY_PARTS.map(([field, cls, name]) => {
      const w = l.parts[field] * scale;
      const seg = `<rect class="seg ${cls}" data-part="${field}" data-value="${l.parts[field]}" x="${x}" y="${i * row + 4}" width="${Math.max(w, 0)}" height="${row - 8}"><title>${name}: ${l.parts[field].toFixed(3)}/h</title></rect>`;
      x += Math.max(w, 0);
      return seg;
    }).join('');
    return `<g class="layout-bar" data-layout="${esc(l.name)}" data-value="${l.cost}"><text x="0" y="${i * row + row / 2 + 4}">${esc(l.name)}</text>${segs}<text class="dim" x="${x + 6}" y="${i * row + row / 2 + 4}">${l.cost.toFixed(3)}/h</text></g>`;
  }).join('');
  return `<svg class="bars tenancy" viewBox="0 0 ${width} ${layouts.length * row}" data-testid="tenancy-bars">${bars}</svg>`;
}

function renderTenancy(r) {
  const pct = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`);
  const gap = (g) => (g === null ? 'n/a' : `${(g * 100).toFixed(2)}%`);
  const layouts = r.layouts.map((l) => `<tr data-layout="${esc(l.name)}"><td>${esc(l.name)}</td><td class="num">${l.clusters}</td>
      <td class="num" data-testid="tenancy-cost" data-value="${l.cost}">${l.cost.toFixed(3)}</td><td class="num">${Math.round(l.costPerMonth)}</td>
      <td class="num">${l.lowerBound.toFixed(3)}</td><td class="num">${gap(l.gap)}</td>
      <td class="num">${Object.values(l.nodes).reduce((a, b) => a + b, 0)}</td><td class="num">${pct(l.cpuUtilisation)}</td><td class="num">${pct(l.memoryUtilisation)}</td></tr>`).join('');
  const tenants = r.layouts.map((l) => `<details><summary>${esc(l.name)}: ${l.tenants.length} tenants</summary><table><thead><tr><th>Tenant</th><th class="num">Pods</th><th class="num">Own nodes</th><th class="num">Cost/h</th><th class="num">Share</th><th class="num">CPU</th><th class="num">Memory</th></tr></thead><tbody>${l.tenants.map((t) => `<tr><td>${esc(t.tenant)}</td><td class="num">${t.pods}</td><td class="num">${t.nodes}</td><td class="num">${t.cost.toFixed(3)}</td><td class="num">${pct(t.share)}</td><td class="num">${pct(t.cpuUtilisation)}</td><td class="num">${pct(t.memoryUtilisation)}</td></tr>`).join('')}</tbody></table></details>`).join('');
  const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
  const diffs = r.differences.map((d) => `<tr data-difference="${esc(d.from)}->${esc(d.to)}"><td>${esc(d.from)} → ${esc(d.to)}</td>
      <td class="num" data-testid="difference-total" data-value="${d.total}">${signed(d.total)}</td><td class="num">${signed(d.controlPlanes)}</td>
      <td class="num">${signed(d.systemPools)}</td><td class="num">${signed(d.daemonSets)}</td><td class="num">${signed(d.fragmentation)}</td></tr>`).join('');
  const unplaced = r.layouts.flatMap((l) => l.runs.flatMap((run) => run.unplaced.map((u) => `<li>${esc(l.name)} / ${esc(run.cluster)}: ${esc(u)}</li>`))).join('');
  $('#tenancy').innerHTML = `
    <p class="summary"><span data-testid="tenancy-tenants">${r.tenants.length}</span> tenants: ${r.tenants.map(esc).join(', ')}</p>
    ${tenancyBars(r.layouts)}
    <table><thead><tr><th>Layout</th><th class="num">Clusters</th><th class="num">Cost/h</th><th class="num">Cost/month</th><th class="num">Bound</th><th class="num">Gap</th><th class="num">Nodes</th><th class="num">CPU</th><th class="num">Memory</th></tr></thead><tbody>${layouts}</tbody></table>
    <h3>Differences by cause ($/h)</h3>
    <table><thead><tr><th></th><th class="num">Total</th><th class="num">Control planes</th><th class="num">System pools</th><th class="num">DaemonSets</th><th class="num">Fragmentation</th></tr></thead><tbody>${diffs}</tbody></table>
    ${unplaced ? `<h3 class="bad">Left pending</h3><ul>${unplaced}</ul>` : ''}
    ${tenants}`;
}

// ---------------------------------------------------------------- input

async function loadExample() {
  const names = $('#example').value.split(',');
  const files = await Promise.all(names.map(async (name) => {
    const res = await fetch(`examples/${name}`);
    if (!res.ok) throw new Error(`examples/${name}: HTTP ${res.status}`);
    return { name, text: await res.text() };
  }));
  $('#text').value = files.length === 1 ? files[0].text : '';
  await load(files, `example: ${names.join(' + ')}`);
}

async function loadFiles(list) {
  // The bytes, not f.text(): podplan reads UTF-8 bytes, so a 300 MB dump
  // is neither decoded here nor re-encoded in the worker.
  const files = await Promise.all([...list].map(async (f) => ({ name: f.name, text: await f.arrayBuffer() })));
  if (files.length) await load(files, `files: ${files.map((f) => f.name).join(' + ')}`);
}

function wire() {
  $('#pending').addEventListener('click', (e) => {
    const button = e.target.closest('button.copy');
    if (!button) return;
    const text = button.previousElementSibling.textContent;
    navigator.clipboard?.writeText(text).then(() => { button.textContent = 'copied'; }, () => {});
  });
  $('#load-example').onclick = () => loadExample().catch((e) => showError(e.message));
  $('#analyse').onclick = () => {
    const text = $('#text').value;
    if (text.trim()) load([{ name: 'pasted', text }], 'pasted text');
  };
  $('#files').onchange = (e) => loadFiles(e.target.files);
  const drop = $('#drop');
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add('over'); };
  drop.ondragleave = () => drop.classList.remove('over');
  drop.ondrop = (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files.length) loadFiles(e.dataTransfer.files);
    else {
      const text = e.dataTransfer.getData('text');
      if (text) { $('#text').value = text; load([{ name: 'dropped', text }], 'dropped text'); }
    }
  };
  $('#nodes').onclick = (e) => {
    const pool = e.target.closest('button.show-all')?.dataset.pool;
    if (pool !== undefined) {
      expandedPools.add(pool);
      renderNodes();
    }
  };
  $('#run-place').onclick = runPlace;
  $('#run-drain').onclick = runDrain;
  $('#run-tenancy').onclick = runTenancy;
  $('#run-whatif-example').onclick = () => whatIfExample().catch((e) => showError(e.message));
  $('#whatif-file').onchange = async (e) => {
    const list = [...e.target.files];
    const change = await Promise.all(list.map(async (f) => ({ name: f.name, text: await f.arrayBuffer() })));
    if (change.length) await runWhatIf(change);
  };
  $('#cancel').onclick = cancel;
}

startWorker();
wire();
