// The runtime of the cloud functions: Tablestore as the store, FC asynchronous invocation as the
// dispatcher, credentials from the function's role. Built once per container and credentials.

import { ExecutorRegistry } from '../executors/registry.ts';
import { consoleLogger, type Runtime } from '../runtime/runtime.ts';
import type { Store } from '../store/store.ts';
import { openTablestoreStore } from '../store/tablestore.ts';
import { credentialsOf, type FcContext } from './context.ts';
import { FcDispatcher } from './fc-dispatcher.ts';
import { fcInvoker, type Invoker } from './fc-invoker.ts';

export interface CloudConfig {
  tablestore: { endpoint: string; instanceName: string; tablePrefix: string };
  fc: { endpoint: string; protocol: 'https' | 'http'; workerFunction: string };
}

export function cloudConfig(ctx: FcContext, env: NodeJS.ProcessEnv = process.env): CloudConfig {
  const region = ctx.region ?? env.FC_REGION ?? env.ALIBABA_CLOUD_REGION;
  const accountId = ctx.accountId ?? env.FC_ACCOUNT_ID;
  const instanceName = env.CHANGEFLOW_TABLESTORE_INSTANCE;
  if (!instanceName) throw new Error('CHANGEFLOW_TABLESTORE_INSTANCE is not set (s.yaml environmentVariables)');
  const tsEndpoint = env.CHANGEFLOW_TABLESTORE_ENDPOINT ?? (region ? `https://${instanceName}.${region}.ots.aliyuncs.com` : undefined);
  const fcEndpoint = env.CHANGEFLOW_FC_ENDPOINT ?? (accountId && region ? `${accountId}.${region}.fc.aliyuncs.com` : undefined);
  if (!tsEndpoint) throw new Error('CHANGEFLOW_TABLESTORE_ENDPOINT is not set and the region is unknown');
  if (!fcEndpoint) throw new Error('CHANGEFLOW_FC_ENDPOINT is not set and the account or region is unknown');
  const fcUrl = fcEndpoint.includes('://') ? new URL(fcEndpoint) : undefined;
  return {
    tablestore: { endpoint: tsEndpoint, instanceName, tablePrefix: env.CHANGEFLOW_TABLE_PREFIX ?? 'changeflow_' },
    fc: {
      endpoint: fcUrl ? fcUrl.host : fcEndpoint,
      protocol: fcUrl?.protocol === 'http:' ? 'http' : 'https',
      workerFunction: env.CHANGEFLOW_WORKER_FUNCTION ?? 'changeflow-worker',
    },
  };
}

export interface CloudRuntime {
  rt: Runtime;
  dispatcher: FcDispatcher;
}

const cache = new Map<string, Promise<CloudRuntime>>();

/**
 * The runtime for this invocation; `invoker` and `store` may be given (tests). Clients are reused across
 * invocations of a container, but not the order cache: another instance may have written since, and a
 * step that only records outcomes does not move the version the cache is checked against.
 */
export async function cloudRuntime(ctx: FcContext, over: { invoker?: Invoker; store?: Store; env?: NodeJS.ProcessEnv } = {}): Promise<CloudRuntime> {
  const made = await containerRuntime(ctx, over);
  made.rt.cache.clear();
  return made;
}

function containerRuntime(ctx: FcContext, over: { invoker?: Invoker; store?: Store; env?: NodeJS.ProcessEnv }): Promise<CloudRuntime> {
  const creds = credentialsOf(ctx, over.env);
  const key = `${creds.accessKeyId}/${creds.securityToken ?? ''}`;
  let made = cache.get(key);
  if (!made || over.store || over.invoker) {
    made = build(ctx, over);
    if (!over.store && !over.invoker) {
      cache.clear(); // credentials rotated: drop the old clients
      cache.set(key, made);
    }
    made.catch(() => cache.delete(key));
  }
  return made;
}

async function build(ctx: FcContext, over: { invoker?: Invoker; store?: Store; env?: NodeJS.ProcessEnv }): Promise<CloudRuntime> {
  const env = over.env ?? process.env;
  const config = cloudConfig(ctx, env);
  const creds = credentialsOf(ctx, env);
  const store =
    over.store ??
    (await openTablestoreStore({
      endpoint: config.tablestore.endpoint,
      instanceName: config.tablestore.instanceName,
      tablePrefix: config.tablestore.tablePrefix,
      accessKeyId: creds.accessKeyId,
      accessKeySecret: creds.accessKeySecret,
      securityToken: creds.securityToken,
    }));
  const invoker = over.invoker ?? fcInvoker({ endpoint: config.fc.endpoint, protocol: config.fc.protocol, credentials: creds });
  const now = () => Date.now();
  const dispatcher = new FcDispatcher(invoker, config.fc.workerFunction, now);
  // executors act with the function's role: its STS credentials rotate, so they are read per call
  const executors = new ExecutorRegistry({ fleet: store, now, credentials: () => credentialsOf(ctx, env) });
  const leaseMs = Number(env.CHANGEFLOW_LEASE_MS ?? 0);
  const rt: Runtime = {
    store,
    executors,
    now,
    dispatcher,
    log: consoleLogger,
    cache: new Map(),
   
    alarmToken: env.CHANGEFLOW_ALARM_TOKEN || undefined,
    apiToken: env.CHANGEFLOW_API_TOKEN || undefined,
    requireAuth: true,
    engine: leaseMs > 0 ? { leaseMs } : undefined,
  };
  dispatcher.attach(rt);
  return { rt, dispatcher };
}
