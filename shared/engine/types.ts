// The engine's vocabulary. Everything here is plain data: it is stored as JSON, sent over the wire and
// replayed in tests, so no class instances, no Dates (times are epoch milliseconds), no Maps.

/** Change order statuses with their EDAS codes (SPEC §3). */
export const ORDER_STATUS = {
  /** accepted, not started (scheduled start not reached, or a rollback waiting for its source) */
  READY: 0,
  /** tasks are running */
  RUNNING: 1,
  /** every target changed */
  SUCCEEDED: 2,
  /** stopped because failures passed maxErrors (onFailure: fail or rollback) */
  FAILED: 3,
  /** aborted by a user or an alarm */
  STOPPED: 6,
  /** finished; some targets failed or were skipped within maxErrors */
  PARTIAL: 7,
  /** a batch is done; waiting for `continue` */
  WAITING_MANUAL: 8,
  /** waiting for batchWaitSeconds, bake time, a rollout window or startAt */
  WAITING_AUTO: 9,
  /** an infrastructure fault outlasted retries; `resume` continues */
  SYSTEM_ERROR: 10,
  /** paused by a user or an alarm; no new task starts */
  PAUSED: 11,
  /** failures passed maxErrors with onFailure: pause */
  FAILURE_PAUSED: 12,
  /** pause requested; running tasks are finishing */
  PAUSING: 13,
  /** abort requested; running tasks are finishing */
  STOPPING: 14,
} as const;
export type OrderStatus = keyof typeof ORDER_STATUS;

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['SUCCEEDED', 'FAILED', 'STOPPED', 'PARTIAL'];
export const isTerminal = (s: OrderStatus): boolean => TERMINAL_STATUSES.includes(s);

export const TASK_STATUS = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUS)[number];

export const DEPLOYMENTS = ['START', 'STOP', 'RESTART', 'HTTP_UPLOAD_DEPLOY', 'COMPILE_DEPLOY'] as const;
export type Deployment = (typeof DEPLOYMENTS)[number];
/** What a task asks an executor to do: a plan's deployment, or ROLLBACK to a recorded version. */
export type TaskAction = Deployment | 'ROLLBACK';

export const EXEC_METHODS = ['PARALLEL', 'SEQUENTIAL'] as const;
export type ExecMethod = (typeof EXEC_METHODS)[number];
export const PAUSE_OPTIONS = ['Automatic', 'FirstBatchPause', 'EveryBatchPause'] as const;
export type PauseOption = (typeof PAUSE_OPTIONS)[number];
export const FAILURE_POLICIES = ['fail', 'pause', 'rollback'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];
export const ALARM_POLICIES = ['rollback', 'pause', 'ignore'] as const;
export type AlarmPolicy = (typeof ALARM_POLICIES)[number];
export type Actor = 'user' | 'alarm' | 'timer' | 'system';

export interface HealthCheck {
  type: 'http';
  path: string;
  expectStatus: number;
  timeoutSeconds: number;
  retries: number;
}

export interface RolloutWindow {
  timezone: string;
  allow: string[];
  deny: string[];
}

/** Which alarms concern a service besides those naming it in their dimensions: a name, or a metric and
 * dimension values (`*` matches any run of characters). */
export interface AlarmSelector {
  name?: string;
  metric?: string;
  dimensions?: Record<string, string>;
}

/** One service item of an order as resolved at submission: immutable afterwards. */
export interface ItemSpec {
  serviceId: string;
  priority: number;
  deployment: Deployment;
  executor: string;
  containerExecMethod: ExecMethod;
  /** PARALLEL: at most this many targets at once (0 = the whole batch) */
  maxConcurrency: number;
  batchPauseOption: PauseOption;
  batchWaitSeconds: number;
  maxErrors: number;
  onFailure: FailurePolicy;
  healthCheck?: HealthCheck;
  bakeSeconds: number;
  /** the version label the deploy records on each target (absent for START/STOP/RESTART) */
  version?: string;
  /** deployment inputs handed to the executor (httpSrcUri, compileRepoPath, ESS parameters, ...) */
  artifact: Record<string, unknown>;
  /** target ids per batch, in order */
  batches: string[][];
  /** rollback orders only: per target, the version to return to and the action that does it */
  rollbackTo?: Record<string, { version?: string; action: TaskAction }>;
  /** alarms that act on this order while it is active (besides those matched by dimensions) */
  alarms?: AlarmSelector[];
  /** the executor wants prepare/finalize calls around the whole order and/or around each batch */
  hooks?: { order?: boolean; batch?: boolean };
}

/** The immutable part of a change order, written once at submission. */
export interface OrderSpec {
  id: string;
  type: 'deploy' | 'rollback';
  createdAt: number;
  comment: string;
  /** what the user submitted: an EWS plan or an ESS rolling-update request */
  origin: 'plan' | 'ess';
  onAlarm: AlarmPolicy;
  startAt?: number;
  window?: RolloutWindow;
  sourceChangeOrderId?: string;
  /** rollback orders: batch options the user asked for (applied when the source has finished) */
  rollbackOptions?: RollbackOptions;
  /** scope locks this order holds while active (services, scaling groups) */
  scopes: string[];
  items: ItemSpec[];
}

export interface RollbackOptions {
  batchNumber?: number;
  batchPauseOption?: PauseOption;
  batchWaitSeconds?: number;
  containerExecMethod?: ExecMethod;
  maxConcurrency?: number;
}

/** Where an item is within its current batch. */
export type ItemPhase =
  | 'pending' // its priority group has not started
  | 'tasks' // the batch's tasks (and their health checks) are running
  | 'bake' // health passed; watching alarms until waitUntil
  | 'wait' // Automatic: batchWaitSeconds before the next batch
  | 'manual' // FirstBatchPause / EveryBatchPause: waiting for continue
  | 'done'; // every batch finished (see ItemHead.result)

export interface ItemHead {
  /** index of the current batch (0-based) */
  batch: number;
  phase: ItemPhase;
  waitUntil?: number;
  startedAt?: number;
  finishedAt?: number;
  /** set when the item finished or failed */
  result?: 'SUCCEEDED' | 'PARTIAL' | 'FAILED' | 'STOPPED';
  /** FirstBatchPause pauses only once */
  firstPauseDone?: boolean;
  /** the next batch waits for its rollout window: when it opens (null: not within the horizon) */
  windowWait?: number | null;
  /** batch hooks acknowledged: the last batch prepared and the last batch finalized (-1: none) */
  preparedBatch?: number;
  finalizedBatch?: number;
  /** the batch hook last asked for ('prepareBatch:2'): asked once when it falls due, again on sweeps */
  hookAsked?: string;
  batchStartedAt: (number | null)[];
  batchFinishedAt: (number | null)[];
}

export interface AuditEvent {
  at: number;
  actor: Actor;
  type: string;
  /** status after the event, when it changed */
  status?: OrderStatus;
  serviceId?: string;
  batch?: number;
  targetId?: string;
  reason: string;
}

/** A command the engine must carry out once: stored in the head until it has been. */
export type Intent =
  | { kind: 'pause'; actor: Actor; at: number; reason: string }
  | { kind: 'abort'; actor: Actor; at: number; reason: string };

/** The mutable part of a change order, rewritten by compare-and-set on `version`. */
export interface OrderHead {
  status: OrderStatus;
  startedAt?: number;
  finishedAt?: number;
  items: ItemHead[];
  intent?: Intent;
  /** rollback orders: the source has finished and the items were resolved */
  rollbackResolved?: boolean;
  rolledBackBy?: string;
  /** who asked for the rollback, why, and with which batch options */
  rollbackRequest?: { actor: Actor; reason: string; options: RollbackOptions };
  /** the linked rollback order named by rolledBackBy exists */
  rollbackCreated?: boolean;
  /** order hooks acknowledged */
  preparedAt?: number;
  /** the failure policy stopped new tasks (onFailure fail/rollback): the order ends FAILED */
  failing?: { reason: string };
  faults: number;
  lastFault?: string;
  /** when the order must next be looked at even if nothing wakes it (timers, polls, leases) */
  dueAt?: number;
  finalizedAt?: number;
  message?: string;
  /** ids of the alarm notifications this order has seen: each acts at most once */
  seenAlarms?: string[];
  /** events of the last transition, flushed to the event log after the head is written */
  outbox: AuditEvent[];
}

export interface Task {
  /** `${item}/${batch}/${targetId}` */
  key: string;
  item: number;
  batch: number;
  targetId: string;
  status: TaskStatus;
  attempt: number;
  action: TaskAction;
  fromVersion?: string;
  toVersion?: string;
  /** the target was altered by this task (a rollback includes it) */
  changed?: boolean;
  /** a failure the user accepted (continue from FAILURE_PAUSED, or cancel): no longer counts */
  acked?: boolean;
  message?: string;
  startedAt?: number;
  finishedAt?: number;
  /** healthCheck: the check after the change passed */
  healthy?: boolean;
}

/** Everything the engine decides on. Tasks absent from `tasks` are PENDING. */
export interface OrderState {
  spec: OrderSpec;
  head: OrderHead;
  version: number;
  tasks: Record<string, Task>;
}

export const taskKey = (item: number, batch: number, targetId: string): string => `${item}/${batch}/${targetId}`;
