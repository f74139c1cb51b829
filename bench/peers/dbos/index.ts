// The DBOS peer section: checks that PostgreSQL is installed, starts a private cluster, measures the
// rollout in a child process and stops the cluster again. Returns why it was skipped instead of numbers
// when it cannot run here.

import type { Shape } from '../../common.ts';
import { runJob } from '../../spawn.ts';
import type { PeerResult } from './measure.ts';
import { findPgBin, INSTALL_HINT, startCluster } from './postgres.ts';

export type PeerOutcome = { ran: true; result: PeerResult } | { ran: false; reason: string };

export async function dbosPeer(shape: Shape, reps: number, poolSize: number): Promise<PeerOutcome> {
  const bin = findPgBin();
  if (!bin) return { ran: false, reason: `PostgreSQL not found (no initdb/pg_ctl under /usr/lib/postgresql/*/bin). Install it: ${INSTALL_HINT}` };
  try {
    await import('@dbos-inc/dbos-sdk');
  } catch (e) {
    return { ran: false, reason: `@dbos-inc/dbos-sdk cannot be loaded (${(e as Error).message}); run npm ci` };
  }
  let cluster;
  try {
    cluster = await startCluster(bin);
  } catch (e) {
    return { ran: false, reason: `the private PostgreSQL cluster did not start: ${(e as Error).message}` };
  }
  const stop = () => cluster?.stop();
  process.once('SIGINT', () => (stop(), process.exit(130)));
  try {
    const db = 'changeflow_bench_dbos';
    const result = await runJob<PeerResult>({ section: 'peer-dbos', url: cluster.url(db), db, postgres: cluster.version, shape, reps, poolSize });
    return { ran: true, result };
  } catch (e) {
    return { ran: false, reason: `the DBOS peer failed: ${(e as Error).message}` };
  } finally {
    stop();
  }
}
