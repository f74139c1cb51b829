// Local authentication: loopback only without a token; with a token every /v1 call needs it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startLocal } from '../../shared/local/app.ts';
import { silentLogger } from '../../shared/runtime/runtime.ts';

const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'changeflow-auth-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

it('refuses to listen beyond loopback without a token', async () => {
  const saved = process.env.CHANGEFLOW_API_TOKEN;
  delete process.env.CHANGEFLOW_API_TOKEN;
  try {
    await expect(startLocal({ dataDir: dataDir(), port: 0, host: '0.0.0.0', log: silentLogger })).rejects.toThrow(/CHANGEFLOW_API_TOKEN/);
  } finally {
    if (saved !== undefined) process.env.CHANGEFLOW_API_TOKEN = saved;
  }
});

it('with a token, every /v1 route needs it (compared whole), public pages do not', async () => {
  const app = await startLocal({ dataDir: dataDir(), port: 0, host: '127.0.0.1', log: silentLogger, apiToken: 's3cret-t0ken' });
  try {
    const get = (path: string, auth?: string) => fetch(app.url + path, { headers: auth ? { authorization: auth } : {} });
    expect((await get('/v1/services')).status).toBe(401);
    expect((await get('/v1/services', 'Bearer s3cret-t0ke')).status).toBe(401);
    expect((await get('/v1/services', 'Bearer s3cret-t0ken-and-more')).status).toBe(401);
    expect((await get('/v1/services', 'Basic s3cret-t0ken')).status).toBe(401);
    expect((await get('/v1/services', 'Bearer s3cret-t0ken')).status).toBe(200);
    const put = await fetch(`${app.url}/v1/services/x`, { method: 'PUT', body: '{"executor":{"type":"simulated"}}', headers: { 'content-type': 'application/json' } });
    expect(put.status).toBe(401);
    expect(await app.rt.store.getService('x')).toBeUndefined(); // refused requests change nothing
    const body = await (await get('/v1/services')).text();
    expect(body).not.toContain('s3cret');
    for (const open of ['/', '/v1/healthz', '/v1/openapi.json']) expect((await get(open)).status).toBe(200);
  } finally {
    await app.close();
  }
});
