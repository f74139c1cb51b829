// The HTTP health check: retries with pauses, timeouts, the expected status; and a cloud executor's
// service reaching it through `healthUrl`.

import { createServer } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { healthUrlOf, httpHealthCheck } from '../../shared/executors/health.ts';

let port = 0;
let calls = 0;
const server = createServer((req, res) => {
  calls++;
  if (req.url === '/flaky/healthz') return res.writeHead(calls % 3 === 0 ? 200 : 503).end();
  if (req.url === '/slow/healthz') return setTimeout(() => res.writeHead(200).end(), 3_000);
  res.writeHead(req.url === '/ok/healthz' ? 200 : 404).end();
});
beforeAll(() => new Promise<void>((r) => server.listen(0, '127.0.0.1', () => ((port = (server.address() as { port: number }).port), r()))));
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const check = (retries: number, timeoutSeconds = 1) => ({ type: 'http' as const, path: '/healthz', expectStatus: 200, timeoutSeconds, retries });

it('builds the URL from the template', () => {
  expect(healthUrlOf('http://{target}.internal:8080', 'i-1', check(0))).toBe('http://i-1.internal:8080/healthz');
  expect(healthUrlOf('http://lb/{target}/{path}?x=1', 'a b', check(0))).toBe('http://lb/a%20b/healthz?x=1');
});

it('retries with pauses until the expected status, and says how often it tried when it never comes', async () => {
  calls = 0;
  const pauses: number[] = [];
  const ok = await httpHealthCheck(`http://127.0.0.1:${port}/flaky/healthz`, 't-1', check(3), (i) => (pauses.push(i), 10));
  expect(ok).toEqual({ healthy: true });
  expect(calls).toBe(3);
  expect(pauses).toEqual([0, 1]);
  const bad = await httpHealthCheck(`http://127.0.0.1:${port}/missing/healthz`, 't-2', check(2), () => 1);
  expect(bad).toEqual({ healthy: false, message: 'GET /healthz on t-2 answered 404, expected 200 (after 3 tries)' });
  const slow = await httpHealthCheck(`http://127.0.0.1:${port}/slow/healthz`, 't-3', check(0, 1));
  expect(slow.message).toContain('no answer within 1 s');
});
