// A validated submission + the registered services → the immutable OrderSpec the engine runs. Everything
// that depends on the fleet (which targets, which batches, which options after defaults) is settled here,
// once, at submission: a dry run shows exactly what will run, and a later change to the service does not
// alter an order already accepted.

import { createHash } from 'node:crypto';
import type { ItemSpec, OrderSpec, RollbackOptions } from '../engine/types.ts';
import type { ServiceRecord, TargetRecord } from '../store/store.ts';
import { filterByLabels, parseLabels, splitBatches } from './batches.ts';
import { ESS_TEMPLATES } from './ess.ts';
import { rolloutOptionsSchema, type RolloutOptions } from './fields.ts';
import { capIssues, formatPath, type Issue } from './issues.ts';
import { runSchema } from './messages.ts';
import type { EssRequest, Plan, PlanItem, ServiceRegistration } from './schema.ts';

export interface ServiceEntry {
  service: ServiceRecord;
  targets: TargetRecord[];
  /** the targets were found by the executor's discovery (a scaling group's In Service instances) */
  discovered?: boolean;
}
export type ServiceMap = Map<string, ServiceEntry>;
export interface ResolveContext {
  /** the change order id to give the spec */
  id: string;
  now: number;
}

/** Options an item gets when neither it nor its service says otherwise. */
export const BUILTIN_DEFAULTS = {
  containerExecMethod: 'PARALLEL',
  /** 0 = the whole batch at once */
  maxConcurrency: 0,
  batchPauseOption: 'Automatic',
  batchWaitSeconds: 0,
  maxErrors: 0,
  onFailure: 'fail',
  bakeSeconds: 0,
  batchNumber: 1,
} as const;

/** A registration (PUT /v1/services or an inline `service:`) as the records the store keeps. */
export function serviceFromRegistration(
  id: string,
  reg: ServiceRegistration,
  now: number,
): { service: ServiceRecord; targets: Omit<TargetRecord, 'serviceId' | 'rev'>[] } {
  const service: ServiceRecord = {
    id,
    ...(reg.description !== undefined ? { description: reg.description } : {}),
    executor: { ...reg.executor },
    defaults: { ...(reg.defaults ?? {}) },
    createdAt: now,
    updatedAt: now,
  };
  const targets = (reg.targets ?? []).map((t) => ({ id: t.id, labels: [...t.labels], version: t.version, changeCount: 0, state: {} }));
  return { service, targets };
}

// A version label is shown in responses and events; a signed URL's query (OSS Signature, Expires,
// AccessKeyId) or user:password must not be, so the label keeps only scheme, host and path.
const redactUrl = (url: string): string => url.replace(/[?#][\s\S]*$/, '').replace(/^([a-z]+:\/\/)[^/@]*@/i, '$1');

/** The version label a deploy records, and the inputs its executor needs; none for START/STOP/RESTART. */
function versionAndArtifact(item: PlanItem): { version?: string; artifact: Record<string, unknown> } {
  switch (item.deployment) {
    case 'HTTP_UPLOAD_DEPLOY':
      return { version: item.version ?? redactUrl(item.httpSrcUri ?? ''), artifact: { httpSrcUri: item.httpSrcUri } };
    case 'COMPILE_DEPLOY':
      return {
        version: item.version ?? `${item.compileRepoPath}#${item.compileRepoBranch}`,
        artifact: { compileRepoPath: item.compileRepoPath, compileRepoBranch: item.compileRepoBranch },
      };
    default:
      return { artifact: {} };
  }
}

type ItemResult = { item?: ItemSpec; issues: Issue[]; warnings: Issue[] };

function resolveItem(item: PlanItem, i: number, services: ServiceMap, now: number): ItemResult {
  const at = (key: string) => formatPath(['deployPlanItems', i, key]);
  const id = item.serviceId;
  const warnings: Issue[] = [];
  const fail = (key: string, message: string): ItemResult => ({ issues: [{ path: at(key), message }], warnings });

  let entry: { service: ServiceRecord; targets: { id: string; labels: string[] }[] } | undefined;
  if (item.service) {
    entry = serviceFromRegistration(id, item.service, now);
    const found = services.get(id);
    if (found?.discovered) entry = { service: entry.service, targets: found.targets };
    else if (found) warnings.push({ path: at('service'), message: `replaces the registered service "${id}" for this order` });
  } else {
    entry = services.get(id);
  }
  if (!entry) {
    return fail('serviceId', `service "${id}" is not registered (register it with PUT /v1/services/${id} or define it inline with service:)`);
  }
  const defaults = runSchema(rolloutOptionsSchema, entry.service.defaults ?? {});
  if (!defaults.ok) {
    const first = defaults.issues[0];
    return fail('serviceId', `service "${id}" has invalid default options (${first.path}: ${first.message}); fix its registration`);
  }
  if (entry.targets.length === 0) return fail('serviceId', `service "${id}" has no targets`);

  const chosen = filterByLabels(entry.targets, item.deployLabel);
  if (chosen.length === 0) {
    return fail('deployLabel', `no target of service "${id}" carries any of the labels ${parseLabels(item.deployLabel ?? '').join(', ')}`);
  }
  const d: RolloutOptions = defaults.value;
  const split = entry.service.executor.type === 'fc-alias'
    ? stepBatches(chosen.map((t) => t.id), item, at, warnings)
    : splitBatches(
        chosen.map((t) => t.id),
        item.batches !== undefined ? { batches: item.batches } : { batchNumber: item.batchNumber ?? d.batchNumber ?? BUILTIN_DEFAULTS.batchNumber },
      );
  if (!split.ok) return fail(item.batches !== undefined ? 'batches' : 'batchNumber', split.message);

  const { version, artifact } = versionAndArtifact(item);
  const healthCheck = item.healthCheck ?? d.healthCheck;
  const spec: ItemSpec = {
    serviceId: id,
    priority: item.priority,
    deployment: item.deployment,
    executor: entry.service.executor.type,
    containerExecMethod: item.containerExecMethod ?? d.containerExecMethod ?? BUILTIN_DEFAULTS.containerExecMethod,
    maxConcurrency: item.maxConcurrency ?? d.maxConcurrency ?? BUILTIN_DEFAULTS.maxConcurrency,
    batchPauseOption: item.batchPauseOption ?? d.batchPauseOption ?? BUILTIN_DEFAULTS.batchPauseOption,
    batchWaitSeconds: item.batchWaitSeconds ?? d.batchWaitSeconds ?? BUILTIN_DEFAULTS.batchWaitSeconds,
    maxErrors: item.maxErrors ?? d.maxErrors ?? BUILTIN_DEFAULTS.maxErrors,
    onFailure: item.onFailure ?? d.onFailure ?? BUILTIN_DEFAULTS.onFailure,
    ...(healthCheck ? { healthCheck } : {}),
    bakeSeconds: item.bakeSeconds ?? d.bakeSeconds ?? BUILTIN_DEFAULTS.bakeSeconds,
    ...(version !== undefined ? { version } : {}),
    ...(item.alarms ? { alarms: item.alarms.map((a) => (typeof a === 'string' ? { name: a } : a)) } : {}),
    artifact,
    batches: split.batches,
  };
  return { item: spec, issues: [], warnings };
}

/** fc-alias: each traffic step is its own batch, lowest share first, so gates apply between steps */
function stepBatches(ids: string[], item: PlanItem, at: (key: string) => string, warnings: Issue[]): { ok: true; batches: string[][] } {
  if (item.batches !== undefined || item.batchNumber !== undefined) {
    warnings.push({ path: at(item.batches !== undefined ? 'batches' : 'batchNumber'), message: 'ignored: an fc-alias service shifts traffic one weight step per batch' });
  }
  const share = (id: string) => Number(id.split(':')[2] ?? 100);
  return { ok: true, batches: [...ids].sort((a, b) => share(a) - share(b)).map((id) => [id]) };
}

const internal = (e: unknown): { ok: false; issues: Issue[] } => ({
  ok: false,
  issues: [{ path: '(root)', message: `could not be resolved (${e instanceof Error ? e.name : 'error'}); please report this` }],
});

export type PlanResolution = { ok: true; spec: OrderSpec; warnings: Issue[] } | { ok: false; issues: Issue[] };

/** Every problem of every item is reported at once, like validation. */
export function resolvePlan(plan: Plan, services: ServiceMap, ctx: ResolveContext): PlanResolution {
  try {
    const issues: Issue[] = [];
    const warnings: Issue[] = [];
    const items: ItemSpec[] = [];
    plan.deployPlanItems.forEach((item, i) => {
      const r = resolveItem(item, i, services, ctx.now);
      issues.push(...r.issues);
      warnings.push(...r.warnings);
      if (r.item) items.push(r.item);
    });
    if (issues.length > 0) return { ok: false, issues: capIssues(issues) };
    const spec: OrderSpec = {
      id: ctx.id,
      type: 'deploy',
      createdAt: ctx.now,
      comment: plan.comment,
      origin: 'plan',
      onAlarm: plan.onAlarm,
      ...(plan.startAt !== undefined ? { startAt: plan.startAt } : {}),
      ...(plan.window !== undefined ? { window: plan.window } : {}),
      scopes: [...new Set(items.map((it) => `service:${it.serviceId}`))],
      items,
    };
    return { ok: true, spec, warnings };
  } catch (e) {
    return internal(e);
  }
}

// ---- ESS rolling updates ------------------------------------------------------------------------------

export type EssResolution =
  /** invokeType invoke: a one-item order on the scaling group */
  | { ok: true; kind: 'order'; spec: OrderSpec; warnings: Issue[] }
  /** invokeType rollback: the runtime rolls back the order named by sourceExecutionId with these options */
  | { ok: true; kind: 'rollback'; rollbackOf: string; options: RollbackOptions; warnings: Issue[] }
  | { ok: false; issues: Issue[] };

/** the executor each ESS template's change needs */
export const ESS_TEMPLATE_EXECUTOR: Record<EssRequest['TemplateName'], string> = {
  [ESS_TEMPLATES.replaceSystemDisk]: 'ecs-image',
  [ESS_TEMPLATES.runCommand]: 'ecs-command',
  [ESS_TEMPLATES.oosPackage]: 'oos-package',
};
const ESS_EXECUTORS = new Set(Object.values(ESS_TEMPLATE_EXECUTOR));

/**
 * Which executor an ESS request runs with: the template's, unless the scaling group is registered with
 * an executor that is not a cloud one (a simulated group for demos and tests keeps its own).
 */
export function essExecutorFor(req: EssRequest, service?: ServiceRecord): string {
  const type = service?.executor.type;
  return type === undefined || ESS_EXECUTORS.has(type) ? ESS_TEMPLATE_EXECUTOR[req.TemplateName] : type;
}

/**
 * The service an ESS request runs on: the registered one (the group's id as service id) or an implicit
 * one for the group, in `region`, whose executor the template chooses. A cloud service always names its
 * scaling group, so discovery finds the In Service instances.
 */
export function essService(req: EssRequest, registered: ServiceRecord | undefined, region: string, now: number): ServiceRecord {
  const group = req.Parameters.scalingGroupId;
  const type = essExecutorFor(req, registered);
  if (registered && !ESS_EXECUTORS.has(type)) return registered;
  if (registered) return { ...registered, executor: { ...registered.executor, scalingGroupId: registered.executor.scalingGroupId ?? group } };
  return {
    id: group,
    description: `scaling group ${group} (registered by an ESS request)`,
    executor: { type, regionId: region, scalingGroupId: group },
    defaults: {},
    createdAt: now,
    updatedAt: now,
  };
}

const shortHash = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 12);

/** The version label an ESS update records on each instance: what it now runs. */
function essVersion(req: EssRequest): string {
  const p = req.Parameters;
  switch (req.TemplateName) {
    case ESS_TEMPLATES.replaceSystemDisk:
      return p.imageId ?? '';
    case ESS_TEMPLATES.runCommand:
      return `script:${shortHash(p.invokeScript ?? '')}`;
    case ESS_TEMPLATES.oosPackage:
      return p.action === 'uninstall' ? `${p.packageName}@uninstalled` : `${p.packageName}@${p.packageVersion}`;
  }
}

export function resolveEssRequest(req: EssRequest, services: ServiceMap, ctx: ResolveContext): EssResolution {
  try {
    const p = req.Parameters;
    if (p.invokeType === 'rollback') {
      const options: RollbackOptions = {
        ...(p.batchNumber !== undefined ? { batchNumber: p.batchNumber } : {}),
        ...(p.batchPauseOption !== undefined ? { batchPauseOption: p.batchPauseOption } : {}),
      };
      return { ok: true, kind: 'rollback', rollbackOf: p.sourceExecutionId ?? '', options, warnings: [] };
    }
    const group = p.scalingGroupId;
    const fail = (message: string): EssResolution => ({ ok: false, issues: [{ path: 'Parameters.scalingGroupId', message }] });
    const entry = services.get(group);
    if (!entry) return fail(`scaling group "${group}" is not registered as a service (register it with PUT /v1/services/${group})`);
    const split = splitBatches(entry.targets.map((t) => t.id), { batchNumber: p.batchNumber ?? BUILTIN_DEFAULTS.batchNumber });
    if (!split.ok) return fail(`scaling group "${group}": ${split.message}`);
    const item: ItemSpec = {
      serviceId: group,
      priority: 0,
      // A versioned change of every instance; the template in the artifact tells the executor how.
      deployment: 'HTTP_UPLOAD_DEPLOY',
      executor: essExecutorFor(req, entry.service),
      containerExecMethod: 'PARALLEL',
      maxConcurrency: 0,
      batchPauseOption: p.batchPauseOption ?? BUILTIN_DEFAULTS.batchPauseOption,
      batchWaitSeconds: 0,
      maxErrors: p.maxErrors ?? BUILTIN_DEFAULTS.maxErrors,
      // ESS failure suspension: the user retries, skips or cancels instances, then continues or rolls back.
      onFailure: 'pause',
      bakeSeconds: 0,
      version: essVersion(req),
      artifact: { template: req.TemplateName, ...p },
      batches: split.batches,
    };
    const spec: OrderSpec = {
      id: ctx.id,
      type: 'deploy',
      createdAt: ctx.now,
      comment: `${req.TemplateName} on scaling group ${group}`,
      origin: 'ess',
      onAlarm: 'rollback',
      // one rolling update per scaling group at a time (seed 003), whatever else holds the service
      scopes: [`service:${group}`, `ess:${group}`],
      items: [item],
    };
    return { ok: true, kind: 'order', spec, warnings: [] };
  } catch (e) {
    return internal(e);
  }
}
