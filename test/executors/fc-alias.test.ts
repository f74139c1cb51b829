// fc-alias through the real FC SDKs (@alicloud/fc20230330, and @alicloud/fc2 for FC 2.0) against the fake cloud.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putRun } from '../../shared/executors/cloud/progress.ts';
import { fcAliasExecutor } from '../../shared/executors/fc-alias.ts';
import { bareDeps, done, registerBare, settle, startCloudServer, taskFor, type CloudServer } from './harness.ts';

let s: CloudServer;
beforeAll(async () => {
  s = await startCloudServer({ opsMs: 10 });
  const w = s.cloud.world;
  w.addFunction('checkout', ['1', '2', '3'], { prod: { versionId: '1', weights: {} } });
  w.addFunction('legacy-svc', ['4', '5'], { live: { versionId: '4', weights: {} } });
  w.addFunction('bare-fn', ['1', '2'], { prod: { versionId: '1', weights: {} } });
});
afterAll(async () => s.close());

const plan = (service: string, version: string, extra = '') => `comment: fc\ndeployPlanItems:\n  - serviceId: ${service}\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/code.zip\n    version: "${version}"\n${extra}`;
const alias = (fn: string, name: string) => s.cloud.world.functions.get(fn)!.aliases.get(name)!;

describe('fc-alias over the API', () => {
  it('shifts traffic in weight steps, one batch each, pauses after the canary step, and rolls back to the stable version', async () => {
    await s.api('PUT', '/v1/services/checkout-fn', { executor: { type: 'fc-alias', functionName: 'checkout', aliasName: 'prod', weights: [10, 50, 100] } });
    const dry = await s.api('POST', '/v1/change-orders?dryRun=true', plan('checkout-fn', '3', '    batchPauseOption: FirstBatchPause\n'));
    expect(dry.body.services[0].batches.map((b: { targets: string[] }) => b.targets)).toEqual([['checkout:prod:10'], ['checkout:prod:50'], ['checkout:prod:100']]);

    s.cloud.inject({ product: 'fc', action: 'UpdateAlias', times: 1, code: 'ResourceThrottled', message: 'Reserved resource exhausted.', status: 429 });
    const r = await s.api('POST', '/v1/change-orders', plan('checkout-fn', '3', '    batchPauseOption: FirstBatchPause\n'));
    const id = r.body.changeOrderId;
    await s.waitFor(`/v1/change-orders/${id}`, (o) => o.status === 'WAITING_MANUAL');
    expect(alias('checkout', 'prod')).toEqual({ versionId: '1', weights: { '3': 0.1 } });
    await s.api('POST', `/v1/change-orders/${id}/continue`, { batch: 2 });
    const o = await s.waitFor(`/v1/change-orders/${id}`, done);
    expect(o.status).toBe('SUCCEEDED');
    expect(o.services[0].batches.map((b: { tasks: { fromVersion: string; toVersion: string }[] }) => [b.tasks[0].fromVersion, b.tasks[0].toVersion])).toEqual([
      ['1', '1+3@10'],
      ['1+3@10', '1+3@50'],
      ['1+3@50', '3'],
    ]);
    expect(alias('checkout', 'prod')).toEqual({ versionId: '3', weights: {} });
    expect(s.cloud.calls.filter((c) => c.action === 'UpdateAlias').map((c) => c.code ?? 'ok')).toEqual(['ResourceThrottled', 'ok', 'ok', 'ok']);

    const rb = await s.api('POST', `/v1/change-orders/${id}/rollback`, { batchNumber: 1 });
    expect((await s.waitFor(`/v1/change-orders/${rb.body.rollbackChangeOrderId}`, done)).status).toBe('SUCCEEDED');
    expect(alias('checkout', 'prod')).toEqual({ versionId: '1', weights: {} });
  });

  it('a version FC does not have fails the step with the cloud code', async () => {
    const r = await s.api('POST', '/v1/change-orders', plan('checkout-fn', '9'));
    const o = await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done);
    expect(o.status).toBe('FAILED');
    expect(o.services[0].batches[0].tasks[0].message).toBe('checkout/prod: UpdateAlias: VersionNotFound: version 9 of checkout does not exist');
    expect(alias('checkout', 'prod')).toEqual({ versionId: '1', weights: {} });
  });

  it('FC 2.0 service aliases through @alicloud/fc2', async () => {
    await s.api('PUT', '/v1/services/legacy', { executor: { type: 'fc-alias', apiVersion: '2.0', accountId: '1234567890', functionName: 'legacy-svc', aliasName: 'live', weights: [100] } });
    const r = await s.api('POST', '/v1/change-orders', plan('legacy', '5'));
    expect((await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done)).status).toBe('SUCCEEDED');
    expect(alias('legacy-svc', 'live')).toEqual({ versionId: '5', weights: {} });
    expect(s.cloud.calls.filter((c) => c.action === 'UpdateAlias').at(-1)!.params).toMatchObject({ api: '2.0', owner: 'legacy-svc', versionId: '5' });
  });
});

describe('fc-alias, restarted mid-step', () => {
  it('before UpdateAlias: the restarted poll makes the call once; after it: the call is not made again', async () => {
    const bare = bareDeps(s.cloud);
    const svc = await registerBare(bare.store, { id: 'bare-fc', executor: { type: 'fc-alias' } }, [{ id: 'bare-fn:prod:50' }]);
    const task = taskFor(svc, 'bare-fn:prod:50', { version: '2' });
    // the attempt was recorded (from, to) and then the process died before UpdateAlias
    await putRun(bare.store, 'bare-fc', 'bare-fn:prod:50', task.idempotencyKey, () => ({ key: task.idempotencyKey, at: Date.now(), from: '1', to: '1+2@50' }));
    const updates = () => s.cloud.callsOf('UpdateAlias').filter((c) => c.params.owner === 'bare-fn').length;
    expect(await settle(() => fcAliasExecutor(bare.deps()).poll(task))).toMatchObject({ state: 'succeeded', fromVersion: '1', toVersion: '1+2@50' });
    expect(updates()).toBe(1);
    // the same situation once more, but the call had already been made: the alias shows it
    const again = { ...task, idempotencyKey: `${task.idempotencyKey}-b` };
    await putRun(bare.store, 'bare-fc', 'bare-fn:prod:50', again.idempotencyKey, () => ({ key: again.idempotencyKey, at: Date.now(), from: '1', to: '1+2@50' }));
    expect(await fcAliasExecutor(bare.deps()).poll(again)).toMatchObject({ state: 'succeeded' });
    expect(updates()).toBe(1);
    expect(alias('bare-fn', 'prod')).toEqual({ versionId: '1', weights: { '2': 0.5 } });
    await bare.close();
  });
});
