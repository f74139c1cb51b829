// The HTTP API over real HTTP, with a real SQLite file: what a user (or a script) sees.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleet, startTestServer, TERMINAL, type TestServer } from '../support/local-server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s.close());

const register = (id: string, body: unknown) => s.api('PUT', `/v1/services/${id}`, body);
const done = (o: any) => TERMINAL.includes(o.status) && o.finalized;
const plan = (items: string) => `comment: test\ndeployPlanItems:\n${items}`;
const deploy = (service: string, extra = '') =>
  `  - serviceId: ${service}\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/${service}-2.0.zip\n    version: "2.0"\n${extra}`;

describe('services', () => {
  it('registers, lists, shows targets, and refuses a bad definition without storing it', async () => {
    expect((await register('svc-a', { executor: { type: 'simulated' }, targets: fleet('a', 3) })).status).toBe(201);
    expect((await register('svc-a', { executor: { type: 'simulated', latencyMs: 1 }, targets: fleet('a', 3) })).status).toBe(200);
    const targets = await s.api('GET', '/v1/services/svc-a/targets');
    expect(targets.body).toEqual([
      { id: 'a-1', labels: [], version: '1.0', changeCount: 0, running: true },
      { id: 'a-2', labels: [], version: '1.0', changeCount: 0, running: true },
      { id: 'a-3', labels: [], version: '1.0', changeCount: 0, running: true },
    ]);
    const bad = await register('svc-bad', { executor: { type: 'teleport' }, targets: [{ id: 'x' }, { id: 'x' }], extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('InvalidService');
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['executor.type', 'extra', 'targets[1].id'].sort());
    expect((await s.api('GET', '/v1/services/svc-bad')).status).toBe(404);
    expect((await s.api('PUT', '/v1/services/bad%20id', { executor: { type: 'simulated' } })).status).toBe(400);
  });
});

describe('change orders', () => {
  it('an invalid plan gets 400 listing every problem, and nothing is stored', async () => {
    const before = (await s.api('GET', '/v1/change-orders?limit=200')).body.changeOrders.length;
    const r = await s.api(
      'POST',
      '/v1/change-orders',
      plan(`  - serviceId: nope\n    deployment: HTTP_UPLOAD_DEPLOY\n  - serviceId: svc-a\n    deployment: JUMP\n    batchNumbr: 2\n    containerExecMethod: SIDEWAYS\n`),
    );
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('InvalidPlan');
    const paths = r.body.error.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['deployPlanItems[0].httpSrcUri', 'deployPlanItems[1].deployment', 'deployPlanItems[1].batchNumbr', 'deployPlanItems[1].containerExecMethod']));
    expect((await s.api('GET', '/v1/change-orders?limit=200')).body.changeOrders.length).toBe(before);
  });

  it('dry run returns the batches and changes nothing', async () => {
    await register('svc-dry', { executor: { type: 'simulated' }, targets: fleet('d', 8, '1.0', (i) => (i % 2 ? ['zone=b'] : ['zone=a'])) });
    const r = await s.api('POST', '/v1/change-orders?dryRun=true', plan(deploy('svc-dry', '    batches: [1, "50%", "100%"]\n    deployLabel: zone=a\n')));
    expect(r.status).toBe(200);
    expect(r.body.services[0].batches.map((b: { targets: string[] }) => b.targets)).toEqual([['d-1'], ['d-3'], ['d-5', 'd-7']]);
    expect((await s.api('GET', '/v1/change-orders?serviceId=svc-dry')).body.changeOrders).toEqual([]);
    expect((await s.api('GET', '/v1/services/svc-dry/targets')).body.every((t: { changeCount: number }) => t.changeCount === 0)).toBe(true);
  });

  it('runs a plan to SUCCEEDED: every target changed exactly once, with audit, report and EDAS view', async () => {
    await register('svc-ok', { executor: { type: 'simulated', latencyMs: 5 }, targets: fleet('ok', 6) });
    const r = await s.api('POST', '/v1/change-orders', plan(deploy('svc-ok', '    batchNumber: 3\n')));
    expect(r.status).toBe(201);
    const id = r.body.changeOrderId;
    const o = await s.waitFor(`/v1/change-orders/${id}`, done);
    expect(o.status).toBe('SUCCEEDED');
    expect(o.statusCode).toBe(2);
    expect(o.services[0].batches.map((b: { tasks: unknown[] }) => b.tasks.length)).toEqual([2, 2, 2]);
    const targets = (await s.api('GET', '/v1/services/svc-ok/targets')).body;
    expect(targets.map((t: { version: string; changeCount: number }) => [t.version, t.changeCount])).toEqual(Array(6).fill(['2.0', 1]));
    const edas = (await s.api('GET', `/v1/change-orders/${id}?view=edas`)).body;
    expect(edas.Code).toBe(200);
    expect(edas.changeOrderInfo.Status).toBe(2);
    expect(edas.changeOrderInfo.PipelineInfoList.PipelineInfo.map((p: { PipelineName: string; PipelineStatus: number }) => [p.PipelineName, p.PipelineStatus])).toEqual([
      ['Batch 1 Change', 2],
      ['Batch 2 Change', 2],
      ['Batch 3 Change', 2],
    ]);
    const report = (await s.api('GET', `/v1/change-orders/${id}/report`)).body;
    expect(report.services[0]).toMatchObject({ serviceId: 'svc-ok', status: 'SUCCEEDED', targets: { total: 6, succeeded: 6 } });
    const events = (await s.api('GET', `/v1/change-orders/${id}/events`)).body.events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['created', 'started', 'batchFinished', 'finished']));
    expect(events.filter((e: { type: string }) => e.type === 'status').map((e: { status: string }) => e.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    expect(events.every((e: { at: string; actor: string; reason: string }) => e.at && e.actor && e.reason)).toBe(true);
  });

  it('Idempotency-Key returns the same order for the same body and refuses another body', async () => {
    await register('svc-idem', { executor: { type: 'simulated' }, targets: fleet('i', 2) });
    const body = plan(deploy('svc-idem'));
    const a = await s.api('POST', '/v1/change-orders', body, { 'idempotency-key': 'k-1' });
    const b = await s.api('POST', '/v1/change-orders', body, { 'idempotency-key': 'k-1' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect(b.body.changeOrderId).toBe(a.body.changeOrderId);
    const c = await s.api('POST', '/v1/change-orders', plan(deploy('svc-idem', '    batchNumber: 2\n')), { 'idempotency-key': 'k-1' });
    expect(c.status).toBe(422);
    await s.waitFor(`/v1/change-orders/${a.body.changeOrderId}`, done);
    expect((await s.api('GET', '/v1/change-orders?serviceId=svc-idem')).body.changeOrders).toHaveLength(1);
  });

  it('a second order on a busy service gets 409 ScopeLocked naming the holder; continue, stale continue', async () => {
    await register('svc-lock', { executor: { type: 'simulated', latencyMs: 1 }, targets: fleet('l', 4) });
    const first = await s.api('POST', '/v1/change-orders', plan(deploy('svc-lock', '    batchNumber: 3\n    batchPauseOption: EveryBatchPause\n')));
    const id = first.body.changeOrderId;
    const o = await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'WAITING_MANUAL');
    expect(o.nextBatch).toBe(2);
    const second = await s.api('POST', '/v1/change-orders', plan(deploy('svc-lock')));
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'ScopeLocked', holder: id });
    expect(second.body.error.message).toContain(id);
    const ahead = await s.api('POST', `/v1/change-orders/${id}/continue`, { batch: 3 });
    expect(ahead.status).toBe(409);
    expect(ahead.body.error).toMatchObject({ code: 'BatchMismatch', status: 'WAITING_MANUAL' });
    expect((await s.api('POST', `/v1/change-orders/${id}/continue`, { batch: 2 })).body).toMatchObject({ ok: true, applied: true });
    await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'WAITING_MANUAL' && b.nextBatch === 3);
    const stale = await s.api('POST', `/v1/change-orders/${id}/continue`, { batch: 2 }); // a late duplicate
    expect(stale.status).toBe(200);
    expect(stale.body).toMatchObject({ applied: false, status: 'WAITING_MANUAL' });
    expect((await s.api('POST', `/v1/change-orders/${id}/continue`, { batch: 3 })).body.applied).toBe(true);
    await s.waitFor(`/v1/change-orders/${id}`, done);
    expect((await s.api('POST', '/v1/change-orders', plan(deploy('svc-lock')))).status).toBe(201); // lock released by the finalizer
  });

  it('abort and roll back: the linked rollback order returns exactly the changed targets to their versions', async () => {
    await register('svc-rb', { executor: { type: 'simulated', latencyMs: 1 }, targets: fleet('r', 6) });
    const r = await s.api('POST', '/v1/change-orders', plan(deploy('svc-rb', '    batchNumber: 3\n    batchPauseOption: EveryBatchPause\n')));
    const id = r.body.changeOrderId;
    await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'WAITING_MANUAL');
    const abort = await s.api('POST', `/v1/change-orders/${id}/abort`, { rollback: true });
    expect(abort.body.rollbackChangeOrderId).toBe(`${id}-rollback`);
    const src = await s.waitFor(`/v1/change-orders/${id}`, done);
    expect(src).toMatchObject({ status: 'STOPPED', rolledBackBy: `${id}-rollback` });
    const rb = await s.waitFor(`/v1/change-orders/${id}-rollback`, done);
    expect(rb).toMatchObject({ type: 'rollback', status: 'SUCCEEDED', sourceChangeOrderId: id });
    expect(rb.services[0].batches.flatMap((b: { tasks: { targetId: string }[] }) => b.tasks.map((t) => t.targetId))).toEqual(['r-1', 'r-2']);
    const targets = (await s.api('GET', '/v1/services/svc-rb/targets')).body;
    expect(targets.map((t: { id: string; version: string; changeCount: number }) => [t.id, t.version, t.changeCount])).toEqual([
      ['r-1', '1.0', 2],
      ['r-2', '1.0', 2],
      ['r-3', '1.0', 0],
      ['r-4', '1.0', 0],
      ['r-5', '1.0', 0],
      ['r-6', '1.0', 0],
    ]);
    const again = await s.api('POST', `/v1/change-orders/${id}-rollback/rollback`, {});
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('RollbackNotAllowed');
  });

  it('failure suspension: retry after fixing the target, skip, then the order finishes', async () => {
    const svc = (failTargets: string[]) => ({ executor: { type: 'simulated', failTargets }, targets: fleet('f', 4) });
    await register('svc-fail', svc(['f-1', 'f-2']));
    const r = await s.api('POST', '/v1/change-orders', plan(deploy('svc-fail', '    onFailure: pause\n')));
    const id = r.body.changeOrderId;
    await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'FAILURE_PAUSED');
    await register('svc-fail', svc(['f-2'])); // f-1 fixed
    expect((await s.api('POST', `/v1/change-orders/${id}/targets/f-1/retry`, {})).body).toMatchObject({ ok: true, applied: true });
    expect((await s.api('POST', `/v1/change-orders/${id}/targets/f-4/retry`, {})).status).toBe(409);
    expect((await s.api('POST', `/v1/change-orders/${id}/targets/zz/skip`, {})).status).toBe(404);
    await s.waitFor(`/v1/change-orders/${id}`, (b) => b.services[0].batches[0].tasks[0].status === 'SUCCEEDED');
    expect((await s.api('POST', `/v1/change-orders/${id}/targets/f-2/skip`, {})).body.applied).toBe(true);
    const o = await s.waitFor(`/v1/change-orders/${id}`, done);
    expect(o.status).toBe('PARTIAL');
    expect(o.services[0].batches[0].tasks.map((t: { status: string; attempt: number }) => [t.status, t.attempt])).toEqual([
      ['SUCCEEDED', 2],
      ['SKIPPED', 1],
      ['SUCCEEDED', 1],
      ['SUCCEEDED', 1],
    ]);
  });

  it('delete: only finished orders', async () => {
    await register('svc-del', { executor: { type: 'simulated', latencyMs: 1 }, targets: fleet('x', 2) });
    const id = (await s.api('POST', '/v1/change-orders', plan(deploy('svc-del', '    batchNumber: 2\n    batchPauseOption: FirstBatchPause\n')))).body.changeOrderId;
    await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'WAITING_MANUAL');
    const refused = await s.api('DELETE', `/v1/change-orders/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.status).toBe('WAITING_MANUAL');
    await s.api('POST', `/v1/change-orders/${id}/abort`, {});
    await s.waitFor(`/v1/change-orders/${id}`, done);
    expect((await s.api('DELETE', `/v1/change-orders/${id}`)).status).toBe(204);
    expect((await s.api('GET', `/v1/change-orders/${id}`)).status).toBe(404);
    expect((await s.api('GET', `/v1/change-orders/${id}/events`)).status).toBe(404);
  });

  it('lists newest first with filters and cursors', async () => {
    const all = (await s.api('GET', '/v1/change-orders?limit=200')).body.changeOrders;
    expect(all.length).toBeGreaterThan(4);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await s.api('GET', `/v1/change-orders?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body;
      seen.push(...page.changeOrders.map((o: { changeOrderId: string }) => o.changeOrderId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((o: { changeOrderId: string }) => o.changeOrderId));
    const times = all.map((o: { createdAt: string }) => o.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    const stopped = (await s.api('GET', '/v1/change-orders?status=STOPPED')).body.changeOrders;
    expect(stopped.every((o: { status: string }) => o.status === 'STOPPED')).toBe(true);
    expect((await s.api('GET', '/v1/change-orders?status=NOPE')).status).toBe(400);
    expect((await s.api('GET', '/v1/change-orders?cursor=garbage')).status).toBe(400);
  });

  it('errors are JSON with a code; bad command bodies name the field', async () => {
    expect((await s.api('GET', '/v1/nothing')).body.error.code).toBe('NotFound');
    expect((await s.api('GET', '/v1/change-orders/co-missing')).status).toBe(404);
    const bad = await s.api('POST', '/v1/change-orders/co-missing/continue', { batch: 'two' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('batch');
    const notJson = await s.api('POST', '/v1/change-orders/co-missing/pause', '{nope', { 'content-type': 'application/json' });
    expect(notJson.status).toBe(400);
    expect((await s.api('GET', '/v1/healthz')).body).toMatchObject({ ok: true, store: 'sqlite' });
  });
});

describe('plans users already have', () => {
  it('the seed 004 EWS plan, verbatim (Chinese comments, tabs, the ellipsis line), runs with 111 and 222 registered', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../events/seed-004-plan.yaml', import.meta.url), 'utf8');
    await register('111', { executor: { type: 'simulated' }, targets: [...fleet('w', 3, '1.0', () => ['label1']), { id: 'w-x', labels: ['label2'], version: '1.0' }] });
    await register('222', { executor: { type: 'simulated' }, targets: fleet('s', 2) });
    const r = await s.api('POST', '/v1/change-orders', text);
    expect(r.status).toBe(201);
    expect(r.body.warnings.map((w: { path: string }) => w.path)).toEqual(['deployPlanItems[0].compileRepoPath', 'deployPlanItems[0].compileRepoBranch']);
    const o = await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done);
    expect(o.status).toBe('SUCCEEDED');
    expect(o.comment).toBe('这是一个发布计划的注释');
    expect(o.services.map((x: { serviceId: string }) => x.serviceId)).toEqual(['111', '222']);
    const web = (await s.api('GET', '/v1/services/111/targets')).body;
    expect(web.map((t: { id: string; version: string }) => [t.id, t.version])).toEqual([
      ['w-1', 'http://exapmle.zip'],
      ['w-2', 'http://exapmle.zip'],
      ['w-3', 'http://exapmle.zip'],
      ['w-x', '1.0'], // deployLabel label1 leaves it alone
    ]);
    const stopped = (await s.api('GET', '/v1/services/222/targets')).body;
    expect(stopped.map((t: { running: boolean; changeCount: number }) => [t.running, t.changeCount])).toEqual([
      [false, 1],
      [false, 1],
    ]);
  });

  it('an inline service is registered with the order and runs', async () => {
    const text = plan(deploy('inline-svc', `    service:\n      executor: { type: simulated }\n      targets:\n        - { id: n-1, version: "1.0" }\n        - { id: n-2, version: "1.0" }\n`));
    const r = await s.api('POST', '/v1/change-orders', text);
    expect(r.status).toBe(201);
    expect((await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done)).status).toBe('SUCCEEDED');
    const targets = (await s.api('GET', '/v1/services/inline-svc/targets')).body;
    expect(targets.map((t: { version: string }) => t.version)).toEqual(['2.0', '2.0']);
  });

  it('an ESS rolling-update request runs on the registered scaling group, and its rollback undoes it', async () => {
    await register('asg-demo01', { executor: { type: 'simulated' }, targets: fleet('i', 4, 'centos_7_8') });
    const ess = { TemplateName: 'ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup', Parameters: { invokeType: 'invoke', scalingGroupId: 'asg-demo01', imageId: 'aliyun_2_1903', sourceImageId: 'centos_7_8', batchNumber: 2, batchPauseOption: 'Automatic' } };
    const r = await s.api('POST', '/v1/change-orders', ess);
    expect(r.status).toBe(201);
    const o = await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done);
    expect(o).toMatchObject({ status: 'SUCCEEDED', origin: 'ess' });
    expect((await s.api('GET', '/v1/services/asg-demo01/targets')).body.every((t: { version: string }) => t.version === 'aliyun_2_1903')).toBe(true);
    const rollback = { TemplateName: ess.TemplateName, Parameters: { invokeType: 'rollback', scalingGroupId: 'asg-demo01', sourceImageId: 'centos_7_8', sourceExecutionId: r.body.changeOrderId, batchNumber: 1 } };
    const rb = await s.api('POST', '/v1/change-orders', rollback);
    expect(rb.status).toBe(201);
    expect(rb.body.changeOrderId).toBe(`${r.body.changeOrderId}-rollback`);
    const done2 = await s.waitFor(`/v1/change-orders/${rb.body.changeOrderId}`, done);
    expect(done2.status).toBe('SUCCEEDED');
    expect(done2.services[0].batches).toHaveLength(1);
    expect((await s.api('GET', '/v1/services/asg-demo01/targets')).body.map((t: { version: string; changeCount: number }) => [t.version, t.changeCount])).toEqual(Array(4).fill(['centos_7_8', 2]));
  });
});
