// The Executor interface: how a change is applied to one target. Asynchronous by design: `start` begins a
// change and returns at once; `poll` reports on it. Both are idempotent per attempt key, so a start
// repeated after a crash or a duplicated invocation never changes a target twice.

import type { HealthCheck, ItemSpec, OrderSpec, TaskAction } from '../engine/types.ts';
import type { ServiceRecord, Store } from '../store/store.ts';

export interface TaskSpec {
  orderId: string;
  key: string;
  attempt: number;
  /** unique per (order, task, attempt): ECS/OOS ClientToken, the simulated fleet's dedupe key */
  idempotencyKey: string;
  service: ServiceRecord;
  targetId: string;
  action: TaskAction;
  /** the version to put on the target (absent for START/STOP/RESTART) */
  version?: string;
  artifact: Record<string, unknown>;
}

export type TaskReport =
  | { state: 'running'; pollAfterMs: number; message?: string }
  | { state: 'succeeded'; fromVersion?: string; toVersion?: string; changed: boolean; message?: string }
  | { state: 'failed'; fromVersion?: string; changed: boolean; message: string }
  /** poll only: the executor has no record of this attempt (it was never started) */
  | { state: 'unknown' };

/** An Alibaba Cloud key pair (STS when securityToken is set). Never stored, logged or put in a message. */
export interface CloudCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** Products whose endpoint can be overridden (a fake cloud in tests, a VPC endpoint in production). */
export type CloudProduct = 'ecs' | 'ess' | 'oos' | 'fc';

export interface ExecutorDeps {
  /** where executors keep their own state (the simulated fleet, cloud progress); may be a separate connection */
  fleet: Store;
  now: () => number;
  /** the cloud credentials of the moment (the function's role in FC); default: ALIBABA_CLOUD_ACCESS_KEY_* */
  credentials?: () => CloudCredentials;
  /** per-product endpoint overrides (a service's `endpoint` config still wins) */
  endpoints?: Partial<Record<CloudProduct, string>>;
}

/** A target found by an executor's discovery (the In Service instances of a scaling group, an FC alias's steps). */
export interface DiscoveredTarget {
  id: string;
  labels?: string[];
  /** what the target runs now, when the executor can tell (an instance's image) */
  version?: string;
}

export interface Executor {
  readonly type: string;
  start(task: TaskSpec): Promise<TaskReport>;
  poll(task: TaskSpec): Promise<TaskReport>;
  checkHealth?(task: TaskSpec, check: HealthCheck): Promise<{ healthy: boolean; message?: string }>;
  /**
   * the service's targets as the cloud sees them now, called at submission; undefined when the service's
   * configuration names no discovery source (its registered targets are used)
   */
  discover?(service: ServiceRecord): Promise<DiscoveredTarget[] | undefined>;
  /** around the whole order (ESS: suspend scaling processes / resume them); idempotent */
  prepareOrder?(order: OrderSpec, item: ItemSpec): Promise<void>;
  finalizeOrder?(order: OrderSpec, item: ItemSpec): Promise<void>;
  /** around each batch (ESS: Standby in / out); idempotent */
  prepareBatch?(order: OrderSpec, item: ItemSpec, batch: number): Promise<void>;
  finalizeBatch?(order: OrderSpec, item: ItemSpec, batch: number): Promise<void>;
}

/** A transient infrastructure fault (network, throttling, 5xx): the runtime retries, then SYSTEM_ERROR. */
export class ExecutorFault extends Error {
  override readonly name = 'ExecutorFault';
}

export type ExecutorFactory = (deps: ExecutorDeps) => Executor;

/** which hooks an executor type has, recorded on each item at submission */
export function hooksOf(executor: Executor): ItemSpec['hooks'] {
  const order = Boolean(executor.prepareOrder || executor.finalizeOrder);
  const batch = Boolean(executor.prepareBatch || executor.finalizeBatch);
  return order || batch ? { order, batch } : undefined;
}
