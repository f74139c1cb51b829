// Counting an item's tasks: the numbers every rule of the engine is phrased in.

import type { Draft } from './draft.ts';
import type { Task } from './types.ts';

export interface Tally {
  running: number;
  /** failures that still count against maxErrors */
  failed: number;
  /** any failure, skip or cancel: the item can at best be PARTIAL */
  blemished: boolean;
  /** SUCCEEDED tasks whose health check has not reported */
  unchecked: Task[];
  /** tasks waiting to start: retries anywhere, plus the current batch's untouched targets */
  startable: Task[];
  /** every task of the current batch is terminal and checked */
  batchDone: boolean;
}

export const isSettled = (t: Task): boolean => t.status === 'SUCCEEDED' || t.status === 'FAILED' || t.status === 'SKIPPED' || t.status === 'CANCELLED';

export function tally(d: Draft, item: number): Tally {
  const spec = d.spec.items[item];
  const head = d.head.items[item];
  const checks = spec.healthCheck !== undefined;
  const out: Tally = { running: 0, failed: 0, blemished: false, unchecked: [], startable: [], batchDone: true };
  const count = (t: Task, current: boolean) => {
    // a stored PENDING task of a later batch (a retried cancel) waits for its batch
    if (t.status === 'RUNNING') out.running++;
    if (t.status === 'FAILED' && !t.acked) out.failed++;
    if (t.status === 'FAILED' || t.status === 'SKIPPED' || t.status === 'CANCELLED') out.blemished = true;
    if (t.status === 'SUCCEEDED' && checks && t.healthy === undefined) out.unchecked.push(t);
    if (t.status === 'PENDING' && (current || t.batch < head.batch)) out.startable.push(t);
    if (current && (!isSettled(t) || (checks && t.status === 'SUCCEEDED' && t.healthy === undefined))) out.batchDone = false;
  };
  // the current batch's tasks (stored or not yet), then every other stored task
  const current = head.phase === 'pending' ? -1 : head.batch;
  if (current >= 0) for (const t of d.batchTasks(item, current)) count(t, true);
  for (const t of d.storedTasks(item)) if (t.batch !== current) count(t, false);
  return out;
}
