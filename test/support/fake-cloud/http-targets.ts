// Plain HTTP deploy targets for the `http` executor: POST /targets/{id}/deploy (Idempotency-Key: a
// repeated key is the same deployment), GET /targets/{id}/deploy/{key}, GET /targets/{id}/healthz.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Injection } from './server.ts';
import type { World } from './world.ts';

type Record_ = (action: string, params: Record<string, unknown>, status: number, code?: string) => void;

export function httpTargets(w: World) {
  return async (req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse, record: Record_, injected: (action: string) => Injection | undefined) => {
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const m = /^\/targets\/([^/]+)\/(deploy|healthz)(?:\/(.+))?$/.exec(url.pathname);
    if (!m) return send(404, { message: 'no such endpoint' });
    const target = decodeURIComponent(m[1]);
    const action = m[2] === 'healthz' ? 'Health' : req.method === 'POST' ? 'Deploy' : 'DeployStatus';
    const inj = injected(action);
    if (inj) {
      record(action, { target }, inj.status ?? 503, inj.code);
      return send(inj.status ?? 503, { message: inj.message ?? inj.code });
    }
    if (action === 'Health') {
      const ok = !w.http.unhealthy.has(target);
      record(action, { target }, ok ? 200 : 503);
      return send(ok ? 200 : 503, { ok });
    }
    if (action === 'Deploy') {
      const key = String(req.headers['idempotency-key'] ?? '');
      const input = JSON.parse(body.toString('utf8') || '{}') as { action: string; version?: string };
      if (!key) return send(400, { message: 'Idempotency-Key is required' });
      if (!w.http.deployments.has(key)) {
        w.http.deployments.set(key, { key, target, action: input.action, version: input.version, doneAt: w.now() + w.opsMs, ok: !w.http.failing.has(target) });
        record(action, { target, key, ...input }, 202);
      } else record(action, { target, key, repeated: true }, 200);
      return send(202, { state: 'running' });
    }
    const d = w.http.deployments.get(decodeURIComponent(m[3] ?? ''));
    record(action, { target }, d ? 200 : 404);
    if (!d) return send(404, { message: 'unknown deployment' });
    if (d.doneAt > w.now()) return send(200, { state: 'running' });
    if (d.ok && d.version !== undefined) w.http.versions.set(target, d.version);
    return send(200, d.ok ? { state: 'succeeded', version: d.version, message: `${target} now runs ${d.version}` } : { state: 'failed', message: 'deploy script exited with 1' });
  };
}
