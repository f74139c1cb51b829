// Scale: many services, one active order each, all submitted at once. Completion time (first submission →
// last order finalized) and the process's peak RSS, sampled every 50 ms from before the fleets are registered.

import { openBench, register, rssSampler, submitPlan, waitFinal, type Shape, type Sync } from './common.ts';

export interface ScaleResult {
  sync: Sync;
  orders: number;
  shape: Shape;
  statuses: Record<string, number>;
  registerMs: number;
  completionMs: number;
  targetsPerSec: number;
  peakRssMiB: number;
  baseRssMiB: number;
}

export async function scale(sync: Sync, orders: number, shape: Shape, fleetSync: Sync = 'NORMAL'): Promise<ScaleResult> {
  global.gc?.();
  const baseRss = process.memoryUsage().rss;
  const rss = rssSampler(50);
  const b = openBench(sync, fleetSync);
  try {
    const r0 = performance.now();
    const ids = Array.from({ length: orders }, (_, i) => `svc-${i}`);
    for (const s of ids) await register(b.rt, s, shape.targets);
    const registerMs = performance.now() - r0;
    const t0 = performance.now();
    const orderIds = await Promise.all(ids.map((s) => submitPlan(b.rt, s, shape)));
    const done = await waitFinal(b, orderIds, 50);
    const completionMs = performance.now() - t0;
    const statuses: Record<string, number> = {};
    for (const st of done.values()) statuses[st] = (statuses[st] ?? 0) + 1;
    return {
      sync,
      orders,
      shape,
      statuses,
      registerMs,
      completionMs,
      targetsPerSec: (orders * shape.targets) / (completionMs / 1000),
      peakRssMiB: rss.stop() / 2 ** 20,
      baseRssMiB: baseRss / 2 ** 20,
    };
  } finally {
    rss.stop();
    await b.close();
  }
}
