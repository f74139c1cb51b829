// What every handler needs: the store, the executors, a clock and a way to hand work on.

import { ExecutorRegistry } from '../executors/registry.ts';
import type { Effect, Input, Reply } from '../engine/io.ts';
import type { EngineConfig } from '../engine/draft.ts';
import type { OrderState } from '../engine/types.ts';
import type { Store } from '../store/store.ts';

/** Hands work on: the local in-process queue, or FC asynchronous invocation of the worker. */
export interface Dispatcher {
  /** run the order's worker with these inputs (and effects still to carry out), at least once */
  submit(orderId: string, inputs?: Input[], effects?: Effect[]): void;
  /** make sure the order is looked at no later than `at` (epoch ms) */
  wakeAt(orderId: string, at: number): void;
  /** run inputs for the order (serialised with its other work) and resolve with their replies once stored */
  call(orderId: string, inputs: Input[]): Promise<(Reply | undefined)[]>;
  /** ask the executor about a running task again after `ms` */
  pollLater(orderId: string, key: string, attempt: number, ms: number): void;
}

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface Runtime {
  store: Store;
  executors: ExecutorRegistry;
  now: () => number;
  dispatcher: Dispatcher;
  log: Logger;
  /** the last state this process wrote, per order: reused while the stored version still matches */
  cache: Map<string, OrderState>;
  /** engine settings (the lease after which in-flight work is swept) */
  engine?: EngineConfig;
  /** where new change order ids come from (a seeded generator in the simulation); default random UUIDs */
  newId?: () => string;
  /** the bearer token API callers present (CHANGEFLOW_API_TOKEN); unset locally: no check (127.0.0.1 only) */
  apiToken?: string;
  /** refuse every API call when no token is configured (the cloud) */
  requireAuth?: boolean;
  /** the shared secret alarm senders present (header x-changeflow-token or ?token=); unset: not checked */
  alarmToken?: string;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export const consoleLogger: Logger = {
  info: (msg, f) => console.log(JSON.stringify({ level: 'info', msg, ...f })),
  warn: (msg, f) => console.warn(JSON.stringify({ level: 'warn', msg, ...f })),
  error: (msg, f) => console.error(JSON.stringify({ level: 'error', msg, ...f })),
};
