// oos-package through the real pop-core client against the fake cloud's OOS.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oosPackageExecutor } from '../../shared/executors/oos-package.ts';
import { bareDeps, done, registerBare, settle, startCloudServer, taskFor, type CloudServer } from './harness.ts';

let s: CloudServer;
beforeAll(async () => {
  s = await startCloudServer({ opsMs: 10 });
  const w = s.cloud.world;
  w.packageVersions.set('nginx', new Set(['1.24', '1.26']));
  for (const id of ['i-p1', 'i-p2', 'i-p3', 'i-q1']) w.addInstance(id);
  w.instance('i-p1')!.packages.nginx = '1.24';
});
afterAll(async () => s.close());

const plan = (service: string, version: string, extra = '') => `comment: pkg\ndeployPlanItems:\n  - serviceId: ${service}\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/nginx\n    version: "${version}"\n${extra}`;
const pkg = (id: string) => s.cloud.world.instance(id)!.packages.nginx;

describe('oos-package over the API', () => {
  it('installs the version on each instance, reads what was there before, and the rollback restores exactly that', async () => {
    await s.api('PUT', '/v1/services/edge', { executor: { type: 'oos-package', packageName: 'nginx' }, targets: [{ id: 'i-p1' }, { id: 'i-p2' }] });
    s.cloud.inject({ action: 'StartExecution', times: 1, code: 'Throttling.Api', message: 'Request was denied due to api flow control.' });
    const r = await s.api('POST', '/v1/change-orders', plan('edge', '1.26'));
    const o = await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done);
    expect(o.status).toBe('SUCCEEDED');
    expect(o.services[0].batches[0].tasks.map((t: { fromVersion: string; toVersion: string }) => [t.fromVersion, t.toVersion])).toEqual([
      ['nginx@1.24', 'nginx@1.26'],
      ['nginx@uninstalled', 'nginx@1.26'],
    ]);
    expect([pkg('i-p1'), pkg('i-p2')]).toEqual(['1.26', '1.26']);
    expect(s.cloud.calls.filter((c) => c.action === 'StartExecution').map((c) => c.code ?? 'ok')).toEqual(['Throttling.Api', 'ok', 'ok']);

    const rb = await s.api('POST', `/v1/change-orders/${r.body.changeOrderId}/rollback`, {});
    expect((await s.waitFor(`/v1/change-orders/${rb.body.rollbackChangeOrderId}`, done)).status).toBe('SUCCEEDED');
    expect([pkg('i-p1'), pkg('i-p2')]).toEqual(['1.24', undefined]); // reinstalled, and removed where it was not
  });

  it('a failed execution fails the task with OOS status and message', async () => {
    await s.api('PUT', '/v1/services/edge-bad', { executor: { type: 'oos-package', packageName: 'nginx' }, targets: [{ id: 'i-p3' }] });
    s.cloud.world.packageFailures.set('i-p3', 'Cloud Assistant is not running on the instance');
    const r = await s.api('POST', '/v1/change-orders', plan('edge-bad', '1.26'));
    const o = await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done);
    expect(o.status).toBe('FAILED');
    expect(o.services[0].batches[0].tasks[0].message).toMatch(/^i-p3: install nginx 1\.26 failed \(Failed: Cloud Assistant is not running on the instance\) \[exec-/);
  });
});

describe('oos-package, restarted between start and poll', () => {
  it('finds its execution again: one StartExecution, one install', async () => {
    const bare = bareDeps(s.cloud);
    const svc = await registerBare(bare.store, { id: 'bare-pkg', executor: { type: 'oos-package', packageName: 'nginx' } }, [{ id: 'i-q1' }]);
    const task = taskFor(svc, 'i-q1', { version: 'nginx@1.26' });
    expect((await oosPackageExecutor(bare.deps()).start(task)).state).toBe('running');
    expect(await settle(() => oosPackageExecutor(bare.deps()).poll(task))).toMatchObject({ state: 'succeeded', fromVersion: 'nginx@uninstalled', toVersion: 'nginx@1.26' });
    expect(await oosPackageExecutor(bare.deps()).start(task)).toMatchObject({ state: 'succeeded' });
    expect(s.cloud.callsOf('StartExecution').filter((c) => c.instanceIds.includes('i-q1'))).toHaveLength(1);
    expect([...s.cloud.world.executions.values()].filter((x) => JSON.stringify(x.parameters).includes('i-q1'))).toHaveLength(1);
    await bare.close();
  });
});
