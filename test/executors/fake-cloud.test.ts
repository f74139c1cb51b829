// The fake cloud itself: it checks each SDK's signature the way the cloud does, answers a repeated
// ClientToken with the first answer, and injects latency and failures.

import RPCClient from '@alicloud/pop-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fc2Aliases, fc3Aliases } from '../../shared/executors/cloud/fc-alias-api.ts';
import { CloudError } from '../../shared/executors/cloud/retry.ts';
import { startFakeCloud, type FakeCloud } from '../support/fake-cloud.ts';

let cloud: FakeCloud;
beforeAll(async () => {
  cloud = await startFakeCloud({ opsMs: 10 });
  cloud.world.addGroup('asg-f', [{ id: 'i-f1' }]);
  cloud.world.addFunction('fn', ['1', '2'], { prod: { versionId: '1', weights: {} } });
  process.env.CHANGEFLOW_CLOUD_RETRY_MS = '1';
});
afterAll(async () => cloud.close());

const client = (over: Record<string, string> = {}) => new RPCClient({ endpoint: cloud.url, apiVersion: '2014-08-28', ...cloud.credentials, ...over });
const call = (c: RPCClient, action: string, params: object, method = 'POST') => c.request<any>(action, params, { method, formatParams: false }).catch((e: any) => e);

describe('signatures', () => {
  it('RPC: a good signature is answered; a wrong secret gets the cloud\'s SignatureDoesNotMatch body; an unknown key InvalidAccessKeyId.NotFound', async () => {
    expect((await call(client(), 'DescribeScalingInstances', { ScalingGroupId: 'asg-f' })).TotalCount).toBe(1);
    expect((await call(client(), 'DescribeScalingInstances', { ScalingGroupId: 'asg-f' }, 'GET')).TotalCount).toBe(1);
    const wrong = await call(client({ accessKeySecret: 'not-the-secret' }), 'DescribeScalingInstances', { ScalingGroupId: 'asg-f' });
    expect(wrong.code).toBe('SignatureDoesNotMatch');
    expect(wrong.data).toMatchObject({ Code: 'SignatureDoesNotMatch', Message: expect.stringMatching(/^Specified signature is not matched with our calculation\. server string to sign is:POST&%2F&AccessKeyId%3D/) });
    expect(wrong.data.RequestId).toBeTruthy();
    expect((await call(client({ accessKeyId: 'LTAI-nobody' }), 'DescribeScalingInstances', { ScalingGroupId: 'asg-f' })).code).toBe('InvalidAccessKeyId.NotFound');
    expect((await call(client({ securityToken: 'stale' }), 'DescribeScalingInstances', { ScalingGroupId: 'asg-f' })).code).toBe('InvalidSecurityToken.Mismatch');
  });

  it('FC 3.0 (ACS3-HMAC-SHA256) and FC 2.0 (FC HMAC-SHA256) reject a wrong secret', async () => {
    expect(await fc3Aliases(cloud.url, 'cn-hangzhou', cloud.credentials).get('fn', 'prod')).toEqual({ versionId: '1', weights: {} });
    const bad = { ...cloud.credentials, accessKeySecret: 'nope' };
    const e3 = await fc3Aliases(cloud.url, 'cn-hangzhou', bad).get('fn', 'prod').catch((e) => e);
    expect(e3).toBeInstanceOf(CloudError);
    expect(e3.message).toMatch(/^GetAlias: SignatureDoesNotMatch: /);
    const e2 = await fc2Aliases(cloud.url, '123', 'cn-hangzhou', bad).get('fn', 'prod').catch((e) => e);
    expect(e2).toBeInstanceOf(CloudError);
    expect(e2.message).toMatch(/^GetAlias: SignatureNotMatch: /);
  });
});

describe('behaviour', () => {
  it('a repeated ClientToken is answered like the first call and changes nothing more', async () => {
    cloud.world.addInstance('i-tok');
    const ecs = client({ apiVersion: '2014-05-26' });
    const params = { RegionId: 'cn-hangzhou', Type: 'RunShellScript', CommandContent: Buffer.from('echo once').toString('base64'), ContentEncoding: 'Base64', InstanceId: ['i-tok'], ClientToken: 'tok-1' };
    const a = await call(ecs, 'RunCommand', params);
    const b = await call(ecs, 'RunCommand', params);
    expect(b.InvokeId).toBe(a.InvokeId);
    expect([...cloud.world.invocations.values()].filter((x) => x.instanceId === 'i-tok')).toHaveLength(1);
  });

  it('injected failures hit the matching calls, as many times as asked; latency delays every answer', async () => {
    cloud.inject({ action: 'DescribeScalingInstances', times: 1, code: 'Throttling.User', message: 'Request was denied due to user flow control.' });
    expect((await call(client(), 'DescribeScalingInstances', { ScalingGroupId: 'asg-f' })).code).toBe('Throttling.User');
    expect((await call(client(), 'DescribeScalingInstances', { ScalingGroupId: 'asg-f' })).TotalCount).toBe(1);
    cloud.setLatency(80);
    const t0 = Date.now();
    await call(client(), 'DescribeScalingInstances', { ScalingGroupId: 'asg-f' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(75);
    cloud.setLatency(0);
    const log = cloud.calls.filter((c) => c.action === 'DescribeScalingInstances');
    expect(log.every((c) => !('Signature' in c.params) && !('AccessKeyId' in c.params))).toBe(true);
  });
});
