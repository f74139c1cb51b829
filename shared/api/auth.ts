// Who may call the API (SPEC §9). In the cloud every /v1 request needs `Authorization: Bearer <token>`
// (CHANGEFLOW_API_TOKEN, compared in constant time); locally the same holds once a token is configured,
// and without one the server only listens on 127.0.0.1. The console page and the OpenAPI document are
// public (they hold no data: the console asks for the token when the API answers 401); alarm senders
// prove themselves with their own shared token (/v1/alarms).

import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Runtime } from '../runtime/runtime.ts';

const PUBLIC = [/^\/$/, /^\/console\//, /^\/v1\/openapi\.json$/, /^\/v1\/healthz$/, /^\/v1\/alarms$/];

export function sameSecret(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  // compare equal-length buffers so the time taken says nothing about the token
  return a.length === b.length ? timingSafeEqual(a, b) : (timingSafeEqual(a, a), false);
}

export function authMiddleware(rt: Runtime): MiddlewareHandler {
  return async (c, next) => {
    if (PUBLIC.some((p) => p.test(c.req.path))) return next();
    if (rt.apiToken === undefined && !rt.requireAuth) return next();
    const unauthorized = (message: string) => {
      c.header('WWW-Authenticate', 'Bearer realm="changeflow"');
      return c.json({ error: { code: 'Unauthorized', message } }, 401);
    };
    if (rt.apiToken === undefined) return unauthorized('this deployment has no API token configured (CHANGEFLOW_API_TOKEN); every request is refused');
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return unauthorized('send Authorization: Bearer <token>');
    if (!sameSecret(rt.apiToken, m[1])) return unauthorized('the token is not valid');
    return next();
  };
}
