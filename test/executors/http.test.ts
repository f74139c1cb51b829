// The http executor against the fake cloud's deploy endpoints.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpExecutor } from '../../shared/executors/http.ts';
import { bareDeps, done, registerBare, settle, startCloudServer, taskFor, type CloudServer } from './harness.ts';

let s: CloudServer;
beforeAll(async () => {
  s = await startCloudServer({ opsMs: 10 });
});
afterAll(async () => s.close());

const plan = (service: string, extra = '') => `comment: http\ndeployPlanItems:\n  - serviceId: ${service}\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/app-2.0.zip\n    version: "2.0"\n${extra}`;
const executor = () => ({ type: 'http', deployUrl: `${s.cloud.url}/targets/{target}/deploy`, healthUrl: `${s.cloud.url}/targets/{target}/{path}` });
const versions = (...ids: string[]) => ids.map((i) => s.cloud.world.http.versions.get(i));

describe('http over the API', () => {
  it('deploys with the artifact, checks health, retries a 503, and rolls back to each target\'s previous version', async () => {
    await s.api('PUT', '/v1/services/api-http', { executor: executor(), targets: [{ id: 'h-1', version: '1.0' }, { id: 'h-2', version: '1.1' }] });
    s.cloud.inject({ product: 'http', action: 'Deploy', times: 2, code: 'ServiceUnavailable', status: 503 });
    const r = await s.api('POST', '/v1/change-orders', plan('api-http', '    healthCheck: { type: http, path: /healthz }\n'));
    const o = await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done);
    expect(o.status).toBe('SUCCEEDED');
    expect(versions('h-1', 'h-2')).toEqual(['2.0', '2.0']);
    const deploys = s.cloud.calls.filter((c) => c.action === 'Deploy');
    expect(deploys.map((c) => c.status)).toEqual([503, 503, 202, 202]);
    expect(deploys[2].params).toMatchObject({ action: 'HTTP_UPLOAD_DEPLOY', version: '2.0', httpSrcUri: 'https://example.com/app-2.0.zip' });
    expect(s.cloud.calls.filter((c) => c.action === 'Health')).toHaveLength(2);

    const rb = await s.api('POST', `/v1/change-orders/${r.body.changeOrderId}/rollback`, {});
    expect((await s.waitFor(`/v1/change-orders/${rb.body.rollbackChangeOrderId}`, done)).status).toBe('SUCCEEDED');
    expect(versions('h-1', 'h-2')).toEqual(['1.0', '1.1']);
    expect(s.cloud.calls.filter((c) => c.action === 'Deploy' && c.params.action).slice(-2).map((c) => c.params.action)).toEqual(['ROLLBACK', 'ROLLBACK']);
  });

  it('a failed deployment fails the task with the endpoint\'s message; an unhealthy target fails its health check', async () => {
    await s.api('PUT', '/v1/services/api-bad', { executor: executor(), targets: [{ id: 'h-3' }, { id: 'h-4' }] });
    s.cloud.world.http.failing.add('h-3');
    s.cloud.world.http.unhealthy.add('h-4');
    const r = await s.api('POST', '/v1/change-orders', plan('api-bad', '    healthCheck: { type: http, path: /healthz, retries: 0 }\n    maxErrors: 5\n'));
    const o = await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done);
    expect(o.services[0].batches[0].tasks.map((t: { status: string; message: string }) => [t.status, t.message])).toEqual([
      ['FAILED', 'h-3: deploy script exited with 1'],
      ['FAILED', 'health check failed: GET /healthz on h-4 answered 503, expected 200'],
    ]);
  });
});

describe('http, restarted between start and poll', () => {
  it('polls the status URL of its key: one POST, one deployment', async () => {
    const bare = bareDeps(s.cloud);
    const svc = await registerBare(bare.store, { id: 'bare-http', executor: executor() }, [{ id: 'h-9', version: '1' }]);
    const task = taskFor(svc, 'h-9', { version: '3' });
    expect((await httpExecutor(bare.deps()).start(task)).state).toBe('running');
    expect(await settle(() => httpExecutor(bare.deps()).poll(task))).toMatchObject({ state: 'succeeded', fromVersion: '1', toVersion: '3' });
    expect(s.cloud.calls.filter((c) => c.action === 'Deploy' && c.params.target === 'h-9')).toHaveLength(1);
    await bare.close();
  });
});
