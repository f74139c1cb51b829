// User (and alarm) commands. A command records an intent or a task change; progress() then acts on it.
// A command that does not apply is refused with the current status and changes nothing; repeating one
// that already took effect answers `applied: false`.

import type { Draft } from './draft.ts';
import type { Command, Reply, ReplyError } from './io.ts';
import { activeGroup, failurePaused, nextBatch, requestRollback } from './progress.ts';
import { tally } from './tally.ts';
import { isTerminal, type Actor, type ItemHead, type Task } from './types.ts';

const refuse = (d: Draft, error: ReplyError, message: string): void => {
  d.reply = { ok: false, error, message };
};
const accept = (d: Draft, applied: boolean, message: string, extra: Partial<Extract<Reply, { ok: true }>> = {}): void => {
  d.reply = { ok: true, applied, message, ...extra };
};
const notNow = (d: Draft, what: string) => refuse(d, 'InvalidState', `cannot ${what} a change order that is ${d.head.status}`);

export function applyCommand(d: Draft, cmd: Command, actor: Actor, reason?: string): void {
  const h = d.head;
  const why = reason ?? `${cmd.name} by ${actor}`;
  if (isTerminal(h.status) && !(cmd.name === 'rollback')) return notNow(d, cmd.name);
  switch (cmd.name) {
    case 'pause': {
      if (h.intent?.kind === 'pause') return accept(d, false, 'already pausing');
      if (h.intent || !['READY', 'RUNNING', 'WAITING_AUTO'].includes(h.status)) return notNow(d, 'pause');
      h.intent = { kind: 'pause', actor, at: d.now, reason: why };
      d.event(actor, 'pauseRequested', why);
      return accept(d, true, 'pausing: running tasks finish, no new task starts');
    }
    case 'resume': {
      if (h.status === 'WAITING_MANUAL') return continueOrder(d, actor, why, undefined);
      if (h.status === 'SYSTEM_ERROR') {
        h.faults = 0;
        h.lastFault = undefined;
        d.sweep = true; // every running task is polled again
        d.event(actor, 'resumed', why);
        return accept(d, true, 'resuming from the system error');
      }
      if (h.intent?.kind !== 'pause') return notNow(d, 'resume');
      h.intent = undefined;
      d.event(actor, 'resumed', why);
      return accept(d, true, 'resumed');
    }
    case 'continue':
      return continueOrder(d, actor, why, cmd.batch);
    case 'abort': {
      if (cmd.rollback && d.spec.type === 'rollback') return refuse(d, 'RollbackNotAllowed', 'a rollback change order cannot itself be rolled back; abort it without rollback');
      const linked = cmd.rollback ? requestRollback(d, actor, why, cmd.options ?? {}) : false;
      const extra = cmd.rollback ? { rollbackChangeOrderId: h.rolledBackBy } : {};
      if (h.intent?.kind === 'abort') return accept(d, linked, linked ? 'rollback linked to the abort' : 'already stopping', extra);
      h.intent = { kind: 'abort', actor, at: d.now, reason: why };
      d.event(actor, 'abortRequested', why);
      return accept(d, true, 'stopping: running tasks finish, no new task starts', extra);
    }
    case 'rollback': {
      if (d.spec.type === 'rollback') return refuse(d, 'RollbackNotAllowed', 'a rollback change order cannot itself be rolled back');
      if (h.rolledBackBy) return accept(d, false, `already rolled back by ${h.rolledBackBy}`, { rollbackChangeOrderId: h.rolledBackBy });
      requestRollback(d, actor, why, cmd.options ?? {});
      if (!isTerminal(h.status) && h.intent?.kind !== 'abort') {
        h.intent = { kind: 'abort', actor, at: d.now, reason: `aborted for rollback: ${why}` };
        d.event(actor, 'abortRequested', `aborted for rollback: ${why}`);
      }
      return accept(d, true, 'rollback change order created', { rollbackChangeOrderId: h.rolledBackBy });
    }
    case 'retry':
    case 'skip':
    case 'cancel':
      return targetCommand(d, cmd.name, cmd.targetId, cmd.serviceId, actor, why);
  }
}

/** the 1-based number of the batch `continue` releases now, or undefined when nothing waits */
export function expectedBatch(d: Draft): number | undefined {
  const waiting: number[] = [];
  for (const i of activeGroup(d)) {
    const ih = d.head.items[i];
    if (failurePaused(d, i, tally(d, i))) waiting.push(ih.batch + 1);
    else if (ih.phase === 'manual') waiting.push(ih.batch + 2);
  }
  return waiting.length ? Math.min(...waiting) : undefined;
}

function continueOrder(d: Draft, actor: Actor, why: string, batch: number | undefined): void {
  const expected = expectedBatch(d);
  if (expected === undefined || d.head.intent) {
    const reached = Math.max(...d.head.items.map((ih) => (ih.phase === 'pending' ? 0 : ih.batch + 1)));
    if (batch !== undefined && batch <= reached) return accept(d, false, `batch ${batch} was already released`);
    return notNow(d, 'continue');
  }
  if (batch !== undefined && batch < expected) return accept(d, false, `batch ${batch} was already released; the order waits before batch ${expected}`);
  if (batch !== undefined && batch > expected) return refuse(d, 'BatchMismatch', `the order waits before batch ${expected}, not ${batch}`);
  for (const i of activeGroup(d)) {
    const ih = d.head.items[i];
    if (failurePaused(d, i, tally(d, i))) {
      // the operator accepts the failures so far: they no longer count against maxErrors
      for (const t of d.storedTasks(i)) if (t.status === 'FAILED' && !t.acked) d.putTask({ ...t, acked: true });
    } else if (ih.phase === 'manual') {
      ih.firstPauseDone = true;
      nextBatch(d, i);
    }
  }
  d.event(actor, 'continued', `${why}: batch ${expected} released`, { batch: expected });
  accept(d, true, `batch ${expected} released`);
}

function targetCommand(d: Draft, name: 'retry' | 'skip' | 'cancel', targetId: string, serviceId: string | undefined, actor: Actor, why: string): void {
  const found: { item: number; batch: number }[] = [];
  d.spec.items.forEach((s, item) => {
    if (serviceId !== undefined && s.serviceId !== serviceId) return;
    s.batches.forEach((ids, batch) => ids.includes(targetId) && found.push({ item, batch }));
  });
  if (found.length === 0) return refuse(d, 'TargetNotFound', `target ${targetId} is not part of this change order${serviceId ? ` for service ${serviceId}` : ''}`);
  if (found.length > 1) return refuse(d, 'TargetAmbiguous', `target ${targetId} belongs to several services of this order; name one with ?serviceId=`);
  const { item, batch } = found[0];
  const task = d.taskAt(item, batch, targetId);
  const serviceIdOf = d.spec.items[item].serviceId;
  const base = { serviceId: serviceIdOf, batch: batch + 1, targetId };
  let next: Task;
  if (name === 'retry') {
    if (d.head.failing) return notNow(d, 'retry a target of');
    if (task.status !== 'FAILED' && task.status !== 'CANCELLED') return refuse(d, 'TaskState', `only a FAILED or CANCELLED target can be retried; ${targetId} is ${task.status}`);
    const ih = d.head.items[item];
    if (ih.phase === 'done') return refuse(d, 'TaskState', `service ${serviceIdOf} has finished; submit a new change order for ${targetId}`);
    // batch hooks (ESS: the batch's instances in Standby) hold a batch only while it runs: once it was
    // finalized, or is being finalized, a retried target would change an instance back in service
    if (d.spec.items[item].hooks?.batch && (batch < ih.batch || batchClosed(ih))) {
      return refuse(d, 'TaskState', `batch ${batch + 1} of service ${serviceIdOf} has finished and left its batch hooks (ESS Standby); submit a new change order for ${targetId}`);
    }
    reopenBatch(ih);
    next = { ...task, status: 'PENDING', attempt: task.attempt + 1, acked: false, message: 'retry requested', healthy: undefined, finishedAt: undefined };
  } else {
    if (task.status !== 'FAILED' && task.status !== 'PENDING') return refuse(d, 'TaskState', `only a FAILED or PENDING target can be ${name === 'skip' ? 'skipped' : 'cancelled'}; ${targetId} is ${task.status}`);
    next = name === 'skip'
      ? { ...task, status: 'SKIPPED', message: `skipped by ${actor}`, finishedAt: d.now }
      : { ...task, status: 'CANCELLED', acked: true, message: `cancelled by ${actor}`, finishedAt: d.now };
  }
  d.putTask(next);
  d.event(actor, `target${name[0].toUpperCase()}${name.slice(1)}`, `${why}: ${targetId} ${task.status} → ${next.status}`, base);
  accept(d, true, `${targetId} is ${next.status}`);
}

/** a retried target reopens its service's current batch: it runs, and the batch's gates apply again */
export function reopenBatch(ih: ItemHead): boolean {
  if (!batchClosed(ih)) return false;
  ih.phase = 'tasks';
  ih.waitUntil = undefined;
  ih.batchFinishedAt[ih.batch] = null;
  return true;
}

/** the item's current batch has finished and waits (bake, batchWaitSeconds, or a continue) */
export const batchClosed = (ih: ItemHead): boolean => ih.phase === 'bake' || ih.phase === 'wait' || ih.phase === 'manual';
