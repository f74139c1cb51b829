// Seed 002's three requests, verbatim, against the fake cloud (image, script, package), and their rollback
// forms: verbatim they name an OOS execution changeflow never ran; with a changeflow change order id they
// roll back exactly what that order changed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { done, startCloudServer, type CloudServer } from './harness.ts';
import { IMAGE_INVOKE, IMAGE_ROLLBACK, PACKAGE_INVOKE, PACKAGE_ROLLBACK, SCRIPT_INVOKE, SCRIPT_ROLLBACK } from '../support/seed002.ts';

const GROUP = 'asg-bp18p2yfxow2dloq****';
const OLD = 'centos_7_8_x64_20G_alibase_20200717.vhd';
const NEW = 'aliyun_2_1903_x64_20G_alibase_20200529.vhd';
const IDS = ['i-bp1a', 'i-bp1b', 'i-bp1c', 'i-bp1d'];

let s: CloudServer;
beforeAll(async () => {
  s = await startCloudServer({ opsMs: 10 });
  const w = s.cloud.world;
  w.addGroup(GROUP, [...IDS.map((id) => ({ id, imageId: OLD })), { id: 'i-bp1standby', lifecycle: 'Standby', imageId: OLD }]);
  w.images.add(NEW);
  w.packageVersions.set('wordpress', new Set(['v3', 'v4']));
  for (const id of [...IDS, 'i-bp1standby']) w.instance(id)!.packages.wordpress = 'v3';
});
afterAll(async () => s.close());

const run = async (request: unknown) => {
  const r = await s.api('POST', '/v1/change-orders', request);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done);
};
const rollbackOf = (request: { TemplateName: string; Parameters: string }, sourceExecutionId: string) => ({
  TemplateName: request.TemplateName,
  Parameters: request.Parameters.replace(/"sourceExecutionId": "[^"]*"/, `"sourceExecutionId": "${sourceExecutionId}"`),
});
const standbyAlone = () => expect([...s.cloud.world.groups.get(GROUP)!.lifecycle].filter(([, x]) => x === 'Standby').map(([i]) => i)).toEqual(['i-bp1standby']);

describe('seed 002 verbatim', () => {
  it('image update: two batches on the In Service instances, then its rollback to the source image', async () => {
    const o = await run(IMAGE_INVOKE);
    expect(o).toMatchObject({ status: 'SUCCEEDED', origin: 'ess' });
    expect(o.services[0]).toMatchObject({ executor: 'ecs-image', serviceId: GROUP });
    expect(o.services[0].batches.map((b: { tasks: { targetId: string }[] }) => b.tasks.map((t) => t.targetId))).toEqual([IDS.slice(0, 2), IDS.slice(2)]);
    expect(IDS.map((i) => s.cloud.world.instance(i)!.imageId)).toEqual(Array(4).fill(NEW));
    expect(s.cloud.world.instance('i-bp1standby')!.imageId).toBe(OLD);
    standbyAlone();

    const verbatim = await s.api('POST', '/v1/change-orders', IMAGE_ROLLBACK);
    expect(verbatim.status).toBe(404);
    expect(verbatim.body.error.message).toContain('exec-83dba59be77d430****');
    const rb = await run(rollbackOf(IMAGE_ROLLBACK, o.changeOrderId));
    expect(rb).toMatchObject({ status: 'SUCCEEDED', type: 'rollback', sourceChangeOrderId: o.changeOrderId });
    expect(IDS.map((i) => s.cloud.world.instance(i)!.imageId)).toEqual(Array(4).fill(OLD));
    standbyAlone();
    expect(s.cloud.world.groups.get(GROUP)!.suspended).toEqual([]);
  });

  it('script run: Cloud Assistant on every In Service instance, each batch in Standby, then the rollback script', async () => {
    const before = s.cloud.world.invocations.size;
    const o = await run(SCRIPT_INVOKE);
    expect(o.status).toBe('SUCCEEDED');
    expect(o.services[0].executor).toBe('ecs-command');
    const runs = [...s.cloud.world.invocations.values()].slice(before);
    expect(runs.map((x) => [x.instanceId, x.content])).toEqual(IDS.map((i) => [i, 'df -h\nifconfig']));
    // per batch: Standby in, the command, Standby out
    const calls = s.cloud.callsOf('EnterStandby', 'RunCommand', 'ExitStandby');
    const batch1 = calls.filter((c) => c.instanceIds.some((i) => IDS.slice(0, 2).includes(i))).map((c) => c.action);
    expect(batch1.slice(-4)).toEqual(['EnterStandby', 'RunCommand', 'RunCommand', 'ExitStandby']);
    standbyAlone();

    const rb = await run(rollbackOf(SCRIPT_ROLLBACK, o.changeOrderId));
    expect(rb.status).toBe('SUCCEEDED');
    expect([...s.cloud.world.invocations.values()].slice(before + 4).map((x) => x.content)).toEqual(Array(4).fill('df -h\nifconfig'));
  });

  it('package install: wordpress v4 through OOS, then the rollback reinstalls what each instance had (v3)', async () => {
    const o = await run(PACKAGE_INVOKE);
    expect(o.status).toBe('SUCCEEDED');
    expect(o.services[0].batches[0].tasks[0]).toMatchObject({ fromVersion: 'wordpress@v3', toVersion: 'wordpress@v4' });
    expect(IDS.map((i) => s.cloud.world.instance(i)!.packages.wordpress)).toEqual(Array(4).fill('v4'));
    expect(s.cloud.world.instance('i-bp1standby')!.packages.wordpress).toBe('v3');
    const start = s.cloud.callsOf('StartExecution').at(-1)!;
    expect(JSON.parse(String(start.params.Parameters))).toMatchObject({ packageName: 'wordpress', packageVersion: 'v4', action: 'install', targets: { Type: 'ResourceIds', ResourceIds: [IDS[3]] } });
    standbyAlone();

    const rb = await run(rollbackOf(PACKAGE_ROLLBACK, o.changeOrderId));
    expect(rb.status).toBe('SUCCEEDED');
    expect(IDS.map((i) => s.cloud.world.instance(i)!.packages.wordpress)).toEqual(Array(4).fill('v3'));
    expect(s.cloud.world.groups.get(GROUP)!.suspended).toEqual([]);
  });

  it('the rollback forms are valid requests: a dry run names the source they would roll back', async () => {
    for (const req of [IMAGE_ROLLBACK, SCRIPT_ROLLBACK, PACKAGE_ROLLBACK]) {
      const r = await s.api('POST', '/v1/change-orders?dryRun=true', req);
      expect(r.status).toBe(200);
      expect(r.body.rollbackOf).toMatch(/^exec-/);
    }
  });
});
