// How an order looks to its readers: the changeflow detail, the EDAS GetChangeOrderInfo shape, and the
// EWS execution report. Derived on read; nothing here is stored.

import { expectedBatch } from '../engine/commands.ts';
import { Draft } from '../engine/draft.ts';
import { failurePaused } from '../engine/progress.ts';
import { isSettled, tally } from '../engine/tally.ts';
import { isTerminal, ORDER_STATUS, type OrderState, type OrderStatus, type Task } from '../engine/types.ts';

const iso = (t: number | null | undefined) => (t == null ? undefined : new Date(t).toISOString());

function itemStatus(d: Draft, i: number): OrderStatus {
  const ih = d.head.items[i];
  const order = d.head.status;
  if (ih.phase === 'done' || ih.result) return ih.result ?? 'SUCCEEDED';
  if (isTerminal(order)) return ih.startedAt === undefined ? 'STOPPED' : 'STOPPED';
  if (ih.phase === 'pending') return 'READY';
  if (['PAUSING', 'PAUSED', 'STOPPING', 'SYSTEM_ERROR'].includes(order)) return order;
  if (ih.phase === 'tasks') return failurePaused(d, i, tally(d, i)) ? 'FAILURE_PAUSED' : ih.windowWait !== undefined ? 'WAITING_AUTO' : 'RUNNING';
  return ih.phase === 'manual' ? 'WAITING_MANUAL' : 'WAITING_AUTO';
}

function batchStatus(d: Draft, i: number, b: number, tasks: Task[]): OrderStatus {
  const ih = d.head.items[i];
  const finished = tasks.every(isSettled);
  const blemished = tasks.some((t) => t.status !== 'SUCCEEDED');
  if (b < ih.batch || ih.phase === 'done' || (b === ih.batch && ih.batchFinishedAt[b] != null)) {
    if (!finished) return 'STOPPED';
    return tasks.some((t) => t.status === 'FAILED' && !t.acked) ? 'FAILED' : blemished ? 'PARTIAL' : 'SUCCEEDED';
  }
  if (b > ih.batch || ih.phase === 'pending') return isTerminal(d.head.status) ? 'STOPPED' : 'READY';
  return itemStatus(d, i);
}

const taskView = (t: Task) => ({
  targetId: t.targetId,
  status: t.status,
  attempt: t.attempt,
  action: t.action,
  fromVersion: t.fromVersion,
  toVersion: t.toVersion,
  message: t.message,
  healthy: t.healthy,
  startedAt: iso(t.startedAt),
  finishedAt: iso(t.finishedAt),
});

export function orderSummary(state: Pick<OrderState, 'spec' | 'head'>) {
  const { spec, head } = state;
  return {
    changeOrderId: spec.id,
    type: spec.type,
    status: head.status,
    statusCode: ORDER_STATUS[head.status],
    comment: spec.comment,
    services: spec.items.map((i) => i.serviceId),
    targets: spec.items.reduce((n, i) => n + i.batches.flat().length, 0),
    createdAt: iso(spec.createdAt),
    startedAt: iso(head.startedAt),
    finishedAt: iso(head.finishedAt),
    sourceChangeOrderId: spec.sourceChangeOrderId,
    rolledBackBy: head.rolledBackBy,
  };
}

export function orderView(state: OrderState) {
  const d = new Draft(state, Date.now());
  const { spec, head } = state;
  return {
    ...orderSummary(state),
    origin: spec.origin,
    onAlarm: spec.onAlarm,
    startAt: iso(spec.startAt),
    nextBatch: isTerminal(head.status) ? undefined : expectedBatch(d),
    nextWindowAt: iso(head.items.map((ih) => (ih.phase === 'tasks' && typeof ih.windowWait === 'number' ? ih.windowWait : null)).reduce<number | null>((a, b) => (b !== null && (a === null || b < a) ? b : a), null)),
    window: spec.window,
    message: head.message ?? head.failing?.reason ?? head.lastFault,
    intent: head.intent,
    finalized: head.finalizedAt !== undefined,
    services: spec.items.map((item, i) => {
      const ih = head.items[i];
      return {
        serviceId: item.serviceId,
        priority: item.priority,
        deployment: item.deployment,
        executor: item.executor,
        version: item.version,
        containerExecMethod: item.containerExecMethod,
        batchPauseOption: item.batchPauseOption,
        maxErrors: item.maxErrors,
        onFailure: item.onFailure,
        status: itemStatus(d, i),
        statusCode: ORDER_STATUS[itemStatus(d, i)],
        currentBatch: ih.phase === 'pending' ? 0 : ih.batch + 1,
        waitUntil: iso(ih.waitUntil),
        startedAt: iso(ih.startedAt),
        finishedAt: iso(ih.finishedAt),
        batches: item.batches.map((_, b) => {
          const tasks = d.batchTasks(i, b);
          const status = batchStatus(d, i, b, tasks);
          return {
            batch: b + 1,
            status,
            statusCode: ORDER_STATUS[status],
            startedAt: iso(ih.batchStartedAt[b]),
            finishedAt: iso(ih.batchFinishedAt[b]),
            tasks: tasks.map(taskView),
          };
        }),
      };
    }),
  };
}

/** EDAS GetChangeOrderInfo: existing scripts that read changeOrderInfo.Status keep working */
export function edasView(state: OrderState) {
  const v = orderView(state);
  const multi = v.services.length > 1;
  return {
    Code: 200,
    Message: 'success',
    changeOrderInfo: {
      ChangeOrderId: v.changeOrderId,
      Status: v.statusCode,
      Desc: v.comment,
      CreateTime: v.createdAt,
      BatchCount: v.services.reduce((n, s) => n + s.batches.length, 0),
      PipelineInfoList: {
        PipelineInfo: v.services.flatMap((s) =>
          s.batches.map((b) => ({
            PipelineId: `${v.changeOrderId}/${s.serviceId}/${b.batch}`,
            PipelineName: `${multi ? `${s.serviceId} ` : ''}Batch ${b.batch} Change`,
            PipelineStatus: b.statusCode,
            StartTime: b.startedAt,
            UpdateTime: b.finishedAt ?? b.startedAt,
            TaskMessage: b.tasks.map((t) => `${t.targetId}: ${t.status}${t.message ? ` (${t.message})` : ''}`).join('<br>'),
          })),
        ),
      },
    },
  };
}

/** EWS execution report: per service its status, start and end, and the key messages */
export function reportView(state: OrderState) {
  const v = orderView(state);
  return {
    changeOrderId: v.changeOrderId,
    type: v.type,
    status: v.status,
    statusCode: v.statusCode,
    comment: v.comment,
    startedAt: v.startedAt,
    finishedAt: v.finishedAt,
    rolledBackBy: v.rolledBackBy,
    sourceChangeOrderId: v.sourceChangeOrderId,
    services: v.services.map((s) => {
      const tasks = s.batches.flatMap((b) => b.tasks);
      const count = (st: string) => tasks.filter((t) => t.status === st).length;
      return {
        serviceId: s.serviceId,
        status: s.status,
        statusCode: s.statusCode,
        startedAt: s.startedAt,
        finishedAt: s.finishedAt,
        batches: s.batches.length,
        targets: { total: tasks.length, succeeded: count('SUCCEEDED'), failed: count('FAILED'), skipped: count('SKIPPED'), cancelled: count('CANCELLED'), pending: count('PENDING'), running: count('RUNNING') },
        messages: tasks.filter((t) => t.status !== 'SUCCEEDED' && t.message).map((t) => `${t.targetId}: ${t.message}`).slice(0, 50),
      };
    }),
  };
}
