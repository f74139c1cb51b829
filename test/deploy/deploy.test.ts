// The cloud deployment, checked offline: s.yaml resolves with `s preview` and satisfies what the fc3
// component validates, `npm run build` produces bundles that load with no node_modules anywhere (and work
// against a Tablestore), and ram-policy.json grants only what the functions need.

import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startTablestoreEmulator, type TablestoreEmulator } from '../support/tablestore-emulator.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const S_BIN = path.join(root, 'node_modules', '@serverless-devs', 's', 'bin', 's');
const FUNCTIONS = ['api', 'worker', 'ticker', 'alarm'] as const;
const execFileAsync = promisify(execFile);

interface Trigger {
  triggerName: string;
  triggerType: string;
  triggerConfig: Record<string, unknown>;
}
interface Props {
  region: string;
  functionName: string;
  runtime: string;
  code: string;
  handler: string;
  memorySize: number;
  timeout: number;
  role: string;
  environmentVariables: Record<string, unknown>;
  asyncInvokeConfig?: { maxAsyncRetryAttempts?: number; maxAsyncEventAgeInSeconds?: number };
  triggers?: Trigger[];
  [k: string]: unknown;
}
interface Spec {
  edition: string;
  name: string;
  access: string;
  vars: Record<string, string>;
  actions?: Record<string, { run?: string; path?: string }[]>;
  resources: Record<string, { component: string; props: Props }>;
}

const sText = readFileSync(path.join(root, 's.yaml'), 'utf8');
const spec = YAML.parse(sText) as Spec;

/** resolves ${vars.x} the way `s` does (vars may use other vars); other expressions are left as they are */
function resolveVars(s: string, depth = 0): string {
  if (depth > 10) throw new Error(`vars nest too deep in ${s}`);
  const out = s.replace(/\$\{vars\.([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    if (!(name in spec.vars)) throw new Error(`\${vars.${name}} is not defined`);
    return String(spec.vars[name]);
  });
  return out === s ? out : resolveVars(out, depth + 1);
}

/** a clean environment for `s`: a throw-away HOME, no credentials from the caller, no daemons (NODE_ENV=test) */
function sEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: home, USERPROFILE: home, CI: 'true', NODE_ENV: 'test', ...extra };
}

function runS(args: string[], cwd: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [S_BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
}

/** `s preview -o json` prints a warning line or two before the document */
function previewJson(stdout: string): Spec {
  const start = stdout.search(/^\{/m);
  if (start < 0) throw new Error(`no JSON in s preview output:\n${stdout}`);
  return JSON.parse(stdout.slice(start)) as Spec;
}

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

const CRON_FIELDS: { min: number; max: number; names?: string[]; question?: boolean }[] = [
  { min: 0, max: 59 }, // seconds
  { min: 0, max: 59 }, // minutes
  { min: 0, max: 23 }, // hours
  { min: 1, max: 31, question: true }, // day of month
  { min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], question: true }, // day of week
];

/** FC timer triggers: 6 fields with seconds first (optionally CRON_TZ=… in front), or @every 1h30m */
function validCron(expr: string): boolean {
  if (expr.startsWith('@every ')) return /^@every (?=\d)(\d+h)?(\d+m)?$/.test(expr) && expr !== '@every 0m';
  const fields = expr.replace(/^CRON_TZ=\S+\s+/, '').trim().split(/\s+/);
  if (fields.length !== 6) return false;
  return fields.every((field, i) => {
    const f = CRON_FIELDS[i];
    const value = (v: string) => {
      const n = f.names?.indexOf(v.toUpperCase()) ?? -1;
      const x = n >= 0 ? n + f.min : /^\d+$/.test(v) ? Number(v) : NaN;
      return x >= f.min && x <= f.max;
    };
    if (field === '?') return !!f.question;
    return field.split(',').every((part) => {
      const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
      if (!m) return false;
      if (m[2] !== undefined && !(Number(m[2]) >= 1 && Number(m[2]) <= f.max)) return false;
      return m[1] === '*' || m[1].split('-').every(value);
    });
  });
}

describe('s.yaml', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'changeflow-s-home-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('`s preview` resolves it offline, without an access (exit 0)', () => {
    const r = runS(['preview', '-o', 'json'], root, sEnv(home));
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const doc = previewJson(r.stdout);
    expect(Object.keys(doc.resources).sort()).toEqual([...FUNCTIONS].sort());
    // without an access there is no AccountID to fill in; everything else is resolved
    const left = strings(doc).filter((s) => s.includes('${'));
    expect(left.every((s) => s === "acs:ram::${config('AccountID')}:role/changeflow-role"), left.join('\n')).toBe(true);
    expect(doc.resources.api.props.environmentVariables.CHANGEFLOW_TABLESTORE_ENDPOINT).toBe('https://changeflow.cn-hangzhou.ots.aliyuncs.com');
  });

  it('`s preview` fills the role ARN with the AccountID of the access', () => {
    // a fake access from the environment: preview reads it, and nothing checks it offline
    const env = sEnv(home, { AccountID: '1234567890', AccessKeyID: 'not-a-key', AccessKeySecret: 'not-a-secret' });
    const r = runS(['preview', '-o', 'json'], root, env);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const doc = previewJson(r.stdout);
    expect(strings(doc).filter((s) => s.includes('${'))).toEqual([]);
    for (const name of FUNCTIONS) expect(doc.resources[name].props.role).toBe('acs:ram::1234567890:role/changeflow-role');
  });

  it('`s preview` does fail on an undefined variable (so the tests above mean something)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'changeflow-s-bad-'));
    try {
      writeFileSync(path.join(dir, 's.yaml'), sText.replace('${vars.region}', '${vars.nowhere}'));
      const r = runS(['preview'], dir, sEnv(home));
      expect(r.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has the shape and values the fc3 component accepts', () => {
    expect(spec.edition).toBe('3.0.0');
    expect(spec.name).toBe('changeflow');
    expect(spec.access).toBe('default');
    expect(Object.keys(spec.resources).sort()).toEqual([...FUNCTIONS].sort());
    expect(spec.actions?.['pre-deploy']?.some((a) => a.run?.includes('npm run build') && a.path === './')).toBe(true);

    for (const [key, res] of Object.entries(spec.resources)) {
      const p = res.props;
      const where = `resources.${key}.props`;
      expect(res.component, where).toBe('fc3');
      expect(resolveVars(p.region), where).toMatch(/^[a-z]{2}-[a-z]+(-\d+)?$/);
      expect(p.functionName, where).toBe(`changeflow-${key}`);
      expect(p.functionName, where).toMatch(/^[a-zA-Z_][a-zA-Z0-9_-]{0,127}$/);
      expect(p.runtime, where).toBe('nodejs20');
      expect(p.code, where).toBe(`./dist/functions/${key}`);
      expect(p.handler, where).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z_$][\w$]*$/);
      expect(Number.isInteger(p.memorySize) && p.memorySize % 64 === 0 && p.memorySize >= 128 && p.memorySize <= 32768, `${where}.memorySize ${p.memorySize}`).toBe(true);
      expect(Number.isInteger(p.timeout) && p.timeout >= 1 && p.timeout <= 86400, `${where}.timeout ${p.timeout}`).toBe(true);
      expect(p.instanceConcurrency, `${where}: nodejs20 has no instance concurrency on FC 3.0`).toBeUndefined();
      expect(resolveVars(p.role), where).toMatch(/^acs:ram::(\$\{config\('AccountID'\)\}|\d+):role\/changeflow-role$/);

      // environment variables must be strings (the component's IKV), and the app needs these
      const env = Object.fromEntries(Object.entries(p.environmentVariables).map(([k, v]) => {
        expect(typeof v, `${where}.environmentVariables.${k}`).toBe('string');
        return [k, resolveVars(v as string)];
      }));
      expect(env).toMatchObject({
        CHANGEFLOW_TABLESTORE_INSTANCE: resolveVars(spec.vars.instance),
        CHANGEFLOW_TABLESTORE_ENDPOINT: `https://${resolveVars(spec.vars.instance)}.${resolveVars(spec.vars.region)}.ots.aliyuncs.com`,
        CHANGEFLOW_WORKER_FUNCTION: spec.resources.worker.props.functionName,
        CHANGEFLOW_TABLE_PREFIX: 'changeflow_',
        NODE_OPTIONS: '--enable-source-maps',
      });

      if (p.asyncInvokeConfig) {
        const { maxAsyncRetryAttempts: n, maxAsyncEventAgeInSeconds: age } = p.asyncInvokeConfig;
        if (n !== undefined) expect(Number.isInteger(n) && n >= 0 && n <= 8, `${where}.asyncInvokeConfig.maxAsyncRetryAttempts ${n}`).toBe(true);
        if (age !== undefined) expect(Number.isInteger(age) && age >= 1 && age <= 604800, `${where}.asyncInvokeConfig.maxAsyncEventAgeInSeconds ${age}`).toBe(true);
      }

      for (const t of p.triggers ?? []) {
        const tw = `${where}.triggers.${t.triggerName}`;
        expect(t.triggerName, tw).toMatch(/^[a-zA-Z_][a-zA-Z0-9_-]{0,127}$/);
        expect(['http', 'timer', 'eventbridge'], tw).toContain(t.triggerType);
        const c = t.triggerConfig;
        if (t.triggerType === 'http') {
          expect(['anonymous', 'function'], tw).toContain(c.authType);
          expect(Array.isArray(c.methods) && (c.methods as unknown[]).length > 0, tw).toBe(true);
          for (const m of c.methods as unknown[]) expect(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS'], tw).toContain(m);
        } else if (t.triggerType === 'timer') {
          expect(typeof c.cronExpression, tw).toBe('string');
          expect(validCron(c.cronExpression as string), `${tw}: cron ${String(c.cronExpression)}`).toBe(true);
          expect(typeof c.enable, tw).toBe('boolean');
          if (c.payload !== undefined) expect(typeof c.payload, tw).toBe('string');
        } else {
          expect(typeof c.triggerEnable, tw).toBe('boolean');
          expect(typeof c.asyncInvocationType, tw).toBe('boolean');
          expect(typeof c.eventRuleFilterPattern, tw).toBe('string');
          expect(() => JSON.parse(c.eventRuleFilterPattern as string), tw).not.toThrow();
          expect((c.eventSourceConfig as { eventSourceType?: unknown } | undefined)?.eventSourceType, tw).toBe('Default');
        }
      }
    }

    // what each function is for
    const triggerTypes = (k: string) => (spec.resources[k].props.triggers ?? []).map((t) => t.triggerType);
    expect(triggerTypes('api')).toEqual(['http']);
    expect(spec.resources.api.props.triggers?.[0].triggerConfig).toMatchObject({ authType: 'anonymous', methods: ['GET', 'POST', 'PUT', 'DELETE'] });
    expect(triggerTypes('worker')).toEqual([]);
    expect(spec.resources.worker.props.asyncInvokeConfig).toEqual({ maxAsyncRetryAttempts: 3, maxAsyncEventAgeInSeconds: 86400 });
    expect(triggerTypes('ticker')).toEqual(['timer']);
    expect(spec.resources.ticker.props.triggers?.[0].triggerConfig).toMatchObject({ enable: true, payload: '' });
    expect(triggerTypes('alarm')).toEqual(['eventbridge']);
    const pattern = JSON.parse(spec.resources.alarm.props.triggers?.[0].triggerConfig.eventRuleFilterPattern as string) as { source?: string[] };
    expect(pattern.source).toEqual(['acs.cms']);
  });

  it('defines every ${vars.x} it uses and uses no other expressions', () => {
    const values = strings(spec).join('\n'); // the document's values, not its comments
    const used = [...values.matchAll(/\$\{vars\.([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(Object.keys(spec.vars), `\${vars.${name}}`).toContain(name);
    const others = [...values.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]).filter((e) => !e.startsWith('vars.'));
    // the account id, and the API and alarm tokens from the deployer's environment (empty: every call refused)
    const allowed = ["config('AccountID')", "env('CHANGEFLOW_API_TOKEN', '')", "env('CHANGEFLOW_ALARM_TOKEN', '')"];
    expect(others.every((e) => allowed.includes(e)), others.join(', ')).toBe(true);
  });

  it('validates cron expressions the way FC reads them', () => {
    for (const ok of ['0 * * * * *', '0 0 4 * * *', '0 */5 * * * ?', 'CRON_TZ=Asia/Shanghai 0 0 8 * * MON-FRI', '@every 1m', '@every 1h30m']) expect(validCron(ok), ok).toBe(true);
    for (const bad of ['* * * * *', '60 * * * * *', '0 0 24 * * *', '@every 0m', '@every 30s', 'rate(1 minute)', '0 * * * * * *']) expect(validCron(bad), bad).toBe(false);
  });
});

describe('bundles (npm run build)', () => {
  let outside: string;
  let emulator: TablestoreEmulator | undefined;

  beforeAll(() => {
    const r = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`npm run build failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    // a copy of each code folder where no node_modules can be found: what FC unpacks
    outside = mkdtempSync(path.join(os.tmpdir(), 'changeflow-bundles-'));
    for (let dir = outside; ; dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, 'node_modules'))) throw new Error(`${dir} has a node_modules; pick a TMPDIR without one above it`);
      if (path.dirname(dir) === dir) break;
    }
    for (const name of FUNCTIONS) cpSync(path.join(root, 'dist', 'functions', name), path.join(outside, name), { recursive: true });
  }, 120_000);

  afterAll(async () => {
    if (outside) rmSync(outside, { recursive: true, force: true });
    await emulator?.close();
  });

  it.each(FUNCTIONS)("%s: the handler s.yaml names exists in the built code folder", (name) => {
    const { code, handler } = spec.resources[name].props;
    const file = handler.slice(0, handler.lastIndexOf('.'));
    const candidates = ['.mjs', '.js', '.cjs'].map((ext) => path.join(root, code, file + ext));
    expect(candidates.some((f) => existsSync(f)), candidates.join(' | ')).toBe(true);
  });

  it.each(FUNCTIONS)('%s: loads with no node_modules anywhere and exports the handler', (name) => {
    const { handler } = spec.resources[name].props;
    const file = handler.slice(0, handler.lastIndexOf('.'));
    const exported = handler.slice(handler.lastIndexOf('.') + 1);
    const entry = ['.mjs', '.js', '.cjs'].map((ext) => path.join(outside, name, file + ext)).find((f) => existsSync(f));
    expect(entry).toBeDefined();
    const script = `const m = await import(${JSON.stringify(entry)}); if (typeof m[${JSON.stringify(exported)}] !== 'function') process.exit(1)`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: outside, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '' } });
    expect(r.status, r.stderr).toBe(0);
  });

  it('no bundle contains better-sqlite3', () => {
    for (const name of FUNCTIONS) {
      const dir = path.join(root, 'dist', 'functions', name);
      const code = readdirSync(dir).filter((f) => /\.(mjs|cjs|js)$/.test(f));
      expect(code.length, dir).toBeGreaterThan(0);
      for (const f of code) expect(readFileSync(path.join(dir, f), 'utf8').includes('better-sqlite3'), `${name}/${f}`).toBe(false);
    }
  });

  it('the bundled tablestore SDK works outside the repo (it is sloppy-mode code, kept out of the ES module)', async () => {
    const withSdk = FUNCTIONS.filter((name) => existsSync(path.join(outside, name, 'tablestore.cjs')));
    expect(withSdk.length, 'no function folder has tablestore.cjs: inlined into index.mjs, the SDK throws in strict mode').toBeGreaterThan(0);
    emulator = await startTablestoreEmulator();
    for (const name of withSdk) {
      // a conditional PutRow goes through the code that assigns undeclared variables
      const script = `
        const { createRequire } = await import('node:module');
        const TableStore = createRequire(${JSON.stringify(path.join(outside, name, 'index.mjs'))})('./tablestore.cjs');
        const c = new TableStore.Client({ accessKeyId: process.env.K, secretAccessKey: process.env.S, endpoint: process.env.E, instancename: process.env.I, maxRetries: 0 });
        const table = 't_' + process.env.N;
        await c.createTable({ tableMeta: { tableName: table, primaryKey: [{ name: 'pk', type: 'STRING' }] }, reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } });
        await c.putRow({ tableName: table, condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null), primaryKey: [{ pk: 'a' }], attributeColumns: [{ v: 'ok' }] });
        const r = await c.getRow({ tableName: table, primaryKey: [{ pk: 'a' }], maxVersions: 1 });
        process.stdout.write(String(r.row.attributes[0].columnValue));`;
      // asynchronously: the emulator answers from this process
      const { stdout } = await execFileAsync(process.execPath, ['--no-deprecation', '--input-type=module', '-e', script], {
        cwd: outside,
        encoding: 'utf8',
        timeout: 20_000,
        env: { PATH: process.env.PATH ?? '', K: emulator.accessKeyId, S: emulator.accessKeySecret, E: emulator.endpoint, I: emulator.instanceName, N: name },
      });
      expect(stdout, name).toBe('ok');
    }
  });
});

describe('ram-policy.json', () => {
  const policy = JSON.parse(readFileSync(path.join(root, 'ram-policy.json'), 'utf8')) as {
    Version: string;
    Statement: { Effect: string; Action: string | string[]; Resource: string | string[] }[];
  };
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  const ALLOWED = new Set([
    ...['GetRow', 'PutRow', 'UpdateRow', 'DeleteRow', 'GetRange', 'BatchGetRow', 'BatchWriteRow', 'CreateTable', 'DescribeTable', 'ListTable'].map((a) => `ots:${a}`),
    'fc:InvokeFunction',
    ...['RunCommand', 'DescribeInvocationResults', 'StopInstance', 'StartInstance', 'ReplaceSystemDisk', 'DescribeInstances'].map((a) => `ecs:${a}`),
    ...['EnterStandby', 'ExitStandby', 'SuspendProcesses', 'ResumeProcesses', 'DescribeScalingInstances'].map((a) => `ess:${a}`),
    'oos:StartExecution',
    'oos:ListExecutions',
  ]);

  it('is a version 1 policy of Allow statements with named actions from the allowed list', () => {
    expect(policy.Version).toBe('1');
    expect(policy.Statement.length).toBeGreaterThan(0);
    for (const st of policy.Statement) {
      expect(st.Effect).toBe('Allow');
      expect(Object.keys(st).sort()).toEqual(['Action', 'Effect', 'Resource']);
      for (const a of list(st.Action)) {
        expect(a).toMatch(/^[a-z]+:[A-Z][A-Za-z]+$/);
        expect(ALLOWED.has(a), a).toBe(true);
      }
    }
    const granted = new Set(policy.Statement.flatMap((st) => list(st.Action)));
    expect([...ALLOWED].filter((a) => !granted.has(a))).toEqual([]);
  });

  it('grants fc:InvokeFunction on the worker only, and Tablestore on the changeflow instance only', () => {
    for (const st of policy.Statement) {
      const actions = list(st.Action);
      const resources = list(st.Resource);
      if (actions.some((a) => a.startsWith('fc:'))) {
        expect(actions).toEqual(['fc:InvokeFunction']);
        expect(resources).toEqual(['acs:fc:*:*:functions/changeflow-worker']);
      }
      if (actions.some((a) => a.startsWith('ots:'))) {
        expect(actions.every((a) => a.startsWith('ots:'))).toBe(true);
        for (const r of resources) expect(r).toMatch(/^acs:ots:\*:\*:instance\/changeflow(\/table\/\*)?$/);
      }
    }
  });
});
