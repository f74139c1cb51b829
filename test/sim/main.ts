// npm run sim -- --seeds N [--seed S] [--from F] [--store alternate|sqlite|tablestore] [--hooks] [--verbose]: runs the
// deterministic simulation (by default even seeds on SQLite, odd seeds on the Tablestore adapter through
// the emulator; a Tablestore seed takes ~30× as long, so long runs may pick one store).

import { parseArgs } from 'node:util';
import { runSeed } from './scenario.ts';
import { closeStores, kindFor, openerOf, type StoreKind } from './stores.ts';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '200' }, seed: { type: 'string' }, from: { type: 'string', default: '1' }, store: { type: 'string', default: 'alternate' }, verbose: { type: 'boolean', default: false }, hooks: { type: 'boolean', default: false } } });
const list = values.seed ? [Number(values.seed)] : Array.from({ length: Number(values.seeds) }, (_, i) => Number(values.from) + i);
if (!['alternate', 'sqlite', 'tablestore'].includes(values.store)) throw new Error(`--store: expected alternate, sqlite or tablestore, got ${values.store}`);
const storeOf = (seed: number): StoreKind => (values.store === 'alternate' ? kindFor(seed) : (values.store as StoreKind));
const started = Date.now();
let failed = 0;
const outcomes = new Map<string, number>();
for (const seed of list) {
  const r = await runSeed(seed, { openStore: openerOf(storeOf(seed)), hooks: values.hooks });
  for (const s of Object.values(r.orders)) outcomes.set(s, (outcomes.get(s) ?? 0) + 1);
  if (!r.ok || values.verbose) {
    console.log(`seed ${seed} (${storeOf(seed)}): ${r.ok ? 'ok' : 'FAILED'} orders=${JSON.stringify(r.orders)} crashes=${r.crashes} delivered=${r.delivered}`);
    for (const v of r.violations) console.log(`  ${v}`);
    if (!r.ok || values.verbose) console.log(r.log.slice(-60).map((l) => `    ${l}`).join('\n'));
    if (!r.ok) console.log(`  replay: npm run sim -- --seed ${seed} --store ${storeOf(seed)}${values.hooks ? ' --hooks' : ''} --verbose`);
  }
  if (!r.ok) failed++;
}
await closeStores();
console.log(`${list.length - failed} passed, ${failed} failed (${list.length} seeds in ${((Date.now() - started) / 1000).toFixed(1)} s; outcomes ${JSON.stringify(Object.fromEntries(outcomes))})`);
process.exit(failed ? 1 : 0);
