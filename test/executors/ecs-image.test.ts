// ecs-image through the real pop-core client against the fake cloud.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecsImageExecutor } from '../../shared/executors/ecs-image.ts';
import { bareDeps, done, registerBare, startCloudServer, taskFor, type CloudServer } from './harness.ts';

let s: CloudServer;
beforeAll(async () => {
  s = await startCloudServer({ opsMs: 10 });
  const w = s.cloud.world;
  for (const id of ['i-m1', 'i-m2', 'i-m3', 'i-t1']) w.addInstance(id, { imageId: 'img-1' });
  w.images.add('img-2');
  w.addGroup('asg-bare', [{ id: 'i-g1', imageId: 'img-1' }]);
});
afterAll(async () => s.close());

const plan = (service: string, version: string, extra = '') => `comment: image\ndeployPlanItems:\n  - serviceId: ${service}\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/unused\n    version: "${version}"\n${extra}`;
const MUTATING = ['EnterStandby', 'StopInstance', 'ReplaceSystemDisk', 'StartInstance', 'ExitStandby'];
const mutations = (id: string) => s.cloud.callsOf(...MUTATING).filter((c) => c.instanceIds.includes(id)).map((c) => c.action);

describe('ecs-image over the API (plain instances: no Standby)', () => {
  it('replaces the system disk (stop, replace, start), records the previous image, and rolls back to it', async () => {
    await s.api('PUT', '/v1/services/web-img', { executor: { type: 'ecs-image' }, targets: [{ id: 'i-m1', version: 'img-1' }, { id: 'i-m2', version: 'img-1' }] });
    s.cloud.inject({ action: 'StopInstance', instanceId: 'i-m1', times: 2, code: 'Throttling.User', message: 'Request was denied due to user flow control.' });
    const r = await s.api('POST', '/v1/change-orders', plan('web-img', 'img-2', '    batchNumber: 2\n'));
    const o = await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done);
    expect(o.status).toBe('SUCCEEDED');
    expect(o.services[0].batches.map((b: { tasks: { fromVersion: string; toVersion: string }[] }) => [b.tasks[0].fromVersion, b.tasks[0].toVersion])).toEqual([['img-1', 'img-2'], ['img-1', 'img-2']]);
    expect(['i-m1', 'i-m2'].map((i) => [s.cloud.world.instance(i)!.imageId, s.cloud.world.instance(i)!.status])).toEqual([['img-2', 'Running'], ['img-2', 'Running']]);
    // the throttled StopInstance was retried; every change happened once
    expect(s.cloud.calls.filter((c) => c.action === 'StopInstance' && c.instanceIds.includes('i-m1')).map((c) => c.code ?? 'ok')).toEqual(['Throttling.User', 'Throttling.User', 'ok']);
    expect(mutations('i-m1')).toEqual(['StopInstance', 'ReplaceSystemDisk', 'StartInstance']);

    const rb = await s.api('POST', `/v1/change-orders/${r.body.changeOrderId}/rollback`, { batchNumber: 1 });
    expect((await s.waitFor(`/v1/change-orders/${rb.body.rollbackChangeOrderId}`, done)).status).toBe('SUCCEEDED');
    expect(['i-m1', 'i-m2'].map((i) => s.cloud.world.instance(i)!.imageId)).toEqual(['img-1', 'img-1']);
    expect(mutations('i-m2')).toEqual(['StopInstance', 'ReplaceSystemDisk', 'StartInstance', 'StopInstance', 'ReplaceSystemDisk', 'StartInstance']);
  });

  it('an image the cloud does not have fails the task with the cloud code and message', async () => {
    await s.api('PUT', '/v1/services/web-img-bad', { executor: { type: 'ecs-image' }, targets: [{ id: 'i-m3', version: 'img-1' }] });
    const r = await s.api('POST', '/v1/change-orders', plan('web-img-bad', 'img-missing'));
    const o = await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done);
    expect(o.status).toBe('FAILED');
    expect(o.services[0].batches[0].tasks[0].message).toBe('i-m3 at step replace: ReplaceSystemDisk: InvalidImageId.NotFound: The specified ImageId does not exist: img-missing');
    expect(s.cloud.world.instance('i-m3')!.imageId).toBe('img-1');
  });
});

describe('ecs-image, a new process for every poll', () => {
  it('walks EnterStandby → Stop → Replace → Start → ExitStandby, each call once, though every poll runs in a fresh executor', async () => {
    const bare = bareDeps(s.cloud);
    const svc = await registerBare(bare.store, { id: 'asg-bare', executor: { type: 'ecs-image', scalingGroupId: 'asg-bare' } }, [{ id: 'i-g1', version: 'img-1' }]);
    const task = taskFor(svc, 'i-g1', { version: 'img-2' });
    let report = await ecsImageExecutor(bare.deps()).start(task);
    const seen: string[] = [];
    for (let i = 0; i < 400 && report.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 3));
      // sometimes two workers poll the same attempt at once: claims keep them from both calling
      const polls = await Promise.all([ecsImageExecutor(bare.deps()).poll(task), ecsImageExecutor(bare.deps()).poll(task)]);
      report = polls.find((p) => p.state !== 'running') ?? polls[0];
      if (report.state === 'running' && report.message) seen.push(report.message);
    }
    expect(report).toMatchObject({ state: 'succeeded', fromVersion: 'img-1', toVersion: 'img-2', changed: true });
    expect(mutations('i-g1')).toEqual(MUTATING);
    expect(s.cloud.world.groups.get('asg-bare')!.lifecycle.get('i-g1')).toBe('InService');
    expect((await bare.store.getTarget('asg-bare', 'i-g1'))!.version).toBe('img-2');
    expect(seen.length).toBeGreaterThan(2);
    await bare.close();
  });
});
