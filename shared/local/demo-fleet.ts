// The demo fleet `npm start` registers when it is absent: simulated services shaped like a small shop.

import type { Runtime } from '../runtime/runtime.ts';
import { registerService } from '../runtime/services.ts';

const fleet = (prefix: string, n: number, zones: string[], extra: (i: number) => string[] = () => []) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${String(i + 1).padStart(2, '0')}`, labels: [`zone=${zones[i % zones.length]}`, ...extra(i)], version: '1.0.0' }));

export const DEMO_SERVICES: Record<string, unknown> = {
  checkout: {
    description: 'checkout web tier (simulated, 20 instances in two zones, 2 canaries)',
    executor: { type: 'simulated', latencyMs: 150 },
    targets: fleet('checkout', 20, ['a', 'b'], (i) => (i < 2 ? ['canary'] : [])),
    defaults: { batchNumber: 3, maxErrors: 1 },
  },
  payments: {
    description: 'payments API (simulated, 12 instances)',
    executor: { type: 'simulated', latencyMs: 120 },
    targets: fleet('payments', 12, ['a', 'b', 'c']),
    defaults: { batchNumber: 2 },
  },
  search: {
    description: 'search workers (simulated, 30 instances)',
    executor: { type: 'simulated', latencyMs: 80 },
    targets: fleet('search', 30, ['a', 'b', 'c']),
    defaults: { maxConcurrency: 10 },
  },
  'config-db': {
    description: 'configuration database nodes (simulated, 10 instances, changed one by one)',
    executor: { type: 'simulated', latencyMs: 60 },
    targets: fleet('config-db', 10, ['a', 'b']),
    defaults: { containerExecMethod: 'SEQUENTIAL' },
  },
};

/** registers each demo service that is not registered yet; returns the ids it registered */
export async function ensureDemoFleet(rt: Runtime): Promise<string[]> {
  const added: string[] = [];
  for (const [id, def] of Object.entries(DEMO_SERVICES)) {
    if (await rt.store.getService(id)) continue;
    await registerService(rt, id, JSON.stringify(def), 'application/json');
    added.push(id);
  }
  return added;
}
