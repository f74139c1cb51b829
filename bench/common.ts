// Shared helpers of the bench: a throw-away data dir, the plan of the measured rollout, waiting for orders
// to finish, percentiles and an RSS sampler. Nothing here is part of changeflow.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../shared/local/app.ts';
import type { LocalDispatcher } from '../shared/runtime/local-dispatcher.ts';
import { silentLogger, type Runtime } from '../shared/runtime/runtime.ts';
import { registerService } from '../shared/runtime/services.ts';
import { submit } from '../shared/runtime/submit.ts';

export type Sync = 'FULL' | 'NORMAL';

/** the shape every section measures: N targets, B batches, PARALLEL, maxConcurrency C, Automatic */
export interface Shape {
  targets: number;
  batches: number;
  maxConcurrency: number;
}

export const planText = (serviceId: string, s: Shape) =>
  [
    'deployPlanItems:',
    `  - serviceId: ${serviceId}`,
    '    deployment: HTTP_UPLOAD_DEPLOY',
    '    httpSrcUri: https://example.com/app-2.zip',
    '    version: "2"',
    '    containerExecMethod: PARALLEL',
    '    batchPauseOption: Automatic',
    `    batchNumber: ${s.batches}`,
    `    maxConcurrency: ${s.maxConcurrency}`,
    '',
  ].join('\n');

/** a zero-latency simulated fleet of `n` targets */
export const serviceJson = (prefix: string, n: number) =>
  JSON.stringify({ executor: { type: 'simulated', latencyMs: 0 }, targets: Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, version: '1' })) });

export interface Bench {
  rt: Runtime;
  dispatcher: LocalDispatcher;
  dir: string;
  close(): Promise<void>;
}

/**
 * The local runtime of shared/local/app.ts (createRuntime) on a fresh temp data dir, deleted by close().
 * The orchestrator's store runs with `sync`. The simulated fleet (its own connection, standing in for remote
 * machines) runs with `fleetSync`, NORMAL unless asked: with FULL every simulated target change is an fsync
 * of its own, which measures the simulation rather than the orchestrator.
 */
export function openBench(sync: Sync, fleetSync: Sync = 'NORMAL'): Bench {
  const dir = mkdtempSync(join(tmpdir(), 'changeflow-bench-'));
  const { rt, dispatcher } = createRuntime(dir, silentLogger, sync, fleetSync);
  return {
    rt,
    dispatcher,
    dir,
    async close() {
      dispatcher.stop();
      await dispatcher.idle();
      await rt.store.close(); // closes the fleet's connection too
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function register(rt: Runtime, id: string, targets: number): Promise<void> {
  await registerService(rt, id, serviceJson(id, targets), 'application/json');
}

export async function submitPlan(rt: Runtime, serviceId: string, s: Shape): Promise<string> {
  const r = await submit(rt, planText(serviceId, s), {});
  const id = (r.body as { changeOrderId?: string }).changeOrderId;
  if (!id) throw new Error(`submission refused: ${JSON.stringify(r.body)}`);
  return id;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** waits until every order is finalized; returns their final statuses */
export async function waitFinal(b: Bench, ids: string[], pollMs = 5): Promise<Map<string, string>> {
  const open = new Set(ids);
  const done = new Map<string, string>();
  while (open.size) {
    await b.dispatcher.idle();
    for (const id of [...open]) {
      const o = await b.rt.store.getOrder(id);
      if (o?.head.finalizedAt !== undefined) {
        done.set(id, o.head.status);
        open.delete(id);
      }
    }
    if (open.size) await sleep(pollMs);
  }
  return done;
}

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

export const median = (xs: number[]) => percentile(xs, 50);

/** samples process RSS every `everyMs` until stopped; returns the peak in bytes */
export function rssSampler(everyMs = 50): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}
