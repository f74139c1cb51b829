// The web console's routes: GET / (the page) and its two assets, served by the same route table as the API,
// so `npm start` and the FC api function both serve it. Nothing is loaded from anywhere else.

import { createHash } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { CONSOLE_HEADERS, consoleAssets } from './page.ts';

export const CONSOLE_ROUTES = [
  { path: '/', type: 'text/html; charset=utf-8', body: consoleAssets.html },
  { path: '/console/app.js', type: 'text/javascript; charset=utf-8', body: consoleAssets.script },
  { path: '/console/app.css', type: 'text/css; charset=utf-8', body: consoleAssets.css },
] as const;

const etags = new Map<string, string>();

function serve(c: Context, path: string, type: string, body: () => string): Response {
  const text = body();
  let etag = etags.get(path);
  if (!etag) etags.set(path, (etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"`));
  const headers = { ...CONSOLE_HEADERS, etag };
  if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
  return c.body(text, 200, { ...headers, 'content-type': type });
}

export function registerConsole(app: Hono): void {
  for (const r of CONSOLE_ROUTES) app.get(r.path, (c) => serve(c, r.path, r.type, r.body));
}
