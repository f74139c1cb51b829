// What goes into decide() and what comes out of it.

import type { Actor, AuditEvent, ItemSpec, OrderState, RollbackOptions, Task } from './types.ts';

export type Command =
  | { name: 'pause' }
  | { name: 'resume' }
  /** `batch` (1-based) names the batch the caller expects to release, so a repeat releases nothing more */
  | { name: 'continue'; batch?: number }
  | { name: 'abort'; rollback?: boolean; options?: RollbackOptions }
  | { name: 'rollback'; options?: RollbackOptions }
  | { name: 'retry' | 'skip' | 'cancel'; targetId: string; serviceId?: string };

/** What an executor said about one task attempt. */
export interface Outcome {
  key: string;
  attempt: number;
  state: 'running' | 'succeeded' | 'failed';
  fromVersion?: string;
  toVersion?: string;
  /** the target was altered (a failed change can still have altered it) */
  changed?: boolean;
  message?: string;
}

export interface HealthResult {
  key: string;
  attempt: number;
  healthy: boolean;
  message?: string;
}

export type Input =
  /** look at the order: start what may start, fire due timers; a tick at or after head.dueAt also re-polls */
  | { type: 'tick'; sweep?: boolean }
  | { type: 'outcomes'; outcomes: Outcome[] }
  | { type: 'health'; results: HealthResult[] }
  /** the executor could not be reached (network, throttling, 5xx) */
  | { type: 'fault'; message: string }
  | { type: 'command'; command: Command; actor: Actor; reason?: string }
  | { type: 'alarm'; alarmId: string; alarmName: string; state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA' }
  /** a rollback order's source has finished: these are the items that undo it */
  | { type: 'rollbackResolved'; items: ItemSpec[] }
  /** a rollback order cannot start yet (its source is active, or its scope is held) */
  | { type: 'rollbackBlocked'; reason: string }
  | { type: 'rollbackCreated' }
  | { type: 'prepared'; item?: number; batch?: number }
  | { type: 'batchFinalized'; item: number; batch: number }
  | { type: 'finalized' };

/** Side effects the runtime carries out after the decision is stored. Each is idempotent. */
export type Effect =
  | { type: 'startTask'; key: string; attempt: number }
  | { type: 'pollTask'; key: string; attempt: number }
  | { type: 'checkHealth'; key: string; attempt: number }
  | { type: 'prepareOrder' }
  | { type: 'prepareBatch'; item: number; batch: number }
  | { type: 'finalizeBatch'; item: number; batch: number }
  | { type: 'createRollback'; rollbackId: string; options: RollbackOptions; actor: Actor; reason: string }
  /** run the finalizers: executor hooks, release scope locks, wake the linked rollback order */
  | { type: 'finalize' };

export type EffectType = Effect['type'];
/** A handler for every effect: adding an effect without handling it does not compile. */
export type EffectHandlers<R> = { [K in EffectType]: (effect: Extract<Effect, { type: K }>) => R };

export type ReplyError =
  | 'InvalidState' // the command does not apply in the current status
  | 'BatchMismatch' // continue named a batch that is not the next one
  | 'TargetNotFound'
  | 'TargetAmbiguous'
  | 'TaskState' // the target's task is in a state the command does not apply to
  | 'RollbackNotAllowed';

export type Reply =
  | { ok: true; applied: boolean; message: string; rollbackChangeOrderId?: string }
  | { ok: false; error: ReplyError; message: string };

export interface Decision {
  state: OrderState;
  effects: Effect[];
  /** tasks whose rows must be written */
  changedTasks: Task[];
  /** true when anything must be written */
  changed: boolean;
  /** true when the head must be written (a step that only records task outcomes writes just the task rows) */
  headChanged: boolean;
  specChanged: boolean;
  reply?: Reply;
  events: AuditEvent[];
}
