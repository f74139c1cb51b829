// One measurement in a process of its own, so that CPU time and RSS belong to it alone. Started by run.ts
// with one JSON argument; answers with one IPC message { ok, result } or { ok: false, error }.

import type { Shape, Sync } from './common.ts';

export type Job =
  | { section: 'throughput'; sync: Sync; fleetSync: Sync; shape: Shape; reps: number }
  | { section: 'scale'; sync: Sync; fleetSync: Sync; orders: number; shape: Shape }
  | { section: 'peer-dbos'; url: string; db: string; postgres: string; shape: Shape; reps: number; poolSize: number }
  | { section: 'cloud'; shape: Shape };

async function run(job: Job): Promise<unknown> {
  switch (job.section) {
    case 'throughput':
      return (await import('./throughput.ts')).throughput(job.sync, job.shape, job.reps, job.fleetSync);
    case 'scale':
      return (await import('./scale.ts')).scale(job.sync, job.orders, job.shape, job.fleetSync);
    case 'peer-dbos':
      return (await import('./peers/dbos/measure.ts')).measurePeer(job.url, job.db, job.postgres, job.shape, job.reps, job.poolSize);
    case 'cloud':
      return (await import('./cloud.ts')).cloud(job.shape);
  }
}

const send = (m: unknown) => new Promise<void>((r) => (process.send ? process.send(m, () => r()) : (console.log(JSON.stringify(m)), r())));

try {
  const result = await run(JSON.parse(process.argv[2] ?? '{}') as Job);
  await send({ ok: true, result });
  process.exit(0);
} catch (e) {
  await send({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
}
