// Fuzzing the API over real HTTP (issue 7, item 2). Valid plans, service definitions and command bodies
// are mutated (wrong types, missing and extra keys, huge strings and arrays, deep nesting, unicode and
// Chinese text, __proto__/constructor/prototype keys, YAML anchors and alias bombs, invalid UTF-8 bytes,
// random bytes, empty bodies, content types that lie) and sent to the real server. Every answer must be a
// 2xx, or a 4xx with `{error: {code, message, issues?}}`; never a 5xx, never a hang; a refused submission
// writes nothing (orders, services and scope locks as before); Object.prototype is never polluted.
// Each property has a fixed seed; fast-check prints the seed and the counterexample path on failure.

import fc from 'fast-check';
import YAML from 'yaml';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleet, startTestServer, TERMINAL, type TestServer } from '../support/local-server.ts';
import {
  expectUnpolluted,
  expectWellFormed,
  INVALID_UTF8,
  prototypeSnapshot,
  send,
  splice,
  storeView,
  utf8,
  type RawReply,
} from './support.ts';

let s: TestServer;
let pristine: Record<string, string[]>;
/** orders a fuzzed submission happened to create (a mutation may leave a plan valid) */
const created = new Set<string>();
const SCOPES = ['service:fz-a', 'service:fz-b', 'service:fz-asg', 'ess:fz-asg', 'service:111', 'service:222', 'service:fzi-inline'];

beforeAll(async () => {
  pristine = prototypeSnapshot();
  s = await startTestServer();
  const reg = async (id: string, body: unknown) => expect((await s.api('PUT', `/v1/services/${id}`, body)).status).toBe(201);
  await reg('fz-a', { executor: { type: 'simulated', latencyMs: 1 }, targets: fleet('a', 4, '1.0', (i) => (i % 2 ? ['zone=b'] : ['zone=a', 'canary'])) });
  await reg('fz-b', { executor: { type: 'simulated', latencyMs: 1 }, targets: fleet('b', 3) });
  await reg('fz-asg', { executor: { type: 'simulated', latencyMs: 1 }, targets: fleet('i', 2, 'img-1') });
  await reg('111', { executor: { type: 'simulated' }, targets: fleet('w', 2, '1.0', () => ['label1']) });
  await reg('222', { executor: { type: 'simulated' }, targets: fleet('x', 2) });
  await reg('fz-ctl', { executor: { type: 'simulated', latencyMs: 1, failTargets: ['c-2'] }, targets: fleet('c', 10) });
});
afterAll(async () => s?.close());

// ---- plain values, with __proto__ as an ordinary own key -------------------------------------------------

type Path = (string | number)[];
const own = (o: Record<string, unknown>, k: string, v: unknown) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (isObj(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) own(out, k, clone(v[k]));
    return out;
  }
  return v;
}

function allPaths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (out.length > 500) return out;
  if (Array.isArray(v)) v.slice(0, 20).forEach((x, i) => allPaths(x, [...at, i], out));
  else if (isObj(v)) for (const k of Object.keys(v)) allPaths(v[k], [...at, k], out);
  return out;
}

function getAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const k of path) v = (v as Record<string | number, unknown>)[k];
  return v;
}

/** replaces the value at `path` (the root itself when the path is empty) */
function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, unknown> | unknown[];
  const key = path[path.length - 1];
  if (Array.isArray(parent)) parent[key as number] = value;
  else own(parent as Record<string, unknown>, String(key), value);
  return root;
}

function deleteAt(root: unknown, path: Path): unknown {
  if (path.length === 0) return undefined;
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1];
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else if (isObj(parent)) delete parent[String(key)];
  return root;
}

// ---- arbitraries ------------------------------------------------------------------------------------

const cjk = fc.integer({ min: 0x4e00, max: 0x9fff }).map((c) => String.fromCodePoint(c));
const chinese = fc.string({ unit: cjk, minLength: 1, maxLength: 40 });
const unicode = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }), chinese);

/** about 600 KB of one character, as UTF-8 (a multi-byte character makes fewer characters) */
const hugeString = fc
  .record({ ch: fc.constantFrom('a', '中', '🙂', '%', ' ', '"', '\\', '\u0000', '\n', 'é', ','), kb: fc.integer({ min: 550, max: 650 }) })
  .map(({ ch, kb }) => ch.repeat(Math.floor((kb * 1000) / Buffer.byteLength(ch))));

const hugeArray = fc
  .record({ n: fc.integer({ min: 1_000, max: 100_000 }), el: fc.constantFrom<unknown>(0, 1, 'x', null, {}, [], 'ScaleIn', '100%', { id: 't' }) })
  .map(({ n, el }) => Array.from({ length: n }, () => clone(el)));

const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom<unknown>(null, true, false, 0, -1, 1e308, -0, '', ' ', [], {}, '0', 'true', 'null', '1e999', '2026-13-45T99:99:99Z', 'NaN'),
  fc.string({ maxLength: 20 }),
  fc.array(fc.integer(), { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const SPECIAL_KEYS = ['__proto__', 'constructor', 'prototype', '__defineGetter__', 'toString', 'valueOf', 'hasOwnProperty', 'then', 'batchNumbr', 'Deployment', 'serviceid', '服务', '', ' ', 'a.b', '[0]', '\u0000', '<<'];
const anyKey = fc.oneof(fc.constantFrom(...SPECIAL_KEYS), fc.string({ unit: 'grapheme', maxLength: 12 }), chinese);
const pollution = fc.constantFrom<unknown>({ polluted: 'yes', isAdmin: true }, { prototype: { polluted: 1 } }, { __proto__x: 1 }, { batch: 2, rollback: true });

type Op =
  | { kind: 'set'; pick: number; value: unknown }
  | { kind: 'delete'; pick: number }
  | { kind: 'addKey'; pick: number; key: string; value: unknown }
  | { kind: 'nest'; pick: number; depth: number; array: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: wrongType }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: unicode }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: hugeString }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: hugeArray }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('addKey' as const), pick: fc.nat(), key: anyKey, value: fc.oneof(wrongType, pollution, unicode) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nest' as const), pick: fc.nat(), depth: fc.oneof(fc.integer({ min: 20, max: 40 }), fc.integer({ min: 40, max: 1_500 })), array: fc.boolean() }) },
);

function apply(base: unknown, ops: Op[]): unknown {
  let doc = clone(base);
  let nested = false; // one deep nesting per document keeps JSON.stringify within the stack (200k-deep texts: below)
  for (const o of ops) {
    if (o.kind === 'nest' && nested) continue;
    nested ||= o.kind === 'nest';
    const paths = allPaths(doc);
    const path = paths[o.pick % paths.length];
    if (o.kind === 'set') doc = setAt(doc, path, clone(o.value));
    else if (o.kind === 'delete') doc = deleteAt(doc, path);
    else if (o.kind === 'addKey') {
      const containers = paths.filter((p) => isObj(getAt(doc, p)));
      if (containers.length === 0) continue;
      own(getAt(doc, containers[o.pick % containers.length]) as Record<string, unknown>, o.key, clone(o.value));
    } else {
      let v = getAt(doc, path);
      for (let i = 0; i < o.depth; i++) v = o.array ? [v] : { n: v };
      doc = setAt(doc, path, v);
    }
  }
  return doc;
}

type Encoding = 'json' | 'json-pretty' | 'yaml' | 'yaml-flow';

function encode(doc: unknown, enc: Encoding): string {
  if (doc === undefined) return '';
  try {
    if (enc === 'json') return JSON.stringify(doc);
    if (enc === 'json-pretty') return JSON.stringify(doc, null, 2);
    return YAML.stringify(doc, { collectionStyle: enc === 'yaml-flow' ? 'flow' : 'any', lineWidth: 0, aliasDuplicateObjects: false });
  } catch {
    return JSON.stringify(doc); // YAML.stringify gives up on very deep documents; JSON is YAML too
  }
}

type ByteOp =
  | { kind: 'invalidUtf8'; at: number; seq: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'nul'; at: number }
  | { kind: 'bom' }
  | { kind: 'utf16' };

const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('invalidUtf8' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), seq: fc.nat(INVALID_UTF8.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), bit: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nul' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'bom' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'utf16' as const }) },
);

function applyBytes(text: string, ops: ByteOp[]): Uint8Array {
  let b = utf8(text);
  for (const o of ops) {
    const at = 'at' in o ? Math.floor(o.at * b.length) : 0;
    if (o.kind === 'invalidUtf8') b = splice(b, at, INVALID_UTF8[o.seq]);
    else if (o.kind === 'truncate') b = b.slice(0, at);
    else if (o.kind === 'flip' && b.length) b = splice(b, Math.min(at, b.length - 1), [b[Math.min(at, b.length - 1)] ^ (1 << o.bit)], 1);
    else if (o.kind === 'nul') b = splice(b, at, [0]);
    else if (o.kind === 'bom') b = splice(b, 0, [0xef, 0xbb, 0xbf]);
    else if (o.kind === 'utf16') b = new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(Buffer.from(b).toString('utf8'), 'utf16le')]));
  }
  return b;
}

/** undefined: the type that matches the encoding; null: no content-type header at all */
const contentType = fc.constantFrom<string | null | undefined>(
  undefined,
  undefined,
  undefined,
  null,
  'application/json',
  'application/yaml',
  'text/yaml; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/json; charset=utf-16',
  'application/octet-stream',
  '}{;;=,',
);

function headersFor(ct: string | null | undefined, enc: Encoding, extra: Record<string, string> = {}): Record<string, string> {
  if (ct === null) return extra;
  return { 'content-type': ct ?? (enc.startsWith('json') ? 'application/json' : 'application/yaml'), ...extra };
}

// ---- valid starting points ----------------------------------------------------------------------------

const BASE_PLANS: unknown[] = [
  { comment: 'fuzz base', deployPlanItems: [{ serviceId: 'fz-a', deployment: 'HTTP_UPLOAD_DEPLOY', httpSrcUri: 'https://example.com/a.zip', version: '2.0', batchNumber: 2 }] },
  {
    comment: '多服务发布',
    onAlarm: 'pause',
    deployPlanItems: [
      { serviceId: 'fz-a', priority: 2, deployment: 'RESTART', containerExecMethod: 'SEQUENTIAL', deployLabel: 'zone=a,canary' },
      {
        serviceId: 'fz-b',
        priority: 1,
        deployment: 'COMPILE_DEPLOY',
        compileRepoPath: 'https://git.example.com/b',
        compileRepoBranch: 'main',
        batches: [1, '50%', '100%'],
        batchPauseOption: 'Automatic',
        maxErrors: 1,
        onFailure: 'pause',
        maxConcurrency: 2,
        healthCheck: { type: 'http', path: '/healthz', expectStatus: 200, timeoutSeconds: 1, retries: 0 },
        bakeSeconds: 0,
      },
    ],
  },
  {
    deployPlanItems: [{ serviceId: 'fz-b', deployment: 'START', batchWaitSeconds: 0 }],
    window: { timezone: 'Asia/Shanghai', allow: ['MON-SUN 00:00-24:00'], deny: ['2020-01-01 00:00-2020-01-02 00:00'] },
    startAt: '2020-01-01T00:00:00Z',
  },
  {
    deployPlanItems: [
      { serviceId: 'fzi-inline', deployment: 'STOP', service: { description: 'inline', executor: { type: 'simulated', latencyMs: 0 }, targets: [{ id: 'n-1', labels: ['zone=a'], version: '1' }], defaults: { batchNumber: 1 } } },
    ],
  },
  {
    TemplateName: 'ACS-ESS-RollingUpdateByRunCommandInScalingGroup',
    Parameters: { invokeType: 'invoke', scalingGroupId: 'fz-asg', invokeScript: 'echo hi', commandType: 'RunShellScript', batchNumber: 2, batchPauseOption: 'Automatic', enterProcess: ['ScaleIn'], exitProcess: ['ScaleIn'], OOSAssumeRole: '' },
  },
  { TemplateName: 'ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup', Parameters: JSON.stringify({ invokeType: 'invoke', scalingGroupId: 'fz-asg', imageId: 'img-2', sourceImageId: 'img-1', batchNumber: 1 }) },
  { TemplateName: 'ACS-ESS-RollingUpdateByConfigureOOSPackage', Parameters: { invokeType: 'rollback', scalingGroupId: 'fz-asg', sourceExecutionId: 'co-does-not-exist' } },
];

const YAML_PLANS = [
  readFileSync(new URL('../../events/seed-004-plan.yaml', import.meta.url), 'utf8'),
  readFileSync(new URL('../../events/demo-plan.yaml', import.meta.url), 'utf8'),
  'comment: yaml\ndeployPlanItems:\n  - serviceId: fz-a\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/a.zip\n    version: 2.10\n    batches: [1, "100%"]\n',
  'base: &b\n  deployment: RESTART\ndeployPlanItems:\n  - serviceId: fz-b\n    <<: *b\n',
];

type LineOp = { kind: 'drop' | 'dup' | 'indent' | 'tab' | 'anchor' | 'alias' | 'swap'; at: number };
const lineOp: fc.Arbitrary<LineOp> = fc.record({ kind: fc.constantFrom('drop', 'dup', 'indent', 'tab', 'anchor', 'alias', 'swap'), at: fc.nat() });

function applyLines(text: string, ops: LineOp[]): string {
  const lines = text.split('\n');
  for (const o of ops) {
    const i = o.at % lines.length;
    if (o.kind === 'drop') lines.splice(i, 1);
    else if (o.kind === 'dup') lines.splice(i, 0, lines[i]);
    else if (o.kind === 'indent') lines[i] = ` ${lines[i]}`;
    else if (o.kind === 'tab') lines[i] = `\t${lines[i]}`;
    else if (o.kind === 'anchor') lines[i] = lines[i].replace(/: (\S)/, ': &x $1');
    else if (o.kind === 'alias') lines[i] = lines[i].replace(/: .*$/, ': *x');
    else if (i + 1 < lines.length) [lines[i], lines[i + 1]] = [lines[i + 1], lines[i]];
  }
  return lines.join('\n');
}

// ---- the checks ------------------------------------------------------------------------------------

/** newest first: an order a refused submission created would head the list (the full count is checked at the end) */
const VIEW_LIMIT = 10;

async function submitChecked(path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<RawReply> {
  const before = await storeView(s, SCOPES, VIEW_LIMIT);
  const r = await send(s.app.url, 'POST', path, body, headers);
  expectWellFormed(r, `POST ${path}`);
  if (r.status === 201) created.add(r.json.changeOrderId);
  if (r.status >= 400) {
    const after = await storeView(s, SCOPES, VIEW_LIMIT);
    const what = `a refused submission (${r.status} ${r.text.slice(0, 200)}) changed the store`;
    expect(after.orders, what).toEqual(before.orders);
    expect(after.services, what).toEqual(before.services);
    // an earlier (valid) order may finish meanwhile and release its locks; a refused one never takes one
    for (const scope of SCOPES) if (after.scopes[scope] !== undefined) expect(after.scopes[scope], `${what}: ${scope}`).toBe(before.scopes[scope]);
  }
  if (path.includes('dryRun=true') && r.status < 300) {
    expect((await storeView(s, SCOPES, VIEW_LIMIT)).orders).toEqual(before.orders);
  }
  expectUnpolluted(pristine);
  return r;
}

const submitPath = fc.constantFrom('/v1/change-orders', '/v1/change-orders?dryRun=true', '/v1/change-orders?dryRun=true', '/v1/change-orders?dryRun=1', '/v1/change-orders?dryRun=yes');
const idemKey = fc.option(fc.string({ unit: 'grapheme-ascii', minLength: 0, maxLength: 220 }), { freq: 4 });

/** answers per property, by status, printed at the end (to see what the fuzzing reached) */
const stats = new Map<string, Map<number, number>>();
const count = (label: string, r: RawReply) => {
  if (process.env.FUZZ_SLOW && r.ms > Number(process.env.FUZZ_SLOW)) console.log('slow', Math.round(r.ms), r.status, r.text.slice(0, 160));
  const m = stats.get(label) ?? new Map<number, number>();
  m.set(r.status, (m.get(r.status) ?? 0) + 1);
  stats.set(label, m);
};

describe('fuzzing the API over real HTTP', () => {
  it('mutated plans and ESS requests (JSON and YAML): 2xx or a clear 4xx, no partial write, no pollution', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          base: fc.nat(BASE_PLANS.length - 1),
          ops: fc.array(op, { minLength: 0, maxLength: 3 }),
          enc: fc.constantFrom<Encoding>('json', 'json-pretty', 'yaml', 'yaml-flow'),
          bytes: fc.oneof({ weight: 3, arbitrary: fc.constant<ByteOp[]>([]) }, { weight: 1, arbitrary: fc.array(byteOp, { minLength: 1, maxLength: 2 }) }),
          ct: contentType,
          path: submitPath,
          key: idemKey,
        }),
        async ({ base, ops, enc, bytes, ct, path, key }) => {
          const body = applyBytes(encode(apply(BASE_PLANS[base], ops), enc), bytes);
          const r = await submitChecked(path, body, headersFor(ct, enc, key === null ? {} : { 'idempotency-key': key }));
          count('plans', r);
        },
      ),
      { seed: 0x7e5701, numRuns: 200, endOnFailure: true },
    );
  }, 120_000);

  it('mutated YAML text (seed 004 verbatim, the demo plan, anchors and merge keys)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ base: fc.nat(YAML_PLANS.length - 1), lines: fc.array(lineOp, { maxLength: 4 }), bytes: fc.array(byteOp, { maxLength: 2 }), ct: contentType, path: submitPath }),
        async ({ base, lines, bytes, ct, path }) => {
          const r = await submitChecked(path, applyBytes(applyLines(YAML_PLANS[base], lines), bytes), headersFor(ct, 'yaml'));
          count('yaml-text', r);
        },
      ),
      { seed: 0x7e5702, numRuns: 120, endOnFailure: true },
    );
  }, 60_000);

  it('hostile documents: random bytes, empty bodies, alias bombs, deep nesting, YAML 1.1 tags', async () => {
    const aliasBomb = fc.record({ levels: fc.integer({ min: 1, max: 12 }), fan: fc.integer({ min: 2, max: 12 }), where: fc.constantFrom('root', 'comment', 'items') }).map(({ levels, fan, where }) => {
      const lines = ['a0: &a0 [lol]'];
      for (let l = 1; l <= levels; l++) lines.push(`a${l}: &a${l} [${Array(fan).fill(`*a${l - 1}`).join(', ')}]`);
      if (where === 'comment') lines.push(`comment: *a${levels}`);
      if (where === 'items') lines.push(`deployPlanItems: *a${levels}`);
      return lines.join('\n');
    });
    const deep = fc.record({ depth: fc.integer({ min: 30, max: 200_000 }), kind: fc.constantFrom('json-array', 'json-object', 'yaml-flow', 'yaml-block', 'yaml-mixed') }).map(({ depth, kind }) => {
      if (kind === 'json-array') return '{"deployPlanItems":' + '['.repeat(depth) + ']'.repeat(depth) + '}';
      if (kind === 'json-object') return '{"comment":"x","a":' + '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) + '}';
      if (kind === 'yaml-flow') return 'deployPlanItems: ' + '['.repeat(depth) + ']'.repeat(depth);
      const d = Math.min(depth, 1_200); // block nesting costs d² bytes of indentation
      if (kind === 'yaml-block') return Array.from({ length: d }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1';
      return Array.from({ length: d }, (_, i) => `${' '.repeat(i * 2)}- `).join('\n') + 'x';
    });
    const tagged = fc.constantFrom(
      '%YAML 1.1\n---\ndeployPlanItems: !!set {a, b}\ncomment: !!binary aGVsbG8=\n',
      '%YAML 1.1\n---\nbase: &b {serviceId: fz-a, deployment: RESTART}\ndeployPlanItems:\n  - <<: *b\n',
      '%YAML 1.1\n---\ndeployPlanItems: !!omap [a: 1, b: 2]\nstartAt: 2026-01-01\n',
      'deployPlanItems: !!js/function "function () { return 1 }"\n',
      'deployPlanItems: !<tag:yaml.org,2002:python/object/apply:os.system> ["id"]\n',
      'comment: !!str\ndeployPlanItems: !!map\n',
      '? [a, b]\n: 1\n? {c: d}\n: 2\ndeployPlanItems: []\n',
      '__proto__: {polluted: yes}\nconstructor: {prototype: {polluted: yes}}\ndeployPlanItems: [{__proto__: {polluted: 1}, serviceId: fz-a, deployment: RESTART}]\n',
      '{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}, "deployPlanItems": [{"serviceId": "fz-a", "deployment": "RESTART", "__proto__": {"isAdmin": true}}]}',
      '{"TemplateName": "ACS-ESS-RollingUpdateByRunCommandInScalingGroup", "Parameters": "{\\"__proto__\\": {\\"polluted\\": 1}, \\"invokeType\\": \\"invoke\\", \\"scalingGroupId\\": \\"fz-asg\\", \\"invokeScript\\": \\"x\\"}"}',
      'a: &x 1\nb: *x\nc: *y\n',
      '---\ndeployPlanItems: []\n---\ndeployPlanItems: []\n',
      '\ufeff\ufeffdeployPlanItems: []',
      '...\n',
      '- 1\n- 2\n',
      '"just a string"',
      '12',
      'null',
      '{"deployPlanItems": [{"serviceId": "fz-a", "deployment": "RESTART"}], "deployPlanItems": []}',
      'deployPlanItems: [{serviceId: fz-a, deployment: RESTART}]\ndeployPlanItems: []\n',
    );
    const doc = fc.oneof(
      { weight: 3, arbitrary: fc.uint8Array({ maxLength: 3_000 }) },
      { weight: 1, arbitrary: fc.constantFrom(new Uint8Array(0), utf8(' '), utf8('\n\n'), utf8('\ufeff'), new Uint8Array([0])) },
      { weight: 2, arbitrary: aliasBomb.map(utf8) },
      { weight: 2, arbitrary: deep.map(utf8) },
      { weight: 2, arbitrary: tagged.map(utf8) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 500 }).map(utf8) },
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ body: doc, ct: contentType, path: submitPath, bytes: fc.array(byteOp, { maxLength: 1 }) }), async ({ body, ct, path, bytes }) => {
        const b = bytes.length ? applyBytes(Buffer.from(body).toString('latin1'), bytes) : body;
        const r = await submitChecked(path, b, headersFor(ct, 'yaml'));
        count('hostile', r);
        // the same hostile documents as service definitions
        const p = await send(s.app.url, 'PUT', '/v1/services/fzs-hostile', b, headersFor(ct, 'yaml'));
        expectWellFormed(p, 'PUT /v1/services/fzs-hostile');
        count('hostile', p);
        expectUnpolluted(pristine);
      }),
      { seed: 0x7e5703, numRuns: 120, endOnFailure: true },
    );
  }, 90_000);

  it('mutated service definitions to PUT /v1/services/{id}: a refused one changes nothing', async () => {
    const bases: unknown[] = [
      { description: 'web tier', executor: { type: 'simulated', latencyMs: 5, failTargets: ['t-2'], failRate: 0, unhealthyTargets: [] }, targets: [{ id: 't-1', labels: ['zone=a', 'canary'], version: '1.0' }, { id: 't-2' }], defaults: { batchNumber: 2, maxErrors: 1, onFailure: 'pause' } },
      { executor: { type: 'http', deployUrl: 'http://{target}:8080/deploy', statusUrl: 'http://{target}:8080/deploy/{key}', tokenEnv: 'DEPLOY_TOKEN', timeoutMs: 1000, pollMs: 100 }, targets: [{ id: 'h-1' }] },
      { executor: { type: 'ecs-command', regionId: 'cn-hangzhou', script: 'echo {{version}}', rollbackScript: 'echo back', timeoutSeconds: 60, scalingGroupId: 'asg-1', enterProcess: ['ScaleIn'], endpoints: { ecs: 'http://127.0.0.1:1' } } },
      { executor: { type: 'fc-alias', functionName: 'fn', aliasName: 'prod', weights: [10, 50], accountId: '123', apiVersion: '3.0' } },
      { executor: { type: 'oos-package', packageName: 'app', templateName: 'ACS-ECS-BulkyConfigureOOSPackageWithTemporaryURL' }, targets: [{ id: 'i-1', version: 3 }] },
    ];
    const serviceId = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 6 }).map((n) => `fzs-${n}`) },
      { weight: 1, arbitrary: fc.constantFrom('', 'a b', '中文', '..', '%2F', '%00', 'x'.repeat(129), 'x'.repeat(128), '__proto__', 'constructor', 'prototype', 'a/b', '%E0%A4%A', '🙂') },
    );
    const idPath = (id: string) => `/v1/services/${/^%|^\.\.$/.test(id) ? id : encodeURIComponent(id)}`;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ base: fc.nat(bases.length - 1), ops: fc.array(op, { maxLength: 3 }), enc: fc.constantFrom<Encoding>('json', 'yaml', 'yaml-flow'), bytes: fc.array(byteOp, { maxLength: 1 }), ct: contentType, id: serviceId }),
        async ({ base, ops, enc, bytes, ct, id }) => {
          const path = idPath(id);
          const before = await send(s.app.url, 'GET', path);
          const targetsBefore = await send(s.app.url, 'GET', `${path}/targets`);
          const r = await send(s.app.url, 'PUT', path, applyBytes(encode(apply(bases[base], ops), enc), bytes), headersFor(ct, enc));
          expectWellFormed(r, `PUT ${path}`);
          count('services', r);
          if (r.status >= 400) {
            const after = await send(s.app.url, 'GET', path);
            expect(after.status).toBe(before.status);
            expect(after.json).toEqual(before.json);
            expect((await send(s.app.url, 'GET', `${path}/targets`)).json).toEqual(targetsBefore.json);
          }
          expectUnpolluted(pristine);
        },
      ),
      { seed: 0x7e5704, numRuns: 120, endOnFailure: true },
    );
  }, 60_000);

  it('control routes (continue, pause, resume, abort, rollback, retry, skip, cancel) with random bodies', async () => {
    const plan = (extra: string) => `deployPlanItems:\n  - serviceId: fz-ctl\n    deployment: RESTART\n    batchNumber: 5\n${extra}`;
    const waiting = (await s.api('POST', '/v1/change-orders', plan('    batchPauseOption: EveryBatchPause\n    maxErrors: 5\n'))).body.changeOrderId;
    await s.waitFor(`/v1/change-orders/${waiting}`, (b) => b.status === 'WAITING_MANUAL');
    await s.api('POST', `/v1/change-orders/${waiting}/abort`, {});
    await s.waitFor(`/v1/change-orders/${waiting}`, (b) => TERMINAL.includes(b.status) && b.finalized);
    const paused = (await s.api('POST', '/v1/change-orders', plan('    onFailure: pause\n    batchPauseOption: EveryBatchPause\n'))).body.changeOrderId;
    await s.waitFor(`/v1/change-orders/${paused}`, (b) => b.status === 'FAILURE_PAUSED');
    created.add(paused);
    const orderIds = [waiting, paused, 'co-does-not-exist', '%00', '..', 'co-' + '9'.repeat(300), '中文', '__proto__'];

    const body = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.oneof(
          fc.constantFrom('', '{}', '{"rollback": true}', '{"rollback": false}'),
          fc.integer({ min: 1, max: 6 }).map((batch) => JSON.stringify({ batch })),
          unicode.map((reason) => JSON.stringify({ reason })),
        ),
      },
      { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
      {
        weight: 3,
        arbitrary: fc
          .record(
            {
              batch: fc.oneof(fc.integer({ min: -2, max: 7 }), wrongType),
              reason: fc.oneof(unicode, fc.constant('r'.repeat(501)), fc.constant('理由'.repeat(250))),
              rollback: fc.oneof(fc.boolean(), wrongType),
              batchNumber: fc.oneof(fc.integer({ min: 0, max: 20_000 }), wrongType),
              batchPauseOption: fc.constantFrom('Automatic', 'FirstBatchPause', 'nope'),
              maxConcurrency: fc.integer({ min: -1, max: 5 }),
            },
            { requiredKeys: [] },
          )
          .chain((o) => fc.array(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), pollution), { maxLength: 2 }).map((extra) => {
            const out = clone(o) as Record<string, unknown>;
            for (const [k, v] of extra) own(out, k, clone(v));
            return JSON.stringify(out);
          })),
      },
      { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', '[]', 'null', '"x"', '{"reason": "a"}{}', '{"batch": 1e400}', '{"batch": 2, "batch": "two"}', `{"reason": "${'x'.repeat(70_000)}"}`) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')) },
    );
    const route = fc.oneof(
      fc.constantFrom('continue', 'pause', 'resume', 'abort', 'rollback').map((r) => ({ sub: r, target: undefined as string | undefined })),
      fc.record({ sub: fc.constantFrom('retry', 'skip', 'cancel'), target: fc.oneof(fc.constantFrom('c-1', 'c-2', 'c-3', 'c-10', 'zz', '__proto__'), unicode) }).map((r) => ({ sub: `targets/${encodeURIComponent(r.target)}/${r.sub}`, target: r.target })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({ order: fc.nat(orderIds.length - 1), route, body, ct: fc.constantFrom<string | null | undefined>(undefined, null, 'application/json', 'text/plain', 'application/yaml'), service: fc.option(fc.constantFrom('fz-ctl', 'nope', ''), { freq: 5 }) }),
        async ({ order, route, body, ct, service }) => {
          const id = orderIds[order];
          const query = service === null ? '' : `?serviceId=${encodeURIComponent(service)}`;
          const path = `/v1/change-orders/${/^%|^\.\.$/.test(id) ? id : encodeURIComponent(id)}/${route.sub}${query}`;
          const r = await send(s.app.url, 'POST', path, body, headersFor(ct, 'json'));
          expectWellFormed(r, `POST ${path}`);
          count('control', r);
          if (r.status === 200) expect(typeof r.json.applied).toBe('boolean');
          if (r.status === 200 && r.json.rollbackChangeOrderId) created.add(r.json.rollbackChangeOrderId);
          expectUnpolluted(pristine);
        },
      ),
      { seed: 0x7e5705, numRuns: 400, endOnFailure: true },
    );
  }, 60_000);

  it('read routes with random query strings and ids: 2xx or a clear 4xx', async () => {
    const someOrder = [...created][0] ?? 'co-none';
    const value = fc.oneof(fc.constantFrom('', '0', '1', '-1', '200', '201', '1e3', 'NaN', 'true', 'edas', 'RUNNING', 'nope', '%00', '%E0%A4%A', 'eyJjIjoxLCJpIjoxfQ', '0000000001.0000'), fc.string({ maxLength: 12 }).map(encodeURIComponent), unicode.map(encodeURIComponent));
    const params = fc.array(fc.tuple(fc.constantFrom('limit', 'cursor', 'status', 'serviceId', 'view', 'after', 'dryRun', '__proto__'), value), { maxLength: 3 });
    const route = fc.constantFrom('/v1/change-orders', `/v1/change-orders/${someOrder}`, `/v1/change-orders/${someOrder}/events`, `/v1/change-orders/${someOrder}/report`, '/v1/change-orders/co-none', '/v1/services', '/v1/services/fz-a', '/v1/services/fz-a/targets', '/v1/services/nope/targets', '/v1/healthz', '/v1/nothing');
    await fc.assert(
      fc.asyncProperty(fc.record({ route, params }), async ({ route, params }) => {
        // the events route's `limit` is excluded: it answers 500 (the known bug below)
        const kept = params.filter(([k]) => !(route.endsWith('/events') && k === 'limit'));
        const path = `${route}${kept.length ? '?' : ''}${kept.map(([k, v]) => `${k}=${v}`).join('&')}`;
        const r = await send(s.app.url, 'GET', path);
        expectWellFormed(r, `GET ${path}`);
        count('reads', r);
      }),
      { seed: 0x7e5706, numRuns: 300, endOnFailure: true },
    );
  });

  // KNOWN BUG (reported): shared/api/routes.ts, GET /v1/change-orders/{id}/events: `limit` is
  // Math.min(Number(limit) || 1000, 5000), so 1.5 or -1 pass through to the store, whose checkLimit throws a
  // RangeError: 500 InternalError instead of 400. When fixed, this test fails: turn it into a plain `it`.
  it('GET …/events?limit=1.5 (or -1) answers 400', async () => {
    const id = [...created][0];
    for (const limit of ['1.5', '-1']) expectWellFormed(await send(s.app.url, 'GET', `/v1/change-orders/${id}/events?limit=${limit}`), `events?limit=${limit}`);
  });

  it('__proto__, constructor and prototype as service and target ids are ordinary ids through a whole run', async () => {
    for (const id of ['__proto__', 'constructor', 'prototype']) {
      const reg = await s.api('PUT', `/v1/services/${id}`, { executor: { type: 'simulated', latencyMs: 1 }, targets: [{ id: '__proto__' }, { id: 'constructor' }, { id: 'hasOwnProperty' }] });
      expect(reg.status, JSON.stringify(reg.body)).toBe(201);
      const r = await s.api('POST', '/v1/change-orders', `deployPlanItems:\n  - serviceId: ${id}\n    deployment: RESTART\n    batchNumber: 2\n    batchPauseOption: FirstBatchPause\n`);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const oid = r.body.changeOrderId;
      await s.waitFor(`/v1/change-orders/${oid}`, (b) => b.status === 'WAITING_MANUAL');
      expect((await s.api('POST', `/v1/change-orders/${oid}/continue`, { batch: 2 })).body.applied).toBe(true);
      const o = await s.waitFor(`/v1/change-orders/${oid}`, (b) => TERMINAL.includes(b.status) && b.finalized);
      expect(o.status).toBe('SUCCEEDED');
      expect(o.services[0].serviceId).toBe(id);
      const targets = (await s.api('GET', `/v1/services/${id}/targets`)).body;
      expect(targets.map((t: { id: string; changeCount: number }) => [t.id, t.changeCount])).toEqual([['__proto__', 1], ['constructor', 1], ['hasOwnProperty', 1]]);
      for (const view of ['?view=edas', '/report', '/events']) expect((await s.api('GET', `/v1/change-orders/${oid}${view}`)).status).toBe(200);
      expect((await s.api('POST', `/v1/change-orders/${oid}/targets/__proto__/retry`, {})).status).toBe(409);
      expectUnpolluted(pristine);
    }
  });

  it('afterwards: nothing was left locked; a valid submission on the same services succeeds', async () => {
    for (const id of created) {
      const o = await s.api('GET', `/v1/change-orders/${id}`);
      if (o.status === 200 && !TERMINAL.includes(o.body.status)) await s.api('POST', `/v1/change-orders/${id}/abort`, { reason: 'fuzz cleanup' });
    }
    const page = (await s.api('GET', '/v1/change-orders?limit=200')).body.changeOrders as { changeOrderId: string }[];
    for (const { changeOrderId } of page) {
      await s.waitFor(`/v1/change-orders/${changeOrderId}`, (b) => TERMINAL.includes(b.status) && b.finalized, 20_000);
    }
    for (const scope of SCOPES) expect(await s.app.rt.store.getScope(scope), scope).toBeUndefined();
    const follow = await s.api('POST', '/v1/change-orders', BASE_PLANS[1]);
    expect(follow.status, JSON.stringify(follow.body)).toBe(201);
    const ess = await s.api('POST', '/v1/change-orders', BASE_PLANS[4]);
    expect(ess.status, JSON.stringify(ess.body)).toBe(201);
    for (const id of [follow.body.changeOrderId, ess.body.changeOrderId]) {
      const o = await s.waitFor(`/v1/change-orders/${id}`, (b) => TERMINAL.includes(b.status) && b.finalized, 20_000);
      expect(o.status).toBe('SUCCEEDED');
    }
    expectUnpolluted(pristine);
    for (const [label, m] of stats) console.log(`fuzz ${label}: ${JSON.stringify(Object.fromEntries([...m].sort(([a], [b]) => a - b)))}`);
    console.log(`fuzz: ${created.size} orders created by valid mutations`);
  }, 60_000);
});
