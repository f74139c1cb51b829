// `npm run demo`: starts changeflow on a fresh data dir, submits events/demo-plan.yaml over HTTP, shows
// progress, continues the paused canary once, and exits 0 when the order SUCCEEDED.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../runtime/runtime.ts';
import { startLocal } from './app.ts';
import { ensureDemoFleet } from './demo-fleet.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'changeflow-demo-'));
const app = await startLocal({ dataDir, port: 0, log: silentLogger, tickMs: 200 });
await ensureDemoFleet(app.rt);
const started = Date.now();
const baseline = app.rt.store.stats().writes;

async function api(method: string, path: string, body?: string, type = 'application/json') {
  const res = await fetch(app.url + path, { method, body, headers: body ? { 'content-type': type } : {} });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.error)}`);
  return json;
}

interface Detail {
  status: string;
  nextBatch?: number;
  services: { serviceId: string; status: string; currentBatch: number; batches: { status: string; tasks: { status: string }[] }[] }[];
}

const line = (o: Detail) =>
  o.services
    .map((s) => {
      const tasks = s.batches.flatMap((b) => b.tasks);
      const done = tasks.filter((t) => t.status !== 'PENDING' && t.status !== 'RUNNING').length;
      return `${s.serviceId} ${s.status.toLowerCase()} b${s.currentBatch}/${s.batches.length} ${done}/${tasks.length}`;
    })
    .join(' | ');

let code = 1;
try {
  const plan = readFileSync(new URL('../../events/demo-plan.yaml', import.meta.url), 'utf8');
  const dry = await api('POST', '/v1/change-orders?dryRun=true', plan, 'application/yaml');
  console.log('dry run:');
  for (const s of dry.services) console.log(`  ${s.serviceId} (priority ${s.priority}): ${s.batches.map((b: { size: number }) => b.size).join(' + ')} targets`);
  const { changeOrderId } = await api('POST', '/v1/change-orders', plan, 'application/yaml');
  console.log(`submitted ${changeOrderId}`);
  let last = '';
  for (;;) {
    const o: Detail = await api('GET', `/v1/change-orders/${changeOrderId}`);
    const now = `${o.status.padEnd(14)} ${line(o)}`;
    if (now !== last) console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${now}`);
    last = now;
    if (o.status === 'WAITING_MANUAL') {
      console.log(`        the canary batch is done: continue --batch ${o.nextBatch}`);
      await api('POST', `/v1/change-orders/${changeOrderId}/continue`, JSON.stringify({ batch: o.nextBatch }));
    }
    if (['SUCCEEDED', 'FAILED', 'STOPPED', 'PARTIAL'].includes(o.status)) {
      const report = await api('GET', `/v1/change-orders/${changeOrderId}/report`);
      for (const s of report.services) console.log(`  ${s.serviceId.padEnd(10)} ${s.status.padEnd(10)} ${s.targets.succeeded}/${s.targets.total} targets`);
      const stats = app.rt.store.stats();
      const targets = report.services.reduce((n: number, s: { targets: { total: number } }) => n + s.targets.total, 0);
      const writes = stats.writes - baseline;
      console.log(`${o.status} in ${((Date.now() - started) / 1000).toFixed(1)}s; store: ${writes} row writes for ${targets} targets (${(writes / targets).toFixed(2)} per target, events and order heads included)`);
      code = o.status === 'SUCCEEDED' ? 0 : 1;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
} catch (e) {
  console.error(`demo failed: ${(e as Error).message}`);
} finally {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);
