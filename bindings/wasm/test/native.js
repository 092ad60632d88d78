// The native CLI, the reference the WebAssembly build is compared with:
// $PODPLAN_BIN, else release/podplan in cargo's target directory (built
// here with cargo when absent).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A file of the repository's examples/ folder, with its text. */
export function example(name) {
  const file = path.join(ROOT, 'examples', name);
  return { file, name, text: readFileSync(file, 'utf8') };
}

let bin;

/** Path of the native podplan binary (release build). */
export function nativeBinary() {
  if (bin) return bin;
  // cargo builds into $CARGO_TARGET_DIR when it is set (relative to ROOT, where it runs).
  const target = path.resolve(ROOT, process.env.CARGO_TARGET_DIR || 'target');
  bin = process.env.PODPLAN_BIN || path.join(target, 'release', 'podplan');
  if (!existsSync(bin)) {
    const built = spawnSync('cargo', ['build', '--release', '--bin', 'podplan'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('cargo build --release failed');
  }
  return bin;
}

/**
 * Runs `podplan ARGS... -o json` and returns {status, json, stderr}.
 * Exit codes 0 and 1 carry a report; 2 is an error (json is null).
 */
export function native(args) {
  const r = spawnSync(nativeBinary(), [...args, '-o', 'json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  return { status: r.status, json: r.status === 2 ? null : JSON.parse(r.stdout), stderr: r.stderr };
}

/**
 * Writes `podplan generate ARGS...` to `file` (straight from the CLI's
 * stdout: dumps of 50-300 MB), and returns `file`.
 */
export function generate(args, file) {
  const fd = openSync(file, 'w');
  try {
    const r = spawnSync(nativeBinary(), ['generate', ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`podplan generate ${args.join(' ')}: ${r.stderr}`);
  } finally {
    closeSync(fd);
  }
  return file;
}

/** A deep copy of a report without its wall-clock timings (`stats.solveMillis`). */
export function withoutTimings(report) {
  const copy = structuredClone(report);
  if (copy && copy.stats) delete copy.stats.solveMillis;
  return copy;
}
