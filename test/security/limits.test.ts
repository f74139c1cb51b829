// Size and shape limits (issue 7, item 4): request bodies, plan size, nesting depth, YAML aliases, and
// documents of 100,000 tiny items — each is refused with a 4xx that names the limit, or answered
// correctly, within a bounded time, and nothing is stored on the way.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selects } from '../../shared/alarms/match.ts';
import type { AlarmEvent } from '../../shared/alarms/parse.ts';
import { MAX_DEPTH, MAX_PLAN_BYTES, parseDocument } from '../../shared/plan/parse.ts';
import { MAX_WINDOW_RULES } from '../../shared/plan/schema.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { expectWellFormed, send, storeView, utf8, type RawReply } from './support.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  await s.api('PUT', '/v1/services/lim-a', { executor: { type: 'simulated' }, targets: [{ id: 'a-1' }, { id: 'a-2' }] });
});
afterAll(async () => s?.close());

/** generous: a linear pass over 1 MiB takes well under a second; quadratic work takes minutes */
const BOUND_MS = 10_000;
const SCOPES = ['service:lim-a', 'service:lim-big', 'service:lim-labels'];

async function post(path: string, body: string | Uint8Array, contentType = 'application/json', method = 'POST'): Promise<RawReply> {
  const r = await send(s.app.url, method, path, body, { 'content-type': contentType }, 30_000);
  expectWellFormed(r, `${method} ${path}`);
  expect(r.ms, `${method} ${path} (${typeof body === 'string' ? Buffer.byteLength(body) : body.length} bytes) took ${Math.round(r.ms)} ms`).toBeLessThan(BOUND_MS);
  return r;
}

/** a refused submission stores nothing: no order, no service, no lock */
async function refusedWithoutTrace(path: string, body: string | Uint8Array, contentType?: string): Promise<RawReply> {
  const before = await storeView(s, SCOPES);
  const r = await post(path, body, contentType);
  expect(r.status, r.text.slice(0, 300)).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
  expect(await storeView(s, SCOPES)).toEqual(before);
  return r;
}

const messages = (r: RawReply): string => [r.json.error.message, ...(r.json.error.issues ?? []).map((i: { path: string; message: string }) => `${i.path}: ${i.message}`)].join('\n');
const plan = (extra = '') => `{"comment": "limits", "deployPlanItems": [{"serviceId": "lim-a", "deployment": "RESTART"${extra}}]}`;

describe('request body limits', () => {
  it('a plan over 1 MiB gets 413 naming the limit, and nothing is stored; exactly 1 MiB is read', async () => {
    const pad = (bytes: number) => plan().replace('"limits"', `"${'x'.repeat(bytes - Buffer.byteLength(plan()) + 'limits'.length)}"`);
    const over = pad(MAX_PLAN_BYTES + 1);
    expect(Buffer.byteLength(over)).toBe(MAX_PLAN_BYTES + 1);
    for (const path of ['/v1/change-orders', '/v1/change-orders?dryRun=true']) {
      const r = await refusedWithoutTrace(path, over);
      expect(r.status).toBe(413);
      expect(r.json.error.code).toBe('PayloadTooLarge');
      expect(r.json.error.message).toContain(String(MAX_PLAN_BYTES));
    }
    // multi-byte text: the limit is on bytes, not characters
    const chinese = plan().replace('"limits"', `"${'发'.repeat(Math.ceil(MAX_PLAN_BYTES / 3))}"`);
    expect((await refusedWithoutTrace('/v1/change-orders', chinese)).status).toBe(413);
    const put = await post('/v1/services/lim-too-big', JSON.stringify({ description: 'x'.repeat(MAX_PLAN_BYTES), executor: { type: 'simulated' } }), 'application/json', 'PUT');
    expect(put.status).toBe(413);
    expect((await s.api('GET', '/v1/services/lim-too-big')).status).toBe(404);
    // exactly at the limit the body is read (and refused for what it says: the comment is too long)
    const at = await refusedWithoutTrace('/v1/change-orders', pad(MAX_PLAN_BYTES));
    expect(at.status).toBe(400);
    expect(messages(at)).toMatch(/comment: must be at most 4096 characters/);
  });

  it('a declared Content-Length over the limit is refused before the body is sent', async () => {
    const port = Number(new URL(s.app.url).port);
    const t0 = performance.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.write(`POST /v1/change-orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${10 * MAX_PLAN_BYTES}\r\n\r\n{"comment": "`);
      });
      let got = '';
      sock.on('data', (d) => {
        got += d.toString('utf8');
        if (got.includes('\r\n\r\n') && got.includes('}}')) {
          sock.destroy();
          resolve(got);
        }
      });
      sock.on('error', reject);
      setTimeout(() => {
        sock.destroy();
        reject(new Error(`no answer within 5 s; got ${JSON.stringify(got)}`));
      }, 5_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toContain('PayloadTooLarge');
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('a command body over 64 KiB gets 413; an alarm body over 256 KiB gets 413', async () => {
    const id = (await s.api('POST', '/v1/change-orders', plan(', "batchNumber": 2, "batchPauseOption": "FirstBatchPause"'))).body.changeOrderId;
    await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'WAITING_MANUAL');
    for (const name of ['continue', 'pause', 'resume', 'abort', 'rollback', 'targets/a-1/retry']) {
      const r = await post(`/v1/change-orders/${id}/${name}`, JSON.stringify({ reason: 'r'.repeat(64 * 1024) }));
      expect([r.status, r.json.error.code], name).toEqual([413, 'PayloadTooLarge']);
      expect(r.json.error.message).toContain(String(64 * 1024));
    }
    // within the byte limit but over the reason's own limit: 400 naming the field
    const long = await post(`/v1/change-orders/${id}/pause`, JSON.stringify({ reason: 'r'.repeat(501) }));
    expect([long.status, long.json.error.issues[0].path]).toEqual([400, 'reason']);
    expect((await s.api('GET', `/v1/change-orders/${id}`)).body.status).toBe('WAITING_MANUAL');
    const alarm = await post('/v1/alarms', JSON.stringify({ alertName: 'x', alertState: 'ALARM', dimensions: 'y'.repeat(256 * 1024) }));
    expect([alarm.status, alarm.json.error.code]).toEqual([413, 'PayloadTooLarge']);
    await s.api('POST', `/v1/change-orders/${id}/abort`, {});
    await s.waitFor(`/v1/change-orders/${id}`, (b) => b.status === 'STOPPED' && b.finalized);
  });

  // readText() reads a body without Content-Length (chunked) as a stream and stops past the limit: 300 MiB
  // sent this way once cost the server ~900 MiB of memory before the 413.
  it('a chunked body over the limit gets 413 as soon as it passes the limit, not after it is read whole', async () => {
    const MiB = 1024 * 1024;
    const total = 48 * MiB;
    let pulled = 0;
    const chunk = new Uint8Array(MiB).fill(0x61);
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulled >= total) return c.close();
        pulled += chunk.length;
        c.enqueue(chunk);
      },
    });
    const res = await fetch(`${s.app.url}/v1/change-orders`, { method: 'POST', body, duplex: 'half', headers: { 'content-type': 'application/yaml' }, signal: AbortSignal.timeout(30_000) } as RequestInit);
    const atAnswer = pulled;
    const reply = await res.json();
    expect(res.status).toBe(413);
    expect(reply.error.code).toBe('PayloadTooLarge');
    expect(reply.error.message).toContain(String(MAX_PLAN_BYTES));
    expect(atAnswer, `the server answered after reading ${atAnswer / MiB} MiB of a ${total / MiB} MiB body`).toBeLessThan(8 * MiB);
  });
});

describe('nesting and YAML limits', () => {
  it(`nesting deeper than ${MAX_DEPTH} levels gets 400, in JSON and in YAML, at any depth`, async () => {
    const json = (depth: number) => `{"deployPlanItems": [{"serviceId": "lim-a", "deployment": "RESTART"}], "comment": ${'['.repeat(depth)}${']'.repeat(depth)}}`;
    // the document is level 0 and the comment level 1: 32 nested lists reach level 32, the deepest allowed
    const ok = await post('/v1/change-orders?dryRun=true', json(MAX_DEPTH));
    expect(ok.status).toBe(400);
    expect(messages(ok)).not.toMatch(/nested/); // refused for the comment's type, not for its depth
    for (const depth of [MAX_DEPTH + 1, MAX_DEPTH + 2, 100, 10_000, 500_000]) {
      const r = await refusedWithoutTrace('/v1/change-orders', json(depth));
      expect(r.status, `depth ${depth}`).toBe(400);
      expect(messages(r), `depth ${depth}`).toMatch(/nested (more than 32 levels deep|too deeply)/);
    }
    for (const depth of [40, 5_000, 300_000]) {
      const flow = `deployPlanItems: [{serviceId: lim-a, deployment: RESTART}]\ncomment: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
      const r = await refusedWithoutTrace('/v1/change-orders', flow, 'application/yaml');
      expect(messages(r), `YAML flow depth ${depth}`).toMatch(/nested (more than 32 levels deep|too deeply)/);
    }
    const block = Array.from({ length: 200 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
    expect(messages(await refusedWithoutTrace('/v1/change-orders', block, 'application/yaml'))).toMatch(/nested (more than 32 levels deep|too deeply)/);
  });

  it('a YAML alias bomb ("billion laughs") gets 400 naming aliases, at once; 99 aliases are fine', async () => {
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let l = 1; l <= 9; l++) lines.push(`a${l}: &a${l} [${Array(9).fill(`*a${l - 1}`).join(', ')}]`);
    lines.push('deployPlanItems: *a9');
    const bomb = lines.join('\n');
    expect(bomb.length).toBeLessThan(1_000);
    const r = await refusedWithoutTrace('/v1/change-orders', bomb, 'application/yaml');
    expect(r.status).toBe(400);
    expect(messages(r)).toMatch(/alias/);
    expect(r.ms).toBeLessThan(2_000);
    // 101 alias expansions of a harmless value: refused; 99: the plan is read (and validated as usual). The
    // `yaml` parser counts the anchor too, so exactly 100 aliases are refused as "more than 100".
    const aliases = (n: number) => `x: &x RESTART\ndeployPlanItems:\n${Array.from({ length: n }, (_, i) => `  - {serviceId: s${i}, deployment: *x}`).join('\n')}\n`;
    expect(messages(await refusedWithoutTrace('/v1/change-orders', aliases(101), 'application/yaml'))).toMatch(/more than 100 YAML aliases/);
    const hundred = await refusedWithoutTrace('/v1/change-orders', aliases(99), 'application/yaml');
    expect(messages(hundred)).not.toMatch(/alias/);
    expect(messages(hundred)).toMatch(/not registered|unknown key "x"/);
    // also as a service definition
    const svc = await post('/v1/services/lim-bomb', bomb.replace('deployPlanItems', 'targets'), 'application/yaml', 'PUT');
    expect([svc.status, messages(svc)]).toEqual([400, expect.stringMatching(/alias/)]);
  });
});

describe('100,000 tiny things within 1 MiB: a 4xx or a correct answer, in bounded time', () => {
  const N = 100_000;

  it('100,000 plan items (JSON and YAML): 400 with a capped list of problems', async () => {
    const json = JSON.stringify({ deployPlanItems: Array.from({ length: N }, () => ({})) });
    expect(Buffer.byteLength(json)).toBeLessThan(MAX_PLAN_BYTES);
    const r = await refusedWithoutTrace('/v1/change-orders', json);
    expect(r.status).toBe(400);
    expect(r.json.error.issues.length).toBeLessThanOrEqual(201);
    expect(r.json.error.issues.at(-1).message).toMatch(/more problems not listed/);
    expect(r.text.length).toBeLessThan(100_000);
    const yaml = `deployPlanItems:\n${'- {}\n'.repeat(N)}`;
    expect(Buffer.byteLength(yaml)).toBeLessThan(MAX_PLAN_BYTES);
    expect((await refusedWithoutTrace('/v1/change-orders', yaml, 'application/yaml')).status).toBe(400);
    // items that are fine on their own, naming services that do not exist
    const named = JSON.stringify({ deployPlanItems: Array.from({ length: 20_000 }, (_, i) => ({ serviceId: `s${i}`, deployment: 'START' })) });
    expect(Buffer.byteLength(named)).toBeLessThan(MAX_PLAN_BYTES);
    const r2 = await refusedWithoutTrace('/v1/change-orders?dryRun=true', named);
    expect(messages(r2)).toMatch(/is not registered/);
  });

  it('a service of 60,000 targets, then 60,000 batches and 100,000 batch steps over it: correct answers', async () => {
    const targets = Array.from({ length: 60_000 }, (_, i) => ({ id: `t${i}` }));
    const body = JSON.stringify({ executor: { type: 'simulated' }, targets });
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_PLAN_BYTES);
    const put = await post('/v1/services/lim-big', body, 'application/json', 'PUT');
    expect(put.status).toBe(201);
    expect(put.json.targets).toBe(60_000);
    const dry = await post('/v1/change-orders?dryRun=true', JSON.stringify({ deployPlanItems: [{ serviceId: 'lim-big', deployment: 'RESTART', batchNumber: 60_000 }] }));
    expect(dry.status).toBe(200);
    expect(dry.json.services[0].batches).toHaveLength(60_000);
    expect(dry.json.services[0].batches.at(-1)).toEqual({ batch: 60_000, size: 1, targets: ['t59999'] });
    const steps = Array.from({ length: N }, (_, i) => i + 1);
    const stepped = await post('/v1/change-orders?dryRun=true', JSON.stringify({ deployPlanItems: [{ serviceId: 'lim-big', deployment: 'RESTART', batches: steps }] }));
    expect(stepped.status).toBe(200);
    expect(stepped.json.services[0].batches).toHaveLength(60_000); // steps past the last target add nothing
    // 100,000 targets with one duplicate id (numbers, which ids may be): every duplicate named (capped)
    const dup = JSON.stringify({ executor: { type: 'simulated' }, targets: Array.from({ length: N }, () => ({ id: 1 })) });
    expect(Buffer.byteLength(dup)).toBeLessThan(MAX_PLAN_BYTES);
    const r = await post('/v1/services/lim-dup', dup, 'application/json', 'PUT');
    expect([r.status, r.json.error.issues.length]).toEqual([400, 201]);
  });

  it('a deployLabel of 100,000 labels over 25,000 labelled targets: a correct answer (labels matched by set, not by scanning)', async () => {
    const targets = Array.from({ length: 25_000 }, (_, i) => ({ id: `l${i}`, labels: [`z${i}`] }));
    expect((await post('/v1/services/lim-labels', JSON.stringify({ executor: { type: 'simulated' }, targets }), 'application/json', 'PUT')).status).toBe(201);
    const labels = [...Array.from({ length: N }, (_, i) => `q${i}`), 'z7', 'z24999'].join(',');
    const r = await post('/v1/change-orders?dryRun=true', JSON.stringify({ deployPlanItems: [{ serviceId: 'lim-labels', deployment: 'RESTART', deployLabel: labels }] }));
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    expect(r.json.services[0].batches[0].targets).toEqual(['l7', 'l24999']);
    expect(r.ms).toBeLessThan(3_000); // scanning the list for every label of every target took ~6 s
  });

  it('100,000 scaling processes in an ESS request: 400 at once (duplicates found by set, not by scanning)', async () => {
    const list = Array.from({ length: N }, (_, i) => `p${i}`);
    const body = JSON.stringify({ TemplateName: 'ACS-ESS-RollingUpdateByRunCommandInScalingGroup', Parameters: { invokeType: 'invoke', scalingGroupId: 'g', invokeScript: 'x', enterProcess: list, exitProcess: Array(5_000).fill('ScaleIn') } });
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_PLAN_BYTES);
    const r = await refusedWithoutTrace('/v1/change-orders', body);
    expect(messages(r)).toMatch(/Parameters.enterProcess\[0\]: must be one of/);
    expect(r.ms).toBeLessThan(3_000); // indexOf for every entry took ~8 s
    const twice = await refusedWithoutTrace('/v1/change-orders', body.replace(/"enterProcess":\[[^\]]*\],/, ''));
    expect(messages(twice)).toMatch(/Parameters.exitProcess\[1\]: "ScaleIn" is listed twice/);
  });

  it(`rollout windows: more than ${MAX_WINDOW_RULES} rules per list get 400; at the limit, the slowest window answers in bounded time`, async () => {
    const minute = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    const rules = (n: number) => Array.from({ length: n }, (_, i) => `${minute(i % 1439)}-${minute((i % 1439) + 1)}`);
    const window = (allow: string[], deny: string[]) => JSON.stringify({ deployPlanItems: [{ serviceId: 'lim-a', deployment: 'RESTART' }], window: { timezone: 'Asia/Shanghai', allow, deny } });
    const many = await refusedWithoutTrace('/v1/change-orders?dryRun=true', window(rules(60_000), []));
    expect(messages(many)).toMatch(new RegExp(`window.allow: must list at most ${MAX_WINDOW_RULES} entries`));
    expect(messages(await refusedWithoutTrace('/v1/change-orders?dryRun=true', window(['00:00-24:00'], rules(MAX_WINDOW_RULES + 1))))).toMatch(/window.deny: must list at most/);
    // the worst case at the limit: many short openings, all denied for years, so no boundary is open
    const deny = ['2000-01-01 00:00-2100-01-01 00:00', ...rules(MAX_WINDOW_RULES - 1).map((r) => `SUN ${r}`)];
    const slow = await post('/v1/change-orders?dryRun=true', window(rules(MAX_WINDOW_RULES), deny));
    expect(slow.status, slow.text.slice(0, 300)).toBe(200);
    expect(slow.ms).toBeLessThan(3_000);
  });

  it('100,000 unknown keys, and 100,000 duplicate YAML keys: 400 with capped problems', async () => {
    const keys = JSON.stringify(Object.fromEntries(Array.from({ length: N }, (_, i) => [i.toString(36), 1])));
    expect(Buffer.byteLength(keys)).toBeLessThan(MAX_PLAN_BYTES);
    const r = await refusedWithoutTrace('/v1/change-orders', keys);
    expect(r.json.error.issues.length).toBeLessThanOrEqual(201);
    const dups = `deployPlanItems: []\n${'a: 1\n'.repeat(N)}`;
    const d = await refusedWithoutTrace('/v1/change-orders', dups, 'application/yaml');
    expect(messages(d)).toMatch(/duplicate key "a"/);
  });

  // The `yaml` parser's own duplicate-key check (uniqueKeys) compares each key with every earlier key of its
  // mapping: 100,000 keys (1 MiB) once blocked the event loop for ~90 s. parse.ts now finds duplicates with a
  // Set per mapping. No stopwatch: quadratic work on these sizes takes minutes and hits the test timeout.
  it('a YAML mapping of 150,000 (block) or 200,000 (flow) distinct keys parses; duplicates are still named with their path', () => {
    // keys of letters only, so no two read as the same number (`1e0` and `1` are both 1)
    const key = (i: number) => (i.toString(26).replace(/[0-9a-p]/g, (d) => 'abcdefghijklmnopqrstuvwxyz'[parseInt(d, 26)]!));
    const keys = (n: number) => Array.from({ length: n }, (_, i) => key(i));
    const block = `${keys(150_000).map((k) => `${k}:`).join('\n')}\n`;
    const flow = `keys: {${keys(200_000).join(',')}}\n`;
    for (const [text, n, at] of [[block, 150_000, (v: any) => v], [flow, 200_000, (v: any) => v.keys]] as const) {
      expect(Buffer.byteLength(text)).toBeLessThan(MAX_PLAN_BYTES);
      const r = parseDocument(text, 'application/yaml');
      if (!r.ok) throw new Error(JSON.stringify(r.issues.slice(0, 3)));
      expect(Object.keys(at(r.value))).toHaveLength(n);
    }
    const twice = parseDocument(`${block}deployPlanItems:\n  - {serviceId: a, priority: 1, priority: 2}\n${key(149_999)}: again\n`, 'application/yaml');
    expect(twice).toEqual({
      ok: false,
      issues: [
        { path: 'deployPlanItems[0].priority', message: 'duplicate key "priority" at line 150002, column 33: each key may appear once' },
        { path: key(149_999), message: `duplicate key "${key(149_999)}" at line 150003, column 1: each key may appear once` },
      ],
    });
  });

  // match.ts once turned a selector into a backtracking RegExp (`*` → `.*`): k stars cost ~n^k on a name of n
  // characters, and a 256-character pattern never ended. wildcardMatch() is O(pattern × name). No stopwatch:
  // the exponential matcher would not finish within the test timeout.
  it('an alarm selector with many wildcards is matched in linear time, and still matches as before', () => {
    const alarm = (name: string, dimensions: Record<string, string> = {}): AlarmEvent => ({ id: 'a', name, state: 'ALARM', dimensions, at: 0, source: 'cloudmonitor' });
    expect(selects({ name: `${'*a'.repeat(30)}*b` }, alarm('a'.repeat(40)))).toBe(false);
    expect(selects({ name: `${'*a'.repeat(7)}*x` }, alarm('a'.repeat(40)))).toBe(false);
    expect(selects({ name: '*'.repeat(256) + 'x' }, alarm('a'.repeat(10_000)))).toBe(false);
    expect(selects({ name: `${'*a'.repeat(30)}*` }, alarm('a'.repeat(40)))).toBe(true);
    const cases: [pattern: string, name: string, matches: boolean][] = [
      ['slb-5xx', 'slb-5xx', true],
      ['slb-5xx', 'slb-5xxx', false],
      ['slb-*', 'slb-5xx', true],
      ['slb-*', 'slb-', true],
      ['slb-*', 'sl', false],
      ['*-5xx', 'checkout-5xx', true],
      ['*-5xx', 'checkout-5xx-rate', false],
      ['a*b*c', 'abc', true],
      ['a*b*c', 'a-b-b-c', true],
      ['a*b*c', 'a-c-b', false],
      ['slb-*-5xx', 'slb-cn-hangzhou-5xx', true],
      ['', '', true],
      ['', 'x', false],
      ['*', '', true],
      ['**', 'anything', true],
      ['a?c', 'abc', false], // `?` is a literal character, as `.`, `+` and `[` are
      ['a?c', 'a?c', true],
      ['a.c', 'abc', false],
      ['[ab]*', '[ab]x', true],
    ];
    for (const [pattern, name, matches] of cases) expect(selects({ name: pattern }, alarm(name)), `${pattern} ~ ${name}`).toBe(matches);
    // dimensions are looked up as own keys: Object.prototype's `constructor` is no dimension
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(selects({ dimensions: { [key]: '*' } }, alarm('x')), key).toBe(false);
    }
    const dims = JSON.parse('{"__proto__": "p-1", "constructor": "c-1"}') as Record<string, string>;
    expect(selects({ dimensions: JSON.parse('{"__proto__": "p-*", "constructor": "c-*"}') }, alarm('x', dims))).toBe(true);
    expect(selects({ dimensions: { region: 'cn-*' } }, alarm('x', { region: 'cn-hangzhou' }))).toBe(true);
    expect(selects({ dimensions: { region: 'cn-*' } }, alarm('x', { region: 'us-east-1' }))).toBe(false);
  });
});
