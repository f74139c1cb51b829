// Seed 003's rolling update end to end: the real HTTP API, the real SDK clients, the fake cloud.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { done, startCloudServer, type CloudServer } from './harness.ts';

const IMAGE = 'ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup';
const NEW_IMAGE = 'aliyun_2_1903_x64_20G_alibase_20200529.vhd';
const OLD_IMAGE = 'centos_7_8_x64_20G_alibase_20200717.vhd';
const ALL = ['ScaleIn', 'ScaleOut', 'HealthCheck', 'AlarmNotification', 'ScheduledAction'];
const MUTATING = ['SuspendProcesses', 'EnterStandby', 'StopInstance', 'ReplaceSystemDisk', 'StartInstance', 'ExitStandby', 'ResumeProcesses'];
const TEMPLATE_ORDER = ['EnterStandby', 'StopInstance', 'ReplaceSystemDisk', 'StartInstance', 'ExitStandby'];

let s: CloudServer;
beforeAll(async () => {
  s = await startCloudServer({ opsMs: 15 });
  s.cloud.world.images.add(NEW_IMAGE);
});
afterAll(async () => s.close());

/** a group of `n` In Service instances plus one in Standby that nothing may touch */
function group(id: string, n: number, suspended: string[] = []) {
  const members = Array.from({ length: n }, (_, i) => ({ id: `${id}-i${String(i + 1).padStart(2, '0')}`, imageId: OLD_IMAGE }));
  s.cloud.world.addGroup(id, [...members, { id: `${id}-standby`, lifecycle: 'Standby', imageId: OLD_IMAGE }], { suspended });
  return members.map((m) => m.id);
}

const imageRequest = (groupId: string, extra: Record<string, unknown> = {}) => ({
  TemplateName: IMAGE,
  Parameters: { invokeType: 'invoke', scalingGroupId: groupId, imageId: NEW_IMAGE, sourceImageId: OLD_IMAGE, enterProcess: ALL, exitProcess: ALL, batchNumber: 2, batchPauseOption: 'Automatic', ...extra },
});

const lifecycle = (groupId: string) => Object.fromEntries(s.cloud.world.groups.get(groupId)!.lifecycle);
const image = (id: string) => s.cloud.world.instance(id)!.imageId;
const callsFor = (groupId: string) => s.cloud.calls.filter((c) => c.status === 200 && MUTATING.includes(c.action) && (c.params.ScalingGroupId === groupId || c.instanceIds.some((i) => i.startsWith(groupId))));

describe('ESS rolling update (seed 003)', () => {
  it('10 In Service instances, batchNumber 2, FirstBatchPause: two batches of 5 in the template order, processes suspended then restored', async () => {
    const ids = group('asg-seed003', 10, ['ScheduledAction']);
    const dry = await s.api('POST', '/v1/change-orders?dryRun=true', imageRequest('asg-seed003', { batchPauseOption: 'FirstBatchPause' }));
    expect(dry.status).toBe(200);
    expect(dry.body.services[0].batches.map((b: { targets: string[] }) => b.targets)).toEqual([ids.slice(0, 5), ids.slice(5)]);

    const r = await s.api('POST', '/v1/change-orders', imageRequest('asg-seed003', { batchPauseOption: 'FirstBatchPause' }));
    expect(r.status).toBe(201);
    const id = r.body.changeOrderId;
    const paused = await s.waitFor(`/v1/change-orders/${id}`, (o) => o.status === 'WAITING_MANUAL');
    expect(paused.nextBatch).toBe(2);
    expect(ids.map(image)).toEqual([...Array(5).fill(NEW_IMAGE), ...Array(5).fill(OLD_IMAGE)]);
    expect(s.cloud.world.groups.get('asg-seed003')!.suspended.sort()).toEqual([...ALL].sort());
    expect(Object.values(lifecycle('asg-seed003')).filter((x) => x === 'Standby')).toHaveLength(1); // only the bystander

    // one rolling update per scaling group at a time
    const second = await s.api('POST', '/v1/change-orders', imageRequest('asg-seed003'));
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'ScopeLocked', holder: id });

    await s.api('POST', `/v1/change-orders/${id}/continue`, { batch: 2 });
    const o = await s.waitFor(`/v1/change-orders/${id}`, done);
    expect(o).toMatchObject({ status: 'SUCCEEDED', origin: 'ess' });
    expect(o.services[0].batches[0].tasks[0]).toMatchObject({ fromVersion: OLD_IMAGE, toVersion: NEW_IMAGE, status: 'SUCCEEDED' });
    expect(ids.map(image)).toEqual(Array(10).fill(NEW_IMAGE));
    expect(ids.map((i) => s.cloud.world.instance(i)!.status)).toEqual(Array(10).fill('Running'));
    expect(lifecycle('asg-seed003')).toEqual({ ...Object.fromEntries(ids.map((i) => [i, 'InService'])), 'asg-seed003-standby': 'Standby' });
    // ScheduledAction was suspended before the run: it stays suspended
    expect(s.cloud.world.groups.get('asg-seed003')!.suspended).toEqual(['ScheduledAction']);

    const calls = callsFor('asg-seed003');
    expect(calls.some((c) => c.instanceIds.includes('asg-seed003-standby'))).toBe(false);
    expect(calls[0].action).toBe('SuspendProcesses');
    expect(calls[0].params).toMatchObject({ 'Process.1': 'ScaleIn', 'Process.2': 'ScaleOut', 'Process.3': 'HealthCheck', 'Process.4': 'AlarmNotification' });
    expect(calls.at(-1)!.action).toBe('ResumeProcesses');
    expect(Object.values(calls.at(-1)!.params).filter((v) => v === 'ScheduledAction')).toEqual([]);
    for (const i of ids) expect(calls.filter((c) => c.instanceIds.includes(i)).map((c) => c.action)).toEqual(TEMPLATE_ORDER);
    const lastExitOfBatch1 = Math.max(...calls.filter((c) => c.action === 'ExitStandby' && ids.slice(0, 5).includes(c.instanceIds[0])).map((c) => c.seq));
    const firstEnterOfBatch2 = Math.min(...calls.filter((c) => c.action === 'EnterStandby' && ids.slice(5).includes(c.instanceIds[0])).map((c) => c.seq));
    expect(lastExitOfBatch1).toBeLessThan(firstEnterOfBatch2);

    // the order's own rollback: exactly these 10 back to the source image; a rollback of it is refused
    const rb = await s.api('POST', '/v1/change-orders', { TemplateName: IMAGE, Parameters: { invokeType: 'rollback', scalingGroupId: 'asg-seed003', sourceImageId: OLD_IMAGE, sourceExecutionId: id, batchNumber: 1 } });
    expect(rb.status).toBe(201);
    expect((await s.waitFor(`/v1/change-orders/${rb.body.changeOrderId}`, done)).status).toBe('SUCCEEDED');
    expect(ids.map(image)).toEqual(Array(10).fill(OLD_IMAGE));
    expect(s.cloud.world.instance('asg-seed003-standby')!.imageId).toBe(OLD_IMAGE);
    expect(s.cloud.world.groups.get('asg-seed003')!.suspended).toEqual(['ScheduledAction']);
    const again = await s.api('POST', '/v1/change-orders', { TemplateName: IMAGE, Parameters: { invokeType: 'rollback', scalingGroupId: 'asg-seed003', sourceExecutionId: rb.body.changeOrderId } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('RollbackNotAllowed');
  });

  it('a failure in batch 2 suspends the order; skip one, cancel another, abort: processes restored, nothing left in Standby', async () => {
    const ids = group('asg-fail02', 10);
    for (const i of ids.slice(6, 9)) s.cloud.inject({ action: 'ReplaceSystemDisk', instanceId: i, code: 'InvalidSystemDiskCategory.ValueNotSupported', message: 'The specified disk category is not supported by this instance type.', status: 403 });
    const r = await s.api('POST', '/v1/change-orders', imageRequest('asg-fail02'));
    const id = r.body.changeOrderId;
    const paused = await s.waitFor(`/v1/change-orders/${id}`, (o) => o.status === 'FAILURE_PAUSED' && o.services[0].batches[1].tasks.every((t: { status: string }) => t.status !== 'RUNNING'));
    const failed = paused.services[0].batches[1].tasks.filter((t: { status: string }) => t.status === 'FAILED');
    expect(failed.map((t: { targetId: string }) => t.targetId)).toEqual(ids.slice(6, 9));
    expect(failed[0].message).toContain('InvalidSystemDiskCategory.ValueNotSupported: The specified disk category is not supported');
    expect(ids.slice(6, 9).map((i) => lifecycle('asg-fail02')[i])).toEqual(['Standby', 'Standby', 'Standby']);

    expect((await s.api('POST', `/v1/change-orders/${id}/targets/${ids[6]}/skip`, {})).body.applied).toBe(true);
    expect((await s.api('POST', `/v1/change-orders/${id}/targets/${ids[7]}/cancel`, {})).body.applied).toBe(true);
    expect((await s.api('GET', `/v1/change-orders/${id}`)).body.status).toBe('FAILURE_PAUSED'); // ids[8] still failed
    await s.api('POST', `/v1/change-orders/${id}/abort`, {});
    const o = await s.waitFor(`/v1/change-orders/${id}`, done);
    expect(o.status).toBe('STOPPED');
    expect(Object.entries(lifecycle('asg-fail02')).filter(([, x]) => x === 'Standby').map(([i]) => i)).toEqual(['asg-fail02-standby']);
    expect(s.cloud.world.groups.get('asg-fail02')!.suspended).toEqual([]);
    const statuses = Object.fromEntries(o.services[0].batches[1].tasks.map((t: { targetId: string; status: string }) => [t.targetId, t.status]));
    expect([statuses[ids[6]], statuses[ids[7]], statuses[ids[8]]]).toEqual(['SKIPPED', 'CANCELLED', 'FAILED']);
  });
});
