// Cloud mode end to end: the four FC handlers, chained by asynchronous invocations through the real
// @alicloud/fc20230330 client, with all state in Tablestore (the real SDK against the emulator).

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as alarmHandler } from '../../functions/alarm/index.ts';
import { handler as apiHandler } from '../../functions/api/index.ts';
import { handler as tickerHandler } from '../../functions/ticker/index.ts';
import { handler as workerHandler } from '../../functions/worker/index.ts';
import { startLocalCloud, type LocalCloud } from '../support/local-cloud.ts';

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startLocalCloud({ tickMs: 200, leaseMs: 1_500 });
});
afterAll(async () => cloud?.close());

const event = (name: string, subst: Record<string, string> = {}) => {
  let text = readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8');
  for (const [k, v] of Object.entries(subst)) text = text.replaceAll(k, v);
  const ev = JSON.parse(text);
  // FC passes the caller's headers through: the API function checks the bearer token itself
  if (ev.rawPath && ev.headers) ev.headers.authorization = `Bearer ${cloud.apiToken}`;
  return Buffer.from(JSON.stringify(ev));
};
const ctx = () => ({ requestId: 'test', credentials: { accessKeyId: cloud.emulator.accessKeyId, accessKeySecret: cloud.emulator.accessKeySecret }, region: 'cn-hangzhou', accountId: '1234567890', function: { name: 'changeflow-api', timeout: 30 } });
const api = async (method: string, path: string, body?: unknown) => {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const r = await fetch(cloud.apiUrl + path, { method, body: text, headers: { authorization: `Bearer ${cloud.apiToken}`, ...(text ? { 'content-type': typeof body === 'string' ? 'application/yaml' : 'application/json' } : {}) } });
  const raw = await r.text();
  return { status: r.status, body: raw ? JSON.parse(raw) : undefined };
};
const waitFor = async (path: string, until: (b: any) => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = (await api('GET', path)).body;
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out on ${path}: ${JSON.stringify(last).slice(0, 400)}`);
};
const finished = (o: any) => ['SUCCEEDED', 'FAILED', 'STOPPED', 'PARTIAL'].includes(o?.status) && o.finalized;
const fleet = (p: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${p}-${i + 1}`, version: '1.0' }));

describe('handler contracts (events/*.json replayed)', () => {
  it('HTTP trigger events: register, submit (YAML and base64), get (EDAS view), continue, abort', async () => {
    const parse = (r: { statusCode: number; body: string; isBase64Encoded: boolean }) => ({ status: r.statusCode, body: JSON.parse(r.isBase64Encoded ? Buffer.from(r.body, 'base64').toString() : r.body) });
    expect(parse(await apiHandler(event('http-register-service.json'), ctx())).status).toBe(201);
    const dry = parse(await apiHandler(event('http-submit-base64.json'), ctx()));
    expect(dry.status).toBe(400); // the worker service is not registered: every problem is reported
    expect(dry.body.error.issues[0].path).toBe('deployPlanItems[1].serviceId');
    await api('PUT', '/v1/services/worker', { executor: { type: 'simulated' }, targets: fleet('wk', 2) });
    const submitted = parse(await apiHandler(event('http-submit.json'), ctx()));
    expect(submitted.status).toBe(201);
    const id = submitted.body.changeOrderId;
    const again = parse(await apiHandler(event('http-submit.json'), ctx())); // same Idempotency-Key
    expect(again.body.changeOrderId).toBe(id);
    await waitFor(`/v1/change-orders/${id}`, (o) => o.status === 'WAITING_MANUAL');
    const edas = parse(await apiHandler(event('http-get.json', { '%7BchangeOrderId%7D': id }), ctx()));
    expect(edas.body.changeOrderInfo.Status).toBe(8);
    const cont = parse(await apiHandler(event('http-continue.json', { '%7BchangeOrderId%7D': id }), ctx()));
    expect(cont.body).toMatchObject({ ok: true, applied: true });
    const abort = parse(await apiHandler(event('http-abort.json', { '%7BchangeOrderId%7D': id }), ctx()));
    expect([200, 409]).toContain(abort.status); // it may already have finished
    await waitFor(`/v1/change-orders/${id}`, finished);
  });

  it('timer, EventBridge and CloudMonitor events', async () => {
    const tick = (await tickerHandler(event('timer-tick.json'), ctx())) as { due: number };
    expect(tick.due).toBeGreaterThanOrEqual(0);
    const eb = (await alarmHandler(event('eventbridge-alarm.json'), ctx())) as { alarms: { name: string }[] };
    expect(eb.alarms[0].name).toBe('checkout-latency-p99');
    const cms = (await alarmHandler(event('cloudmonitor-alarm.json'), ctx())) as { alarms: { state: string }[] };
    expect(cms.alarms[0].state).toBe('ALARM');
    expect(await alarmHandler(Buffer.from('{"nonsense": true}'), ctx())).toMatchObject({ error: expect.any(String) });
    expect(await workerHandler(Buffer.from('{}'), ctx())).toEqual({ orderId: '', handedOn: 0 });
  });

  it('comma-joined headers and a URL-encoded rawPath reach the routes', async () => {
    const ev = { version: 'v1', rawPath: '/v1/services/web%2Dtier/targets', body: '', isBase64Encoded: false, headers: { authorization: `Bearer ${cloud.apiToken}`, accept: 'application/json,text/plain', 'x-forwarded-for': '1.1.1.1,2.2.2.2' }, queryParameters: {}, requestContext: { http: { method: 'GET', path: '/v1/services/web-tier/targets' } } };
    const r = await apiHandler(Buffer.from(JSON.stringify(ev)), ctx());
    expect(r.statusCode).toBe(404);
    expect(JSON.parse(r.body).error.message).toContain('web-tier');
  });
});

describe('cloud mode end to end', () => {
  it('a multi-batch, two-priority plan reaches SUCCEEDED; invocations per order and row writes per target', async () => {
    await api('PUT', '/v1/services/cdb', { executor: { type: 'simulated', latencyMs: 0 }, targets: fleet('db', 20) });
    await api('PUT', '/v1/services/cweb', { executor: { type: 'simulated', latencyMs: 0 }, targets: fleet('web', 60) });
    const { rt } = await cloud.runtime();
    const before = { ...rt.store.stats(), inv: cloud.fc.stats.asyncInvocations, runs: cloud.fc.stats.workerRuns };
    const plan = `deployPlanItems:\n  - serviceId: cdb\n    priority: 2\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://x/db.zip\n    version: "2"\n    batchNumber: 2\n  - serviceId: cweb\n    priority: 1\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://x/web.zip\n    version: "2"\n    batchNumber: 3\n`;
    const r = await api('POST', '/v1/change-orders', plan);
    expect(r.status).toBe(201);
    const o = await waitFor(`/v1/change-orders/${r.body.changeOrderId}`, finished);
    expect(o.status).toBe('SUCCEEDED');
    await cloud.fc.idle();
    const after = rt.store.stats();
    const targets = 80;
    const invocations = cloud.fc.stats.asyncInvocations - before.inv;
    const writes = after.writes - before.writes;
    console.log(`cloud mode: ${invocations} worker invocations for 1 order of 5 batches; ${writes} row writes for ${targets} targets (${(writes / targets).toFixed(2)} per target)`);
    // O(batches), not O(targets): 5 batches take about 10 invocations, more when lease wake-ups of a loaded
    // machine interleave, never one per target
    expect(invocations).toBeLessThan(targets / 2);
    const web = (await api('GET', '/v1/services/cweb/targets')).body;
    expect(web.every((t: { version: string; changeCount: number }) => t.version === '2' && t.changeCount === 1)).toBe(true);
  });

  it('a worker that fails mid-step (its head write refused) is retried by FC; nothing is changed twice', async () => {
    await api('PUT', '/v1/services/cflaky', { executor: { type: 'simulated', latencyMs: 50 }, targets: fleet('fl', 6) });
    const r = await api('POST', '/v1/change-orders', 'deployPlanItems:\n  - serviceId: cflaky\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://x/f.zip\n    version: "2"\n    batchNumber: 3\n');
    const failuresBefore = cloud.fc.stats.workerFailures;
    cloud.emulator.failNext('UpdateRow', 2); // task rows written, then the order's head write fails
    cloud.fc.failNextWorkerRuns(1); // and one invocation dies before it starts
    const o = await waitFor(`/v1/change-orders/${r.body.changeOrderId}`, finished);
    expect(o.status).toBe('SUCCEEDED');
    expect(cloud.fc.stats.workerFailures - failuresBefore).toBeGreaterThanOrEqual(2);
    const t = (await api('GET', '/v1/services/cflaky/targets')).body;
    expect(t.map((x: { version: string; changeCount: number }) => [x.version, x.changeCount])).toEqual(Array(6).fill(['2', 1]));
  });
});

describe('authentication in the cloud', () => {
  it('every /v1 route needs the bearer token; the console page, the OpenAPI document and health do not', async () => {
    const noToken = await fetch(`${cloud.apiUrl}/v1/change-orders`);
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toContain('Bearer');
    expect((await noToken.json()).error.code).toBe('Unauthorized');
    expect((await fetch(`${cloud.apiUrl}/v1/change-orders`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${cloud.apiUrl}/v1/change-orders`, { headers: { authorization: `Bearer ${cloud.apiToken}` } })).status).toBe(200);
    for (const open of ['/', '/v1/openapi.json', '/v1/healthz']) expect((await fetch(cloud.apiUrl + open)).status).toBe(200);
    // alarm callbacks carry their own token; none is configured here, so the cloud refuses them
    expect((await fetch(`${cloud.apiUrl}/v1/alarms`, { method: 'POST', body: '{}' })).status).toBe(401);
  });
});
