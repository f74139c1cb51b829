// The ticker: the safety net under every chain of work. It wakes orders whose stored deadline has passed
// (timers, polls, leases of work that a crash dropped) and does a bounded amount per run.

import type { Runtime } from './runtime.ts';

export const TICK_BATCH = 500;

/** hands every due order to the dispatcher; returns how many */
export async function tick(rt: Runtime, limit = TICK_BATCH): Promise<number> {
  const due = await rt.store.dueOrders(rt.now(), limit);
  for (const id of due) rt.dispatcher.submit(id, [{ type: 'tick', sweep: true }]);
  return due.length;
}

/** after a restart: every order with a deadline is swept now, whatever its deadline, so work lost with the process resumes at once */
export async function recover(rt: Runtime): Promise<number> {
  const all = await rt.store.dueOrders(Number.MAX_SAFE_INTEGER, 100_000);
  for (const id of all) rt.dispatcher.submit(id, [{ type: 'tick', sweep: true }]);
  return all.length;
}
