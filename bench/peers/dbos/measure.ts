// Runs in a child process of the bench: launches DBOS against the private cluster, runs the rollout
// `reps` times after a warm-up and reports the same figures as changeflow's throughput section, plus
// PostgreSQL's own counters (rows written, WAL bytes) for the system database.

import { DBOS } from '@dbos-inc/dbos-sdk';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { median, percentile, type Shape } from '../../common.ts';
import { lastTiming, resetFleet, runOrder } from './rollout.ts';

export interface PeerResult {
  engine: string;
  postgres: string;
  poolSize: number;
  shape: Shape;
  reps: number;
  wallMs: number;
  targetsPerSec: number;
  overheadUsPerTarget: number;
  cpuUsPerTarget: number;
  gapMs: { median: number; p95: number; max: number; samples: number };
  rowWritesPerTarget: number;
  walBytesPerTarget: number;
  commitsPerTarget: number;
}

// the package's exports do not include package.json: read it next to the resolved entry (dist/src/index.js)
const entry = createRequire(import.meta.url).resolve('@dbos-inc/dbos-sdk');
const DBOS_VERSION = (JSON.parse(readFileSync(join(dirname(entry), '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pgCounters(client: pg.Client, db: string) {
  // backends publish their statistics at most once a second, when idle
  await sleep(1500);
  const s = await client.query(
    'SELECT tup_inserted + tup_updated + tup_deleted AS rows, xact_commit AS commits, pg_current_wal_lsn() - $2::pg_lsn AS wal FROM pg_stat_database WHERE datname = $1',
    [db, '0/0'],
  );
  const r = s.rows[0] as { rows: string; commits: string; wal: string };
  return { rows: Number(r.rows), commits: Number(r.commits), wal: Number(r.wal) };
}

export async function measurePeer(url: string, db: string, postgres: string, shape: Shape, reps: number, poolSize: number): Promise<PeerResult> {
  DBOS.setConfig({ name: 'changeflow-bench-peer', systemDatabaseUrl: url, systemDatabasePoolSize: poolSize, logLevel: 'error' });
  await DBOS.launch();
  const stats = new pg.Client({ connectionString: url });
  await stats.connect();
  try {
    let order = 0;
    resetFleet(shape.targets);
    await runOrder({ ...shape, targets: Math.max(shape.batches, Math.round(shape.targets / 10)) }, order++);
    const runs = [];
    for (let i = 0; i < reps; i++) {
      resetFleet(shape.targets);
      const before = await pgCounters(stats, db);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const changed = await runOrder(shape, order++);
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(c0);
      if (changed !== shape.targets) throw new Error(`the peer changed ${changed} of ${shape.targets} targets`);
      const after = await pgCounters(stats, db);
      const t = lastTiming();
      const gaps = t.firstStart.slice(1).map((s, k) => s - t.lastDone[k]);
      runs.push({ wallMs, cpuUs: cpu.user + cpu.system, gaps, rows: after.rows - before.rows, commits: after.commits - before.commits, wal: after.wal - before.wal });
    }
    const m = [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(runs.length / 2)];
    const gaps = runs.flatMap((r) => r.gaps);
    const n = shape.targets;
    return {
      engine: `@dbos-inc/dbos-sdk ${DBOS_VERSION}`,
      postgres,
      poolSize,
      shape,
      reps,
      wallMs: m.wallMs,
      targetsPerSec: n / (m.wallMs / 1000),
      overheadUsPerTarget: (m.wallMs * 1000) / n,
      cpuUsPerTarget: m.cpuUs / n,
      gapMs: { median: median(gaps), p95: percentile(gaps, 95), max: Math.max(...gaps), samples: gaps.length },
      rowWritesPerTarget: m.rows / n,
      walBytesPerTarget: m.wal / n,
      commitsPerTarget: m.commits / n,
    };
  } finally {
    await stats.end();
    await DBOS.shutdown();
  }
}

