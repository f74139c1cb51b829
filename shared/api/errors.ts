// Every failure becomes the JSON error of SPEC §4. Unexpected errors are logged (redacted) and answered
// with a generic message: internals and secrets never reach a response.

import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, redact } from '../runtime/errors.ts';
import type { Runtime } from '../runtime/runtime.ts';

export function errorResponse(rt: Runtime, c: Context, err: unknown): Response {
  if (err instanceof AppError) {
    return c.json({ error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}), ...err.extra } }, err.status as ContentfulStatusCode);
  }
  const id = Math.random().toString(36).slice(2, 10);
  rt.log.error('request failed', { errorId: id, method: c.req.method, path: c.req.path, error: redact(String((err as Error)?.stack ?? err)) });
  return c.json({ error: { code: 'InternalError', message: `internal error ${id}; the request may be retried` } }, 500);
}
