// The worker: load an order, let the engine decide, store the decision with compare-and-set, then carry
// out its effects and feed what they report back in, until nothing is left to do now.

import { decide } from '../engine/decide.ts';
import { eventSeq } from '../engine/ids.ts';
import type { Effect, Input, Reply } from '../engine/io.ts';
import type { AuditEvent, OrderState, Task } from '../engine/types.ts';
import { isConflict } from '../store/store.ts';
import { carryOut } from './effects.ts';
import { resolveRollbackInput } from './rollback.ts';
import type { Runtime } from './runtime.ts';

export interface StepResult {
  state: OrderState;
  effects: Effect[];
  replies: (Reply | undefined)[];
}

const MAX_CONFLICT_RETRIES = 20;

export async function load(rt: Runtime, orderId: string): Promise<OrderState | undefined> {
  const rec = await rt.store.getOrder(orderId);
  if (!rec) {
    rt.cache.delete(orderId);
    return undefined;
  }
  const cached = rt.cache.get(orderId);
  if (cached && cached.version === rec.version) return cached;
  const tasks: Record<string, Task> = {};
  for (const t of await rt.store.listTasks(orderId)) tasks[t.key] = t;
  const state: OrderState = { spec: rec.spec, head: rec.head, version: rec.version, tasks };
  // events of the last transition may not have reached the log if the process died right after writing
  if (rec.head.outbox.length) await flushOutbox(rt, state);
  return state;
}

/** one decision over all inputs, stored; retried from a fresh read when another writer got there first */
export async function step(rt: Runtime, orderId: string, inputs: Input[]): Promise<StepResult | undefined> {
  for (let attempt = 0; ; attempt++) {
    const loaded = await load(rt, orderId);
    if (!loaded) return undefined;
    const all = [...inputs];
    const pre = await resolveRollbackInput(rt, loaded);
    if (pre) all.push(pre);
    const ahead = (s: OrderState) => s.head.dueAt !== undefined && rt.now() < s.head.dueAt;
    // a deadline that had come when the step began is swept by its tick, even though the inputs' decisions
    // set a new one: otherwise inputs that keep arriving after it would postpone the sweep a lease each time
    const came = loaded.head.dueAt !== undefined && !ahead(loaded);
    all.push({ type: 'tick', ...(came ? { sweep: true } : {}) });

    let state = loaded;
    const effects: Effect[] = [];
    const changed = new Map<string, Task>();
    const events: AuditEvent[] = [];
    const replies: (Reply | undefined)[] = [];
    let dirty = false;
    let headChanged = false;
    let specChanged = false;
    for (const [n, input] of all.entries()) {
      // every decision moves the order on; the trailing tick adds only a sweep, which is owed when a
      // deadline has come (before or after the inputs) or when none is set; otherwise it is skipped
      if (n === all.length - 1 && n > 0 && ahead(loaded) && ahead(state)) break;
      const d = decide(state, input, rt.now(), rt.engine);
      state = d.state;
      effects.push(...d.effects);
      for (const t of d.changedTasks) changed.set(t.key, t);
      events.push(...d.events);
      dirty ||= d.changed;
      headChanged ||= d.headChanged;
      specChanged ||= d.specChanged;
      if (input.type !== 'tick' && input.type !== 'rollbackResolved' && input.type !== 'rollbackBlocked') replies.push(d.reply);
    }
    if (!dirty) return { state: loaded, effects, replies };
    const head = { ...state.head, outbox: events };
    try {
      // tasks first: a head that names a started task is never written before the task row exists
      if (changed.size) await rt.store.putTasks(orderId, [...changed.values()]);
      if (!headChanged) {
        // only outcomes were recorded: the rows are the truth, the head (and its version) stay as they were
        const stored: OrderState = { ...loaded, tasks: state.tasks };
        rt.cache.set(orderId, stored);
        return { state: stored, effects, replies };
      }
      const version = await rt.store.updateOrder(orderId, head, loaded.version, specChanged ? state.spec : undefined);
      const stored: OrderState = { spec: state.spec, head, version, tasks: state.tasks };
      rt.cache.set(orderId, stored);
      await flushOutbox(rt, stored);
      return { state: stored, effects, replies };
    } catch (e) {
      rt.cache.delete(orderId);
      if (!isConflict(e) || attempt >= MAX_CONFLICT_RETRIES) throw e;
    }
  }
}

async function flushOutbox(rt: Runtime, state: OrderState): Promise<void> {
  const events = state.head.outbox.map((e, i) => ({ ...e, seq: eventSeq(state.version, i) }));
  if (events.length) await rt.store.appendEvents(state.spec.id, events);
}

export interface DriveOptions {
  /** effects of a stored decision still to carry out */
  pending?: Effect[];
  /** stop (and hand the rest on) after this many rounds, or at this instant */
  maxRounds?: number;
  until?: number;
  /** called once the inputs' decision is stored, before its effects run: a command is answered here */
  onStored?: (replies: (Reply | undefined)[]) => void;
}

/**
 * Runs the order until it waits on something outside this invocation (a timer, a poll, a human).
 * Returns the replies to the given inputs.
 */
export async function drive(rt: Runtime, orderId: string, inputs: Input[], opts: DriveOptions = {}): Promise<(Reply | undefined)[]> {
  let replies: (Reply | undefined)[] = [];
  let next = inputs;
  let effects = opts.pending ?? [];
  const maxRounds = opts.maxRounds ?? 10_000;
  for (let round = 0; round < maxRounds && (opts.until === undefined || round === 0 || Date.now() < opts.until); round++) {
    if (effects.length) {
      const state = await load(rt, orderId);
      if (!state) return replies;
      next = [...next, ...(await carryOut(rt, state, effects))];
      effects = [];
    }
    const result = await step(rt, orderId, next);
    if (!result) {
      if (round === 0) opts.onStored?.(replies);
      return replies;
    }
    if (round === 0) {
      replies = result.replies;
      opts.onStored?.(replies);
    }
    if (result.state.head.dueAt !== undefined) rt.dispatcher.wakeAt(orderId, result.state.head.dueAt);
    if (result.effects.length === 0) return replies;
    effects = result.effects;
    next = [];
  }
  // work remains: hand it on rather than run past the invocation's budget
  rt.dispatcher.submit(orderId, [], effects);
  return replies;
}
