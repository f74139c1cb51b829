// ecs-command: ECS Cloud Assistant. Each task runs one RunCommand on its instance, with the attempt's key
// as ClientToken (a repeated start after a crash gets the same InvokeId, not a second run), and polls
// DescribeInvocationResults; the exit code and the output's tail become the task message. A rollback runs
// `rollbackScript`. On a scaling group, the batch's instances are in Standby while their script runs.

import type { ServiceRecord } from '../store/store.ts';
import type { Executor, ExecutorDeps, TaskReport, TaskSpec } from './executor.ts';
import { clientToken, cloudConfig, pollMsOf, regionOf } from './cloud/config.ts';
import { ecsApi, tail } from './cloud/ecs.ts';
import { discoverInService, essBatchHooks, essOrderHooks, type EssConfig } from './cloud/ess-hooks.ts';
import { loadTarget, putRun, runOf, type Run } from './cloud/progress.ts';
import { CloudError } from './cloud/retry.ts';
import { reportOf, settleRun } from './cloud/run-report.ts';

export interface EcsCommandConfig extends EssConfig {
  type: 'ecs-command';
  commandType?: 'RunShellScript' | 'RunBatScript' | 'RunPowerShellScript';
  /** the deploy script for plan items; {{action}} {{version}} {{httpSrcUri}} {{compileRepoPath}} {{compileRepoBranch}} are filled in */
  script?: string;
  rollbackScript?: string;
  timeoutSeconds?: number;
  workingDir?: string;
  username?: string;
}

/** the Cloud Assistant record states that are final */
const FINAL = new Set(['Finished', 'Failed', 'Stopped', 'Terminated', 'Timeout', 'Error', 'Invalid', 'Aborted', 'Cancelled']);

interface Command {
  type: string;
  content: string;
  parameters?: Record<string, string>;
}

/** what to run for this task, or why there is nothing to run */
function commandFor(task: TaskSpec, config: EcsCommandConfig): Command | string {
  const a = task.artifact as { template?: string; invokeScript?: string; rollbackScript?: string; commandType?: string; httpSrcUri?: string; compileRepoPath?: string; compileRepoBranch?: string };
  const type = a.commandType ?? config.commandType ?? 'RunShellScript';
  if (task.action === 'ROLLBACK') {
    const script = a.rollbackScript ?? config.rollbackScript;
    return script ? { type, content: script } : 'no rollbackScript to roll back with (give one in the ESS request or the service configuration)';
  }
  if (a.invokeScript !== undefined) return { type, content: a.invokeScript };
  if (!config.script) return `service ${task.service.id} has no script for ${task.action} (executor.script)`;
  const values: Record<string, string | undefined> = { action: task.action, version: task.version, httpSrcUri: a.httpSrcUri, compileRepoPath: a.compileRepoPath, compileRepoBranch: a.compileRepoBranch };
  // Cloud Assistant fills {{name}} itself when EnableParameter is set; pass only the names the script uses
  const used = [...config.script.matchAll(/\{\{\s*([A-Za-z0-9_-]+)\s*\}\}/g)].map((m) => m[1]);
  const parameters = Object.fromEntries(used.map((k) => [k, values[k] ?? '']));
  return { type, content: config.script, ...(used.length ? { parameters } : {}) };
}

export function ecsCommandExecutor(deps: ExecutorDeps): Executor {
  const ctx = (service: ServiceRecord) => {
    const config = cloudConfig(service) as EcsCommandConfig;
    return { config, ecs: ecsApi(config, regionOf(config), deps) };
  };

  async function invoke(task: TaskSpec, run: Run): Promise<TaskReport> {
    const { config, ecs } = ctx(task.service);
    const cmd = commandFor(task, config);
    const fail = (message: string) => settleRun(deps, task, run, { ok: false, changed: false, message });
    if (typeof cmd === 'string') return fail(cmd);
    let invokeId: string;
    try {
      const r = await ecs.rpc<{ InvokeId: string }>('RunCommand', {
        RegionId: ecs.region,
        Name: `changeflow-${task.key.replace(/[^A-Za-z0-9-]/g, '-')}`.slice(0, 128),
        Type: cmd.type,
        CommandContent: Buffer.from(cmd.content, 'utf8').toString('base64'),
        ContentEncoding: 'Base64',
        InstanceId: [task.targetId],
        Timeout: config.timeoutSeconds ?? 600,
        WorkingDir: config.workingDir,
        Username: config.username,
        EnableParameter: cmd.parameters ? true : undefined,
        Parameters: cmd.parameters ? JSON.stringify(cmd.parameters) : undefined,
        ClientToken: clientToken(task.idempotencyKey),
      });
      invokeId = r.InvokeId;
    } catch (e) {
      if (e instanceof CloudError) return fail(e.message);
      throw e;
    }
    await putRun(deps.fleet, task.service.id, task.targetId, task.idempotencyKey, (r) => (r && !r.ref ? { ...r, ref: invokeId } : undefined));
    return observe(task, { ...run, ref: invokeId });
  }

  async function observe(task: TaskSpec, run: Run): Promise<TaskReport> {
    const { config, ecs } = ctx(task.service);
    const x = await ecs.invocation(run.ref!, task.targetId);
    if (!x || !FINAL.has(x.status)) return { state: 'running', pollAfterMs: pollMsOf(config), message: x ? `${x.status} (${run.ref})` : undefined };
    const ok = x.status === 'Finished' && x.exitCode === 0;
    const ran = x.exitCode !== undefined && x.exitCode !== null;
    const detail = [x.exitCode !== undefined && x.exitCode !== null ? `exit ${x.exitCode}` : x.status, x.errorCode && `${x.errorCode}: ${x.errorInfo ?? ''}`.trim(), tail(x.output)].filter(Boolean).join(': ');
    const result = { ok, changed: ok || ran, message: `${task.targetId} ${ok ? 'ran' : 'failed'} ${run.ref}: ${detail}`, from: run.from, to: ok ? run.to : undefined };
    return settleRun(deps, task, run, result);
  }

  return {
    type: 'ecs-command',
    async start(task) {
      const t = await loadTarget(deps.fleet, task.service.id, task.targetId);
      const known = runOf(t, task.idempotencyKey);
      if (known) return this.poll(task);
      const run: Run = { key: task.idempotencyKey, at: deps.now(), from: t.version === '0' ? undefined : t.version, to: task.version };
      const row = await putRun(deps.fleet, task.service.id, task.targetId, task.idempotencyKey, (r) => r ?? run);
      return invoke(task, runOf(row, task.idempotencyKey) ?? run);
    },
    async poll(task) {
      const run = runOf(await deps.fleet.getTarget(task.service.id, task.targetId), task.idempotencyKey);
      if (!run) return { state: 'unknown' };
      const done = reportOf(run);
      if (done) return done;
      // started but its InvokeId was never recorded (a crash right after RunCommand): the same ClientToken
      // returns the same invocation, so asking again changes nothing twice
      return run.ref ? observe(task, run) : invoke(task, run);
    },
    discover: (service) => discoverInService(service, deps),
    ...essOrderHooks(deps),
    ...essBatchHooks(deps),
  };
}
