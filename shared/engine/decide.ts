// decide(state, input, now) -> { state, effects }: the whole engine behind one pure function.
// No I/O, no clock, no randomness: the runtime stores the decision, then carries out its effects.

import { applyCommand, batchClosed, reopenBatch } from './commands.ts';
import { Draft, type EngineConfig } from './draft.ts';
import type { Decision, HealthResult, Input, Outcome } from './io.ts';
import { MAX_FAULTS, progress } from './progress.ts';
import { isTerminal, type ItemHead, type ItemSpec, type OrderHead, type OrderState } from './types.ts';

export function decide(state: OrderState, input: Input, now: number, config?: EngineConfig): Decision {
  const d = new Draft(state, now, config);
  const before = d.head.status;
  // a tick at or after the stored deadline is a sweep: whatever was in flight may have been lost
  const swept = input.type === 'tick' && (input.sweep === true || state.head.dueAt === undefined || now >= state.head.dueAt);
  reopenRetried(d);
  apply(d, input);
  if (d.reply && !d.reply.ok) return unchanged(state, d);
  progress(d, swept || d.sweep);
  if (d.head.status !== before) d.event(actorOf(input), 'status', `${before} → ${d.head.status}`, { status: d.head.status });
  const next: OrderHead = { ...d.head, outbox: d.events };
  const headChanged = JSON.stringify({ ...next, outbox: [] }) !== JSON.stringify({ ...state.head, outbox: [] }) || d.events.length > 0;
  const changed = headChanged || d.changedKeys.size > 0 || d.specChanged;
  return {
    state: { spec: d.spec, head: changed ? next : state.head, version: state.version, tasks: d.tasks },
    effects: d.effects,
    changedTasks: [...d.changedKeys].map((k) => d.tasks[k]),
    changed,
    headChanged: headChanged || d.specChanged,
    specChanged: d.specChanged,
    reply: d.reply,
    events: d.events,
  };
}

/**
 * A retry stores its PENDING task before the head that reopens the batch; a process that died in between
 * left a finished batch holding an unfinished task. The rows are the truth: the batch is open again.
 */
function reopenRetried(d: Draft): void {
  if (isTerminal(d.head.status)) return;
  d.head.items.forEach((ih, item) => {
    if (!batchClosed(ih)) return;
    const open = d.storedTasks(item).find((t) => t.batch === ih.batch && (t.status === 'PENDING' || t.status === 'RUNNING'));
    if (open && reopenBatch(ih)) d.event('system', 'batchReopened', `${open.targetId} is ${open.status} (attempt ${open.attempt}): batch ${ih.batch + 1} runs again`, { serviceId: d.spec.items[item].serviceId, batch: ih.batch + 1, targetId: open.targetId });
  });
}

function unchanged(state: OrderState, d: Draft): Decision {
  return { state, effects: [], changedTasks: [], changed: false, headChanged: false, specChanged: false, reply: d.reply, events: [] };
}

const actorOf = (input: Input) => (input.type === 'command' ? input.actor : input.type === 'alarm' ? 'alarm' : input.type === 'tick' ? 'timer' : 'system');

function apply(d: Draft, input: Input): void {
  const h = d.head;
  switch (input.type) {
    case 'tick':
      return;
    case 'outcomes':
      return applyOutcomes(d, input.outcomes);
    case 'health':
      return applyHealth(d, input.results);
    case 'fault':
      if (isTerminal(h.status) || h.faults >= MAX_FAULTS) return;
      h.faults++;
      h.lastFault = input.message;
      if (h.faults >= MAX_FAULTS) d.event('system', 'systemError', `executor unreachable ${h.faults} times: ${input.message}; resume continues`);
      return;
    case 'command':
      return applyCommand(d, input.command, input.actor, input.reason);
    case 'alarm':
      return applyAlarm(d, input);
    case 'rollbackResolved':
      if (h.rollbackResolved) return;
      d.spec = { ...d.spec, items: input.items };
      d.specChanged = true;
      h.items = input.items.map(initialItemHead);
      h.rollbackResolved = true;
      h.message = undefined;
      d.event('system', 'rollbackResolved', `rolling back ${input.items.reduce((n, i) => n + i.batches.flat().length, 0)} target(s) changed by ${d.spec.sourceChangeOrderId}`);
      return;
    case 'rollbackBlocked':
      h.message = input.reason;
      return;
    case 'rollbackCreated':
      h.rollbackCreated = true;
      return;
    case 'prepared':
      if (input.item === undefined) h.preparedAt ??= d.now;
      else h.items[input.item].preparedBatch = Math.max(h.items[input.item].preparedBatch ?? -1, input.batch ?? 0);
      return;
    case 'batchFinalized':
      h.items[input.item].finalizedBatch = Math.max(h.items[input.item].finalizedBatch ?? -1, input.batch);
      return;
    case 'finalized':
      if (isTerminal(h.status)) h.finalizedAt ??= d.now;
      return;
  }
}

function applyOutcomes(d: Draft, outcomes: Outcome[]): void {
  for (const o of outcomes) {
    const t = d.task(o.key);
    // a late or repeated answer about an attempt that is no longer running changes nothing
    if (!t || t.status !== 'RUNNING' || t.attempt !== o.attempt || o.state === 'running') continue;
    const spec = d.spec.items[t.item];
    // an earlier attempt that altered the target keeps counting: its fromVersion is what a rollback restores
    const prior = t.changed === true;
    const fromVersion = prior ? (t.fromVersion ?? o.fromVersion) : (o.fromVersion ?? t.fromVersion);
    const common = { fromVersion, toVersion: o.toVersion ?? t.toVersion, message: o.message, finishedAt: d.now };
    if (o.state === 'succeeded') {
      d.putTask({ ...t, ...common, status: 'SUCCEEDED', changed: (o.changed ?? true) || prior });
      if (spec.healthCheck) d.emit({ type: 'checkHealth', key: t.key, attempt: t.attempt });
    } else {
      d.putTask({ ...t, ...common, status: 'FAILED', changed: (o.changed ?? false) || prior });
      d.event('system', 'targetFailed', o.message ?? 'failed', { serviceId: spec.serviceId, batch: t.batch + 1, targetId: t.targetId });
    }
    if (d.head.faults > 0 && d.head.faults < MAX_FAULTS) d.head.faults = 0;
  }
}

function applyHealth(d: Draft, results: HealthResult[]): void {
  for (const r of results) {
    const t = d.task(r.key);
    if (!t || t.status !== 'SUCCEEDED' || t.attempt !== r.attempt || t.healthy !== undefined) continue;
    if (r.healthy) d.putTask({ ...t, healthy: true });
    else {
      const message = `health check failed: ${r.message ?? 'unhealthy'}`;
      d.putTask({ ...t, healthy: false, status: 'FAILED', message });
      d.event('system', 'targetFailed', message, { serviceId: d.spec.items[t.item].serviceId, batch: t.batch + 1, targetId: t.targetId });
    }
  }
}

function applyAlarm(d: Draft, a: Extract<Input, { type: 'alarm' }>): void {
  const what = `alarm ${a.alarmName} (${a.alarmId}) is ${a.state}`;
  if (isTerminal(d.head.status)) {
    d.reply = { ok: true, applied: false, message: 'the change order has finished' };
    return;
  }
  if (d.head.seenAlarms?.includes(a.alarmId)) {
    d.reply = { ok: true, applied: false, message: `${what}: already handled` };
    return;
  }
  d.head.seenAlarms = [...(d.head.seenAlarms ?? []), a.alarmId].slice(-MAX_SEEN_ALARMS);
  const policy = d.spec.type === 'rollback' ? 'ignore' : d.spec.onAlarm;
  if (a.state !== 'ALARM' || policy === 'ignore') {
    d.event('alarm', 'alarm', `${what}: recorded`);
    d.reply = { ok: true, applied: false, message: `${what}: recorded` };
    return;
  }
  if (policy === 'pause') applyCommand(d, { name: 'pause' }, 'alarm', what);
  else applyCommand(d, { name: 'abort', rollback: true }, 'alarm', what);
  if (d.reply && !d.reply.ok) d.reply = { ok: true, applied: false, message: `${what}: ${d.reply.message}` };
}

/** alarm ids remembered per order for deduplication (deliveries of one notification arrive close together) */
const MAX_SEEN_ALARMS = 100;

export function initialItemHead(item: ItemSpec): ItemHead {
  return {
    batch: 0,
    phase: 'pending',
    batchStartedAt: item.batches.map(() => null),
    batchFinishedAt: item.batches.map(() => null),
  };
}

export function initialHead(items: ItemSpec[]): OrderHead {
  return { status: 'READY', items: items.map(initialItemHead), faults: 0, outbox: [] };
}
