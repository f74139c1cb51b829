// No access key, secret, token or signature in any task message, event, log line or response — even when
// the cloud's own error repeats the signed request (SignatureDoesNotMatch quotes the string to sign).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { done, startCloudServer, type CloudServer } from './harness.ts';

let s: CloudServer;
beforeAll(async () => {
  s = await startCloudServer({ opsMs: 10 });
  s.cloud.world.addInstance('i-red1');
  s.cloud.world.addInstance('i-red2');
  s.cloud.world.addGroup('asg-red', [{ id: 'i-red3' }]);
  s.cloud.world.addFunction('fn-red', ['1', '2'], { prod: { versionId: '1', weights: {} } });
});
afterAll(async () => s.close());

const plan = (service: string, version = '2') => `comment: redaction\ndeployPlanItems:\n  - serviceId: ${service}\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/x.zip\n    version: "${version}"\n    maxErrors: 5\n`;

function leaks(text: string): string[] {
  const c = s.cloud.credentials;
  const found: string[] = [];
  for (const [name, v] of Object.entries({ accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken!, wrongSecret: 'wrong-secret-value-42' })) {
    if (text.includes(v) || text.includes(encodeURIComponent(v))) found.push(name);
  }
  if (/(Signature|SecurityToken|AccessKeyId)(=|%3D|%253D)(?!\*\*\*)[A-Za-z0-9%+/]/.test(text)) found.push('signed parameter');
  return found;
}

describe('redaction', () => {
  it('scans every response, event, task message and log line of failing cloud calls', async () => {
    await s.api('PUT', '/v1/services/red-cmd', { executor: { type: 'ecs-command', script: 'echo hi' }, targets: [{ id: 'i-red1' }] });
    await s.api('PUT', '/v1/services/red-fc', { executor: { type: 'fc-alias', functionName: 'fn-red', aliasName: 'prod' } });
    await s.api('PUT', '/v1/services/red-flaky', { executor: { type: 'ecs-command', script: 'echo hi' }, targets: [{ id: 'i-red2' }] });

    // a transient fault that outlasts the retries: logged as an executor fault, then it clears
    s.cloud.inject({ action: 'RunCommand', instanceId: 'i-red2', code: 'ServiceUnavailable', status: 503, message: `temporarily unavailable for AccessKeyId=${s.cloud.credentials.accessKeyId}` });
    const flaky = (await s.api('POST', '/v1/change-orders', plan('red-flaky'))).body.changeOrderId;
    const end = Date.now() + 5000;
    while (!s.logs.some((l) => l.includes('executor fault')) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    s.cloud.clearInjections();
    expect((await s.waitFor(`/v1/change-orders/${flaky}`, done)).status).toBe('SUCCEEDED');

    // the secret goes bad (a rotated key): every call is refused with the cloud's own error
    const good = process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = 'wrong-secret-value-42';
    try {
      const ids = [];
      for (const svc of ['red-cmd', 'red-fc']) {
        const r = await s.api('POST', '/v1/change-orders', plan(svc));
        expect(r.status).toBe(201);
        ids.push(r.body.changeOrderId);
      }
      const ess = await s.api('POST', '/v1/change-orders', { TemplateName: 'ACS-ESS-RollingUpdateByRunCommandInScalingGroup', Parameters: { invokeType: 'invoke', scalingGroupId: 'asg-red', invokeScript: 'echo hi' } });
      expect(ess.status).toBe(400);
      expect(ess.body.error.issues[0].message).toContain('SignatureDoesNotMatch: Specified signature is not matched with our calculation');
      for (const id of ids) {
        const o = await s.waitFor(`/v1/change-orders/${id}`, done);
        expect(o.status).toBe('PARTIAL'); // maxErrors 5 tolerates the failure
        expect(o.services[0].batches[0].tasks[0].message).toMatch(/SignatureDoesNotMatch/);
        await s.api('GET', `/v1/change-orders/${id}/events`);
        await s.api('GET', `/v1/change-orders/${id}?view=edas`);
        await s.api('GET', `/v1/change-orders/${id}/report`);
      }
      await s.api('GET', `/v1/change-orders/${flaky}/events`);
    } finally {
      process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = good;
    }
    const cmdMessage = s.bodies.find((b) => b.includes('RunCommand: SignatureDoesNotMatch'));
    expect(cmdMessage).toContain('string to sign is (omitted)'); // the signed request (script, parameters) is not repeated
    expect(s.logs.some((l) => l.includes('ServiceUnavailable'))).toBe(true);
    const everything = [...s.bodies, ...s.logs];
    expect(everything.length).toBeGreaterThan(10);
    for (const text of everything) expect(leaks(text), text.slice(0, 400)).toEqual([]);
  });
});
