// npx tsx bench/trace.ts [targets] [FULL|NORMAL]
// Where the time between two batches goes, for one order of the throughput shape: from the executor's
// last outcome of batch k to its first start of batch k+1, split into the engine's decision (until the task
// rows are written), the task-row write, the order-row (head) write and the hand-off to the executor.

import { median, openBench, register, submitPlan, waitFinal, type Sync } from './common.ts';

const targets = Number(process.argv[2] ?? 10_000);
const sync = (process.argv[3] === 'FULL' ? 'FULL' : 'NORMAL') as Sync;
const b = openBench(sync);
await register(b.rt, 'big', targets);

const lastDone = new Map<number, number>();
const firstStart = new Map<number, number>();
const writes: { batch: number; rowsStart: number; rowsEnd: number; rows: number; headEnd?: number }[] = [];
const batchOf = (key: string) => Number(key.split('/')[1]);

const exec = b.rt.executors.get('simulated');
const start = exec.start.bind(exec);
exec.start = async (task) => {
  const k = batchOf(task.key);
  if (!firstStart.has(k)) firstStart.set(k, performance.now());
  const r = await start(task);
  if (r.state === 'succeeded' || r.state === 'failed') lastDone.set(k, performance.now());
  return r;
};
const putTasks = b.rt.store.putTasks.bind(b.rt.store);
b.rt.store.putTasks = async (orderId, tasks) => {
  const rowsStart = performance.now();
  await putTasks(orderId, tasks);
  const starts = tasks.filter((t) => t.status === 'RUNNING').map((t) => t.batch);
  writes.push({ batch: starts.length ? Math.min(...starts) : -1, rowsStart, rowsEnd: performance.now(), rows: tasks.length });
};
const updateOrder = b.rt.store.updateOrder.bind(b.rt.store);
b.rt.store.updateOrder = async (...a) => {
  const v = await updateOrder(...a);
  const w = writes.at(-1);
  if (w && w.headEnd === undefined) w.headEnd = performance.now();
  return v;
};

const id = await submitPlan(b.rt, 'big', { targets, batches: 10, maxConcurrency: 1000 });
await waitFinal(b, [id], 1);
await b.close();

const rows: { batch: number; decideMs: number; rowsMs: number; rows: number; headMs: number; handOffMs: number; gapMs: number }[] = [];
for (const w of writes) {
  const k = w.batch;
  if (k < 1 || !lastDone.has(k - 1) || !firstStart.has(k) || w.headEnd === undefined) continue;
  const done = lastDone.get(k - 1)!;
  rows.push({ batch: k, decideMs: w.rowsStart - done, rowsMs: w.rowsEnd - w.rowsStart, rows: w.rows, headMs: w.headEnd - w.rowsEnd, handOffMs: firstStart.get(k)! - w.headEnd, gapMs: firstStart.get(k)! - done });
}
const fmt = (n: number) => n.toFixed(1).padStart(7);
console.log(`SQLite ${sync}, ${targets} targets in 10 batches: ms from the last outcome of batch k-1`);
console.log('batch  decide  rows-write (rows)  head  hand-off  gap');
for (const r of rows) console.log(`${String(r.batch).padStart(5)} ${fmt(r.decideMs)} ${fmt(r.rowsMs)} (${r.rows}) ${fmt(r.headMs)} ${fmt(r.handOffMs)} ${fmt(r.gapMs)}`);
const m = (k: 'decideMs' | 'rowsMs' | 'headMs' | 'handOffMs' | 'gapMs') => fmt(median(rows.map((r) => r[k])));
console.log(`median ${m('decideMs')} ${m('rowsMs')}        ${m('headMs')} ${m('handOffMs')} ${m('gapMs')}`);
