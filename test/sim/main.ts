// npm run sim -- --seeds N [--seed S] [--from F] [--verbose]: runs the deterministic simulation.

import { parseArgs } from 'node:util';
import { runSeed } from './scenario.ts';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '200' }, seed: { type: 'string' }, from: { type: 'string', default: '1' }, verbose: { type: 'boolean', default: false } } });
const list = values.seed ? [Number(values.seed)] : Array.from({ length: Number(values.seeds) }, (_, i) => Number(values.from) + i);
const started = Date.now();
let failed = 0;
const outcomes = new Map<string, number>();
for (const seed of list) {
  const r = await runSeed(seed);
  for (const s of Object.values(r.orders)) outcomes.set(s, (outcomes.get(s) ?? 0) + 1);
  if (!r.ok || values.verbose) {
    console.log(`seed ${seed}: ${r.ok ? 'ok' : 'FAILED'} orders=${JSON.stringify(r.orders)} crashes=${r.crashes} delivered=${r.delivered}`);
    for (const v of r.violations) console.log(`  ${v}`);
    if (!r.ok || values.verbose) console.log(r.log.slice(-60).map((l) => `    ${l}`).join('\n'));
    if (!r.ok) console.log(`  replay: npm run sim -- --seed ${seed} --verbose`);
  }
  if (!r.ok) failed++;
}
console.log(`${list.length - failed} passed, ${failed} failed (${list.length} seeds in ${((Date.now() - started) / 1000).toFixed(1)} s; outcomes ${JSON.stringify(Object.fromEntries(outcomes))})`);
process.exit(failed ? 1 : 0);
