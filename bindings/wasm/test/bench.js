// WebAssembly (in Node) against the native CLI on a ladder instance:
//
//   node test/bench.js [LADDER=m] [RUNS=3] [TIME_LIMIT=10]
//
// place is time-limited, so both run with the same limit and the report
// gives each side's solveMillis and cost; explain and simulate do a fixed
// amount of work and compare plainly. Times are medians of RUNS runs; the
// native side is timed by its own solveMillis (place, simulate) or by
// wall-clock (explain, which reports no timing) minus nothing: its wall
// time includes process start and parsing, so the explain ratio is
// conservative for WASM.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as podplan from '../js/node.js';
import { nativeBinary } from './native.js';

const [ladder = 'm', runs = '3', timeLimit = '10'] = process.argv.slice(2);
const bin = nativeBinary();
const dir = mkdtempSync(path.join(tmpdir(), 'podplan-bench-'));
const file = path.join(dir, `${ladder}.json`);
const gen = spawnSync(bin, ['generate', '--ladder', ladder], { encoding: 'utf8', maxBuffer: 1 << 30 });
if (gen.status !== 0) throw new Error(gen.stderr);
writeFileSync(file, gen.stdout);
const text = readFileSync(file, 'utf8');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function nativeRun(args) {
  const t = performance.now();
  const r = spawnSync(bin, [...args, '-o', 'json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = performance.now() - t;
  if (r.status === 2) throw new Error(r.stderr);
  return { wall, report: JSON.parse(r.stdout) };
}

function wasmRun(fn) {
  const t = performance.now();
  const report = fn();
  return { wall: performance.now() - t, report };
}

const rows = [];
function compare(name, nativeArgs, wasmFn, solveTime) {
  const n = [];
  const w = [];
  for (let i = 0; i < Number(runs); i++) {
    n.push(nativeRun(nativeArgs));
    w.push(wasmRun(wasmFn));
  }
  const nt = median(n.map(solveTime));
  const wt = median(w.map(solveTime));
  const last = (xs) => xs[xs.length - 1].report;
  rows.push({ name, native: nt, wasm: wt, ratio: wt / nt, nativeReport: last(n), wasmReport: last(w) });
}

const files = [{ name: file, text }];
const bySolve = (r) => r.report.stats.solveMillis;
const byWall = (r) => r.wall;
compare(`place --time-limit ${timeLimit}`, ['place', file, '--time-limit', timeLimit],
  () => podplan.place(files, { timeLimit: Number(timeLimit) }), bySolve);
compare('simulate', ['simulate', file], () => podplan.simulate(files), bySolve);
compare('explain --summary (wall, parsing included)', ['explain', file, '--summary'],
  () => podplan.explain(files, { summary: true }), byWall);

console.log(`ladder ${ladder}: ${(text.length / 1024).toFixed(0)} KiB, ${runs} run(s) each, medians`);
for (const r of rows) {
  let extra = '';
  if (r.nativeReport.cost !== undefined) {
    extra = `  cost native ${r.nativeReport.cost} (bound ${r.nativeReport.lowerBound}, ${r.nativeReport.status}${r.nativeReport.stats.timeLimitHit ? ', time limit hit' : ''})`
      + ` / wasm ${r.wasmReport.cost} (bound ${r.wasmReport.lowerBound}, ${r.wasmReport.status}${r.wasmReport.stats.timeLimitHit ? ', time limit hit' : ''})`;
  }
  console.log(`${r.name.padEnd(44)} native ${r.native.toFixed(0).padStart(6)} ms  wasm ${r.wasm.toFixed(0).padStart(6)} ms  ratio ${r.ratio.toFixed(2)}${extra}`);
}
