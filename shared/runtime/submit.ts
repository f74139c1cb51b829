// Submitting a plan: validate everything, resolve services and batches, then take the scope locks and
// create the order. Each store write is single-row and the sequence is safe to repeat: the idempotency
// key row names the order id before anything else is written, so a retried submission finishes the
// same order instead of starting a second one.

import { createHash, randomUUID } from 'node:crypto';
import { initialHead } from '../engine/decide.ts';
import type { ItemSpec, OrderSpec } from '../engine/types.ts';
import { ExecutorFault, hooksOf } from '../executors/executor.ts';
import { EXECUTOR_TYPES } from '../executors/registry.ts';
import type { Issue } from '../plan/issues.ts';
import { parseDocument } from '../plan/parse.ts';
import { windowState } from '../plan/window-eval.ts';
import { essExecutorFor, essService, resolveEssRequest, resolvePlan, serviceFromRegistration, type ServiceEntry, type ServiceMap } from '../plan/resolve.ts';
import { validateSubmission } from '../plan/schema.ts';
import { AlreadyExistsError, type ServiceRecord, type TargetRecord } from '../store/store.ts';
import { AppError, redact } from './errors.ts';
import { command } from './control.ts';
import type { Runtime } from './runtime.ts';
import { upsertService } from './services.ts';

export interface SubmitOptions {
  contentType?: string;
  idempotencyKey?: string;
  dryRun?: boolean;
}

export interface SubmitResult {
  status: 200 | 201;
  body: Record<string, unknown>;
}

/** a lock whose holder never got written (a crash between lock and order) is free after this long */
const ORPHAN_LOCK_MS = 60_000;

export async function submit(rt: Runtime, text: string, opts: SubmitOptions): Promise<SubmitResult> {
  const parsed = parseDocument(text, opts.contentType);
  if (!parsed.ok) throw invalid(parsed.issues);
  const valid = validateSubmission(parsed.value);
  if (!valid.ok) throw invalid(valid.issues);
  const now = rt.now();
  const id = `co-${rt.newId?.() ?? randomUUID()}`;

  let resolved;
  let services: ServiceMap = new Map();
  if (valid.kind === 'plan') {
    services = await loadServices(rt, valid.plan.deployPlanItems.map((i) => String(i.serviceId)));
    // inline services are discovered too; what a plan defines inline wins over the registration
    for (const [i, item] of valid.plan.deployPlanItems.entries()) {
      const inline = item.service && serviceFromRegistration(String(item.serviceId), item.service, now).service;
      const service = inline || services.get(String(item.serviceId))?.service;
      if (service) await discover(rt, services, service, service.executor.type, `deployPlanItems[${i}].serviceId`);
    }
    resolved = resolvePlan(valid.plan, services, { id, now });
  } else if (valid.request.Parameters.invokeType === 'invoke') {
    // an ESS request needs no registration: the group becomes a service whose executor the template picks
    const group = valid.request.Parameters.scalingGroupId;
    const registered = await rt.store.getService(group);
    const service = essService(valid.request, registered, process.env.CHANGEFLOW_REGION || 'cn-hangzhou', now);
    services.set(group, { service, targets: await rt.store.listTargets(group) });
    await discover(rt, services, service, essExecutorFor(valid.request, registered), 'Parameters.scalingGroupId');
    resolved = resolveEssRequest(valid.request, services, { id, now });
  } else {
    resolved = resolveEssRequest(valid.request, services, { id, now });
  }
  if (!resolved.ok) throw invalid(resolved.issues);
  const warnings = [...valid.warnings, ...('warnings' in resolved ? resolved.warnings : [])];

  if ('rollbackOf' in resolved) {
    // ESS invokeType rollback: sourceExecutionId names a changeflow change order
    if (opts.dryRun) return { status: 200, body: { dryRun: true, rollbackOf: resolved.rollbackOf, warnings } };
    const reply = await command(rt, resolved.rollbackOf, { type: 'command', command: { name: 'rollback', options: resolved.options }, actor: 'user' });
    return { status: 201, body: { changeOrderId: reply.rollbackChangeOrderId, rollbackOf: resolved.rollbackOf, warnings } };
  }

  const spec = withHooks(rt, resolved.spec);
  if (opts.dryRun) return { status: 200, body: { dryRun: true, ...dryRunView(spec, now), warnings } };

  const bodyHash = createHash('sha256').update(text).digest('hex');
  let orderId = id;
  if (opts.idempotencyKey) {
    const prior = await rt.store.claimIdempotencyKey({ key: opts.idempotencyKey, orderId: id, bodyHash, createdAt: now });
    if (prior) {
      if (prior.bodyHash !== bodyHash) throw new AppError(422, 'IdempotencyKeyReused', `Idempotency-Key "${opts.idempotencyKey}" was used for a different request`);
      orderId = prior.orderId;
      const existing = await rt.store.getOrder(orderId);
      if (existing) return { status: 200, body: { changeOrderId: orderId, status: existing.head.status, replayed: true, warnings } };
    }
  }
  const final: OrderSpec = { ...spec, id: orderId };
  await lockScopes(rt, final);
  await keepDiscovered(rt, services);
  // an inline `service:` is registered with the order, so its targets (and their versions) live on
  if (valid.kind === 'plan') for (const item of valid.plan.deployPlanItems) if (item.service) await upsertService(rt, String(item.serviceId), item.service);
  try {
    await rt.store.createOrder(final, { ...initialHead(final.items), dueAt: now, outbox: [{ at: now, actor: 'user', type: 'created', reason: final.comment ? `submitted: ${final.comment}` : 'submitted' }] });
  } catch (e) {
    if (!(e instanceof AlreadyExistsError)) throw e;
  }
  rt.dispatcher.submit(orderId);
  return { status: 201, body: { changeOrderId: orderId, status: 'READY', warnings } };
}

function invalid(issues: Issue[]): AppError {
  return new AppError(400, 'InvalidPlan', `the plan has ${issues.length} problem(s): ${issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`).join('; ')}${issues.length > 3 ? '; ...' : ''}`, issues);
}

async function loadServices(rt: Runtime, ids: string[]): Promise<ServiceMap> {
  const out: ServiceMap = new Map();
  for (const id of new Set(ids)) {
    const service = await rt.store.getService(id);
    if (service) out.set(id, { service, targets: await rt.store.listTargets(id) });
  }
  return out;
}

/**
 * Targets as the executor finds them now (the In Service instances of a scaling group), replacing the
 * registered list for this order; a target seen before keeps its recorded version.
 */
async function discover(rt: Runtime, services: ServiceMap, service: ServiceRecord, executorType: string, path: string): Promise<void> {
  if (!EXECUTOR_TYPES.includes(executorType)) return; // reported by withHooks with the supported list
  const exec = rt.executors.get(executorType);
  if (!exec.discover) return;
  let found;
  try {
    found = await exec.discover(service);
  } catch (e) {
    const message = redact(e instanceof Error ? e.message : String(e));
    if (e instanceof ExecutorFault) throw new AppError(503, 'CloudUnavailable', `could not list the targets of ${service.id}: ${message}; try again`);
    throw invalid([{ path, message: `could not list the targets of ${service.id}: ${message}` }]);
  }
  if (!found) return;
  const known = new Map((await rt.store.listTargets(service.id)).map((t) => [t.id, t]));
  const targets: TargetRecord[] = found.map((t) => {
    const had = known.get(t.id);
    return had ? { ...had, labels: t.labels ?? had.labels } : { serviceId: service.id, id: t.id, labels: t.labels ?? [], version: t.version ?? '0', changeCount: 0, state: {}, rev: 0 };
  });
  const entry: ServiceEntry = { service, targets, discovered: true };
  services.set(service.id, entry);
}

/** an implicit ESS service and discovered targets are stored with the order (targets seen before keep their rows) */
async function keepDiscovered(rt: Runtime, services: ServiceMap): Promise<void> {
  for (const { service, targets, discovered } of services.values()) {
    if (!discovered) continue;
    if (!(await rt.store.getService(service.id))) await rt.store.putService(service);
    const stored = new Set((await rt.store.listTargets(service.id)).map((t) => t.id));
    const fresh = targets.filter((t) => !stored.has(t.id));
    if (fresh.length) await rt.store.putTargets(service.id, fresh.map(({ id, labels, version, changeCount, state }) => ({ id, labels, version, changeCount, state })));
  }
}

function withHooks(rt: Runtime, spec: OrderSpec): OrderSpec {
  const items: ItemSpec[] = spec.items.map((item) => {
    if (!EXECUTOR_TYPES.includes(item.executor)) throw new AppError(400, 'InvalidPlan', `service ${item.serviceId} uses executor "${item.executor}", which this deployment does not provide (supported: ${EXECUTOR_TYPES.join(', ')})`);
    const hooks = hooksOf(rt.executors.get(item.executor));
    return hooks ? { ...item, hooks } : item;
  });
  return { ...spec, items };
}

async function lockScopes(rt: Runtime, spec: OrderSpec): Promise<void> {
  const taken: string[] = [];
  for (const scope of spec.scopes) {
    const got = await rt.store.acquireScope(scope, spec.id, rt.now());
    if (got.ok) {
      taken.push(scope);
      continue;
    }
    const holder = await rt.store.getOrder(got.holder.orderId);
    const stale = holder ? ['SUCCEEDED', 'FAILED', 'STOPPED', 'PARTIAL'].includes(holder.head.status) && holder.head.finalizedAt !== undefined : rt.now() - got.holder.since > ORPHAN_LOCK_MS;
    if (stale && (await rt.store.transferScope(scope, got.holder.orderId, spec.id, rt.now()))) {
      taken.push(scope);
      continue;
    }
    for (const s of taken) await rt.store.releaseScope(s, spec.id);
    throw new AppError(409, 'ScopeLocked', `${scope} is held by active change order ${got.holder.orderId}`, undefined, { holder: got.holder.orderId, scope });
  }
}

/** what a dry run shows: per service, the batches with their targets */
export function dryRunView(spec: OrderSpec, now: number) {
  const start = Math.max(now, spec.startAt ?? now);
  const w = spec.window ? windowState(spec.window, start) : undefined;
  return {
    startsAt: new Date(w && !w.open ? (w.nextOpenAt ?? start) : start).toISOString(),
    window: spec.window && { ...spec.window, openAtStart: w!.open, nextOpenAt: w!.nextOpenAt === undefined ? undefined : new Date(w!.nextOpenAt).toISOString() },
    services: spec.items.map((i) => ({
      serviceId: i.serviceId,
      priority: i.priority,
      deployment: i.deployment,
      version: i.version,
      containerExecMethod: i.containerExecMethod,
      batchPauseOption: i.batchPauseOption,
      batches: i.batches.map((targets, b) => ({ batch: b + 1, size: targets.length, targets })),
    })),
  };
}

