// The CLI as a user runs it: `node bin/changeflow.mjs …` as a child process against a fake API that
// records every request and answers with canned JSON. Each spawn gets its own bearer token, so concurrent
// tests can pick out exactly the requests their command sent.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER_STATUS } from '../../shared/engine/types.ts';

const BIN = new URL('../../bin/changeflow.mjs', import.meta.url).pathname;

interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
}

// ---- fixtures: the response shapes of SPEC §4 ----

const task = (targetId: string, status: string, message?: string) => ({ targetId, status, attempt: 1, action: 'RESTART', fromVersion: '1.0', toVersion: '2.0', message });
const batch = (n: number, status: string, tasks: ReturnType<typeof task>[]) => ({ batch: n, status, statusCode: ORDER_STATUS[status as keyof typeof ORDER_STATUS], tasks });

function detail(id: string, status: keyof typeof ORDER_STATUS, over: Record<string, unknown> = {}) {
  const b1 = status === 'RUNNING' ? batch(1, 'RUNNING', [task('web-1', 'SUCCEEDED'), task('web-2', 'RUNNING')]) : batch(1, 'SUCCEEDED', [task('web-1', 'SUCCEEDED'), task('web-2', 'SUCCEEDED')]);
  const b2 =
    status === 'SUCCEEDED'
      ? batch(2, 'SUCCEEDED', [task('web-3', 'SUCCEEDED'), task('web-4', 'SUCCEEDED')])
      : status === 'FAILED' || status === 'PARTIAL'
        ? batch(2, status, [task('web-3', 'SUCCEEDED'), task('web-4', 'FAILED', 'exit code 3 from restart')])
        : batch(2, 'READY', [task('web-3', 'PENDING'), task('web-4', 'PENDING')]);
  const terminal = ['SUCCEEDED', 'FAILED', 'PARTIAL', 'STOPPED'].includes(status);
  return {
    changeOrderId: id,
    type: 'deploy',
    status,
    statusCode: ORDER_STATUS[status],
    comment: 'roll out 2.0',
    createdAt: '2025-01-01T10:00:00.000Z',
    startedAt: '2025-01-01T10:00:01.000Z',
    finishedAt: terminal ? '2025-01-01T10:05:00.000Z' : undefined,
    nextBatch: status === 'WAITING_MANUAL' ? 2 : undefined,
    services: [
      {
        serviceId: 'web',
        priority: 1,
        deployment: 'RESTART',
        version: '2.0',
        status,
        statusCode: ORDER_STATUS[status],
        currentBatch: status === 'RUNNING' || status === 'WAITING_MANUAL' ? 1 : 2,
        batches: [b1, b2],
      },
    ],
    ...over,
  };
}

/** a two-service order (web: 2 batches, then api: 1 batch) at one moment; a service is [status, currentBatch, batches] */
type Svc = [string, number, [string, [string, string][]][]];
function multi(status: keyof typeof ORDER_STATUS, web: Svc, api: Svc, over: Record<string, unknown> = {}) {
  const service = (serviceId: string, [st, currentBatch, batches]: Svc) => ({
    serviceId,
    status: st,
    currentBatch,
    batches: batches.map(([bs, tasks], i) => batch(i + 1, bs, tasks.map(([t, ts]) => task(t, ts)))),
  });
  return { changeOrderId: 'co-multi', status, statusCode: ORDER_STATUS[status], services: [service('web', web), service('api', api)], ...over };
}
const apiReady: Svc = ['READY', 0, [['READY', [['api-1', 'PENDING'], ['api-2', 'PENDING']]]]];
const webDone: Svc = ['SUCCEEDED', 2, [['SUCCEEDED', [['web-1', 'SUCCEEDED'], ['web-2', 'SUCCEEDED']]], ['SUCCEEDED', [['web-3', 'SUCCEEDED'], ['web-4', 'SUCCEEDED']]]]];
const webBatch1: Svc = ['RUNNING', 1, [['RUNNING', [['web-1', 'SUCCEEDED'], ['web-2', 'RUNNING']]], ['READY', [['web-3', 'PENDING'], ['web-4', 'PENDING']]]]];
const webBatch2: Svc = ['RUNNING', 2, [['SUCCEEDED', [['web-1', 'SUCCEEDED'], ['web-2', 'SUCCEEDED']]], ['RUNNING', [['web-3', 'RUNNING'], ['web-4', 'PENDING']]]]];

// watched orders change across successive GETs; the last state repeats
const SEQUENCES: Record<string, (() => [number, unknown])[]> = {
  'co-wait': [() => [200, detail('co-wait', 'RUNNING')], () => [200, detail('co-wait', 'WAITING_MANUAL')], () => [200, detail('co-wait', 'SUCCEEDED')]],
  'co-wait-json': [() => [200, detail('co-wait-json', 'WAITING_MANUAL')], () => [200, detail('co-wait-json', 'SUCCEEDED')]],
  'co-fail': [() => [200, detail('co-fail', 'RUNNING')], () => [200, detail('co-fail', 'FAILED', { message: 'failures passed maxErrors' })]],
  'co-partial': [() => [200, detail('co-partial', 'PARTIAL')]],
  'co-multi': [
    () => [200, multi('RUNNING', webBatch1, apiReady)],
    // unchanged: no new line
    () => [200, multi('RUNNING', webBatch1, apiReady)],
    () => [200, multi('RUNNING', webBatch2, apiReady)],
    () => [200, multi('RUNNING', webDone, ['RUNNING', 1, [['RUNNING', [['api-1', 'SUCCEEDED'], ['api-2', 'RUNNING']]]]])],
    () => [200, multi('FAILED', webDone, ['FAILED', 1, [['FAILED', [['api-1', 'SUCCEEDED'], ['api-2', 'FAILED']]]]], { message: 'api-2 failed its health check' })],
  ],
  'co-flaky': [() => [503, { error: { code: 'Unavailable', message: 'restarting' } }], () => [200, detail('co-flaky', 'SUCCEEDED')]],
};
const gets = new Map<string, number>();

const apiError = (code: string, message: string, issues?: { path: string; message: string }[]) => ({ error: { code, message, ...(issues ? { issues } : {}) } });

function route(r: Recorded): [number, unknown?] {
  const { method, path } = r;
  const control = path.match(/^\/v1\/change-orders\/([^/]+)\/(continue|pause|resume|abort|rollback)$/);
  if (control && method === 'POST') {
    const body = JSON.parse(r.body || '{}');
    const rollback = control[2] === 'rollback' || body.rollback === true;
    return [200, { ok: true, applied: true, message: `${control[2]} accepted`, status: 'STOPPING', changeOrderId: control[1], ...(rollback ? { rollbackChangeOrderId: `${control[1]}-rollback` } : {}) }];
  }
  const target = path.match(/^\/v1\/change-orders\/([^/]+)\/targets\/([^/]+)\/(retry|skip|cancel)$/);
  if (target && method === 'POST') return [200, { ok: true, applied: false, message: `${target[3]} of ${target[2]} recorded`, status: 'FAILURE_PAUSED', changeOrderId: target[1] }];

  const key = `${method} ${path}`;
  const seq = path.match(/^\/v1\/change-orders\/([^/]+)$/)?.[1];
  if (method === 'GET' && seq && SEQUENCES[seq]) {
    const n = gets.get(seq) ?? 0;
    gets.set(seq, n + 1);
    const steps = SEQUENCES[seq];
    return steps[Math.min(n, steps.length - 1)]();
  }
  switch (key) {
    case 'GET /v1/services':
      return [200, { services: [{ serviceId: 'web', description: 'the web fleet', executor: { type: 'simulated' }, targets: 6 }] }];
    case 'PUT /v1/services/web':
      return [201, { serviceId: 'web', executor: { type: 'simulated' }, targets: 6 }];
    case 'PUT /v1/services/bad':
      return [400, apiError('InvalidService', 'the service definition has 2 problem(s)', [{ path: 'executor.type', message: 'unknown executor type "ssh"' }, { path: 'targets[1].id', message: 'duplicate target id "a"' }])];
    case 'GET /v1/services/web':
      return [200, { serviceId: 'web', description: 'the web fleet', executor: { type: 'simulated', latencyMs: 5 }, defaults: { batchNumber: 3 }, targets: 6 }];
    case 'DELETE /v1/services/web':
    case 'DELETE /v1/change-orders/co-1':
      return [204];
    case 'GET /v1/services/web/targets':
      return [200, [{ id: 'web-1', labels: ['zone-a', 'canary'], version: '1.0', changeCount: 2 }, { id: 'web-2', labels: [], version: '1.1', changeCount: 0 }]];
    case 'POST /v1/change-orders': {
      if (r.body.includes('BOGUS')) return [400, apiError('InvalidPlan', 'the plan has 2 problem(s)', [{ path: 'deployPlanItems[0].deployment', message: 'must be one of START, STOP, RESTART' }, { path: 'deployPlanItems[1].serviceId', message: 'is not registered' }])];
      const warnings = [{ path: 'deployPlanItems[0].version', message: 'is not used when deployment is RESTART; ignored' }];
      if (r.query.dryRun === 'true') {
        const many = Array.from({ length: 12 }, (_, i) => `web-${i + 3}`);
        return [200, { dryRun: true, services: [{ serviceId: 'web', priority: 1, deployment: 'RESTART', batches: [{ batch: 1, size: 2, targets: ['web-1', 'web-2'] }, { batch: 2, size: 12, targets: many }] }], warnings }];
      }
      const id = r.body.includes('partial') ? 'co-partial' : 'co-new';
      return [201, { changeOrderId: id, status: 'READY', warnings }];
    }
    case 'GET /v1/change-orders':
      return [
        200,
        {
          changeOrders: [
            { changeOrderId: 'co-older', type: 'deploy', status: 'SUCCEEDED', statusCode: 2, services: ['web'], targets: 6, createdAt: '2025-01-01T09:00:00.000Z', finishedAt: '2025-01-01T09:10:00.000Z' },
            { changeOrderId: 'co-newer', type: 'rollback', status: 'RUNNING', statusCode: 1, services: ['web', 'api'], targets: 4, createdAt: '2025-01-02T09:00:00.000Z', sourceChangeOrderId: 'co-older' },
          ],
          nextCursor: 'cursor-2',
        },
      ];
    case 'GET /v1/change-orders/co-1':
      if (r.query.view === 'edas') return [200, { Code: 200, Message: 'success', changeOrderInfo: { ChangeOrderId: 'co-1', Status: 7, PipelineInfoList: { PipelineInfo: [] } } }];
      return [200, detail('co-1', 'PARTIAL', { rolledBackBy: 'co-1-rollback', message: 'finished with 1 failed target' })];
    case 'GET /v1/change-orders/co-1/events':
      return [200, { events: [{ seq: 1, at: '2025-01-01T10:00:00.000Z', actor: 'user', type: 'created', reason: 'submitted: roll out 2.0' }, { seq: 2, at: '2025-01-01T10:00:01.000Z', actor: 'system', type: 'targetFailed', serviceId: 'web', batch: 2, targetId: 'web-4', reason: 'exit code 3 from restart' }] }];
    case 'GET /v1/change-orders/co-1/report':
      return [
        200,
        {
          changeOrderId: 'co-1',
          status: 'PARTIAL',
          statusCode: 7,
          comment: 'roll out 2.0',
          startedAt: '2025-01-01T10:00:01.000Z',
          finishedAt: '2025-01-01T10:05:00.000Z',
          services: [{ serviceId: 'web', status: 'PARTIAL', batches: 2, targets: { total: 4, succeeded: 3, failed: 1, skipped: 0, cancelled: 0, pending: 0, running: 0 }, messages: ['web-4: exit code 3 from restart'] }],
        },
      ];
  }
  return [404, apiError('NotFound', `no route for ${method} ${path}`)];
}

// ---- the fake server and the CLI runner ----

const requests: Recorded[] = [];
let server: Server;
let base = '';
/** a port nothing listens on: connection refused */
let deadUrl = '';
let dir = '';
let spawned = 0;

function handle(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://x');
    const r: Recorded = { method: req.method ?? '', path: decodeURIComponent(url.pathname), query: Object.fromEntries(url.searchParams), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    requests.push(r);
    const [status, body] = route(r);
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** the requests this run sent, in order */
  sent: Recorded[];
}

function cli(args: string[], opts: { stdin?: string; env?: Record<string, string | undefined> } = {}): Promise<Run> {
  const token = `token-${++spawned}-secret`;
  const env = { ...process.env, CHANGEFLOW_URL: base, CHANGEFLOW_TOKEN: token, ...opts.env };
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [BIN, ...args], { env, cwd: dir, timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      // the token identifies the run; it must never be printed
      if ((stdout + stderr).includes(token)) reject(new Error(`changeflow ${args.join(' ')} printed the token`));
      resolve({ code, stdout, stderr, sent: requests.filter((r) => r.headers.authorization === `Bearer ${token}`) });
    });
    child.stdin?.end(opts.stdin ?? '');
  });
}

const json = (r: Run) => JSON.parse(r.stdout) as Record<string, unknown>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'changeflow-cli-'));
  await writeFile(join(dir, 'plan.yaml'), 'comment: roll out 2.0\ndeployPlanItems:\n  - serviceId: web\n    deployment: RESTART\n');
  await writeFile(join(dir, 'partial.yaml'), 'comment: partial\ndeployPlanItems:\n  - serviceId: web\n    deployment: RESTART\n');
  await writeFile(join(dir, 'bad.yaml'), 'deployPlanItems:\n  - serviceId: web\n    deployment: BOGUS\n');
  await writeFile(join(dir, 'web.yaml'), 'executor: { type: simulated }\ntargets: [{ id: web-1 }]\n');
  await writeFile(join(dir, 'web.json'), '{"executor": {"type": "simulated"}}');
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
  await new Promise<void>((r) => dead.close(() => r()));
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

// every test spawns its own processes and reads only its own requests, so they can run side by side
describe.concurrent('changeflow CLI', () => {
  it('documents the exit codes and maps usage errors to 64', async () => {
    const [help, unknown, badChoice, missingFile] = await Promise.all([
      cli(['--help']),
      cli(['frobnicate']),
      cli(['rollback', 'co-1', '--batch-pause-option', 'Sometimes']),
      cli(['submit', 'missing.yaml']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: changeflow/);
    expect(help.stdout).toMatch(/Exit codes:[\s\S]*PARTIAL[\s\S]*\b64\b/);
    for (const r of [unknown, badChoice, missingFile]) {
      expect(r.code).toBe(64);
      expect(r.sent).toEqual([]);
    }
    expect(missingFile.stderr).toContain('cannot read missing.yaml');
  });

  it('services: list, register (YAML and JSON), get, delete, targets; no token, no Authorization', async () => {
    const [list, regYaml, regJson, get, del, targets] = await Promise.all([
      // the only run without a token, so its request is the one without an Authorization header
      cli(['services'], { env: { CHANGEFLOW_TOKEN: undefined } }),
      cli(['services', 'register', 'web', 'web.yaml']),
      cli(['--json', 'services', 'register', 'web', 'web.json']),
      cli(['services', 'get', 'web']),
      cli(['services', 'delete', 'web']),
      cli(['targets', 'web']),
    ]);
    expect(requests.filter((r) => r.headers.authorization === undefined).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/services']);
    expect(list.stdout).toMatch(/SERVICE\s+EXECUTOR\s+TARGETS\s+DESCRIPTION\nweb\s+simulated\s+6\s+the web fleet/);

    expect(regYaml.sent[0]).toMatchObject({ method: 'PUT', path: '/v1/services/web', body: 'executor: { type: simulated }\ntargets: [{ id: web-1 }]\n' });
    expect(regYaml.sent[0].headers['content-type']).toBe('application/yaml');
    expect(regYaml.stdout).toContain('registered service web (6 targets)');
    expect(regJson.sent[0].headers['content-type']).toBe('application/json');
    expect(json(regJson)).toMatchObject({ serviceId: 'web' });

    expect(get.sent[0]).toMatchObject({ method: 'GET', path: '/v1/services/web' });
    expect(get.stdout).toContain('executor:\n  type: simulated\n  latencyMs: 5\n');
    expect(del.sent[0]).toMatchObject({ method: 'DELETE', path: '/v1/services/web' });
    expect(del).toMatchObject({ code: 0, stdout: 'deleted service web\n' });
    expect(targets.sent[0]).toMatchObject({ method: 'GET', path: '/v1/services/web/targets' });
    expect(targets.stdout).toMatch(/web-1\s+zone-a,canary\s+1\.0\s+2/);
  });

  it('an API error prints the code and every issue on stderr and exits 1; so does a connection failure', async () => {
    const [plan, service, down] = await Promise.all([cli(['submit', 'bad.yaml']), cli(['services', 'register', 'bad', 'web.yaml']), cli(['get', 'co-1'], { env: { CHANGEFLOW_URL: deadUrl } })]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toBe('');
    expect(plan.stderr).toContain('error InvalidPlan: the plan has 2 problem(s)');
    expect(plan.stderr).toContain('  deployPlanItems[0].deployment: must be one of START, STOP, RESTART');
    expect(plan.stderr).toContain('  deployPlanItems[1].serviceId: is not registered');
    expect(service.code).toBe(1);
    expect(service.stderr).toMatch(/error InvalidService: .*\n {2}executor\.type: .*\n {2}targets\[1\]\.id: /);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`error ConnectionFailed: cannot reach ${deadUrl}: ECONNREFUSED\n`);
  });

  it('submit: body, content type, idempotency key, warnings; --url overrides the environment', async () => {
    const [stdin, keyed] = await Promise.all([
      cli(['submit', '-', '--json'], { stdin: '{"deployPlanItems": []}' }),
      // the environment names a dead server; --url wins
      cli(['submit', 'plan.yaml', '--idempotency-key', 'release-42', '--url', base], { env: { CHANGEFLOW_URL: deadUrl } }),
    ]);
    expect(keyed.code).toBe(0);
    const sent = keyed.sent[0];
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/change-orders', query: {}, body: 'comment: roll out 2.0\ndeployPlanItems:\n  - serviceId: web\n    deployment: RESTART\n' });
    expect(sent.headers['content-type']).toBe('application/yaml');
    expect(sent.headers['idempotency-key']).toBe('release-42');
    expect(keyed.stdout).toBe('changeOrderId: co-new\nstatus: READY\n');
    expect(keyed.stderr).toContain('warning deployPlanItems[0].version: is not used when deployment is RESTART');

    expect(stdin.sent[0].headers['content-type']).toBe('application/json');
    expect(stdin.sent[0].body).toBe('{"deployPlanItems": []}');
    expect(json(stdin)).toMatchObject({ changeOrderId: 'co-new', status: 'READY' });
  });

  it('submit --dry-run prints the batches per service', async () => {
    const r = await cli(['submit', 'plan.yaml', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.sent[0]).toMatchObject({ method: 'POST', path: '/v1/change-orders', query: { dryRun: 'true' } });
    expect(r.stdout).toContain('dry run');
    expect(r.stdout).toMatch(/web {2}\[priority 1, RESTART\]/);
    expect(r.stdout).toMatch(/BATCH\s+SIZE\s+TARGETS/);
    expect(r.stdout).toMatch(/1\/2\s+2\s+web-1, web-2\n/);
    // a long target list is cut: 8 shown, the rest counted
    expect(r.stdout).toMatch(/2\/2\s+12\s+web-3, .*web-10, … \+4 more\n/);
  });

  it('list: filters as query, newest first, cursor hint, --json', async () => {
    const [human, raw] = await Promise.all([cli(['list', '--status', 'RUNNING', '--service', 'web', '--limit', '2', '--cursor', 'cursor-1']), cli(['list', '--json'])]);
    expect(human.sent[0]).toMatchObject({ method: 'GET', path: '/v1/change-orders', query: { status: 'RUNNING', serviceId: 'web', limit: '2', cursor: 'cursor-1' } });
    const lines = human.stdout.split('\n');
    expect(lines[0]).toMatch(/^CHANGE ORDER\s+TYPE\s+STATUS/);
    expect(lines[1]).toMatch(/^co-newer\s+rollback\s+RUNNING\s+web, api\s+4\s+2025-01-02 09:00:00Z .*rollback of co-older/);
    expect(lines[2]).toMatch(/^co-older\s+deploy\s+SUCCEEDED/);
    expect(human.stdout).toContain('--cursor cursor-2');
    expect(raw.sent[0].query).toEqual({});
    expect(json(raw)).toMatchObject({ nextCursor: 'cursor-2' });
  });

  it('get, get --edas, events, report', async () => {
    const [get, edas, events, report] = await Promise.all([
      cli(['get', 'co-1']),
      cli(['get', 'co-1', '--edas']),
      cli(['events', 'co-1']),
      cli(['report', 'co-1']),
    ]);
    expect(get.sent[0]).toMatchObject({ method: 'GET', path: '/v1/change-orders/co-1', query: {} });
    expect(get.stdout).toMatch(/change order\s+co-1\n/);
    expect(get.stdout).toMatch(/status\s+PARTIAL \(7\)/);
    expect(get.stdout).toMatch(/comment\s+roll out 2\.0/);
    expect(get.stdout).toMatch(/rolled back by\s+co-1-rollback/);
    expect(get.stdout).toMatch(/message\s+finished with 1 failed target/);
    expect(get.stdout).toMatch(/web {2}PARTIAL .* 4\/4 done .* batch 2\/2 {2}\[priority 1, RESTART, version 2\.0\]/);
    expect(get.stdout).toContain('batch 1/2 SUCCEEDED  █████ 2/2 ok');
    expect(get.stdout).toContain('batch 2/2 PARTIAL    ███░░ 1/2 ok, 1 failed');
    expect(get.stdout).toContain('✗ web-4 FAILED: exit code 3 from restart');

    expect(edas.sent[0].query).toEqual({ view: 'edas' });
    expect(json(edas)).toMatchObject({ Code: 200, changeOrderInfo: { Status: 7 } });

    expect(events.sent[0].path).toBe('/v1/change-orders/co-1/events');
    expect(events.stdout.split('\n')[1]).toMatch(/^2025-01-01 10:00:01Z {2}system {2}targetFailed {2}exit code 3 from restart$/);
    expect(report.sent[0].path).toBe('/v1/change-orders/co-1/report');
    expect(report.stdout).toMatch(/web\s+PARTIAL\s+-\s+-\s+2\s+4\s+3\s+1\s+0/);
    expect(report.stdout).toContain('web-4: exit code 3 from restart');
  });

  it('control commands send their bodies', async () => {
    const runs = await Promise.all([
      cli(['continue', 'co-1', '--batch', '2', '--reason', 'canary looks good']),
      cli(['continue', 'co-1']),
      cli(['resume', 'co-1', '--reason', 'fixed']),
      cli(['abort', 'co-1', '--rollback']),
      cli(['rollback', 'co-1', '--batch-number', '2', '--batch-pause-option', 'FirstBatchPause', '--json']),
      cli(['delete', 'co-1']),
    ]);
    const sent = runs.map((r) => {
      expect(r.code).toBe(0);
      return [r.sent[0].method, r.sent[0].path, r.sent[0].body && JSON.parse(r.sent[0].body)];
    });
    expect(sent).toEqual([
      ['POST', '/v1/change-orders/co-1/continue', { batch: 2, reason: 'canary looks good' }],
      ['POST', '/v1/change-orders/co-1/continue', {}],
      ['POST', '/v1/change-orders/co-1/resume', { reason: 'fixed' }],
      ['POST', '/v1/change-orders/co-1/abort', { rollback: true }],
      ['POST', '/v1/change-orders/co-1/rollback', { batchNumber: 2, batchPauseOption: 'FirstBatchPause' }],
      ['DELETE', '/v1/change-orders/co-1', ''],
    ]);
    expect(runs[0].stdout).toBe('continue accepted\nstatus: STOPPING\n');
    expect(runs[3].stdout).toContain('rollback change order: co-1-rollback');
    expect(json(runs[4])).toMatchObject({ rollbackChangeOrderId: 'co-1-rollback' });
    expect(runs[5].stdout).toBe('deleted change order co-1\n');
  });

  it('retry and cancel a target (skip shares the route shape)', async () => {
    const runs = await Promise.all([cli(['retry', 'co-1', 'web-4', '--service', 'web']), cli(['cancel', 'co-1', 'web-4', '--reason', 'decommissioned'])]);
    expect(runs.map((r) => [r.sent[0].method, r.sent[0].path, r.sent[0].query, JSON.parse(r.sent[0].body)])).toEqual([
      ['POST', '/v1/change-orders/co-1/targets/web-4/retry', { serviceId: 'web' }, {}],
      ['POST', '/v1/change-orders/co-1/targets/web-4/cancel', {}, { reason: 'decommissioned' }],
    ]);
    expect(runs[0].stdout).toBe('retry of web-4 recorded\nstatus: FAILURE_PAUSED\n');
  });

  it('watch: follows RUNNING → WAITING_MANUAL → SUCCEEDED, prints the continue hint, exits 0', async () => {
    const r = await cli(['watch', 'co-wait', '--interval', '20']);
    expect(r.code).toBe(0);
    expect(r.sent.map((s) => s.path)).toEqual(Array(3).fill('/v1/change-orders/co-wait'));
    const lines = r.stdout.trim().split('\n');
    // not a TTY: one line per change, the hint under the waiting line, then the outcome
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d RUNNING {2}web: batch 1\/2 RUNNING 1\/2 ok, 1 running$/);
    expect(lines[1]).toMatch(/WAITING_MANUAL {2}web: batch 1\/2 SUCCEEDED 2\/2 ok$/);
    expect(lines[2]).toBe('waiting before batch 2: changeflow continue co-wait --batch 2');
    expect(lines[3]).toMatch(/SUCCEEDED {2}web: batch 2\/2 SUCCEEDED 2\/2 ok$/);
    expect(lines[4]).toBe('co-wait finished SUCCEEDED (2)');
  });

  it('watch without a terminal: plain lines, one per change, batches advancing per service, then the outcome', async () => {
    const r = await cli(['watch', 'co-multi', '--interval', '20']);
    expect(r.code).toBe(3);
    expect(r.sent).toHaveLength(5);
    // no progress bars, no cursor movement or colours: the output is a log
    expect(r.stdout).not.toMatch(/\x1b|█|░/);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, -1).map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''))).toEqual([
      'RUNNING  web: batch 1/2 RUNNING 1/2 ok, 1 running',
      'RUNNING  web: batch 2/2 RUNNING 0/2 ok, 1 running',
      'RUNNING  web: batch 2/2 SUCCEEDED 2/2 ok  api: batch 1/1 RUNNING 1/2 ok, 1 running',
      'FAILED  web: batch 2/2 SUCCEEDED 2/2 ok  api: batch 1/1 FAILED 1/2 ok, 1 failed',
    ]);
    expect(lines.at(-1)).toBe('co-multi finished FAILED (3): api-2 failed its health check');
  });

  it('watch: FAILED exits 3, PARTIAL (submit --watch) exits 2, --json prints the final order, 5xx is retried', async () => {
    const [failed, partial, quiet, flaky] = await Promise.all([
      cli(['watch', 'co-fail', '--interval', '20']),
      cli(['submit', 'partial.yaml', '--watch', '--interval', '20']),
      cli(['watch', 'co-wait-json', '--interval', '20', '--json']),
      cli(['watch', 'co-flaky', '--interval', '20']),
    ]);
    expect(failed.code).toBe(3);
    expect(failed.stdout).toContain('co-fail finished FAILED (3): failures passed maxErrors');

    expect(partial.code).toBe(2);
    expect(partial.sent.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /v1/change-orders', 'GET /v1/change-orders/co-partial']);
    expect(partial.stdout).toMatch(/^changeOrderId: co-partial\nstatus: READY\n/);

    expect(quiet.code).toBe(0);
    expect(json(quiet)).toMatchObject({ changeOrderId: 'co-wait-json', status: 'SUCCEEDED' });
    expect(quiet.stderr).toContain('waiting before batch 2: changeflow continue co-wait-json --batch 2');

    expect(flaky.code).toBe(0);
    expect(flaky.stderr).toBe('error Unavailable: restarting; retry 1/4\n');
  });
});
