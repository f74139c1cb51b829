// Many clients at once over real HTTP (issue 7, item 3): 40 concurrent requests per storm against the same
// orders. No lost update, each command applied once, the audit log consistent with the final state.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleet, startTestServer, TERMINAL, type TestServer } from '../support/local-server.ts';
import { expectWellFormed, send, sleep, type RawReply } from './support.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.close());

const CLIENTS = 40;

/** a seeded generator: the storms are the same on every run */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}
const done = (o: any) => TERMINAL.includes(o.status) && o.finalized;
const register = async (id: string, body: unknown) => expect((await s.api('PUT', `/v1/services/${id}`, body)).status).toBeLessThan(300);
const plan = (service: string, extra = '') => `comment: concurrency\ndeployPlanItems:\n  - serviceId: ${service}\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/${service}.zip\n    version: "2.0"\n${extra}`;

async function submit(service: string, extra = ''): Promise<string> {
  const r = await s.api('POST', '/v1/change-orders', plan(service, extra));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.changeOrderId;
}

/** n requests fired together (each with its own connection budget and a 10 s limit) */
async function storm(n: number, request: (i: number) => { method?: string; path: string; body?: unknown; headers?: Record<string, string> }): Promise<(RawReply & { i: number; path: string; body?: unknown })[]> {
  const reqs = Array.from({ length: n }, (_, i) => ({ i, ...request(i) }));
  const replies = await Promise.all(
    reqs.map(async (q) => {
      const text = q.body === undefined ? undefined : typeof q.body === 'string' ? q.body : JSON.stringify(q.body);
      const headers = { ...(text === undefined ? {} : { 'content-type': typeof q.body === 'string' ? 'application/yaml' : 'application/json' }), ...q.headers };
      const r = await send(s.app.url, q.method ?? 'POST', q.path, text, headers);
      expectWellFormed(r, `${q.method ?? 'POST'} ${q.path}`);
      return { ...r, i: q.i, path: q.path, body: q.body };
    }),
  );
  return replies;
}

interface Event {
  seq: string;
  type: string;
  status?: string;
  reason: string;
  batch?: number;
  targetId?: string;
}

async function events(id: string): Promise<Event[]> {
  return (await s.api('GET', `/v1/change-orders/${id}/events`)).body.events;
}

/**
 * The audit log agrees with itself and with the detail: seq strictly increasing, status events chained
 * (each `A → B` starts where the last one ended, from READY) and the last one is the order's status.
 */
async function expectConsistentAudit(id: string): Promise<Event[]> {
  const log = await events(id);
  const detail = (await s.api('GET', `/v1/change-orders/${id}`)).body;
  for (let i = 1; i < log.length; i++) expect(log[i].seq > log[i - 1].seq, `seq ${log[i - 1].seq} then ${log[i].seq}`).toBe(true);
  const statuses = log.filter((e) => e.type === 'status');
  let current = 'READY';
  for (const e of statuses) {
    expect(e.reason, `status event ${e.seq}`).toBe(`${current} → ${e.status}`);
    current = e.status!;
  }
  expect(current, `the detail says ${detail.status}; the audit log ends at ${current}`).toBe(detail.status);
  expect(log.filter((e) => e.type === 'created')).toHaveLength(1);
  if (TERMINAL.includes(detail.status)) expect(log.filter((e) => e.type === 'finished').length).toBeLessThanOrEqual(1);
  return log;
}

const applied = <R extends RawReply>(rs: R[]): R[] => rs.filter((r) => r.status === 200 && r.json.applied === true);

describe('concurrent control commands over real HTTP', () => {
  it(`${CLIENTS} concurrent continue {batch: 2}: exactly one applied, exactly one batch released`, async () => {
    await register('cc-cont', { executor: { type: 'simulated', latencyMs: 5 }, targets: fleet('k', 6) });
    const id = await submit('cc-cont', '    batchNumber: 3\n    batchPauseOption: EveryBatchPause\n');
    await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'WAITING_MANUAL' && b.nextBatch === 2);

    const rs = await storm(CLIENTS, (i) => ({ path: `/v1/change-orders/${id}/continue`, body: { batch: 2, reason: `client ${i}` } }));
    expect(applied(rs), JSON.stringify(rs.map((r) => [r.status, r.json.applied ?? r.json.error?.code]))).toHaveLength(1);
    for (const r of rs) if (!(r.status === 200 && r.json.applied === true)) expect(r.status === 409 || (r.status === 200 && r.json.applied === false), r.text).toBe(true);

    // the order ran batch 2 and waits again before batch 3: one batch released, not two
    const o = await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'WAITING_MANUAL' && b.nextBatch === 3);
    const batches = o.services[0].batches;
    expect(batches[1].tasks.map((t: { status: string; attempt: number }) => [t.status, t.attempt])).toEqual([['SUCCEEDED', 1], ['SUCCEEDED', 1]]);
    expect(batches[2].tasks.every((t: { status: string }) => t.status === 'PENDING'), JSON.stringify(batches[2])).toBe(true);
    const log = await expectConsistentAudit(id);
    expect(log.filter((e) => e.type === 'continued').map((e) => e.batch)).toEqual([2]);

    // a mixed storm: stale (2), right (3), ahead (4) and unnumbered continues; still exactly one applies
    const mixed = await storm(CLIENTS, (i) => ({ path: `/v1/change-orders/${id}/continue`, body: [{ batch: 2 }, { batch: 3 }, { batch: 4 }, {}][i % 4] }));
    expect(applied(mixed), JSON.stringify(mixed.map((r) => [r.body, r.status, r.json.applied ?? r.json.error?.code]))).toHaveLength(1);
    for (const r of mixed) if ((r.body as { batch?: number }).batch === 4) expect(r.status).toBe(409);
    const end = await s.waitFor(`/v1/change-orders/${id}`, done);
    expect(end.status).toBe('SUCCEEDED');
    expect((await expectConsistentAudit(id)).filter((e) => e.type === 'continued').map((e) => e.batch)).toEqual([2, 3]);
    const targets = (await s.api('GET', '/v1/services/cc-cont/targets')).body;
    expect(targets.map((t: { changeCount: number; version: string }) => [t.version, t.changeCount])).toEqual(Array(6).fill(['2.0', 1]));
  });

  it(`pause/resume/abort storms on three orders at once (${3 * CLIENTS} requests): the final state matches the audit log`, async () => {
    const ids: string[] = [];
    for (const svc of ['cc-storm-1', 'cc-storm-2', 'cc-storm-3']) {
      // 10 batches of a second each: the storms (240 requests) land while the order runs, however loaded the machine
      await register(svc, { executor: { type: 'simulated', latencyMs: 1000 }, targets: fleet(svc, 20) });
      ids.push(await submit(svc, '    batchNumber: 10\n'));
    }
    for (const id of ids) await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'RUNNING');
    // wave 1: pause and resume in a seeded random mix; wave 2 (once PAUSING had time to become PAUSED):
    // more of them with three aborts per order among them
    const rand = lcg(0xc0ffee);
    const wave = (aborts: number[]) =>
      storm(3 * CLIENTS, (i) => {
        const id = ids[i % 3];
        const k = Math.floor(i / 3);
        const name = aborts.includes(k) ? 'abort' : rand() < 0.5 ? 'pause' : 'resume';
        return { path: `/v1/change-orders/${id}/${name}`, body: { reason: `storm ${k}` } };
      });
    const rs = await wave([]);
    await sleep(60);
    rs.push(...(await wave([9, 23, 37])));
    for (const r of rs) expect([200, 409], r.text).toContain(r.status);

    for (const id of ids) {
      const o = await s.waitFor(`/v1/change-orders/${id}`, done, 20_000);
      expect(o.status, id).toBe('STOPPED');
      const log = await expectConsistentAudit(id);
      const mine = rs.filter((r) => r.path.includes(id));
      const count = (type: string) => log.filter((e) => e.type === type).length;
      const accepted = (name: string) => applied(mine.filter((r) => r.path.endsWith(`/${name}`))).length;
      expect(count('abortRequested'), `${id} abortRequested`).toBe(1);
      expect(accepted('abort'), `${id}: applied aborts`).toBe(1);
      expect(count('pauseRequested'), `${id}: pause events vs applied pauses`).toBe(accepted('pause'));
      expect(count('resumed'), `${id}: resume events vs applied resumes`).toBe(accepted('resume'));
      // no target changed twice, none left mid-change
      for (const b of o.services[0].batches) for (const t of b.tasks) expect(['SUCCEEDED', 'PENDING'], JSON.stringify(t)).toContain(t.status);
    }
    for (const svc of ['cc-storm-1', 'cc-storm-2', 'cc-storm-3']) {
      const targets = (await s.api('GET', `/v1/services/${svc}/targets`)).body as { changeCount: number }[];
      expect(targets.every((t) => t.changeCount <= 1), JSON.stringify(targets)).toBe(true);
    }
  });

  it(`${CLIENTS} concurrent retries of the same failed target: the attempt goes up exactly once`, async () => {
    const svc = (failTargets: string[]) => ({ executor: { type: 'simulated', latencyMs: 5, failTargets }, targets: fleet('r', 3) });
    await register('cc-retry', svc(['r-1']));
    const id = await submit('cc-retry', '    onFailure: pause\n');
    await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'FAILURE_PAUSED');
    await register('cc-retry', svc([])); // r-1 fixed

    const rs = await storm(CLIENTS, (i) => ({ path: `/v1/change-orders/${id}/targets/r-1/retry`, body: { reason: `client ${i}` } }));
    expect(applied(rs), JSON.stringify(rs.map((r) => [r.status, r.json.applied ?? r.json.error?.code]))).toHaveLength(1);
    for (const r of rs) if (r.json.applied !== true) expect(r.status, r.text).toBe(409);

    const o = await s.waitFor(`/v1/change-orders/${id}`, done);
    expect(o.status).toBe('SUCCEEDED');
    const task = o.services[0].batches[0].tasks.find((t: { targetId: string }) => t.targetId === 'r-1');
    expect([task.status, task.attempt]).toEqual(['SUCCEEDED', 2]);
    const log = await expectConsistentAudit(id);
    expect(log.filter((e) => e.type === 'targetRetry')).toHaveLength(1);
    const targets = (await s.api('GET', '/v1/services/cc-retry/targets')).body;
    expect(targets.map((t: { id: string; changeCount: number }) => [t.id, t.changeCount])).toEqual([['r-1', 2], ['r-2', 1], ['r-3', 1]]);
  });

  it(`${CLIENTS} concurrent retry, skip and cancel of one failed target: exactly one of them applies`, async () => {
    // The retried attempt must still be running when the last request of the storm lands: once it has
    // failed again, a late skip or cancel is a new, valid command on a new failure, not a lost race.
    await register('cc-mixed', { executor: { type: 'simulated', latencyMs: 3000, failTargets: ['m-1'] }, targets: fleet('m', 2) });
    const id = await submit('cc-mixed', '    onFailure: pause\n');
    await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'FAILURE_PAUSED');
    const names = ['retry', 'skip', 'cancel'];
    const rs = await storm(CLIENTS, (i) => ({ path: `/v1/change-orders/${id}/targets/m-1/${names[i % 3]}`, body: {} }));
    const winners = applied(rs);
    expect(winners, JSON.stringify(rs.map((r) => [r.path.split('/').pop(), r.status, r.json.applied ?? r.json.error?.code]))).toHaveLength(1);
    const won = winners[0].path.split('/').pop();
    const log = await expectConsistentAudit(id);
    expect(log.filter((e) => ['targetRetry', 'targetSkip', 'targetCancel'].includes(e.type)).map((e) => e.type)).toEqual([`target${won![0].toUpperCase()}${won!.slice(1)}`]);
    if (won === 'retry') {
      const o = await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'FAILURE_PAUSED' && b.services[0].batches[0].tasks[0].attempt === 2);
      expect(o.services[0].batches[0].tasks[0].status).toBe('FAILED');
      await s.api('POST', `/v1/change-orders/${id}/abort`, {});
    }
    const o = await s.waitFor(`/v1/change-orders/${id}`, done);
    const task = o.services[0].batches[0].tasks[0];
    expect(task.status).toBe(({ retry: 'FAILED', skip: 'SKIPPED', cancel: 'CANCELLED' } as Record<string, string>)[won!]);
    expect(task.attempt).toBe(won === 'retry' ? 2 : 1);
    await expectConsistentAudit(id);
  });
});

describe('concurrent submissions over real HTTP', () => {
  it(`${CLIENTS} concurrent submissions with the same Idempotency-Key: one order`, async () => {
    await register('cc-idem', { executor: { type: 'simulated', latencyMs: 5 }, targets: fleet('d', 2) });
    const body = plan('cc-idem');
    const rs = await storm(CLIENTS, () => ({ path: '/v1/change-orders', body, headers: { 'idempotency-key': 'cc-key-1' } }));
    for (const r of rs) expect([200, 201], r.text).toContain(r.status);
    expect(new Set(rs.map((r) => r.json.changeOrderId)).size).toBe(1);
    const orders = (await s.api('GET', '/v1/change-orders?serviceId=cc-idem')).body.changeOrders;
    expect(orders).toHaveLength(1);
    expect(orders[0].changeOrderId).toBe(rs[0].json.changeOrderId);
    await s.waitFor(`/v1/change-orders/${orders[0].changeOrderId}`, done);
    await expectConsistentAudit(orders[0].changeOrderId);
    expect(((await s.api('GET', '/v1/services/cc-idem/targets')).body as { changeCount: number }[]).map((t) => t.changeCount)).toEqual([1, 1]);

    // the same key with two different bodies at once: one order; the other body gets 422
    const other = plan('cc-idem', '    batchNumber: 2\n');
    const mixed = await storm(CLIENTS, (i) => ({ path: '/v1/change-orders', body: i % 2 ? body : other, headers: { 'idempotency-key': 'cc-key-2' } }));
    const ok = mixed.filter((r) => r.status < 300);
    expect(new Set(ok.map((r) => r.json.changeOrderId)).size).toBe(1);
    const winner = ok[0].body;
    for (const r of mixed) expect(r.status < 300 ? r.body : 'refused', r.text).toBe(r.status < 300 ? winner : 'refused');
    for (const r of mixed) if (r.status >= 300) expect([r.status, r.json.error.code]).toEqual([422, 'IdempotencyKeyReused']);
    expect((await s.api('GET', '/v1/change-orders?serviceId=cc-idem')).body.changeOrders).toHaveLength(2);
    await s.waitFor(`/v1/change-orders/${ok[0].json.changeOrderId}`, done);
  });

  it(`${CLIENTS} concurrent submissions on the same service without a key: one 201, the rest 409 ScopeLocked naming it`, async () => {
    await register('cc-lock', { executor: { type: 'simulated', latencyMs: 20 }, targets: fleet('l', 2) });
    const rs = await storm(CLIENTS, (i) => ({ path: '/v1/change-orders', body: plan('cc-lock', `    batchNumber: ${1 + (i % 2)}\n`) }));
    const createdOnes = rs.filter((r) => r.status === 201);
    expect(createdOnes, JSON.stringify(rs.map((r) => r.status))).toHaveLength(1);
    const holder = createdOnes[0].json.changeOrderId;
    for (const r of rs) {
      if (r.status === 201) continue;
      expect(r.status, r.text).toBe(409);
      expect(r.json.error).toMatchObject({ code: 'ScopeLocked', holder, scope: 'service:cc-lock' });
      expect(r.json.error.message).toContain(holder);
    }
    expect((await s.api('GET', '/v1/change-orders?serviceId=cc-lock')).body.changeOrders).toHaveLength(1);
    await s.waitFor(`/v1/change-orders/${holder}`, done);

    // two services named in opposite orders by concurrent plans: still exactly one order, and every refusal
    // names it (a refusal must never name an order that was itself refused)
    await register('cc-x', { executor: { type: 'simulated', latencyMs: 20 }, targets: fleet('x', 1) });
    await register('cc-y', { executor: { type: 'simulated', latencyMs: 20 }, targets: fleet('y', 1) });
    const item = (svc: string) => ({ serviceId: svc, deployment: 'RESTART' });
    const crossed = await storm(CLIENTS, (i) => ({ path: '/v1/change-orders', body: { deployPlanItems: i % 2 ? [item('cc-x'), item('cc-y')] : [item('cc-y'), item('cc-x')] } }));
    const winners = crossed.filter((r) => r.status === 201);
    expect(winners, JSON.stringify(crossed.map((r) => r.status))).toHaveLength(1);
    for (const r of crossed) if (r.status !== 201) expect(r.json.error.holder).toBe(winners[0].json.changeOrderId);
    await s.waitFor(`/v1/change-orders/${winners[0].json.changeOrderId}`, done);
  });

  it('reads during a storm of writes are never torn: every detail is a consistent snapshot', async () => {
    await register('cc-read', { executor: { type: 'simulated', latencyMs: 3 }, targets: fleet('q', 12) });
    const id = await submit('cc-read', '    batchNumber: 6\n    batchPauseOption: EveryBatchPause\n');
    await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'WAITING_MANUAL');
    for (let batch = 2; batch <= 6; batch++) {
      const rs = await storm(CLIENTS, (i) =>
        i % 2 ? { method: 'GET', path: `/v1/change-orders/${id}${['', '?view=edas', '/report', '/events'][i % 4]}` } : { path: `/v1/change-orders/${id}/continue`, body: { batch } },
      );
      expect(applied(rs.filter((r) => r.path.endsWith('/continue')))).toHaveLength(1);
      for (const r of rs.filter((x) => x.path === `/v1/change-orders/${id}`)) {
        // a snapshot never shows a batch running ahead of the one the order says it is on
        const svc = r.json.services[0];
        const started = svc.batches.filter((b: { tasks: { status: string }[] }) => b.tasks.some((t) => t.status !== 'PENDING')).length;
        expect(started, JSON.stringify(svc.batches.map((b: { status: string }) => b.status))).toBeLessThanOrEqual(svc.currentBatch);
      }
      await s.waitFor(`/v1/change-orders/${id}`, (b) => (batch === 6 ? done(b) : b.status === 'WAITING_MANUAL' && b.nextBatch === batch + 1));
    }
    const log = await expectConsistentAudit(id);
    expect(log.filter((e) => e.type === 'continued').map((e) => e.batch)).toEqual([2, 3, 4, 5, 6]);
  });
});
