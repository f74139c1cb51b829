// npm run bench [-- --quick] [--only <section>] [--peer dbos] [--reps N] [--peer-pool N] [--fleet-sync FULL]
// Sections: throughput (also overhead, CPU, batch latency, store cost), scale, cloud, cost. Each
// measurement runs in a process of its own; the table is printed and bench/results.json written.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Shape, Sync } from './common.ts';
import { costModel } from './cost.ts';
import { machine } from './machine.ts';
import { dbosPeer } from './peers/dbos/index.ts';
import { cloudTable, costTable, scaleTable, throughputTable, verdicts, verdictTable, type CloudResult, type Results } from './report.ts';
import type { ScaleResult } from './scale.ts';
import { runJob } from './spawn.ts';
import type { ThroughputResult } from './throughput.ts';

const SECTIONS = ['throughput', 'scale', 'cloud', 'cost'] as const;
const ALIASES: Record<string, (typeof SECTIONS)[number]> = { overhead: 'throughput', latency: 'throughput', store: 'throughput', cpu: 'throughput' };

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    peer: { type: 'string' },
    reps: { type: 'string' },
    'peer-pool': { type: 'string', default: '50' },
    'fleet-sync': { type: 'string', default: 'NORMAL' },
  },
});
const only: string | undefined = values.only ? (ALIASES[values.only] ?? values.only) : undefined;
if (only && !(SECTIONS as readonly string[]).includes(only) && only !== 'peer') throw new Error(`--only: one of ${[...SECTIONS, 'peer', ...Object.keys(ALIASES)].join(', ')}`);
if (values.peer && values.peer !== 'dbos') throw new Error('--peer: only "dbos" is available');
const want = (s: string) => !only || only === s || (s === 'throughput' && only === 'cost');
const quick = values.quick;
const fleetSync = (values['fleet-sync'] === 'FULL' ? 'FULL' : 'NORMAL') as Sync;
const reps = Number(values.reps ?? (quick ? 1 : 3));
const shape: Shape = quick ? { targets: 1000, batches: 10, maxConcurrency: 100 } : { targets: 10_000, batches: 10, maxConcurrency: 1000 };
const scaleOrders = quick ? 50 : 1000;
const scaleShape: Shape = { targets: 100, batches: 10, maxConcurrency: 1000 };
const modes: Sync[] = only === 'cost' ? ['NORMAL'] : ['FULL', 'NORMAL'];

const results: Results = { throughput: [], scale: [] };
const startedAt = new Date().toISOString();
const box = machine();
const log = (m: string) => console.error(`[bench] ${m}`);

if (want('throughput')) {
  for (const sync of modes) {
    log(`throughput, SQLite ${sync}: ${shape.targets} targets × ${reps} runs`);
    results.throughput.push(await runJob<ThroughputResult>({ section: 'throughput', sync, fleetSync, shape, reps }));
  }
}
if (values.peer === 'dbos' && (!only || only === 'throughput' || only === 'peer')) {
  log(`peer: DBOS, ${shape.targets} targets × ${reps} runs`);
  results.peer = await dbosPeer(shape, reps, Number(values['peer-pool']));
  if (!results.peer.ran) console.log(`DBOS peer skipped: ${results.peer.reason}`);
}
if (want('scale')) {
  for (const sync of modes) {
    log(`scale, SQLite ${sync}: ${scaleOrders} orders × ${scaleShape.targets} targets`);
    results.scale.push(await runJob<ScaleResult>({ section: 'scale', sync, fleetSync, orders: scaleOrders, shape: scaleShape }));
  }
}
if (want('cloud')) {
  log(`cloud: ${shape.targets} targets through the FC harness and the Tablestore emulator`);
  try {
    results.cloud = await runJob<CloudResult>({ section: 'cloud', shape });
  } catch (e) {
    results.cloud = { skipped: `the cloud run failed: ${(e as Error).message.split('\n')[0]}` };
    console.log(`cloud mode skipped: ${results.cloud.skipped}`);
  }
}
if (want('cost')) {
  const t = results.throughput.find((x) => x.sync === 'NORMAL') ?? results.throughput[0];
  if (t) {
    const n = t.shape.targets;
    const counted = results.cloud && !('skipped' in results.cloud) ? results.cloud : undefined;
    results.cost = costModel({
      targets: n,
      batches: t.shape.batches,
      // worker invocations counted in cloud mode, plus the API invocation that submitted the order
      invocations: counted && counted.shape.targets === n ? counted.invocationsPerOrder + 1 : undefined,
      invocationsSource: counted ? 'worker invocations counted in cloud mode + 1 API invocation (the submission)' : undefined,
      cpuSeconds: (t.cpuUsPerTarget * n) / 1e6,
      // the cloud run's own row counts when it priced the same rollout, else the local store's
      rowReads: (counted && counted.shape.targets === n ? counted.rowReadsPerTarget : t.readsPerTarget) * n,
      rowWrites: (counted && counted.shape.targets === n ? counted.rowWritesPerTarget : t.writesPerTarget) * n,
      rowsSource: counted && counted.shape.targets === n ? 'Tablestore rows counted in cloud mode' : 'rows counted by the local SQLite store',
      headWrites: t.headWrites,
      bytesPerRow: t.bytesPerTarget / t.writesPerTarget,
    });
  }
}

const out = [
  `# changeflow bench — ${startedAt}`,
  `Machine: ${box.cpus} CPUs (${box.cpuModel}), ${box.memoryGiB} GiB, Node ${box.node}, ${box.platform}; load average at start ${box.loadAverage.join(' / ')}; commit ${box.commit ?? '?'}${box.dirty ? ' + local changes' : ''}.`,
  `Flags: ${process.argv.slice(2).join(' ') || '(none)'}; simulated fleet connection: SQLite ${fleetSync}.`,
  throughputTable(results),
  scaleTable(results),
  cloudTable(results),
  costTable(results),
  verdictTable(verdicts(results)),
].filter(Boolean);
console.log(out.join('\n\n'));

const file = new URL('./results.json', import.meta.url);
writeFileSync(file, JSON.stringify({ startedAt, finishedAt: new Date().toISOString(), machine: { ...box, loadAverageAtEnd: machine().loadAverage }, flags: process.argv.slice(2), fleetSync, ...results, verdicts: verdicts(results) }, null, 2));
log(`wrote ${file.pathname}`);
