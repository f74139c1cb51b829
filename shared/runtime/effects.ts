// Carrying out the engine's effects. Every handler is idempotent (the same effect may run again after a
// crash) and returns the inputs its results become.

import type { Effect, EffectHandlers, Input, Outcome } from '../engine/io.ts';
import { attemptKey } from '../engine/ids.ts';
import { initialHead } from '../engine/decide.ts';
import { isTerminal, type OrderSpec, type OrderState } from '../engine/types.ts';
import { healthUrlOf, httpHealthCheck } from '../executors/health.ts';
import { ExecutorFault, type Executor, type TaskReport, type TaskSpec } from '../executors/executor.ts';
import { AlreadyExistsError, type ServiceRecord } from '../store/store.ts';
import { redact } from './errors.ts';
import type { Runtime } from './runtime.ts';

/** executor calls in flight at once per order */
const CONCURRENCY = 256;

export async function carryOut(rt: Runtime, state: OrderState, effects: Effect[]): Promise<Input[]> {
  // an effect handed on by a delayed or duplicated invocation may no longer be wanted: only what the
  // current state still calls for is carried out (a finished attempt is never started or polled again)
  const unique = [...new Map(effects.filter((e) => stillWanted(state, e)).map((e) => [JSON.stringify(e), e])).values()];
  const services = new Map<string, Promise<ServiceRecord | undefined>>();
  const service = (id: string) => {
    if (!services.has(id)) services.set(id, rt.store.getService(id));
    return services.get(id)!;
  };
  const handlers = makeHandlers(rt, state, service);
  const results: Input[][] = [];
  let next = 0;
  const worker = async () => {
    while (next < unique.length) {
      const e = unique[next++];
      results.push(await (handlers[e.type] as (e: Effect) => Promise<Input[]>)(e));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, unique.length) }, worker));
  return coalesce(results.flat());
}

function stillWanted(state: OrderState, e: Effect): boolean {
  if (e.type === 'startTask' || e.type === 'pollTask') {
    const t = state.tasks[e.key];
    return t?.status === 'RUNNING' && t.attempt === e.attempt;
  }
  if (e.type === 'checkHealth') {
    const t = state.tasks[e.key];
    return t?.status === 'SUCCEEDED' && t.attempt === e.attempt && t.healthy === undefined;
  }
  if (e.type === 'finalize') return isTerminal(state.head.status) && state.head.finalizedAt === undefined;
  if (e.type === 'createRollback') return state.head.rolledBackBy === e.rollbackId && !state.head.rollbackCreated;
  return true;
}

/** many outcomes become one input, so one decision (and one write of the head) covers them all */
function coalesce(inputs: Input[]): Input[] {
  const outcomes = inputs.flatMap((i) => (i.type === 'outcomes' ? i.outcomes : []));
  const health = inputs.flatMap((i) => (i.type === 'health' ? i.results : []));
  const rest = inputs.filter((i) => i.type !== 'outcomes' && i.type !== 'health');
  return [...(outcomes.length ? [{ type: 'outcomes' as const, outcomes }] : []), ...(health.length ? [{ type: 'health' as const, results: health }] : []), ...rest];
}

function makeHandlers(rt: Runtime, state: OrderState, service: (id: string) => Promise<ServiceRecord | undefined>): EffectHandlers<Promise<Input[]>> {
  const spec = state.spec;

  async function taskSpec(key: string, attempt: number): Promise<{ exec: Executor; task: TaskSpec } | Input[]> {
    const t = state.tasks[key];
    if (!t) return [];
    const item = spec.items[t.item];
    const svc = await service(item.serviceId);
    if (!svc) return [{ type: 'outcomes', outcomes: [{ key, attempt, state: 'failed', changed: false, message: `service ${item.serviceId} is no longer registered` }] }];
    const task: TaskSpec = {
      orderId: spec.id,
      key,
      attempt,
      idempotencyKey: attemptKey(spec.id, key, attempt),
      service: svc,
      targetId: t.targetId,
      action: t.action,
      version: t.toVersion,
      artifact: item.artifact,
    };
    return { exec: rt.executors.get(item.executor), task };
  }

  async function ask(key: string, attempt: number, how: 'start' | 'poll'): Promise<Input[]> {
    const made = await taskSpec(key, attempt);
    if (Array.isArray(made)) return made;
    const { exec, task } = made;
    try {
      let report: TaskReport = how === 'start' ? await exec.start(task) : await exec.poll(task);
      if (report.state === 'unknown') report = await exec.start(task);
      return toInputs(rt, spec.id, key, attempt, report);
    } catch (e) {
      return failure(rt, spec.id, key, attempt, e);
    }
  }

  return {
    startTask: (e) => ask(e.key, e.attempt, 'start'),
    pollTask: (e) => ask(e.key, e.attempt, 'poll'),
    async checkHealth(e) {
      const made = await taskSpec(e.key, e.attempt);
      if (Array.isArray(made)) return made;
      const check = spec.items[state.tasks[e.key].item].healthCheck!;
      const template = (made.task.service.executor as { healthUrl?: string }).healthUrl;
      if (!made.exec.checkHealth && !template) return [{ type: 'health', results: [{ key: e.key, attempt: e.attempt, healthy: false, message: `no health check target: give service ${made.task.service.id} a healthUrl` }] }];
      try {
        const r = made.exec.checkHealth ? await made.exec.checkHealth(made.task, check) : await httpHealthCheck(healthUrlOf(template!, made.task.targetId, check), made.task.targetId, check);
        return [{ type: 'health', results: [{ key: e.key, attempt: e.attempt, ...r }] }];
      } catch (err) {
        return [{ type: 'fault', message: redact(String((err as Error).message ?? err)) }];
      }
    },
    async prepareOrder() {
      return hook(rt, spec, async (exec, item) => exec.prepareOrder?.(spec, item), [{ type: 'prepared' }]);
    },
    async prepareBatch(e) {
      return hook(rt, spec, async (exec, item, i) => (i === e.item ? exec.prepareBatch?.(spec, item, e.batch) : undefined), [{ type: 'prepared', item: e.item, batch: e.batch }]);
    },
    async finalizeBatch(e) {
      return hook(rt, spec, async (exec, item, i) => (i === e.item ? exec.finalizeBatch?.(spec, item, e.batch) : undefined), [{ type: 'batchFinalized', item: e.item, batch: e.batch }]);
    },
    async createRollback(e) {
      const rb: OrderSpec = {
        id: e.rollbackId,
        type: 'rollback',
        createdAt: rt.now(),
        comment: `rollback of ${spec.id}: ${e.reason}`,
        origin: spec.origin,
        onAlarm: 'ignore',
        sourceChangeOrderId: spec.id,
        rollbackOptions: e.options,
        scopes: spec.scopes,
        items: [],
      };
      try {
        await rt.store.createOrder(rb, { ...initialHead([]), dueAt: rt.now(), outbox: [{ at: rt.now(), actor: e.actor, type: 'created', reason: `rollback of ${spec.id} requested: ${e.reason}` }] });
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
      }
      // the rollback keeps the source's scope so nothing else can slip in between the two; if it has
      // already finished (aborted before this effect got through), the locks go nowhere but free
      for (const scope of spec.scopes) await rt.store.transferScope(scope, spec.id, rb.id, rt.now());
      const now = await rt.store.getOrder(rb.id);
      if (now && isTerminal(now.head.status) && now.head.finalizedAt !== undefined) for (const scope of spec.scopes) await rt.store.releaseScope(scope, rb.id);
      rt.dispatcher.submit(rb.id);
      return [{ type: 'rollbackCreated' }];
    },
    async finalize() {
      const done = await hook(rt, spec, async (exec, item) => exec.finalizeOrder?.(spec, item), [{ type: 'finalized' }]);
      if (done[0]?.type === 'fault') return done;
      for (const scope of spec.scopes) await rt.store.releaseScope(scope, spec.id);
      if (state.head.rolledBackBy) rt.dispatcher.submit(state.head.rolledBackBy);
      return done;
    },
  };
}

async function hook(
  rt: Runtime,
  spec: OrderSpec,
  call: (exec: Executor, item: OrderSpec['items'][number], index: number) => Promise<void> | undefined,
  onSuccess: Input[],
): Promise<Input[]> {
  try {
    for (const [i, item] of spec.items.entries()) if (item.hooks) await call(rt.executors.get(item.executor), item, i);
    return onSuccess;
  } catch (e) {
    rt.log.warn('hook failed', { orderId: spec.id, error: redact(String((e as Error).message ?? e)) });
    return [{ type: 'fault', message: redact(String((e as Error).message ?? e)) }];
  }
}

function toInputs(rt: Runtime, orderId: string, key: string, attempt: number, r: TaskReport): Input[] {
  if (r.state === 'running') {
    rt.dispatcher.pollLater(orderId, key, attempt, r.pollAfterMs);
    return [];
  }
  if (r.state === 'unknown') return [];
  const o: Outcome = { key, attempt, state: r.state, fromVersion: r.fromVersion, changed: r.changed, message: r.message === undefined ? undefined : redact(r.message) };
  if (r.state === 'succeeded') o.toVersion = r.toVersion;
  return [{ type: 'outcomes', outcomes: [o] }];
}

function failure(rt: Runtime, orderId: string, key: string, attempt: number, e: unknown): Input[] {
  const message = redact(e instanceof Error ? e.message : String(e));
  if (e instanceof ExecutorFault) {
    rt.log.warn('executor fault', { orderId, key, message });
    return [{ type: 'fault', message }];
  }
  // anything else is not going to get better by asking again: the task fails with the reason
  return [{ type: 'outcomes', outcomes: [{ key, attempt, state: 'failed', changed: false, message }] }];
}
