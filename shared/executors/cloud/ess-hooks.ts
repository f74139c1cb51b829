// The ESS side of a rolling update, shared by the executors that change scaling-group instances:
// - discovery: the group's In Service instances only (Standby, Pending, Removing ones are left alone);
// - order hooks: SuspendProcesses of enterProcess before the first batch; on every terminal state,
//   ExitStandby of whatever this order left in Standby, then ResumeProcesses of exitProcess, except the
//   processes that were suspended before the run (they stay suspended);
// - batch hooks (ecs-command, oos-package): the batch's instances in Standby during their change.
// Which processes this order suspended is recorded durably before the call, as a put-if-absent record
// (the Store's idempotency-key row), so a finalizer after any crash resumes exactly those.

import type { ItemSpec, OrderSpec } from '../../engine/types.ts';
import type { ServiceRecord } from '../../store/store.ts';
import type { DiscoveredTarget, ExecutorDeps } from '../executor.ts';
import { cloudConfig, clientToken, regionOf, type CloudServiceConfig } from './config.ts';
import { essApi, SCALING_PROCESSES, type Ess } from './ess.ts';
import { stateOf, updateTarget } from './progress.ts';
import { CloudError } from './retry.ts';

export interface EssConfig extends CloudServiceConfig {
  scalingGroupId?: string;
  enterProcess?: string[];
  exitProcess?: string[];
}

interface EssScope {
  groupId: string;
  ess: Ess;
  service: ServiceRecord;
  enterProcess: string[];
  exitProcess?: string[];
}

/** the scaling group an item works on: the ESS request's, else the service's; none for plain instances */
export async function essScope(deps: ExecutorDeps, item: ItemSpec): Promise<EssScope | undefined> {
  const service = await deps.fleet.getService(item.serviceId);
  if (!service) return undefined;
  const config = cloudConfig(service) as EssConfig;
  const a = item.artifact as { scalingGroupId?: string; enterProcess?: string[]; exitProcess?: string[] };
  const groupId = a.scalingGroupId ?? config.scalingGroupId;
  if (!groupId) return undefined;
  return {
    groupId,
    ess: essApi(config, regionOf(config), deps),
    service,
    // the template's default when the request names none: every process (unverified against the template)
    enterProcess: a.enterProcess ?? config.enterProcess ?? SCALING_PROCESSES,
    exitProcess: a.exitProcess ?? config.exitProcess,
  };
}

/** In Service instances of the group, at submission */
export async function discoverInService(service: ServiceRecord, deps: ExecutorDeps): Promise<DiscoveredTarget[] | undefined> {
  const config = cloudConfig(service) as EssConfig;
  if (!config.scalingGroupId) return undefined;
  const states = await essApi(config, regionOf(config), deps).lifecycle(config.scalingGroupId);
  return [...states].filter(([, s]) => s === 'InService').map(([id]) => ({ id }));
}

interface SuspendRecord {
  /** suspended before this order started: never resumed by it */
  before: string[];
  /** suspended by this order */
  suspended: string[];
  /** the finalizer got here first: this order suspends nothing */
  none?: boolean;
}

const recordKey = (orderId: string, groupId: string) => `ess-suspended:${orderId}:${groupId}`;

async function claimRecord(deps: ExecutorDeps, order: OrderSpec, groupId: string, rec: SuspendRecord): Promise<SuspendRecord> {
  const prior = await deps.fleet.claimIdempotencyKey({ key: recordKey(order.id, groupId), orderId: order.id, bodyHash: JSON.stringify(rec), createdAt: deps.now() });
  return prior ? (JSON.parse(prior.bodyHash) as SuspendRecord) : rec;
}

export async function suspendProcesses(deps: ExecutorDeps, order: OrderSpec, item: ItemSpec): Promise<void> {
  const scope = await essScope(deps, item);
  if (!scope) return;
  const before = await scope.ess.suspendedProcesses(scope.groupId);
  const rec = await claimRecord(deps, order, scope.groupId, { before, suspended: scope.enterProcess.filter((p) => !before.includes(p)) });
  if (rec.none) return;
  await scope.ess.suspend(scope.groupId, rec.suspended, clientToken(order.id, `suspend:${scope.groupId}`));
}

export async function restoreGroup(deps: ExecutorDeps, order: OrderSpec, item: ItemSpec): Promise<void> {
  const scope = await essScope(deps, item);
  if (!scope) return;
  try {
    await restore(deps, order, item, scope);
  } catch (e) {
    // a group deleted meanwhile has nothing left to restore; anything else is retried on the next sweep
    if (e instanceof CloudError && /NotFound/.test(e.code)) return;
    throw e;
  }
}

async function restore(deps: ExecutorDeps, order: OrderSpec, item: ItemSpec, scope: EssScope): Promise<void> {
  await exitStandby(deps, order, item, scope, item.batches.flat());
  const rec = await claimRecord(deps, order, scope.groupId, { before: [], suspended: [], none: true });
  if (rec.none) return;
  const resume = (scope.exitProcess ?? rec.suspended).filter((p) => !rec.before.includes(p));
  await scope.ess.resume(scope.groupId, resume, clientToken(order.id, `resume:${scope.groupId}`));
}

/** Standby in for the batch's instances that are In Service, marking each as this order's first */
export async function enterBatchStandby(deps: ExecutorDeps, order: OrderSpec, item: ItemSpec, batch: number): Promise<void> {
  const scope = await essScope(deps, item);
  if (!scope) return;
  const ids = item.batches[batch] ?? [];
  const states = await scope.ess.lifecycle(scope.groupId, ids);
  const entering = ids.filter((id) => states.get(id) === 'InService');
  for (const id of entering) await markStandby(deps, scope.service.id, id, order.id);
  await scope.ess.enterStandby(scope.groupId, entering);
}

export async function exitBatchStandby(deps: ExecutorDeps, order: OrderSpec, item: ItemSpec, batch: number): Promise<void> {
  const scope = await essScope(deps, item);
  if (scope) await exitStandby(deps, order, item, scope, item.batches[batch] ?? []);
}

/** ExitStandby for the given instances that are in Standby because this order put them there */
async function exitStandby(deps: ExecutorDeps, order: OrderSpec, item: ItemSpec, scope: EssScope, ids: string[]): Promise<void> {
  const ours: string[] = [];
  for (const id of ids) {
    const t = await deps.fleet.getTarget(scope.service.id, id);
    if (stateOf(t).standby?.orderId === order.id) ours.push(id);
  }
  if (ours.length === 0) return;
  const states = await scope.ess.lifecycle(scope.groupId, ours);
  const standing = ours.filter((id) => states.get(id) === 'Standby');
  await scope.ess.exitStandby(scope.groupId, standing);
  for (const id of ours) await clearStandby(deps, scope.service.id, id, order.id);
}

export function markStandby(deps: ExecutorDeps, serviceId: string, targetId: string, orderId: string) {
  return updateTarget(deps.fleet, serviceId, targetId, (_t, s) => (s.standby?.orderId === orderId ? undefined : { state: { ...s, standby: { orderId, at: deps.now() } } }));
}

export function clearStandby(deps: ExecutorDeps, serviceId: string, targetId: string, orderId: string) {
  return updateTarget(deps.fleet, serviceId, targetId, (_t, s) => (s.standby?.orderId === orderId ? { state: { ...s, standby: undefined } } : undefined));
}

/** the hooks an executor of scaling-group instances adds (ecs-image brings its own per-instance Standby) */
export const essOrderHooks = (deps: ExecutorDeps) => ({
  prepareOrder: (order: OrderSpec, item: ItemSpec) => suspendProcesses(deps, order, item),
  finalizeOrder: (order: OrderSpec, item: ItemSpec) => restoreGroup(deps, order, item),
});

export const essBatchHooks = (deps: ExecutorDeps) => ({
  prepareBatch: (order: OrderSpec, item: ItemSpec, batch: number) => enterBatchStandby(deps, order, item, batch),
  finalizeBatch: (order: OrderSpec, item: ItemSpec, batch: number) => exitBatchStandby(deps, order, item, batch),
});
