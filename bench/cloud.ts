// Cloud mode: the four FC handlers (functions/*/index.ts) behind the FC-like harness (HTTP trigger, async
// InvokeFunction endpoint, timer) on the Tablestore emulator, through the real SDKs. One order of the
// throughput shape: worker invocations per order, and Tablestore rows per target (the orchestrator's, with
// the simulated fleet's own target-row operations taken out, since in the cloud the fleet shares the store).

import { startLocalCloud } from '../test/support/local-cloud.ts';
import { planText, serviceJson, type Shape } from './common.ts';
import type { CloudResult } from './report.ts';

/** how long to wait after the order finished for delayed invocations it handed on (x-fc-async-delay) */
const IDLE_WAIT_MS = 90_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function cloud(shape: Shape): Promise<CloudResult> {
  const local = await startLocalCloud({ tickMs: 1000, workerTimeoutSeconds: 600, tablePrefix: 'bench_' });
  const { fc } = local;
  try {
    const call = async (method: string, path: string, body: string, type = 'application/json') => {
      const r = await fetch(fc.apiUrl + path, { method, body: method === 'GET' ? undefined : body, headers: { 'content-type': type, authorization: `Bearer ${local.apiToken}` } });
      const json = (await r.json()) as Record<string, unknown>;
      if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
      return json;
    };
    await call('PUT', '/v1/services/big', serviceJson('big', shape.targets));
    // the runtime the handlers share in this process: count the simulated fleet's own row operations
    const { rt } = await local.runtime();
    const fleet = { reads: 0, writes: 0 };
    const store = rt.store;
    const getTarget = store.getTarget.bind(store);
    const updateTarget = store.updateTarget.bind(store);
    store.getTarget = (...a) => (fleet.reads++, getTarget(...a));
    store.updateTarget = (...a) => (fleet.writes++, updateTarget(...a));
    // full loads of the order's task rows (each a range read of every started task)
    let taskLoads = 0;
    const listTasks = store.listTasks.bind(store);
    store.listTasks = (...a) => (taskLoads++, listTasks(...a));
    const s0 = { ...store.stats() };
    const fc0 = { ...fc.stats };
    const t0 = performance.now();
    const { changeOrderId } = (await call('POST', '/v1/change-orders', planText('big', shape), 'application/yaml')) as { changeOrderId: string };
    for (;;) {
      const o = await store.getOrder(changeOrderId);
      if (o?.head.finalizedAt !== undefined) {
        if (o.head.status !== 'SUCCEEDED') {
          const failed = (await store.listTasks(changeOrderId)).filter((t) => t.status === 'FAILED');
          const events = (await store.listEvents(changeOrderId)).slice(-3).map((e) => `${e.type}: ${e.reason ?? ''}`);
          throw new Error(`the cloud order ended ${o.head.status}: ${failed.length} failed tasks (${failed[0]?.message ?? ''}); last events: ${events.join(' | ')}`);
        }
        break;
      }
      await sleep(20);
    }
    const wallMs = performance.now() - t0;
    const atFinal = fc.stats.asyncInvocations - fc0.asyncInvocations;
    // invocations already handed on (a delayed lease wake-up) are the order's too: let them run out
    const idle = await Promise.race([fc.idle().then(() => true), sleep(IDLE_WAIT_MS).then(() => false)]);
    const s1 = store.stats();
    const n = shape.targets;
    return {
      shape,
      wallMs,
      invocationsPerOrder: fc.stats.asyncInvocations - fc0.asyncInvocations,
      invocationsAtFinal: atFinal,
      settled: idle,
      workerRuns: fc.stats.workerRuns - fc0.workerRuns,
      rowWritesPerTarget: (s1.writes - s0.writes - fleet.writes) / n,
      rowReadsPerTarget: (s1.reads - s0.reads - fleet.reads) / n,
      taskLoads,
      tickerRuns: fc.stats.tickerRuns - fc0.tickerRuns,
    };
  } finally {
    await local.close();
  }
}
