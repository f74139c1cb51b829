// A real local changeflow (HTTP on 127.0.0.1, SQLite file in a temp dir) for API tests.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocal, type LocalApp } from '../../shared/local/app.ts';
import { silentLogger } from '../../shared/runtime/runtime.ts';

export interface TestServer {
  app: LocalApp;
  dataDir: string;
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
  waitFor<T = any>(path: string, until: (body: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'changeflow-test-'));
  const app = await startLocal({ dataDir, port: 0, log: silentLogger, tickMs: 100 });
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const type = typeof body === 'string' ? 'application/yaml' : 'application/json';
    const res = await fetch(app.url + path, { method, body: text, headers: text === undefined ? headers : { 'content-type': type, ...headers } });
    const raw = await res.text();
    return { status: res.status, body: raw ? JSON.parse(raw) : undefined };
  };
  const waitFor = async (path: string, until: (b: any) => boolean, timeoutMs = 15_000) => {
    const end = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < end) {
      const r = await api('GET', path);
      last = r.body;
      if (until(r.body)) return r.body;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting on ${path}; last: ${JSON.stringify(last).slice(0, 500)}`);
  };
  return {
    app,
    dataDir,
    api,
    waitFor,
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const fleet = (prefix: string, n: number, version = '1.0', labels: (i: number) => string[] = () => []) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i + 1}`, labels: labels(i), version }));

export const TERMINAL = ['SUCCEEDED', 'FAILED', 'STOPPED', 'PARTIAL'];
