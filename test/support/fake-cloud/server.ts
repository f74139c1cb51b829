// The fake cloud: one local HTTP server for the RPC APIs (ECS, ESS, OOS), FC aliases (3.0 and 2.0) and
// plain HTTP deploy targets, verifying each SDK's signature, with latency and failure injection and a log
// of every call so tests can assert order and idempotency.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError, jsonParam, listParam, type Params } from './api-error.ts';
import { aliasView, getAlias, updateAlias } from './fc.ts';
import { httpTargets } from './http-targets.ts';
import { ecsActions } from './rpc-ecs.ts';
import { essActions } from './rpc-ess.ts';
import { oosActions } from './rpc-oos.ts';
import { verifyAcs3, verifyFc2, verifyRpc, type Credentials } from './signatures.ts';
import { World } from './world.ts';

export type Product = 'ecs' | 'ess' | 'oos' | 'fc' | 'http';

export interface CallRecord {
  seq: number;
  at: number;
  product: Product;
  action: string;
  /** request parameters without the signature fields */
  params: Record<string, unknown>;
  instanceIds: string[];
  status: number;
  code?: string;
}

/** a failure the next matching calls get (after their signature was checked) */
export interface Injection {
  action?: string;
  product?: Product;
  instanceId?: string;
  /** how many calls it hits (default: all) */
  times?: number;
  code: string;
  message?: string;
  status?: number;
}

export interface FakeCloudOptions {
  credentials?: Credentials;
  /** how long stop, start, disk replacement, commands and executions take (default 20 ms) */
  opsMs?: number;
  /** added to every answer (default 0) */
  latencyMs?: number;
  port?: number;
  host?: string;
  now?: () => number;
}

export interface FakeCloud {
  url: string;
  world: World;
  credentials: Credentials;
  calls: CallRecord[];
  /** the calls of these actions, in order */
  callsOf(...actions: string[]): CallRecord[];
  inject(i: Injection): void;
  clearInjections(): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const VERSIONS: Record<'ecs' | 'ess' | 'oos', string> = { ecs: '2014-05-26', ess: '2014-08-28', oos: '2019-06-01' };
const RPC: Record<string, { product: 'ecs' | 'ess' | 'oos'; run: (w: World, p: Params) => unknown }> = {};
for (const [product, actions] of [['ecs', ecsActions], ['ess', essActions], ['oos', oosActions]] as const) {
  for (const [name, run] of Object.entries(actions)) RPC[name] = { product, run };
}
const AUTH_FIELDS = new Set(['AccessKeyId', 'Signature', 'SignatureNonce', 'SignatureMethod', 'SignatureVersion', 'SecurityToken', 'Timestamp', 'Format', 'Version']);

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

export const TEST_CREDENTIALS: Credentials = { accessKeyId: 'LTAI5tFAKEKEYID00000001', accessKeySecret: 'fake-secret-0123456789abcdef', securityToken: 'CAIS-fake-sts-token-abcdef0123456789' };

export async function startFakeCloud(opts: FakeCloudOptions = {}): Promise<FakeCloud> {
  const credentials = opts.credentials ?? TEST_CREDENTIALS;
  const now = opts.now ?? Date.now;
  const world = new World(now, opts.opsMs ?? 20);
  const calls: CallRecord[] = [];
  let injections: Injection[] = [];
  let latency = opts.latencyMs ?? 0;
  const nonces = new Set<string>();
  const http = httpTargets(world);

  const injected = (product: Product, action: string, ids: string[]): Injection | undefined => {
    const hit = injections.find((i) => (!i.product || i.product === product) && (!i.action || i.action === action) && (!i.instanceId || ids.includes(i.instanceId)) && (i.times === undefined || i.times > 0));
    if (hit && hit.times !== undefined) hit.times--;
    return hit;
  };

  const record = (product: Product, action: string, params: Record<string, unknown>, ids: string[], status: number, code?: string) =>
    calls.push({ seq: calls.length + 1, at: now(), product, action, params, instanceIds: ids, status, ...(code ? { code } : {}) });

  async function rpc(req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse) {
    const params: Params = Object.fromEntries(url.searchParams);
    if (req.method === 'POST') Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
    const requestId = randomUUID().toUpperCase();
    const send = (status: number, json: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
      res.end(JSON.stringify({ RequestId: requestId, ...json }));
    };
    const action = params.Action ?? '';
    const api = RPC[action];
    const shown = Object.fromEntries(Object.entries(params).filter(([k]) => !AUTH_FIELDS.has(k) && k !== 'Action'));
    const ids = [...listParam(params, 'InstanceId'), ...(safeJson<string[]>(params, 'InstanceIds') ?? []), ...(safeJson<{ targets?: { ResourceIds?: string[] } }>(params, 'Parameters')?.targets?.ResourceIds ?? [])];
    const fail = (status: number, code: string, message: string) => {
      record(api?.product ?? 'ecs', action, shown, ids, status, code);
      send(status, { Code: code, Message: message, HostId: url.host, Recommend: `https://api.aliyun.com/troubleshoot?q=${code}` });
    };
    const auth = verifyRpc(req.method ?? 'GET', params, credentials, nonces);
    if (!auth.ok) return fail(auth.status, auth.code, auth.message);
    if (!api) return fail(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method: ${action}`);
    if (params.Version !== VERSIONS[api.product]) return fail(400, 'InvalidVersion', `Specified parameter Version is not valid: ${params.Version}`);
    const inj = injected(api.product, action, ids);
    if (inj) return fail(inj.status ?? 400, inj.code, inj.message ?? `injected ${inj.code}`);
    try {
      const out = api.run(world, params) as Record<string, unknown>;
      record(api.product, action, shown, ids, 200);
      send(200, out);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      fail(e.status, e.code, e.message);
    }
  }

  async function fc(req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse) {
    const v3 = /^\/2023-03-30\/functions\/([^/]+)\/aliases\/([^/]+)$/.exec(url.pathname);
    const v2 = /^\/2016-08-15\/services\/([^/]+)\/aliases\/([^/]+)$/.exec(url.pathname);
    const m = v3 ?? v2;
    const action = req.method === 'PUT' ? 'UpdateAlias' : 'GetAlias';
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-fc-request-id': randomUUID() });
      res.end(JSON.stringify(json));
    };
    const fail = (status: number, code: string, message: string) => {
      record('fc', action, { path: url.pathname }, [], status, code);
      send(status, v2 ? { ErrorCode: code, ErrorMessage: message } : { Code: code, Message: message, RequestId: randomUUID() });
    };
    if (!m || (req.method !== 'GET' && req.method !== 'PUT')) return fail(404, 'NotFound', `no such FC API: ${req.method} ${url.pathname}`);
    const auth = v3 ? verifyAcs3(req.method!, url.pathname, url.searchParams, req.headers, body, credentials) : verifyFc2(req.method!, decodeURIComponent(url.pathname), req.headers, credentials);
    if (!auth.ok) return fail(auth.status, auth.code, auth.message);
    const [owner, alias] = [decodeURIComponent(m[1]), decodeURIComponent(m[2])];
    const inj = injected('fc', action, []);
    if (inj) return fail(inj.status ?? 429, inj.code, inj.message ?? `injected ${inj.code}`);
    try {
      const input = body.length ? JSON.parse(body.toString('utf8')) : {};
      const a = action === 'UpdateAlias' ? updateAlias(world, owner, alias, input) : getAlias(world, owner, alias);
      record('fc', action, { owner, alias, ...input, api: v3 ? '3.0' : '2.0' }, [], 200);
      send(200, aliasView(alias, a));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      fail(e.status, e.code, e.message);
    }
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      const url = new URL(req.url ?? '/', 'http://fake');
      if (url.pathname.startsWith('/2023-03-30/') || url.pathname.startsWith('/2016-08-15/')) return fc(req, url, body, res);
      if (url.pathname.startsWith('/targets/')) return http(req, url, body, res, (action, params, status, code) => record('http', action, params, [], status, code), (action) => injected('http', action, []));
      return rpc(req, url, body, res);
    })().catch((e) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Code: 'InternalError', Message: `fake cloud: ${(e as Error).message}` }));
    });
  });
  const port = await new Promise<number>((r) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => r((server.address() as { port: number }).port)));
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    world,
    credentials,
    calls,
    callsOf: (...actions) => calls.filter((c) => c.status < 300 && actions.includes(c.action)),
    inject: (i) => injections.push({ ...i }),
    clearInjections: () => {
      injections = [];
    },
    setLatency: (ms) => {
      latency = ms;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function safeJson<T>(p: Params, key: string): T | undefined {
  try {
    return jsonParam<T>(p, key);
  } catch {
    return undefined;
  }
}
