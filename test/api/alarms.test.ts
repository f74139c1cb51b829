// Alarm-driven rollback and pause over real HTTP, with the sample notifications of events/ replayed.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlarmBody } from '../../shared/alarms/parse.ts';
import { fleet, startTestServer, TERMINAL, type TestServer } from '../support/local-server.ts';

const sample = (name: string) => readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8');
const done = (o: any) => TERMINAL.includes(o.status) && o.finalized;

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s.close());

const plan = (service: string, extra: string, top = '') =>
  `${top}deployPlanItems:\n  - serviceId: ${service}\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/${service}-2.zip\n    version: "2.0"\n${extra}`;

describe('alarm notifications', () => {
  it('parses the CloudMonitor callback (JSON and form) and the EventBridge CloudEvent', () => {
    const json = parseAlarmBody(sample('cloudmonitor-alarm.json'), 'application/json');
    const form = parseAlarmBody(sample('cloudmonitor-alarm.form'), 'application/x-www-form-urlencoded');
    const ce = parseAlarmBody(sample('eventbridge-alarm.json'), 'application/json');
    expect(json).toMatchObject({ ok: true, alarms: [{ name: 'checkout-5xx-rate', state: 'ALARM', dimensions: { instanceId: 'checkout-03' }, source: 'cloudmonitor' }] });
    expect(form).toMatchObject({ ok: true, alarms: [{ name: 'checkout-5xx-rate', state: 'ALARM', dimensions: { instanceId: 'checkout-03' } }] });
    expect(ce).toMatchObject({ ok: true, alarms: [{ id: '2f6e4c1e-7d0b-4b43-9a59-0c1f3ad5e001', name: 'checkout-latency-p99', dimensions: { service: 'checkout' }, source: 'eventbridge' }] });
    expect(parseAlarmBody('{"alertName":"x","alertState":"MAYBE"}').ok).toBe(false);
  });

  it('an ALARM during the bake time of batch 2 of 3 stops the order and rolls back exactly batches 1–2; a repeat acts once', async () => {
    await s.api('PUT', '/v1/services/checkout', { executor: { type: 'simulated', latencyMs: 2 }, targets: fleet('c', 6).map((t, i) => ({ ...t, id: `checkout-0${i + 1}` })) });
    const r = await s.api('POST', '/v1/change-orders', plan('checkout', '    batchNumber: 3\n    batchPauseOption: FirstBatchPause\n    bakeSeconds: 2\n'));
    const id = r.body.changeOrderId;
    await s.waitFor(`/v1/change-orders/${id}`, (o) => o.status === 'WAITING_MANUAL');
    await s.api('POST', `/v1/change-orders/${id}/continue`, { batch: 2 });
    await s.waitFor(`/v1/change-orders/${id}`, (o) => o.status === 'WAITING_AUTO' && o.services[0].currentBatch === 2);

    const first = await s.api('POST', '/v1/alarms', sample('cloudmonitor-alarm.json'), { 'content-type': 'application/json' });
    expect(first.status).toBe(200);
    expect(first.body.alarms[0].orders).toEqual([{ changeOrderId: id, applied: true, message: expect.any(String), rollbackChangeOrderId: `${id}-rollback` }]);
    const again = await s.api('POST', '/v1/alarms', sample('cloudmonitor-alarm.json'), { 'content-type': 'application/json' });
    // the order (or, once the scope passed to it, the rollback order) has already acted on this notification
    expect(again.body.alarms[0].orders.every((o: { applied: boolean }) => !o.applied)).toBe(true);

    const src = await s.waitFor(`/v1/change-orders/${id}`, done);
    expect(src).toMatchObject({ status: 'STOPPED', rolledBackBy: `${id}-rollback` });
    const rb = await s.waitFor(`/v1/change-orders/${id}-rollback`, done);
    expect(rb.status).toBe('SUCCEEDED');
    const rolledBack = rb.services[0].batches.flatMap((b: { tasks: { targetId: string }[] }) => b.tasks.map((t) => t.targetId));
    expect(rolledBack).toEqual(['checkout-03', 'checkout-04', 'checkout-01', 'checkout-02']); // newest batch first
    const targets = (await s.api('GET', '/v1/services/checkout/targets')).body;
    expect(targets.map((t: { version: string; changeCount: number }) => [t.version, t.changeCount])).toEqual([
      ['1.0', 2], ['1.0', 2], ['1.0', 2], ['1.0', 2], ['1.0', 0], ['1.0', 0],
    ]);
    const events = (await s.api('GET', `/v1/change-orders/${id}/events`)).body.events;
    expect(events.find((e: { actor: string; type: string }) => e.actor === 'alarm' && e.type === 'abortRequested').reason).toContain('checkout-5xx-rate');
    expect((await s.api('GET', '/v1/change-orders?serviceId=checkout&limit=50')).body.changeOrders.filter((o: { type: string }) => o.type === 'rollback')).toHaveLength(1);
  });

  it('an OK alarm is recorded and changes nothing; an alarm for another service leaves the order alone; onAlarm pause pauses', async () => {
    await s.api('PUT', '/v1/services/pay', { executor: { type: 'simulated', latencyMs: 1 }, targets: fleet('p', 4) });
    const r = await s.api('POST', '/v1/change-orders', plan('pay', '    batchNumber: 2\n    batchPauseOption: FirstBatchPause\n', 'onAlarm: pause\n'));
    const id = r.body.changeOrderId;
    await s.waitFor(`/v1/change-orders/${id}`, (o) => o.status === 'WAITING_MANUAL');
    const ok = await s.api('POST', '/v1/alarms', { alertName: 'pay-errors', alertState: 'OK', timestamp: '1', dimensions: { service: 'pay' } });
    expect(ok.body.alarms[0].orders[0]).toMatchObject({ changeOrderId: id, applied: false });
    const other = await s.api('POST', '/v1/alarms', sample('eventbridge-alarm.json'), { 'content-type': 'application/json' });
    expect(other.body.alarms[0].orders.map((o: { changeOrderId: string }) => o.changeOrderId)).not.toContain(id);
    expect((await s.api('GET', `/v1/change-orders/${id}`)).body.status).toBe('WAITING_MANUAL');
    await s.api('POST', `/v1/change-orders/${id}/continue`, { batch: 2 });
    // while batch 2 runs (or just after), an ALARM pauses: PAUSING, then PAUSED; or it already finished
    const alarm = await s.api('POST', '/v1/alarms', { alertName: 'pay-errors', alertState: 'ALARM', timestamp: '2', dimensions: '{service=pay}' });
    const o = await s.waitFor(`/v1/change-orders/${id}`, (x) => ['PAUSED', 'SUCCEEDED'].includes(x.status));
    if (alarm.body.alarms[0].orders[0]?.applied) expect(o.status).toBe('PAUSED');
    const events = (await s.api('GET', `/v1/change-orders/${id}/events`)).body.events;
    expect(events.some((e: { actor: string; reason: string }) => e.actor === 'alarm' && e.reason.includes('is OK: recorded'))).toBe(true);
  });

  it("a service's alarms selector (names, or metric and dimension patterns) matches alarms that do not name it", async () => {
    await s.api('PUT', '/v1/services/search', { executor: { type: 'simulated', latencyMs: 1 }, targets: fleet('s', 2) });
    const r = await s.api('POST', '/v1/change-orders', plan('search', '    batchNumber: 2\n    batchPauseOption: FirstBatchPause\n    alarms:\n      - "slb-*-5xx"\n      - { metric: latency_p99, dimensions: { region: "cn-*" } }\n', 'onAlarm: pause\n'));
    const id = r.body.changeOrderId;
    await s.waitFor(`/v1/change-orders/${id}`, (o) => o.status === 'WAITING_MANUAL');
    const unrelated = await s.api('POST', '/v1/alarms', { alertName: 'db-cpu', alertState: 'ALARM', timestamp: '10', dimensions: { region: 'cn-hangzhou' } });
    expect(unrelated.body.alarms[0].orders.map((o: { changeOrderId: string }) => o.changeOrderId)).not.toContain(id);
    const byMetric = await s.api('POST', '/v1/alarms', { alertName: 'p99', alertState: 'OK', metricName: 'latency_p99', timestamp: '11', dimensions: { region: 'cn-shanghai' } });
    expect(byMetric.body.alarms[0].orders.map((o: { changeOrderId: string }) => o.changeOrderId)).toContain(id);
    const byName = await s.api('POST', '/v1/alarms', { alertName: 'slb-checkout-5xx', alertState: 'OK', timestamp: '12', dimensions: {} });
    expect(byName.body.alarms[0].orders.map((o: { changeOrderId: string }) => o.changeOrderId)).toContain(id);
    expect((await s.api('POST', '/v1/change-orders?dryRun=true', plan('search', '    alarms: [{}]\n'))).body.error.issues[0].path).toMatch(/^deployPlanItems\[0\]\.alarms\[0\]/);
    await s.api('POST', `/v1/change-orders/${id}/abort`, {});
  });

  it('refuses a sender without the configured token, and unreadable notifications', async () => {
    expect((await s.api('POST', '/v1/alarms', '{"alertName": "x"}', { 'content-type': 'application/json' })).status).toBe(400);
    s.app.rt.alarmToken = 's3cret-token';
    try {
      expect((await s.api('POST', '/v1/alarms', sample('cloudmonitor-ok.json'), { 'content-type': 'application/json' })).status).toBe(401);
      expect((await s.api('POST', '/v1/alarms?token=wrong', sample('cloudmonitor-ok.json'), { 'content-type': 'application/json' })).status).toBe(401);
      expect((await s.api('POST', '/v1/alarms?token=s3cret-token', sample('cloudmonitor-ok.json'), { 'content-type': 'application/json' })).status).toBe(200);
      expect((await s.api('POST', '/v1/alarms', sample('cloudmonitor-alarm.form'), { 'content-type': 'application/x-www-form-urlencoded', 'x-changeflow-token': 's3cret-token' })).status).toBe(200);
    } finally {
      s.app.rt.alarmToken = undefined;
    }
  });
});
