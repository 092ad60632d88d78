// WebAssembly in Node against the native CLI on one thread, at Kubernetes
// scale (issue #11: WASM within 1.3x of native single-threaded):
//
//   node test/bench-scale.js [--runs 3] [--dir DIR] [--only explain|drain]
//                            [--no-api-fields] [--bytes]
//
// Scenarios, generated once by the native CLI into DIR (default
// $TMPDIR/podplan-bench-scale, kept for the next run):
//   explain: generate --nodes 5000 --bound-pods 100000 --pending-pods 1000 --seed 1
//            then `explain --summary`
//   drain:   generate --drain-workloads 2000 --nodes 5000 --bound-pods 150000 --seed 1
//            then `drain --pool drain --surge 10`
// each also with --api-fields (the fields the API server writes: the size
// of real `kubectl get -o json` output).
//
// Each side runs RUNS times as a fresh process, alternately; the tables
// give medians.
// - Native: `RAYON_NUM_THREADS=1 podplan ... -o json > file`: process
//   start, reading the file, the operation, writing the JSON. Its CPU time
//   (user + sys) comes from /usr/bin/time when present. "read" is the same
//   process stopped right after reading (an unknown --pod: exit 2 once the
//   scenario is read); "op" is the rest.
// - WASM: a Node process (this script with --child) that reads the file as
//   a string (readFileSync(file, 'utf8'), what users do; with --bytes as a
//   Buffer), reads the scenario (read()), then runs the operation, whose
//   time includes converting the report to JS objects. "process" is from
//   the process's start (Node's start-up and the module's compilation
//   included) to the report, and its CPU time up to then. The same
//   process then does it all again: "warm" is that second run, on a
//   module V8 has optimised (a long-running service), which a
//   command-line run never sees.
// CPU times vary less than wall times on a shared machine. Ratios are
// WASM over native.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, nativeBinary } from './native.js';

const SELF = fileURLToPath(import.meta.url);
const OPS = {
  explain: {
    generate: ['--nodes', '5000', '--bound-pods', '100000', '--pending-pods', '1000', '--seed', '1'],
    native: (file) => ['explain', file, '--summary'],
    label: 'explain --summary',
    wasm: (c) => c.explain({ summary: true }),
    facts: (r) => ({ pods: r.pods.length, unschedulable: r.pods.filter((p) => p.feasibleCount === 0).length }),
  },
  drain: {
    generate: ['--drain-workloads', '2000', '--nodes', '5000', '--bound-pods', '150000', '--seed', '1'],
    native: (file) => ['drain', file, '--pool', 'drain', '--surge', '10'],
    label: 'drain --pool drain --surge 10',
    wasm: (c) => c.drain({ pool: 'drain', surge: 10 }),
    facts: (r) => ({ feasible: r.feasible, waves: r.waves.length, evictions: r.waves.reduce((s, w) => s + w.evictions.length, 0) }),
  },
};

/** The WASM side in this (fresh) process; prints its phases as JSON. */
async function child(op, file, input) {
  const podplan = await import('../js/node.js');
  const phases = {};
  for (const run of ['cold', 'warm']) {
    const t0 = performance.now();
    const text = input === 'bytes' ? readFileSync(file) : readFileSync(file, 'utf8');
    const t1 = performance.now();
    const cluster = podplan.read({ name: file, text });
    const t2 = performance.now();
    const report = OPS[op].wasm(cluster);
    const t3 = performance.now();
    cluster.free();
    phases[run] = { read: t2 - t0, op: t3 - t2 };
    if (run === 'cold') {
      // performance.now() counts from the process's start.
      const cpu = process.cpuUsage();
      phases.process = { wall: t3, cpu: (cpu.user + cpu.system) / 1000 };
      phases.facts = OPS[op].facts(report);
    }
  }
  console.log(JSON.stringify(phases));
}

let scratch;

/** Runs `argv`; returns {wall, cpu (null without /usr/bin/time), status, stdout, stderr}. */
function timed(argv, { env = {}, stdout } = {}) {
  const timeFile = path.join(scratch, 'time');
  const useTime = existsSync('/usr/bin/time');
  const cmd = useTime ? ['/usr/bin/time', '-f', '%U %S', '-o', timeFile, ...argv] : argv;
  const fd = stdout ? openSync(stdout, 'w') : 'pipe';
  const started = performance.now();
  const r = spawnSync(cmd[0], cmd.slice(1), {
    env: { ...process.env, ...env }, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 30,
  });
  const wall = performance.now() - started;
  if (stdout) closeSync(fd);
  if (r.error) throw r.error;
  let cpu = null;
  if (useTime) {
    const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    cpu = (user + sys) * 1000;
  }
  return { wall, cpu, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const median = (xs) => (xs.some((x) => x === null) ? null : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};

function measure(op, spec, file, runs, input) {
  const bin = nativeBinary();
  const single = { RAYON_NUM_THREADS: '1' };
  const out = path.join(scratch, 'report.json');
  const n = [];
  const nr = [];
  const w = [];
  for (let i = 0; i < runs; i++) {
    const full = timed([bin, ...spec.native(file), '-o', 'json'], { env: single, stdout: out });
    if (full.status === 2) throw new Error(full.stderr);
    n.push(full);
    const read = timed([bin, 'explain', file, '--pod', 'podplan-bench/none', '-o', 'json'], { env: single });
    if (read.status !== 2 || !read.stderr.includes('no pending pod')) throw new Error(`native read: ${read.stderr}`);
    nr.push(read);
    const run = timed([process.execPath, SELF, '--child', op, file, input]);
    if (run.status !== 0) throw new Error(run.stderr);
    w.push(JSON.parse(run.stdout.trim().split('\n').pop()));
    console.error(`${path.basename(file)} run ${i + 1}/${runs}: native ${full.wall.toFixed(0)} ms, wasm ${w[i].process.wall.toFixed(0)} ms`);
  }
  const nativeFacts = JSON.stringify(spec.facts(JSON.parse(readFileSync(out, 'utf8'))));
  const wasmFacts = JSON.stringify(w[w.length - 1].facts);
  const nativeRead = median(nr.map((x) => x.wall));
  const nativeWall = median(n.map((x) => x.wall));
  return {
    nativeWall, nativeCpu: median(n.map((x) => x.cpu)), nativeRead, nativeOp: nativeWall - nativeRead,
    wasmWall: median(w.map((x) => x.process.wall)), wasmCpu: median(w.map((x) => x.process.cpu)),
    coldRead: median(w.map((x) => x.cold.read)), coldOp: median(w.map((x) => x.cold.op)),
    warmRead: median(w.map((x) => x.warm.read)), warmOp: median(w.map((x) => x.warm.op)),
    check: nativeFacts === wasmFacts ? `same: ${nativeFacts}` : `DIFFERENT: native ${nativeFacts}, wasm ${wasmFacts}`,
  };
}

function main() {
  const runs = Number(arg('--runs', '3'));
  const dir = arg('--dir', path.join(tmpdir(), 'podplan-bench-scale'));
  const only = arg('--only', null);
  const input = process.argv.includes('--bytes') ? 'bytes' : 'string';
  const variants = process.argv.includes('--no-api-fields') ? [false] : [false, true];
  mkdirSync(dir, { recursive: true });
  scratch = mkdtempSync(path.join(tmpdir(), 'podplan-bench-'));
  const rows = [];
  try {
    for (const [op, spec] of Object.entries(OPS)) {
      if (only && op !== only) continue;
      for (const apiFields of variants) {
        const name = `${op}-5000${apiFields ? '-api-fields' : ''}.json`;
        const file = path.join(dir, name);
        if (!existsSync(file)) {
          console.error(`generating ${name}…`);
          generate([...spec.generate, ...(apiFields ? ['--api-fields'] : [])], file);
        }
        const mb = (statSync(file).size / 1e6).toFixed(0);
        rows.push({ scenario: `${spec.label}, ${mb} MB${apiFields ? ' (API fields)' : ''}`, ...measure(op, spec, file, runs, input) });
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const s = (x) => (x === null ? 'n/a' : `${(x / 1000).toFixed(2)} s`);
  const ratio = (a, b) => (a === null || b === null ? 'n/a' : `${(a / b).toFixed(2)}×`);
  console.log(`\nWASM in Node ${process.version} (input as a ${input === 'bytes' ? 'Buffer' : 'string'}) vs the native CLI with RAYON_NUM_THREADS=1; medians of ${runs} runs\n`);
  console.log('| scenario | native process | WASM process | ratio | native CPU | WASM CPU | ratio CPU | reports |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.scenario} | ${s(r.nativeWall)} | ${s(r.wasmWall)} | ${ratio(r.wasmWall, r.nativeWall)} | ${s(r.nativeCpu)} | ${s(r.wasmCpu)} | ${ratio(r.wasmCpu, r.nativeCpu)} | ${r.check} |`);
  }
  console.log('\nPhases (wall): native read = process start + reading; WASM read = the file + read(); cold = first run in the process, warm = second\n');
  console.log('| scenario | native read | WASM read cold | warm | native op | WASM op cold | warm | ratio read+op warm |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.scenario} | ${s(r.nativeRead)} | ${s(r.coldRead)} | ${s(r.warmRead)} | ${s(r.nativeOp)} | ${s(r.coldOp)} | ${s(r.warmOp)} | ${ratio(r.warmRead + r.warmOp, r.nativeWall)} |`);
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], process.argv[5]);
} else {
  main();
}
