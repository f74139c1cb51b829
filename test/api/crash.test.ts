// Crash test: the server is a child process, SIGKILLed mid-batch and restarted on the same data dir.
// The order must finish, and no target may have been changed twice.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'changeflow-crash-'));
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

async function boot(port: number): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['--import', 'tsx', 'shared/local/start.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), CHANGEFLOW_DATA_DIR: dataDir, CHANGEFLOW_TICK_MS: '100' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (b) => {
      out += b;
      if (out.includes('changeflow is running')) resolve();
    });
    p.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return p;
}

it('an order survives SIGKILL mid-batch; every target is changed exactly once', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const api = async (method: string, path: string, body?: string, type = 'application/json') => {
    const r = await fetch(url + path, { method, body, headers: body ? { 'content-type': type } : {} });
    return r.json();
  };
  child = await boot(port);
  const targets = Array.from({ length: 12 }, (_, i) => ({ id: `s-${i + 1}`, version: '1.0' }));
  await api('PUT', '/v1/services/slow', JSON.stringify({ executor: { type: 'simulated', latencyMs: 400 }, targets }));
  const plan = 'deployPlanItems:\n  - serviceId: slow\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/slow-2.zip\n    version: "2.0"\n    batchNumber: 3\n    maxConcurrency: 2\n';
  const { changeOrderId: id } = await api('POST', '/v1/change-orders', plan, 'application/yaml');

  // wait until batch 2 is mid-way: some of its tasks done, some running, some not started
  for (;;) {
    const o = await api('GET', `/v1/change-orders/${id}`);
    const b2 = o.services[0].batches[1].tasks;
    if (b2.some((t: { status: string }) => t.status === 'SUCCEEDED') && b2.some((t: { status: string }) => t.status === 'RUNNING')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child!.once('exit', r));

  child = await boot(port);
  let o;
  for (let i = 0; i < 400; i++) {
    o = await api('GET', `/v1/change-orders/${id}`);
    if (o.status === 'SUCCEEDED' && o.finalized) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(o.status).toBe('SUCCEEDED');
  const tasks = o.services[0].batches.flatMap((b: { tasks: unknown[] }) => b.tasks);
  expect(tasks.every((t: { attempt: number; status: string }) => t.attempt === 1 && t.status === 'SUCCEEDED')).toBe(true);
  const fleet = await api('GET', '/v1/services/slow/targets');
  expect(fleet.map((t: { version: string; changeCount: number }) => [t.version, t.changeCount])).toEqual(Array(12).fill(['2.0', 1]));
  const events = (await api('GET', `/v1/change-orders/${id}/events`)).events;
  expect(events.filter((e: { type: string }) => e.type === 'finished')).toHaveLength(1);
  child.kill('SIGTERM');
}, 60_000);
