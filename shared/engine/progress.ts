// Moving an order forward: priority groups, batches, concurrency, gates, pause policies, failure policies.
// Runs after every input; everything it does follows from the draft and `now`.

import type { Draft } from './draft.ts';
import { rollbackIdFor } from './ids.ts';
import { deriveStatus } from './status.ts';
import { windowState } from '../plan/window-eval.ts';
import { tally, type Tally } from './tally.ts';
import { isTerminal, type Actor, type ItemHead, type RollbackOptions, type Task } from './types.ts';

/** executor faults tolerated in a row before the order enters SYSTEM_ERROR */
export const MAX_FAULTS = 5;

export function progress(d: Draft, swept: boolean): void {
  const sweep = swept;
  let hooksDue = swept;
  const h = d.head;
  // effects that must eventually succeed are emitted when they arise and again on every sweep, so a
  // failing one is retried at the lease's pace rather than in a hot loop
  if (isTerminal(h.status)) {
    // a finished order still owes its finalizers, and the linked rollback it asked for (which takes its locks)
    const rollbackOwed = h.rolledBackBy !== undefined && !h.rollbackCreated;
    if (h.finalizedAt === undefined && hooksDue) d.emit({ type: 'finalize' });
    if (rollbackOwed && hooksDue) emitCreateRollback(d);
    h.dueAt = h.finalizedAt === undefined || rollbackOwed ? standingDeadline(d) : undefined;
    return;
  }
  if (h.rolledBackBy && !h.rollbackCreated && hooksDue) emitCreateRollback(d);
  if (d.spec.type === 'rollback' && !h.rollbackResolved) {
    if (h.intent?.kind === 'abort') return finish(d, 'STOPPED');
    h.status = h.intent?.kind === 'pause' ? 'PAUSED' : 'READY';
    h.dueAt = standingDeadline(d);
    return;
  }
  if (h.startedAt === undefined) {
    if (h.intent?.kind === 'abort') return finish(d, 'STOPPED');
    if (d.spec.startAt !== undefined && d.now < d.spec.startAt) {
      h.status = h.intent?.kind === 'pause' ? 'PAUSED' : 'READY';
      h.dueAt = d.spec.startAt;
      return;
    }
    if (h.intent?.kind === 'pause') {
      h.status = 'PAUSED';
      h.dueAt = undefined;
      return;
    }
    h.startedAt = d.now;
    d.event('system', 'started', 'change order started');
    hooksDue = true;
  }
  if (d.spec.items.some((i) => i.hooks?.order) && h.preparedAt === undefined) {
    if (hooksDue) d.emit({ type: 'prepareOrder' });
    h.status = 'RUNNING';
    h.dueAt = standingDeadline(d);
    return;
  }

  const tallies = new Map<number, Tally>();
  let loops = 0;
  // one pass can finish a batch and start the next, or finish a group and start the next one
  while (advanceActiveGroup(d, tallies, swept) && loops++ < 1000) {
    tallies.clear();
    swept = false;
  }

  const anyRunning = [...tallies.values()].some((t) => t.running > 0);
  const allDone = h.items.every((i) => i.phase === 'done');
  if (allDone || ((h.failing || h.intent?.kind === 'abort') && !anyRunning)) {
    return finish(d, h.intent?.kind === 'abort' ? 'STOPPED' : h.failing ? 'FAILED' : h.items.some((i) => i.result === 'PARTIAL') ? 'PARTIAL' : 'SUCCEEDED');
  }
  h.status = deriveStatus(d, tallies);
  h.dueAt = nextDue(d, tallies, sweep);
}

/**
 * The deadline of something that waits on the runtime (finalizers, a rollback's source, hooks): it stands
 * until it passes. Were every step to push it a lease ahead, steps that keep coming would postpone the
 * sweep that retries the work forever.
 */
function standingDeadline(d: Draft, span = d.config.leaseMs): number {
  const due = d.head.dueAt;
  return Math.min(due !== undefined && due > d.now ? due : Infinity, d.now + span);
}

/** the items of the highest priority group that is not done */
export function activeGroup(d: Draft): number[] {
  const open = d.spec.items.map((s, i) => ({ p: s.priority, i })).filter(({ i }) => d.head.items[i].phase !== 'done');
  if (open.length === 0) return [];
  const top = Math.max(...open.map((o) => o.p));
  return open.filter((o) => o.p === top).map((o) => o.i);
}

/** may new tasks start at all right now? */
export function mayStart(d: Draft, tallies?: Map<number, Tally>): boolean {
  const h = d.head;
  if (h.intent || h.failing || h.faults >= MAX_FAULTS) return false;
  if (tallies) for (const [i, t] of tallies) if (failurePaused(d, i, t)) return false;
  return true;
}

export function failurePaused(d: Draft, item: number, t: Tally): boolean {
  const s = d.spec.items[item];
  return s.onFailure === 'pause' && t.failed > s.maxErrors;
}

/** returns true when something moved that may let more move (loop again) */
function advanceActiveGroup(d: Draft, tallies: Map<number, Tally>, swept: boolean): boolean {
  const group = activeGroup(d);
  for (const i of group) {
    if (d.head.items[i].phase === 'pending') openItem(d, i);
    tallies.set(i, tally(d, i));
  }
  for (const i of group) applyFailurePolicy(d, i, tallies.get(i)!);
  if (swept) resweep(d, group, tallies);

  let moved = false;
  const canStart = mayStart(d, tallies);
  // in failure suspension, a target the operator retries runs; nothing else starts (ESS)
  const retriesOnly = !canStart && mayStart(d);
  for (const i of group) {
    const ih = d.head.items[i];
    const t = tallies.get(i)!;
    if (ih.phase === 'tasks') {
      if (canStart || retriesOnly) startTasks(d, i, t, swept, retriesOnly);
      // retried targets of earlier batches (and their health checks) finish before the item moves on
      const settled = t.batchDone && t.running === 0 && t.unchecked.length === 0 && t.startable.length === 0;
      if (settled && !d.head.failing && !failurePaused(d, i, t)) {
        ih.batchFinishedAt[ih.batch] = d.now;
        d.event('system', 'batchFinished', `batch ${ih.batch + 1} of ${d.spec.items[i].batches.length} finished`, { serviceId: d.spec.items[i].serviceId, batch: ih.batch + 1 });
        const spec = d.spec.items[i];
        if (spec.hooks?.batch || spec.bakeSeconds > 0) {
          ih.phase = 'bake';
          ih.waitUntil = d.now + spec.bakeSeconds * 1000;
          if (spec.hooks?.batch) askHook(d, i, 'finalizeBatch', true);
        } else moved = afterBatch(d, i) || moved;
      }
    } else if (ih.phase === 'bake') {
      const hooked = d.spec.items[i].hooks?.batch && (ih.finalizedBatch ?? -1) < ih.batch;
      if (hooked) askHook(d, i, 'finalizeBatch', swept);
      if (!hooked && d.now >= (ih.waitUntil ?? 0)) moved = afterBatch(d, i) || moved;
    } else if (ih.phase === 'wait') {
      if (d.now >= (ih.waitUntil ?? 0) && canStart) moved = nextBatch(d, i) || moved;
    }
  }
  // a group whose items are all done lets the next group start in this same decision
  return moved || (group.length > 0 && group.every((i) => d.head.items[i].phase === 'done') && activeGroup(d).length > 0 && !d.head.failing && !d.head.intent);
}

function openItem(d: Draft, i: number): void {
  const ih = d.head.items[i];
  ih.phase = 'tasks';
  ih.batch = 0;
  ih.startedAt = d.now;
  d.event('system', 'serviceStarted', `service ${d.spec.items[i].serviceId} started`, { serviceId: d.spec.items[i].serviceId });
}

function startTasks(d: Draft, i: number, t: Tally, swept: boolean, retriesOnly: boolean): void {
  const spec = d.spec.items[i];
  const ih = d.head.items[i];
  // a batch starts only inside its rollout window; once started, a closing window never cuts it off
  if (d.spec.window && ih.batchStartedAt[ih.batch] == null && !retriesOnly) {
    const w = windowState(d.spec.window, d.now);
    if (!w.open) {
      if (ih.windowWait !== (w.nextOpenAt ?? null)) {
        ih.windowWait = w.nextOpenAt ?? null;
        const when = w.nextOpenAt === undefined ? 'not within the next 400 days' : new Date(w.nextOpenAt).toISOString();
        d.event('timer', 'windowClosed', `batch ${ih.batch + 1} waits for the rollout window (opens ${when})`, { serviceId: spec.serviceId, batch: ih.batch + 1 });
      }
      return;
    }
    ih.windowWait = undefined;
  }
  if (spec.hooks?.batch && (ih.preparedBatch ?? -1) < ih.batch) {
    askHook(d, i, 'prepareBatch', swept);
    return;
  }
  const limit = spec.containerExecMethod === 'SEQUENTIAL' ? 1 : spec.maxConcurrency > 0 ? spec.maxConcurrency : Infinity;
  let free = limit - t.running;
  const started = new Set<Task>();
  for (const task of t.startable) {
    if (free <= 0) break;
    if (retriesOnly && task.attempt === 1) continue;
    d.putTask({
      ...task,
      status: 'RUNNING',
      startedAt: d.now,
      finishedAt: undefined,
      message: undefined,
      healthy: undefined,
      toVersion: spec.rollbackTo?.[task.targetId]?.version ?? spec.version,
    });
    d.emit({ type: 'startTask', key: task.key, attempt: task.attempt });
    free--;
    t.running++;
    started.add(task);
    if (ih.batchStartedAt[task.batch] == null) ih.batchStartedAt[task.batch] = d.now;
  }
  if (started.size) t.startable = t.startable.filter((x) => !started.has(x));
}

/**
 * A batch hook is asked for in the decision where it falls due, whatever input brought that decision (an
 * acknowledged prepareOrder, a resume, a continue), and again on every sweep until it is acknowledged: the
 * lease's deadline stands meanwhile, so a lost call is retried at the lease's pace and never in a hot loop.
 */
function askHook(d: Draft, i: number, type: 'prepareBatch' | 'finalizeBatch', sweep: boolean): void {
  const ih = d.head.items[i];
  const asked = `${type}:${ih.batch}`;
  d.hookOwed = true;
  if (!sweep && ih.hookAsked === asked) return;
  ih.hookAsked = asked;
  d.emit({ type, item: i, batch: ih.batch });
}

function applyFailurePolicy(d: Draft, i: number, t: Tally): void {
  const spec = d.spec.items[i];
  if (t.failed <= spec.maxErrors || d.head.failing) return;
  const reason = `${t.failed} failed target(s) in service ${spec.serviceId} exceed maxErrors ${spec.maxErrors}`;
  if (spec.onFailure === 'pause' && d.head.intent?.kind !== 'pause') return;
  // onFailure fail, or a failure while PAUSING (seed 004: a failure while pausing fails the task)
  d.head.failing = { reason };
  d.head.items[i].result = 'FAILED';
  d.event('system', 'failing', `${reason}: no new task starts; the order fails once running tasks finish`, { serviceId: spec.serviceId });
  if (spec.onFailure === 'rollback') requestRollback(d, 'system', `onFailure rollback: ${reason}`, {});
}

/** links a rollback order to this one (once); the runtime creates it, the source's finalizer starts it */
export function requestRollback(d: Draft, actor: Actor, reason: string, options: RollbackOptions): boolean {
  if (d.spec.type !== 'deploy' || d.head.rolledBackBy) return false;
  d.head.rolledBackBy = rollbackIdFor(d.spec.id);
  d.head.rollbackRequest = { actor, reason, options };
  d.event(actor, 'rollbackRequested', `${reason}; rollback order ${d.head.rolledBackBy}`);
  emitCreateRollback(d);
  return true;
}

function emitCreateRollback(d: Draft): void {
  const req = d.head.rollbackRequest ?? { actor: 'system' as const, reason: 'rollback requested', options: {} };
  d.emit({ type: 'createRollback', rollbackId: d.head.rolledBackBy!, ...req });
}

/** a sweep (a tick at or after dueAt) re-asks about everything in flight: work may have been lost */
function resweep(d: Draft, group: number[], tallies: Map<number, Tally>): void {
  if (d.head.faults >= MAX_FAULTS) return;
  for (const i of group) {
    const t = tallies.get(i)!;
    for (const task of d.storedTasks(i)) if (task.status === 'RUNNING') d.emit({ type: 'pollTask', key: task.key, attempt: task.attempt });
    for (const task of t.unchecked) d.emit({ type: 'checkHealth', key: task.key, attempt: task.attempt });
  }
}

/** the pause policy decides between the next batch, a wait, and a manual gate */
function afterBatch(d: Draft, i: number): boolean {
  const spec = d.spec.items[i];
  const ih = d.head.items[i];
  ih.waitUntil = undefined;
  if (ih.batch >= spec.batches.length - 1) {
    finishItem(d, i, tally(d, i).blemished ? 'PARTIAL' : 'SUCCEEDED');
    return true;
  }
  if (spec.batchPauseOption === 'EveryBatchPause' || (spec.batchPauseOption === 'FirstBatchPause' && !ih.firstPauseDone)) {
    ih.phase = 'manual';
    d.event('system', 'waitingManual', `batch ${ih.batch + 1} done; continue releases batch ${ih.batch + 2}`, { serviceId: spec.serviceId, batch: ih.batch + 2 });
    return false;
  }
  if (spec.batchWaitSeconds > 0) {
    ih.phase = 'wait';
    ih.waitUntil = d.now + spec.batchWaitSeconds * 1000;
    return false;
  }
  return nextBatch(d, i);
}

export function nextBatch(d: Draft, i: number): boolean {
  const ih = d.head.items[i];
  ih.batch++;
  ih.phase = 'tasks';
  ih.waitUntil = undefined;
  return true;
}

function finishItem(d: Draft, i: number, result: NonNullable<ItemHead['result']>): void {
  const ih = d.head.items[i];
  ih.phase = 'done';
  ih.result = result;
  ih.finishedAt = d.now;
  d.event('system', 'serviceFinished', `service ${d.spec.items[i].serviceId} ${result}`, { serviceId: d.spec.items[i].serviceId });
}

export function finish(d: Draft, status: 'SUCCEEDED' | 'FAILED' | 'STOPPED' | 'PARTIAL'): void {
  const h = d.head;
  for (const ih of h.items) {
    if (ih.phase !== 'done') {
      ih.result ??= 'STOPPED';
      ih.finishedAt ??= ih.startedAt === undefined ? undefined : d.now;
    }
  }
  h.status = status;
  h.finishedAt = d.now;
  h.dueAt = d.now + d.config.leaseMs;
  const why = status === 'FAILED' ? (h.failing?.reason ?? 'failed') : status === 'STOPPED' ? (h.intent?.reason ?? 'stopped') : 'every target processed';
  d.event(status === 'STOPPED' ? (h.intent?.actor ?? 'system') : 'system', 'finished', why, { status });
  d.emit({ type: 'finalize' });
}

function nextDue(d: Draft, tallies: Map<number, Tally>, swept: boolean): number | undefined {
  const h = d.head;
  const times: number[] = [];
  for (const [i] of tallies) {
    const ih = h.items[i];
    if ((ih.phase === 'bake' || ih.phase === 'wait') && ih.waitUntil !== undefined) times.push(ih.waitUntil);
    if (ih.phase === 'tasks' && typeof ih.windowWait === 'number') times.push(ih.windowWait);
  }
  const inFlight = [...tallies.values()].some((t) => t.running > 0 || t.unchecked.length > 0);
  const hooks = d.hookOwed || d.effects.some((e) => e.type === 'prepareOrder' || e.type === 'createRollback');
  // a sweep re-emits everything owed: when it finds nothing, a fault's backoff has nothing left to retry
  // (an order waiting days for its window must not wake every few seconds)
  if (swept && !inFlight && !hooks && h.faults > 0 && h.faults < MAX_FAULTS) h.faults = 0;
  // the lease (or a fault's backoff) stands once set: steps that only record outcomes leave the head as it
  // was, and no stream of steps can postpone the sweep that finds lost work
  if (h.faults > 0 && h.faults < MAX_FAULTS) times.push(standingDeadline(d, Math.min(d.config.leaseMs, 1000 * 2 ** h.faults)));
  else if (inFlight || hooks) times.push(standingDeadline(d));
  // a wait that has run out but cannot act yet (paused, failing) needs no wake-up: the command that
  // unblocks it is itself a step; a deadline in the past would only make the runtime spin
  const future = times.filter((t) => t > d.now);
  return future.length ? Math.min(...future) : undefined;
}
