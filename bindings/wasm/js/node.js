// Node entry point: the `--target web` module of pkg/, instantiated
// synchronously from the .wasm file next to it, so that the API is ready
// on import.
import { readFileSync } from 'node:fs';
import * as glue from '../pkg/podplan_wasm.js';
import { makeApi } from './api.js';

glue.initSync({ module: readFileSync(new URL('../pkg/podplan_wasm_bg.wasm', import.meta.url)) });

const api = makeApi(glue);

/** Already initialised in Node; kept so that code runs unchanged in browsers. */
export async function init() {}
export default init;
export { toFiles } from './api.js';
export const { read, explain, place, simulate, drain, headroom, tenancy, sizes, placeWithPoolSizes, inventory, diff, __panicForTest } = api;
