// Test harness for the cloud executors: the fake cloud, a real local changeflow pointed at it through the
// environment (as an operator would), and a bare executor with its own store for crash/restart tests.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorDeps, TaskSpec } from '../../shared/executors/executor.ts';
import { startLocal, type LocalApp } from '../../shared/local/app.ts';
import type { Logger } from '../../shared/runtime/runtime.ts';
import { openSqliteStore } from '../../shared/store/sqlite.ts';
import type { ServiceRecord, Store } from '../../shared/store/store.ts';
import { startFakeCloud, type FakeCloud, type FakeCloudOptions } from '../support/fake-cloud.ts';
import { TERMINAL } from '../support/local-server.ts';

/** what the runtime reads: credentials as FC's role gives them, every product at the fake cloud, fast polls */
export function pointAt(cloud: FakeCloud): void {
  process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = cloud.credentials.accessKeyId;
  process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = cloud.credentials.accessKeySecret;
  process.env.ALIBABA_CLOUD_SECURITY_TOKEN = cloud.credentials.securityToken ?? '';
  process.env.CHANGEFLOW_CLOUD_ENDPOINT = cloud.url;
  process.env.CHANGEFLOW_CLOUD_POLL_MS = '15';
  process.env.CHANGEFLOW_CLOUD_RETRY_MS = '5';
}

export interface CloudServer {
  cloud: FakeCloud;
  app: LocalApp;
  /** every log line the server wrote */
  logs: string[];
  /** every response body the API sent (for the redaction scan) */
  bodies: string[];
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  waitFor<T = any>(path: string, until: (body: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export const done = (o: any): boolean => TERMINAL.includes(o.status) && o.finalized;

export async function startCloudServer(opts: FakeCloudOptions = {}): Promise<CloudServer> {
  const cloud = await startFakeCloud(opts);
  pointAt(cloud);
  const logs: string[] = [];
  const bodies: string[] = [];
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>) => void logs.push(JSON.stringify({ level, msg, ...fields }));
  const log: Logger = { info: line('info'), warn: line('warn'), error: line('error') };
  const dataDir = mkdtempSync(join(tmpdir(), 'changeflow-cloud-'));
  const app = await startLocal({ dataDir, port: 0, log, tickMs: 50 });
  const api = async (method: string, path: string, body?: unknown) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(app.url + path, { method, body: text, headers: text === undefined ? {} : { 'content-type': typeof body === 'string' ? 'application/yaml' : 'application/json' } });
    const raw = await res.text();
    bodies.push(raw);
    return { status: res.status, body: raw ? JSON.parse(raw) : undefined };
  };
  const waitFor = async (path: string, until: (b: any) => boolean, timeoutMs = 20_000) => {
    const end = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < end) {
      const r = await api('GET', path);
      last = r.body;
      if (until(r.body)) return r.body;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting on ${path}; last: ${JSON.stringify(last).slice(0, 1500)}`);
  };
  return {
    cloud,
    app,
    logs,
    bodies,
    api,
    waitFor,
    async close() {
      await app.close();
      await cloud.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** a store of its own and deps pointing at the fake cloud, for driving one executor by hand */
export function bareDeps(cloud: FakeCloud): { deps: () => ExecutorDeps; store: Store; close(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'changeflow-exec-'));
  const store = openSqliteStore({ path: join(dir, 'fleet.db') });
  const deps = (): ExecutorDeps => ({ fleet: store, now: Date.now, credentials: () => cloud.credentials, endpoints: { ecs: cloud.url, ess: cloud.url, oos: cloud.url, fc: cloud.url } });
  return {
    deps,
    store,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function registerBare(store: Store, service: Omit<ServiceRecord, 'createdAt' | 'updatedAt' | 'defaults'>, targets: { id: string; version?: string }[]): Promise<ServiceRecord> {
  const record: ServiceRecord = { ...service, defaults: {}, createdAt: 0, updatedAt: 0 };
  await store.putService(record);
  await store.putTargets(record.id, targets.map((t) => ({ id: t.id, labels: [], version: t.version ?? '0', changeCount: 0, state: {} })));
  return record;
}

export const taskFor = (service: ServiceRecord, targetId: string, over: Partial<TaskSpec> = {}): TaskSpec => ({
  orderId: 'co-test',
  key: `0/0/${targetId}`,
  attempt: 1,
  idempotencyKey: `co-test/0/0/${targetId}/1`,
  service,
  targetId,
  action: 'HTTP_UPLOAD_DEPLOY',
  artifact: {},
  ...over,
});

/** polls an executor until the task is no longer running */
export async function settle(poll: () => Promise<{ state: string }>, timeoutMs = 5000): Promise<any> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await poll();
    if (r.state !== 'running') return r;
    if (Date.now() > end) throw new Error(`still running: ${JSON.stringify(r)}`);
    await new Promise((x) => setTimeout(x, 10));
  }
}
