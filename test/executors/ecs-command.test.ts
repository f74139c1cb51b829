// ecs-command through the real pop-core client against the fake cloud.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecsCommandExecutor } from '../../shared/executors/ecs-command.ts';
import { ExecutorFault } from '../../shared/executors/executor.ts';
import { bareDeps, done, registerBare, settle, startCloudServer, taskFor, type CloudServer } from './harness.ts';

let s: CloudServer;
beforeAll(async () => {
  s = await startCloudServer({ opsMs: 10 });
  for (const id of ['i-c1', 'i-c2', 'i-c3', 'i-r1', 'i-x1', 'i-x2']) s.cloud.world.addInstance(id);
});
afterAll(async () => s.close());

const plan = (service: string, extra = '') => `comment: cmd\ndeployPlanItems:\n  - serviceId: ${service}\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/app-2.0.tgz\n    version: "2.0"\n${extra}`;
const service = (targets: string[]) => ({
  executor: { type: 'ecs-command', script: 'echo deploying {{version}} from {{httpSrcUri}}\n', rollbackScript: 'echo rolling back\n' },
  targets: targets.map((id) => ({ id, version: '1.0' })),
});

describe('ecs-command over the API', () => {
  it('runs the script on each instance with its parameters; a failure carries exit code and output; rollback runs rollbackScript', async () => {
    expect((await s.api('PUT', '/v1/services/app-cmd', service(['i-c1', 'i-c2', 'i-c3']))).status).toBe(201);
    s.cloud.world.commandOutcomes.set('i-c2', { exitCode: 3, output: 'No space left on device\n' });
    const r = await s.api('POST', '/v1/change-orders', plan('app-cmd', '    onFailure: pause\n'));
    const id = r.body.changeOrderId;
    const paused = await s.waitFor(`/v1/change-orders/${id}`, (o) => o.status === 'FAILURE_PAUSED' && o.services[0].batches[0].tasks.every((t: { status: string }) => t.status !== 'RUNNING'));
    const [t1, t2] = paused.services[0].batches[0].tasks;
    expect(t1).toMatchObject({ status: 'SUCCEEDED', fromVersion: '1.0', toVersion: '2.0' });
    expect(t1.message).toContain('exit 0: deploying 2.0 from https://example.com/app-2.0.tgz');
    expect(t2.status).toBe('FAILED');
    expect(t2.message).toContain('exit 3');
    expect(t2.message).toContain('No space left on device');
    const contents = [...s.cloud.world.invocations.values()].map((x) => x.content);
    expect(contents).toEqual(Array(3).fill('echo deploying 2.0 from https://example.com/app-2.0.tgz\n'));

    s.cloud.world.commandOutcomes.delete('i-c2'); // the disk was cleaned up
    const rb = await s.api('POST', `/v1/change-orders/${id}/rollback`, {});
    expect(rb.status).toBe(200);
    const back = await s.waitFor(`/v1/change-orders/${rb.body.rollbackChangeOrderId}`, done);
    expect(back.status).toBe('SUCCEEDED');
    // the failed instance ran its script too: it is rolled back with the others
    expect(back.services[0].batches.flatMap((b: { tasks: { targetId: string }[] }) => b.tasks.map((t) => t.targetId)).sort()).toEqual(['i-c1', 'i-c2', 'i-c3']);
    expect([...s.cloud.world.invocations.values()].slice(3).map((x) => x.content)).toEqual(Array(3).fill('echo rolling back\n'));
  });

  it('throttling is retried inside the call', async () => {
    await s.api('PUT', '/v1/services/app-throttled', service(['i-r1']));
    s.cloud.inject({ action: 'RunCommand', times: 2, code: 'Throttling.User', message: 'Request was denied due to user flow control.' });
    const r = await s.api('POST', '/v1/change-orders', plan('app-throttled'));
    expect((await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, done)).status).toBe('SUCCEEDED');
    const attempts = s.cloud.calls.filter((c) => c.action === 'RunCommand' && c.instanceIds.includes('i-r1'));
    expect(attempts.map((c) => c.code ?? 'ok')).toEqual(['Throttling.User', 'Throttling.User', 'ok']);
  });
});

describe('ecs-command, one executor at a time', () => {
  it('a worker restarted between start and poll finds the invocation: one RunCommand, one run', async () => {
    const bare = bareDeps(s.cloud);
    const svc = await registerBare(bare.store, { id: 'bare-cmd', executor: { type: 'ecs-command', script: 'echo hi\n' } }, [{ id: 'i-x1', version: '1' }]);
    const task = taskFor(svc, 'i-x1', { version: '2' });
    const first = await ecsCommandExecutor(bare.deps()).start(task);
    expect(first.state).toBe('running');
    const after = await settle(() => ecsCommandExecutor(bare.deps()).poll(task)); // a new process, the same store
    expect(after).toMatchObject({ state: 'succeeded', fromVersion: '1', toVersion: '2', changed: true });
    expect(s.cloud.callsOf('RunCommand').filter((c) => c.instanceIds.includes('i-x1'))).toHaveLength(1);
    // a repeated start of the same attempt changes nothing
    expect(await ecsCommandExecutor(bare.deps()).start(task)).toMatchObject({ state: 'succeeded' });
    expect(s.cloud.callsOf('RunCommand').filter((c) => c.instanceIds.includes('i-x1'))).toHaveLength(1);
    await bare.close();
  });

  it('a crash after RunCommand but before its InvokeId was recorded: the same ClientToken, the same invocation', async () => {
    const bare = bareDeps(s.cloud);
    const svc = await registerBare(bare.store, { id: 'bare-cmd2', executor: { type: 'ecs-command', script: 'echo hi\n' } }, [{ id: 'i-x2' }]);
    const task = taskFor(svc, 'i-x2', { version: '2' });
    await ecsCommandExecutor(bare.deps()).start(task);
    const row = (await bare.store.getTarget('bare-cmd2', 'i-x2'))!;
    const runs = row.state.runs as Record<string, { ref?: string }>;
    delete runs[task.idempotencyKey].ref; // as if the process died before writing it
    await bare.store.updateTarget({ ...row, state: { runs } }, row.rev);
    expect(await settle(() => ecsCommandExecutor(bare.deps()).poll(task))).toMatchObject({ state: 'succeeded' });
    const calls = s.cloud.calls.filter((c) => c.action === 'RunCommand' && c.instanceIds.includes('i-x2'));
    expect(calls).toHaveLength(2);
    expect(calls[0].params.ClientToken).toBe(calls[1].params.ClientToken);
    expect([...s.cloud.world.invocations.values()].filter((x) => x.instanceId === 'i-x2')).toHaveLength(1);
    await bare.close();
  });

  it('a cloud that stays unavailable is an ExecutorFault (the engine counts it towards SYSTEM_ERROR)', async () => {
    const bare = bareDeps(s.cloud);
    const svc = await registerBare(bare.store, { id: 'bare-cmd3', executor: { type: 'ecs-command', script: 'echo hi\n' } }, [{ id: 'i-x1' }]);
    s.cloud.inject({ action: 'RunCommand', instanceId: 'i-x1', code: 'ServiceUnavailable', message: 'The request has failed due to a temporary failure of the server.', status: 503 });
    const err = await ecsCommandExecutor(bare.deps()).start(taskFor(svc, 'i-x1', { version: '3', idempotencyKey: 'co-test/fault/1' })).catch((e) => e);
    s.cloud.clearInjections();
    expect(err).toBeInstanceOf(ExecutorFault);
    expect(err.message).toMatch(/^RunCommand: ServiceUnavailable: The request has failed .* \(still failing after 4 attempts\)$/);
    await bare.close();
  });
});
