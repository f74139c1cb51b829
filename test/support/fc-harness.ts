// Function Compute on one machine: runs the four handlers the way FC would.
// - an HTTP trigger server turns requests into FC 3.0 HTTP events for the api handler;
// - an InvokeFunction endpoint that the real @alicloud/fc20230330 client calls: asynchronous invocations
//   are queued (x-fc-async-delay honoured) and delivered to the worker at least once, retried on failure
//   like FC (maxAsyncRetryAttempts), with faults injectable (drop, throw);
// - a timer that invokes the ticker with the timer trigger's event.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FcContext } from '../../shared/cloud/context.ts';
import type { FcHttpEvent } from '../../shared/cloud/http-event.ts';

type Handler = (event: Buffer, context: FcContext) => Promise<unknown>;

export interface HarnessOptions {
  handlers: { api: Handler; worker: Handler; ticker: Handler; alarm?: Handler };
  credentials: { accessKeyId: string; accessKeySecret: string };
  functionNames?: { worker?: string };
  tickMs?: number;
  /** FC retries a failed async invocation this many times (s.yaml asyncInvokeConfig) */
  maxAsyncRetryAttempts?: number;
  workerTimeoutSeconds?: number;
  /** which async invocations (numbered from 1) are accepted and then lost: FC promises at least once, tests go further */
  drop?: (n: number) => boolean;
  log?: (msg: string) => void;
}

export interface FcHarness {
  apiUrl: string;
  fcEndpoint: string;
  /** counts for the bench and the tests */
  stats: { asyncInvocations: number; workerRuns: number; workerFailures: number; retries: number; dropped: number; tickerRuns: number; apiRuns: number };
  /** makes the next `n` worker runs throw after the handler started (a crash mid-step) */
  failNextWorkerRuns(n: number): void;
  /** resolves when no invocation is queued or running */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const listen = (srv: Server) => new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)));

export async function startFcHarness(opts: HarnessOptions): Promise<FcHarness> {
  const log = opts.log ?? (() => {});
  const workerName = opts.functionNames?.worker ?? 'changeflow-worker';
  const stats = { asyncInvocations: 0, workerRuns: 0, workerFailures: 0, retries: 0, dropped: 0, tickerRuns: 0, apiRuns: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let failNext = 0;
  let closed = false;
  const idleWaiters: (() => void)[] = [];
  const settle = () => {
    if (inFlight === 0 && timers.size === 0) for (const w of idleWaiters.splice(0)) w();
  };

  const context = (name: string, timeout: number, retryCount = 0): FcContext => ({
    requestId: randomUUID(),
    credentials: { ...opts.credentials },
    function: { name, handler: 'index.handler', memory: 512, timeout },
    region: 'cn-hangzhou',
    accountId: '1234567890',
    retryCount,
    logger: { info: () => {}, warn: (...a) => log(a.join(' ')), error: (...a) => log(a.join(' ')) },
  });

  function deliver(payload: Buffer, delayMs: number, attempt = 0): void {
    inFlight++;
    const t = setTimeout(async () => {
      timers.delete(t);
      if (closed) return;
      stats.workerRuns++;
      try {
        if (failNext > 0) {
          failNext--;
          throw new Error('injected crash in the worker');
        }
        await opts.handlers.worker(payload, context(workerName, opts.workerTimeoutSeconds ?? 120, attempt));
      } catch (e) {
        stats.workerFailures++;
        log(`worker failed (attempt ${attempt + 1}): ${(e as Error).message}`);
        if (attempt < (opts.maxAsyncRetryAttempts ?? 3)) {
          stats.retries++;
          deliver(payload, 200 * 2 ** attempt, attempt + 1);
        }
      } finally {
        inFlight--;
        settle();
      }
    }, delayMs);
    timers.add(t);
  }

  // InvokeFunction (FC 3.0 API, ROA style) as the SDK sends it
  const fc = createServer(async (req, res: ServerResponse) => {
    const body = await readBody(req);
    const m = /^\/2023-03-30\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
    const auth = String(req.headers.authorization ?? '');
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-fc-request-id': randomUUID() });
      res.end(JSON.stringify(json));
    };
    if (!m || req.method !== 'POST') return reply(404, { Code: 'ResourceNotFound', Message: `no such API ${req.method} ${req.url}` });
    if (!auth.includes(opts.credentials.accessKeyId)) return reply(403, { Code: 'InvalidAccessKeyId', Message: 'unknown access key' });
    const name = decodeURIComponent(m[1]);
    if (name !== workerName) return reply(404, { Code: 'FunctionNotFound', Message: `function ${name} does not exist` });
    if (String(req.headers['x-fc-invocation-type']).toLowerCase() !== 'async') return reply(400, { Code: 'InvalidArgument', Message: 'changeflow only invokes the worker asynchronously' });
    if (body.length > 128 * 1024) return reply(413, { Code: 'RequestEntityTooLarge', Message: 'async payload over 128 KB' });
    stats.asyncInvocations++;
    const delay = Number(req.headers['x-fc-async-delay'] ?? 0);
    if (opts.drop?.(stats.asyncInvocations)) stats.dropped++;
    else deliver(body, Math.max(0, delay) * 1000);
    res.writeHead(202, { 'x-fc-request-id': randomUUID() });
    res.end();
  });

  // the HTTP trigger
  const trigger = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://x');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const query: Record<string, string> = {};
    for (const k of new Set(url.searchParams.keys())) query[k] = url.searchParams.getAll(k).join(',');
    const text = body.toString('utf8');
    const binary = !Buffer.from(text, 'utf8').equals(body);
    const event: FcHttpEvent = {
      version: 'v1',
      rawPath: url.pathname,
      body: binary ? body.toString('base64') : text,
      isBase64Encoded: binary,
      headers,
      queryParameters: query,
      requestContext: { http: { method: req.method ?? 'GET', path: url.pathname, sourceIp: '127.0.0.1' }, requestId: randomUUID(), domainName: headers.host, time: new Date().toUTCString(), timeEpoch: String(Date.now()) },
    };
    stats.apiRuns++;
    inFlight++;
    try {
      const out = (await opts.handlers.api(Buffer.from(JSON.stringify(event)), context('changeflow-api', 30))) as { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean };
      res.writeHead(out.statusCode, out.headers);
      res.end(out.isBase64Encoded ? Buffer.from(out.body, 'base64') : out.body);
    } catch (e) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'FunctionError', message: (e as Error).message } }));
    } finally {
      inFlight--;
      settle();
    }
  });

  const [fcPort, apiPort] = await Promise.all([listen(fc), listen(trigger)]);
  const ticker = setInterval(async () => {
    if (closed) return;
    stats.tickerRuns++;
    const event = { triggerTime: new Date().toISOString(), triggerName: 'changeflow-tick', payload: '' };
    try {
      await opts.handlers.ticker(Buffer.from(JSON.stringify(event)), context('changeflow-ticker', 60));
    } catch (e) {
      log(`ticker failed: ${(e as Error).message}`);
    }
  }, opts.tickMs ?? 1000);

  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    fcEndpoint: `http://127.0.0.1:${fcPort}`,
    stats,
    failNextWorkerRuns(n) {
      failNext += n;
    },
    idle() {
      if (inFlight === 0 && timers.size === 0) return Promise.resolve();
      return new Promise((r) => idleWaiters.push(r));
    },
    async close() {
      closed = true;
      clearInterval(ticker);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all([new Promise((r) => fc.close(r)), new Promise((r) => trigger.close(r))]);
    },
  };
}
