// The Store contract. It promises only what Tablestore guarantees, so that every adapter can keep it:
// - single-row writes, conditional on the row's existence or on a version column (compare-and-set);
// - per-row atomic increments (a target's changeCount);
// - range reads within one partition key, paged;
// - batch writes that are NOT atomic (each row succeeds or fails alone, at most 200 rows a call).
// No method may depend on two rows changing together. The engine's correctness argument rests on the
// order row's compare-and-set alone; everything else is idempotent by key.

import type { AuditEvent, OrderHead, OrderSpec, OrderStatus, Task } from '../engine/types.ts';

export interface OrderRecord {
  spec: OrderSpec;
  head: OrderHead;
  /** compare-and-set version: 1 on create, +1 on every update */
  version: number;
}

export interface ServiceRecord {
  id: string;
  description?: string;
  /** executor type and its configuration, e.g. {type: 'simulated', latencyMs: 50} */
  executor: { type: string } & Record<string, unknown>;
  /** default rollout options for plan items of this service */
  defaults: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

/** A target of a service, with the state an executor keeps about it (a simulated fleet lives here). */
export interface TargetRecord {
  serviceId: string;
  id: string;
  labels: string[];
  version: string;
  /** how many changes were applied to this target: proves nothing was changed twice */
  changeCount: number;
  /** executor-owned state (a simulated change in flight, the last attempt key, run state, ...) */
  state: Record<string, unknown>;
  /** compare-and-set version of this row */
  rev: number;
}

export interface StoredEvent extends AuditEvent {
  /** sortable, unique within the order: the head version that produced it and its index */
  seq: string;
}

export interface OrderQuery {
  status?: OrderStatus;
  serviceId?: string;
  limit: number;
  /** opaque cursor from a previous page */
  cursor?: string;
}

export interface OrderPage {
  orders: OrderRecord[];
  nextCursor?: string;
}

export interface ScopeHolder {
  scope: string;
  orderId: string;
  since: number;
}

export interface IdempotencyRecord {
  key: string;
  orderId: string;
  bodyHash: string;
  createdAt: number;
}

/** Row operations counted by every adapter, for the bench and the cost model. */
export interface StoreStats {
  reads: number;
  writes: number;
  bytesWritten: number;
}

export interface Store {
  readonly kind: string;

  // services: one row each
  putService(service: ServiceRecord): Promise<void>;
  getService(id: string): Promise<ServiceRecord | undefined>;
  listServices(): Promise<ServiceRecord[]>;
  /** removes the service and its targets; false when it did not exist */
  deleteService(id: string): Promise<boolean>;

  // targets: partition = serviceId
  /** upserts the given targets (batch, not atomic); unspecified fields of existing rows are replaced */
  putTargets(serviceId: string, targets: Omit<TargetRecord, 'serviceId' | 'rev'>[]): Promise<void>;
  listTargets(serviceId: string): Promise<TargetRecord[]>;
  getTarget(serviceId: string, id: string): Promise<TargetRecord | undefined>;
  /** compare-and-set on rev; returns the new rev; throws ConflictError when rev moved on */
  updateTarget(target: TargetRecord, expectedRev: number): Promise<number>;

  // change orders: one row each, compare-and-set on version
  /** throws AlreadyExistsError when the id is taken */
  createOrder(spec: OrderSpec, head: OrderHead): Promise<OrderRecord>;
  getOrder(id: string): Promise<OrderRecord | undefined>;
  /**
   * Writes the head (and the spec when given) if the stored version is still `expectedVersion`.
   * Returns the new version; throws ConflictError otherwise (including when the order is gone).
   */
  updateOrder(id: string, head: OrderHead, expectedVersion: number, spec?: OrderSpec): Promise<number>;
  /** removes the order, then its tasks and events (not atomic: an interrupted delete leaves only orphans) */
  deleteOrder(id: string): Promise<boolean>;
  /** newest first */
  listOrders(query: OrderQuery): Promise<OrderPage>;
  /** ids of orders whose head.dueAt <= now, earliest first */
  dueOrders(now: number, limit: number): Promise<string[]>;

  // tasks: partition = orderId, one row per task key
  /** upserts (batch, not atomic, chunked to 200 rows) */
  putTasks(orderId: string, tasks: Task[]): Promise<void>;
  listTasks(orderId: string): Promise<Task[]>;

  // audit events: partition = orderId, sorted by seq; writing a seq twice keeps one event
  appendEvents(orderId: string, events: StoredEvent[]): Promise<void>;
  listEvents(orderId: string, after?: string, limit?: number): Promise<StoredEvent[]>;

  // scope locks: one row per scope
  /** put-if-absent; returns the holder when someone else holds it (the same order re-acquiring is ok) */
  acquireScope(scope: string, orderId: string, now: number): Promise<{ ok: true } | { ok: false; holder: ScopeHolder }>;
  /** moves the lock from `fromOrderId` to `toOrderId` only if `fromOrderId` holds it */
  transferScope(scope: string, fromOrderId: string, toOrderId: string, now: number): Promise<boolean>;
  /** deletes the lock only if `orderId` holds it */
  releaseScope(scope: string, orderId: string): Promise<boolean>;
  getScope(scope: string): Promise<ScopeHolder | undefined>;

  // idempotency keys of submissions: one row each
  /** put-if-absent; returns the existing record when the key was already claimed */
  claimIdempotencyKey(rec: IdempotencyRecord): Promise<IdempotencyRecord | undefined>;

  stats(): StoreStats;
  close(): Promise<void>;
}

/** A conditional write lost its race: reload and decide again. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

export class AlreadyExistsError extends Error {
  override readonly name = 'AlreadyExistsError';
}

export const isConflict = (e: unknown): e is ConflictError => e instanceof ConflictError;
