// ecs-image: a new system disk image per instance, the ESS template's way: EnterStandby → StopInstance →
// ReplaceSystemDisk(imageId) → StartInstance → wait Running → ExitStandby (Standby only on a scaling
// group). Each step is decided by what the cloud shows now (lifecycle state, instance status, image), and
// the step reached is recorded in the target's row; a call is made only after this attempt's claim on it
// was stored. A worker restarted between any two calls therefore neither repeats a call nor skips one.
// Rollback replaces the disk with `sourceImageId`, or the image the instance ran before.

import type { ServiceRecord } from '../store/store.ts';
import type { Executor, ExecutorDeps, TaskReport, TaskSpec } from './executor.ts';
import { clientToken, cloudConfig, pollMsOf, regionOf } from './cloud/config.ts';
import { ecsApi, type Ecs, type InstanceView } from './cloud/ecs.ts';
import { essApi } from './cloud/ess.ts';
import { clearStandby, discoverInService, essOrderHooks, markStandby, type EssConfig } from './cloud/ess-hooks.ts';
import { claimCall, loadTarget, putRun, releaseCall, runOf, type Run } from './cloud/progress.ts';
import { CloudError } from './cloud/retry.ts';
import { reportOf, settleRun } from './cloud/run-report.ts';

export interface EcsImageConfig extends EssConfig {
  type: 'ecs-image';
  /** the image a rollback returns to when the request gives none (else each instance's previous image) */
  sourceImageId?: string;
}

type Step = 'standby' | 'stop' | 'replace' | 'start' | 'exitStandby';

/** a claimed call whose effect is still not visible after this long is made again */
const STALE_CLAIM_MS = 60_000;

export function ecsImageExecutor(deps: ExecutorDeps): Executor {
  function ctx(service: ServiceRecord, task: TaskSpec) {
    const config = cloudConfig(service) as EcsImageConfig;
    const region = regionOf(config);
    const groupId = (task.artifact.scalingGroupId as string | undefined) ?? config.scalingGroupId;
    return { config, groupId, ecs: ecsApi(config, region, deps), ess: groupId ? essApi(config, region, deps) : undefined };
  }

  /** the image this task puts on the instance */
  function targetImage(task: TaskSpec, config: EcsImageConfig): string | undefined {
    if (task.action !== 'ROLLBACK') return task.version;
    return (task.artifact.sourceImageId as string | undefined) ?? config.sourceImageId ?? task.version;
  }

  function stepsOf(task: TaskSpec, standby: boolean): Step[] {
    const wrap = (s: Step[]): Step[] => (standby ? ['standby', ...s, 'exitStandby'] : s);
    switch (task.action) {
      case 'STOP':
        return ['stop'];
      case 'START':
        return ['start'];
      case 'RESTART':
        return wrap(['stop', 'start']);
      default:
        return wrap(['stop', 'replace', 'start']);
    }
  }

  async function describe(ecs: Ecs, id: string): Promise<InstanceView> {
    const x = (await ecs.instances([id])).get(id);
    if (!x) throw new CloudError('InvalidInstanceId.NotFound', `instance ${id} was not found in ${ecs.region}`);
    return x;
  }

  /** moves the attempt forward as far as the cloud lets it now */
  async function advance(task: TaskSpec, run: Run): Promise<TaskReport> {
    const { config, groupId, ecs, ess } = ctx(task.service, task);
    const id = task.targetId;
    const steps = stepsOf(task, Boolean(ess));
    const running = (why: string): TaskReport => ({ state: 'running', pollAfterMs: pollMsOf(config), message: `${id}: ${why}` });
    // a call is made only by the worker whose claim on it was stored; a claim whose call never reached
    // the cloud (a fault) is given back at once, so the next poll may try again
    const call = async (name: string, fn: () => Promise<unknown>): Promise<boolean> => {
      if (!(await claimCall(deps.fleet, task.service.id, id, task.idempotencyKey, name, deps.now(), STALE_CLAIM_MS))) return false;
      try {
        await fn();
        return true;
      } catch (e) {
        if (!(e instanceof CloudError)) await releaseCall(deps.fleet, task.service.id, id, task.idempotencyKey, name);
        throw e;
      }
    };
    const next = async (step: Step) => {
      const to = steps[steps.indexOf(step) + 1] ?? 'done';
      await putRun(deps.fleet, task.service.id, id, task.idempotencyKey, (r) => (r && (r.step ?? steps[0]) === step ? { ...r, step: to } : undefined));
      run = { ...run, step: to };
    };
    let x: InstanceView | undefined;
    try {
      for (let guard = 0; guard < 12; guard++) {
        const step = (run.step ?? steps[0]) as Step | 'done';
        if (step === 'done') {
          const image = !['STOP', 'START', 'RESTART'].includes(task.action);
          const changed = image ? run.from !== run.to : task.action !== 'RESTART';
          return settleRun(deps, task, run, { ok: true, changed, message: image ? `${id}: ${run.from} → ${run.to}` : `${id}: ${task.action} done`, from: run.from, to: run.to });
        }
        if (step === 'standby' || step === 'exitStandby') {
          const state = (await ess!.lifecycle(groupId!, [id])).get(id);
          if (step === 'standby' && state === 'Standby') {
            await next(step);
            continue;
          }
          if (step === 'standby' && state === 'InService') {
            const made = await call('EnterStandby', async () => {
              await markStandby(deps, task.service.id, id, task.orderId);
              await ess!.enterStandby(groupId!, [id]);
            });
            if (!made) return running('EnterStandby in progress');
            continue;
          }
          if (step === 'standby') {
            if (state === 'EnteringStandby') return running('entering Standby');
            throw new CloudError('IncorrectLifecycleState', `${id} is ${state ?? 'not in the scaling group'}, not In Service`);
          }
          if (state === 'InService') {
            await clearStandby(deps, task.service.id, id, task.orderId);
            await next(step);
            continue;
          }
          if (state === 'Standby') await call('ExitStandby', () => ess!.exitStandby(groupId!, [id]));
          return running(`leaving Standby (${state})`);
        }
        x = await describe(ecs, id);
        if (step === 'stop') {
          if (x.status === 'Stopped') {
            await next(step);
            continue;
          }
          if (x.status === 'Running') await call('StopInstance', () => ecs.rpc('StopInstance', { InstanceId: id }));
          return running(`stopping (${x.status})`);
        }
        if (step === 'replace') {
          if (x.imageId === run.to) {
            await next(step);
            continue;
          }
          // the ClientToken makes a repeated ReplaceSystemDisk of this attempt a no-op at the cloud as well
          if (x.status === 'Stopped') await call('ReplaceSystemDisk', () => ecs.rpc('ReplaceSystemDisk', { InstanceId: id, ImageId: run.to!, ClientToken: clientToken(task.idempotencyKey, 'replace') }));
          return running(`replacing the system disk with ${run.to} (${x.status})`);
        }
        if (x.status === 'Running') {
          await next(step);
          continue;
        }
        if (x.status === 'Stopped') await call('StartInstance', () => ecs.rpc('StartInstance', { InstanceId: id }));
        return running(`starting (${x.status})`);
      }
      return running(`at ${run.step}`);
    } catch (e) {
      if (!(e instanceof CloudError)) throw e;
      const image = x?.imageId;
      return settleRun(deps, task, run, { ok: false, changed: image !== undefined && image !== run.from, message: `${id} at step ${run.step ?? steps[0]}: ${e.message}`, from: run.from, to: image });
    }
  }

  return {
    type: 'ecs-image',
    async start(task) {
      const t = await loadTarget(deps.fleet, task.service.id, task.targetId);
      if (runOf(t, task.idempotencyKey)) return this.poll(task);
      const { config, ecs } = ctx(task.service, task);
      const to = targetImage(task, config);
      const changesImage = !['STOP', 'START', 'RESTART'].includes(task.action);
      if (changesImage && !to) return { state: 'failed', changed: false, message: `no image to put on ${task.targetId} (imageId, or sourceImageId for a rollback)` };
      let x: InstanceView;
      try {
        x = await describe(ecs, task.targetId);
      } catch (e) {
        if (e instanceof CloudError) return { state: 'failed', changed: false, message: e.message };
        throw e;
      }
      if (changesImage && x.imageId === to) return { state: 'succeeded', fromVersion: x.imageId, toVersion: to, changed: false, message: `${task.targetId} already runs ${to}` };
      const run: Run = { key: task.idempotencyKey, at: deps.now(), from: x.imageId, to: changesImage ? to : x.imageId };
      const row = await putRun(deps.fleet, task.service.id, task.targetId, task.idempotencyKey, (r) => r ?? run);
      return advance(task, runOf(row, task.idempotencyKey) ?? run);
    },
    async poll(task) {
      const run = runOf(await deps.fleet.getTarget(task.service.id, task.targetId), task.idempotencyKey);
      if (!run) return { state: 'unknown' };
      return reportOf(run) ?? advance(task, run);
    },
    async discover(service) {
      const found = await discoverInService(service, deps);
      if (!found?.length) return found;
      // what each instance runs now: the version a rollback returns to
      const config = cloudConfig(service) as EcsImageConfig;
      const images = await ecsApi(config, regionOf(config), deps).instances(found.map((t) => t.id));
      return found.map((t) => ({ ...t, version: images.get(t.id)?.imageId }));
    },
    ...essOrderHooks(deps),
  };
}
