// fc-alias: FC traffic shifting. The alias moves from its stable version to the new one in steps: each
// step is a target (`<function>:<alias>:<percent>`, found by discovery from `weights`), each in its own
// batch, so canary gates, health checks and bake times apply between steps. A step sets
// additionalVersionWeight (100 %: the new version becomes the alias's main version). A rollback sends all
// traffic back to the stable version; every step's rollback converges on the same state, so they may run
// in any order. UpdateAlias sets a state, so repeating it is harmless; the state before each step is
// recorded first, so a worker restarted mid-step reports the right fromVersion and changes nothing twice.

import type { ServiceRecord } from '../store/store.ts';
import type { Executor, ExecutorDeps, TaskReport, TaskSpec } from './executor.ts';
import { cloudConfig, credentialsOf, endpointOf, regionOf, type CloudServiceConfig } from './cloud/config.ts';
import { fc2Aliases, fc3Aliases, formatRoute, parseRoute, type AliasApi, type AliasRoute } from './cloud/fc-alias-api.ts';
import { loadTarget, putRun, runOf, type Run } from './cloud/progress.ts';
import { CloudError } from './cloud/retry.ts';
import { reportOf, settleRun } from './cloud/run-report.ts';

export interface FcAliasConfig extends CloudServiceConfig {
  type: 'fc-alias';
  /** FC 3.0 function (or, with apiVersion 2.0, the FC 2.0 service) whose alias shifts */
  functionName?: string;
  aliasName?: string;
  /** the steps, in percent of traffic on the new version (the last one should be 100) */
  weights?: number[];
  accountId?: string;
  apiVersion?: '3.0' | '2.0';
}

/** a step target: `<owner>:<alias>:<percent>` (percent 100 when absent) */
export function parseStep(targetId: string): { owner: string; alias: string; percent: number } | undefined {
  const [owner, alias, percent] = targetId.split(':');
  if (!owner || !alias) return undefined;
  const p = percent === undefined ? 100 : Number(percent);
  return Number.isFinite(p) && p > 0 && p <= 100 ? { owner, alias, percent: p } : undefined;
}

const shareOf = (route: AliasRoute, version: string): number => (route.versionId === version ? 100 : Math.round((route.weights[version] ?? 0) * 100));

export function fcAliasExecutor(deps: ExecutorDeps): Executor {
  function api(service: ServiceRecord): AliasApi {
    const config = cloudConfig(service) as FcAliasConfig;
    const region = regionOf(config);
    const creds = credentialsOf(deps);
    if (config.apiVersion === '2.0') {
      const accountId = config.accountId ?? process.env.ALIBABA_CLOUD_ACCOUNT_ID;
      if (!accountId) throw new CloudError('MissingAccountId', 'FC 2.0 needs accountId in the service configuration (or ALIBABA_CLOUD_ACCOUNT_ID)');
      const explicit = config.endpoints?.fc ?? config.endpoint ?? deps.endpoints?.fc ?? (process.env.CHANGEFLOW_FC_ENDPOINT || process.env.CHANGEFLOW_CLOUD_ENDPOINT || undefined);
      return fc2Aliases(explicit, accountId, region, creds);
    }
    return fc3Aliases(endpointOf('fc', config, deps), region, creds);
  }

  /** the route this task wants, given the alias's route when the attempt began */
  function wanted(task: TaskSpec, before: AliasRoute, percent: number): AliasRoute | string {
    if (task.action === 'ROLLBACK') {
      // back to the stable version: the main version of the route recorded before the step
      const stable = task.version ? parseRoute(task.version).versionId : undefined;
      return stable ? { versionId: stable, weights: {} } : 'no stable version was recorded to roll back to';
    }
    const next = task.version;
    if (!next || !/^\d+$/.test(next)) return `set version: to the FC function version to shift to (got ${JSON.stringify(next ?? null)})`;
    if (percent >= 100) return { versionId: next, weights: {} };
    const stable = before.versionId === next ? Object.keys(before.weights)[0] : before.versionId;
    if (!stable) return `${task.targetId}: the alias already sends everything to ${next}`;
    return { versionId: stable, weights: { [next]: percent / 100 } };
  }

  async function apply(task: TaskSpec, run: Run): Promise<TaskReport> {
    const step = parseStep(task.targetId)!;
    const fc = api(task.service);
    try {
      const now = await fc.get(step.owner, step.alias);
      // UpdateAlias sets a state: when the alias already shows it, the call was made before a restart
      if (formatRoute(now) !== run.to) await fc.update(step.owner, step.alias, parseRoute(run.to!));
      return settleRun(deps, task, run, { ok: true, changed: true, message: `${step.owner}/${step.alias}: ${run.from} → ${run.to}`, from: run.from, to: run.to });
    } catch (e) {
      if (!(e instanceof CloudError)) throw e;
      return settleRun(deps, task, run, { ok: false, changed: false, message: `${step.owner}/${step.alias}: ${e.message}`, from: run.from });
    }
  }

  return {
    type: 'fc-alias',
    async start(task) {
      const step = parseStep(task.targetId);
      if (!step) return { state: 'failed', changed: false, message: `target ${task.targetId} is not <function>:<alias>[:<percent>]` };
      const t = await loadTarget(deps.fleet, task.service.id, task.targetId);
      if (runOf(t, task.idempotencyKey)) return this.poll(task);
      let before: AliasRoute;
      try {
        before = await api(task.service).get(step.owner, step.alias);
      } catch (e) {
        if (e instanceof CloudError) return { state: 'failed', changed: false, message: `${step.owner}/${step.alias}: ${e.message}` };
        throw e;
      }
      const want = wanted(task, before, step.percent);
      if (typeof want === 'string') return { state: 'failed', changed: false, message: want };
      const from = formatRoute(before);
      const to = formatRoute(want);
      // never shift back: a later step already took this one's place
      const ahead = task.action !== 'ROLLBACK' && task.version !== undefined && shareOf(before, task.version) >= step.percent;
      if (from === to || ahead) return { state: 'succeeded', fromVersion: from, toVersion: from, changed: false, message: `${step.owner}/${step.alias} already at ${from}` };
      const run: Run = { key: task.idempotencyKey, at: deps.now(), from, to };
      const row = await putRun(deps.fleet, task.service.id, task.targetId, task.idempotencyKey, (r) => r ?? run);
      return apply(task, runOf(row, task.idempotencyKey) ?? run);
    },
    async poll(task) {
      const run = runOf(await deps.fleet.getTarget(task.service.id, task.targetId), task.idempotencyKey);
      if (!run) return { state: 'unknown' };
      return reportOf(run) ?? apply(task, run);
    },
    async discover(service) {
      const c = cloudConfig(service) as FcAliasConfig;
      if (!c.functionName || !c.aliasName) return undefined;
      const weights = [...new Set(c.weights ?? [100])].sort((a, b) => a - b);
      return weights.map((w) => ({ id: `${c.functionName}:${c.aliasName}:${w}`, labels: [`weight=${w}`] }));
    },
  };
}
