// Throughput, overhead, CPU, batch-to-batch latency and store cost of one change order of N targets,
// end to end through the runtime and the SQLite store. One order per repetition, each on a fresh data dir.

import type { Task } from '../shared/engine/types.ts';
import type { TaskReport } from '../shared/executors/executor.ts';
import { median, openBench, percentile, register, submitPlan, waitFinal, type Shape, type Sync } from './common.ts';

export interface ThroughputResult {
  sync: Sync;
  fleetSync: Sync;
  shape: Shape;
  reps: number;
  status: string;
  wallMs: number;
  targetsPerSec: number;
  overheadUsPerTarget: number;
  cpuUsPerTarget: number;
  /** gaps between batches from the task rows (ms timestamps: integer resolution) */
  gapMs: { median: number; p95: number; max: number; samples: number };
  /** the same gaps seen at the executor with performance.now() (sub-ms): last outcome reported → first start */
  gapExecMs: { median: number; p95: number; max: number; samples: number };
  readsPerTarget: number;
  writesPerTarget: number;
  bytesPerTarget: number;
  headWrites: number;
}

const gaps = (tasks: Task[]): number[] => {
  const byBatch = new Map<number, { first: number; last: number }>();
  for (const t of tasks) {
    if (t.startedAt === undefined || t.finishedAt === undefined) continue;
    const b = byBatch.get(t.batch) ?? { first: Infinity, last: -Infinity };
    b.first = Math.min(b.first, t.startedAt);
    b.last = Math.max(b.last, t.finishedAt);
    byBatch.set(t.batch, b);
  }
  const keys = [...byBatch.keys()].sort((a, b) => a - b);
  return keys.slice(1).map((k, i) => byBatch.get(k)!.first - byBatch.get(keys[i])!.last);
};

const summary = (xs: number[]) => ({ median: median(xs), p95: percentile(xs, 95), max: Math.max(...xs), samples: xs.length });

async function once(sync: Sync, shape: Shape, fleetSync: Sync) {
  const b = openBench(sync, fleetSync);
  try {
    await register(b.rt, 'big', shape.targets);
    // watch the executor: when it reports the last outcome of batch k, when it is asked to start batch k+1
    const firstStart = new Map<number, number>();
    const lastDone = new Map<number, number>();
    const batchOf = (key: string) => Number(key.split('/')[1]);
    const exec = b.rt.executors.get('simulated');
    const start = exec.start.bind(exec);
    const poll = exec.poll.bind(exec);
    const seen = (key: string, r: TaskReport) => {
      if (r.state === 'succeeded' || r.state === 'failed') lastDone.set(batchOf(key), performance.now());
      return r;
    };
    exec.start = async (task) => {
      const k = batchOf(task.key);
      if (!firstStart.has(k)) firstStart.set(k, performance.now());
      return seen(task.key, await start(task));
    };
    exec.poll = async (task) => seen(task.key, await poll(task));
    let heads = 0;
    const updateOrder = b.rt.store.updateOrder.bind(b.rt.store);
    b.rt.store.updateOrder = (...a) => (heads++, updateOrder(...a));

    const s0 = { ...b.rt.store.stats() };
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const id = await submitPlan(b.rt, 'big', shape);
    const statuses = await waitFinal(b, [id], 1);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const s1 = b.rt.store.stats();
    const tasks = await b.rt.store.listTasks(id);
    const execGaps = [...firstStart.keys()].filter((k) => lastDone.has(k - 1)).map((k) => firstStart.get(k)! - lastDone.get(k - 1)!);
    return {
      status: statuses.get(id) ?? '?',
      wallMs,
      cpuUs: cpu.user + cpu.system,
      reads: s1.reads - s0.reads,
      writes: s1.writes - s0.writes,
      bytes: s1.bytesWritten - s0.bytesWritten,
      heads,
      gaps: gaps(tasks),
      execGaps,
    };
  } finally {
    await b.close();
  }
}

/** `reps` runs after one unmeasured warm-up of a tenth of the size; the median run by wall time is reported */
export async function throughput(sync: Sync, shape: Shape, reps: number, fleetSync: Sync = 'NORMAL'): Promise<ThroughputResult> {
  await once(sync, { ...shape, targets: Math.max(shape.batches, Math.round(shape.targets / 10)) }, fleetSync);
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await once(sync, shape, fleetSync));
  const m = [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(runs.length / 2)];
  const n = shape.targets;
  return {
    sync,
    fleetSync,
    shape,
    reps,
    status: runs.map((r) => r.status).join(','),
    wallMs: m.wallMs,
    targetsPerSec: n / (m.wallMs / 1000),
    overheadUsPerTarget: (m.wallMs * 1000) / n,
    cpuUsPerTarget: m.cpuUs / n,
    gapMs: summary(runs.flatMap((r) => r.gaps)),
    gapExecMs: summary(runs.flatMap((r) => r.execGaps)),
    readsPerTarget: m.reads / n,
    writesPerTarget: m.writes / n,
    bytesPerTarget: m.bytes / n,
    headWrites: m.heads,
  };
}
