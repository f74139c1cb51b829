// The DBOS Transact peer: the changeflow rollout shape as a DBOS durable workflow. One workflow per change
// order; batches in order; the targets of a batch run concurrently (at most maxConcurrency at a time, in
// chunks so that step ids stay deterministic); each target is one durable step (DBOS.runStep: its result is
// checkpointed in PostgreSQL before the workflow goes on). The "change" is the same zero-latency simulated
// one: the target's version and change count in memory. A benchmark, not part of changeflow.

import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Shape } from '../../common.ts';

interface Target {
  id: string;
  version: string;
  changeCount: number;
}

export interface PeerTiming {
  /** performance.now() of the first step body of each batch, and of the last step checkpoint of each batch */
  firstStart: number[];
  lastDone: number[];
}

const fleet = new Map<string, Target>();
let timing: PeerTiming = { firstStart: [], lastDone: [] };

/** the simulated change: applied once per attempt key, like changeflow's simulated executor */
async function change(targetId: string, version: string, batch: number): Promise<{ from: string; to: string }> {
  timing.firstStart[batch] ??= performance.now();
  const t = fleet.get(targetId);
  if (!t) throw new Error(`unknown target ${targetId}`);
  const from = t.version;
  t.version = version;
  t.changeCount++;
  return { from, to: version };
}

async function rolloutFn(targets: string[], batches: number, maxConcurrency: number, version: string): Promise<number> {
  // the same split as changeflow's batchNumber: as even as possible, smaller batches first
  const base = Math.floor(targets.length / batches);
  const extra = targets.length % batches;
  let at = 0;
  let changed = 0;
  for (let b = 0; b < batches; b++) {
    const size = base + (b >= batches - extra ? 1 : 0);
    const batch = targets.slice(at, at + size);
    at += size;
    for (let i = 0; i < batch.length; i += maxConcurrency) {
      const chunk = batch.slice(i, i + maxConcurrency);
      const results = await Promise.all(chunk.map((id) => DBOS.runStep(() => change(id, version, b), { name: 'deployTarget' })));
      changed += results.length;
    }
    timing.lastDone[b] = performance.now();
  }
  return changed;
}

export const rollout = DBOS.registerWorkflow(rolloutFn, { name: 'rollout' });

export function resetFleet(n: number): void {
  fleet.clear();
  for (let i = 0; i < n; i++) fleet.set(`t-${i}`, { id: `t-${i}`, version: '1', changeCount: 0 });
  timing = { firstStart: [], lastDone: [] };
}

export const lastTiming = () => timing;

export async function runOrder(shape: Shape, orderNo: number): Promise<number> {
  const targets = Array.from({ length: shape.targets }, (_, i) => `t-${i}`);
  const handle = await DBOS.startWorkflow(rollout, { workflowID: `order-${orderNo}-${Date.now()}` })(targets, shape.batches, shape.maxConcurrency, `v${orderNo + 2}`);
  return handle.getResult();
}
