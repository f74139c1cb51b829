// The local runtime: the same handlers as the cloud, in one process, with an embedded SQLite store, an
// in-process queue for async invocations and an in-process ticker.

import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { createApi } from '../api/routes.ts';
import { ExecutorRegistry } from '../executors/registry.ts';
import { LocalDispatcher } from '../runtime/local-dispatcher.ts';
import { consoleLogger, type Logger, type Runtime } from '../runtime/runtime.ts';
import { recover, tick } from '../runtime/ticker.ts';
import { openSqliteStore } from '../store/sqlite.ts';

export interface LocalOptions {
  dataDir: string;
  port: number;
  host?: string;
  tickMs?: number;
  log?: Logger;
  synchronous?: 'FULL' | 'NORMAL';
  /** bearer token the API requires (default CHANGEFLOW_API_TOKEN; none: loopback only) */
  apiToken?: string;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

export interface LocalApp {
  rt: Runtime;
  dispatcher: LocalDispatcher;
  url: string;
  close(): Promise<void>;
}

export function createRuntime(dataDir: string, log: Logger, synchronous?: 'FULL' | 'NORMAL', fleetSynchronous = synchronous): { rt: Runtime; dispatcher: LocalDispatcher } {
  const path = join(dataDir, 'changeflow.db');
  const store = openSqliteStore({ path, synchronous });
  // the simulated fleet writes through its own connection, so the store's counters show the orchestrator alone
  const fleet = openSqliteStore({ path, synchronous: fleetSynchronous });
  const dispatcher = new LocalDispatcher();
  const now = () => Date.now();
  const rt: Runtime = {
    store,
    executors: new ExecutorRegistry({ fleet, now }),
    now,
    dispatcher,
    log,
    cache: new Map(),
   
    alarmToken: process.env.CHANGEFLOW_ALARM_TOKEN || undefined,
    apiToken: process.env.CHANGEFLOW_API_TOKEN || undefined,
  };
  dispatcher.attach(rt);
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await fleet.close();
  };
  return { rt, dispatcher };
}

export async function startLocal(opts: LocalOptions): Promise<LocalApp> {
  const log = opts.log ?? consoleLogger;
  const host = opts.host ?? '127.0.0.1';
  const token = opts.apiToken ?? (process.env.CHANGEFLOW_API_TOKEN || undefined);
  // without a token the API is open to whoever can connect: only this machine may
  if (!isLoopback(host) && token === undefined) throw new Error(`refusing to listen on ${host} without an API token: set CHANGEFLOW_API_TOKEN (or listen on 127.0.0.1)`);
  const { rt, dispatcher } = createRuntime(opts.dataDir, log, opts.synchronous);
  rt.apiToken = token;
  const app = createApi(rt);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: opts.port, hostname: host }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  await recover(rt);
  const timer = setInterval(() => void tick(rt).catch((e) => log.error('tick failed', { error: String(e) })), opts.tickMs ?? 1000);
  timer.unref();
  return {
    rt,
    dispatcher,
    url: `http://${host}:${port}`,
    async close() {
      clearInterval(timer);
      dispatcher.stop();
      await new Promise<void>((r) => server.close(() => r()));
      await dispatcher.idle();
      await rt.store.close();
    },
  };
}
