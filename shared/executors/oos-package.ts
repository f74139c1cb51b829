// oos-package: an OOS extension (package) installed on or removed from each instance, one OOS execution
// per instance (StartExecution with the attempt's ClientToken, then ListExecutions until it ends). The
// version each instance had before is read from ListInstancePackageStates, so a rollback reinstalls it
// (or uninstalls a package that was not there). Version labels read `name@version` / `name@uninstalled`.

import type { ServiceRecord } from '../store/store.ts';
import type { Executor, ExecutorDeps, TaskReport, TaskSpec } from './executor.ts';
import { clientToken, cloudConfig, credentialsOf, endpointOf, pollMsOf, regionOf } from './cloud/config.ts';
import { discoverInService, essBatchHooks, essOrderHooks, type EssConfig } from './cloud/ess-hooks.ts';
import { loadTarget, putRun, runOf, type Run } from './cloud/progress.ts';
import { API_VERSIONS, rpcClient } from './cloud/rpc.ts';
import { CloudError } from './cloud/retry.ts';
import { reportOf, settleRun } from './cloud/run-report.ts';

export interface OosPackageConfig extends EssConfig {
  type: 'oos-package';
  /** the package plan items install (an ESS request names its own) */
  packageName?: string;
  /** the OOS template that installs packages (public template; its parameters per the vendor's page) */
  templateName?: string;
  /** the RAM role OOS assumes; empty: OOS's own default */
  assumeRole?: string;
}

export const PACKAGE_TEMPLATE = 'ACS-ECS-BulkyConfigureOOSPackageWithTemporaryURL';
const UNINSTALLED = 'uninstalled';
const RUNNING = new Set(['Started', 'Queued', 'Running', 'Waiting', 'Pending']);

interface Want {
  name: string;
  version: string;
  action: 'install' | 'uninstall';
}

/** what this task wants on the instance, from its version label (or the plan's version) */
function wantOf(task: TaskSpec, config: OosPackageConfig): Want | string {
  const a = task.artifact as { packageName?: string; action?: string };
  const label = task.version;
  if (!label) return task.action === 'ROLLBACK' ? 'no previous package version was recorded for this instance' : `${task.action} is not a package change; deploy a version`;
  const at = label.lastIndexOf('@');
  const name = at > 0 ? label.slice(0, at) : (a.packageName ?? config.packageName);
  const version = at > 0 ? label.slice(at + 1) : label;
  if (!name) return `service ${task.service.id} names no package (executor.packageName)`;
  return { name, version, action: version === UNINSTALLED ? 'uninstall' : 'install' };
}

export function oosPackageExecutor(deps: ExecutorDeps): Executor {
  function ctx(service: ServiceRecord) {
    const config = cloudConfig(service) as OosPackageConfig;
    const region = regionOf(config);
    return { config, region, rpc: rpcClient(endpointOf('oos', config, deps), API_VERSIONS.oos, credentialsOf(deps)) };
  }

  async function installed(task: TaskSpec, name: string): Promise<string> {
    const { rpc, region } = ctx(task.service);
    const r = await rpc('ListInstancePackageStates', { RegionId: region, InstanceId: task.targetId, TemplateNames: JSON.stringify([name]) });
    const hit = (r.PackageStates ?? []).find((p: { TemplateName: string }) => p.TemplateName === name) as { TemplateVersion?: string } | undefined;
    return `${name}@${hit?.TemplateVersion ?? UNINSTALLED}`;
  }

  async function execute(task: TaskSpec, run: Run): Promise<TaskReport> {
    const { config, region, rpc } = ctx(task.service);
    const want = run.data as unknown as Want;
    const oosRole = (task.artifact.OOSAssumeRole as string | undefined) || config.assumeRole || undefined;
    const parameters = {
      regionId: region,
      packageName: want.name,
      packageVersion: want.action === 'install' ? want.version : '',
      action: want.action,
      targets: { Type: 'ResourceIds', ResourceIds: [task.targetId], RegionId: region },
      rateControl: { Mode: 'Concurrency', MaxErrors: 0, Concurrency: 1 },
      ...(oosRole ? { OOSAssumeRole: oosRole } : {}),
    };
    let executionId: string;
    try {
      const r = await rpc('StartExecution', { RegionId: region, TemplateName: config.templateName ?? PACKAGE_TEMPLATE, Parameters: JSON.stringify(parameters), Mode: 'Automatic', ClientToken: clientToken(task.idempotencyKey) });
      executionId = r.Execution.ExecutionId;
    } catch (e) {
      if (e instanceof CloudError) return settleRun(deps, task, run, { ok: false, changed: false, message: e.message });
      throw e;
    }
    await putRun(deps.fleet, task.service.id, task.targetId, task.idempotencyKey, (r) => (r && !r.ref ? { ...r, ref: executionId } : undefined));
    return observe(task, { ...run, ref: executionId });
  }

  async function observe(task: TaskSpec, run: Run): Promise<TaskReport> {
    const { config, region, rpc } = ctx(task.service);
    const r = await rpc('ListExecutions', { RegionId: region, ExecutionId: run.ref });
    const x = (r.Executions ?? [])[0] as { Status: string; StatusMessage?: string } | undefined;
    if (!x || RUNNING.has(x.Status)) return { state: 'running', pollAfterMs: pollMsOf(config), message: `${run.ref}: ${x?.Status ?? 'not visible yet'}` };
    const ok = x.Status === 'Success';
    const want = run.data as unknown as Want;
    const now = ok ? run.to : await installed(task, want.name);
    const what = `${want.action} ${want.name}${want.action === 'install' ? ` ${want.version}` : ''}`;
    return settleRun(deps, task, run, { ok, changed: ok || now !== run.from, message: `${task.targetId}: ${what} ${ok ? 'succeeded' : `failed (${x.Status}${x.StatusMessage ? `: ${x.StatusMessage}` : ''})`} [${run.ref}]`, from: run.from, to: now });
  }

  return {
    type: 'oos-package',
    async start(task) {
      const t = await loadTarget(deps.fleet, task.service.id, task.targetId);
      if (runOf(t, task.idempotencyKey)) return this.poll(task);
      const want = wantOf(task, cloudConfig(task.service) as OosPackageConfig);
      if (typeof want === 'string') return { state: 'failed', changed: false, message: want };
      let from: string;
      try {
        from = await installed(task, want.name);
      } catch (e) {
        if (e instanceof CloudError) return { state: 'failed', changed: false, message: e.message };
        throw e;
      }
      const to = `${want.name}@${want.version}`;
      if (from === to) return { state: 'succeeded', fromVersion: from, toVersion: to, changed: false, message: `${task.targetId} already has ${to}` };
      const run: Run = { key: task.idempotencyKey, at: deps.now(), from, to, data: { ...want } };
      const row = await putRun(deps.fleet, task.service.id, task.targetId, task.idempotencyKey, (r) => r ?? run);
      return execute(task, runOf(row, task.idempotencyKey) ?? run);
    },
    async poll(task) {
      const run = runOf(await deps.fleet.getTarget(task.service.id, task.targetId), task.idempotencyKey);
      if (!run) return { state: 'unknown' };
      return reportOf(run) ?? (run.ref ? observe(task, run) : execute(task, run));
    },
    discover: (service) => discoverInService(service, deps),
    ...essOrderHooks(deps),
    ...essBatchHooks(deps),
  };
}
