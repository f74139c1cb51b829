// http: a deploy endpoint per target. `start` POSTs the action and artifact with the attempt key as
// Idempotency-Key (the endpoint must treat a repeated key as the same deployment); `poll` GETs the status
// URL. A rollback POSTs action ROLLBACK with the version to return to (the target's recorded fromVersion).
// Endpoint contract (JSON): POST → 2xx {state?, message?}; GET status → {state: running|succeeded|failed,
// version?, message?}, 404 when the key is unknown.

import type { HealthCheck } from '../engine/types.ts';
import type { Executor, ExecutorDeps, TaskReport, TaskSpec } from './executor.ts';
import { pollMsOf } from './cloud/config.ts';
import { loadTarget, putRun, runOf, type Run } from './cloud/progress.ts';
import { CloudError, withRetry, type CloudFailure } from './cloud/retry.ts';
import { reportOf, settleRun } from './cloud/run-report.ts';

export interface HttpConfig {
  type: 'http';
  /** e.g. http://{target}:8080/deploy — {target} is the target id */
  deployUrl: string;
  /** default: deployUrl + "/{key}"; {target} and {key} (the attempt key, URL-encoded) are filled in */
  statusUrl?: string;
  /** for health checks: {target} and {path} are filled in; default: the deploy URL's origin + path */
  healthUrl?: string;
  /** the name of an environment variable holding a bearer token (the token itself never goes in config) */
  tokenEnv?: string;
  timeoutMs?: number;
  pollMs?: number;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

const readHttp = (e: unknown): CloudFailure => {
  if (e instanceof HttpFailure) return { code: e.status ? `HTTP ${e.status}` : undefined, message: e.message, status: e.status, transient: e.status === undefined || e.status >= 500 || e.status === 429 };
  return { code: 'NetworkError', message: (e as Error).message ?? String(e), transient: true };
};

import { fillTemplate as fill, healthUrlOf, httpHealthCheck } from './health.ts';

export function httpExecutor(deps: ExecutorDeps): Executor {
  const config = (task: TaskSpec) => task.service.executor as unknown as HttpConfig;

  async function request(task: TaskSpec, method: string, url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const c = config(task);
    const headers: Record<string, string> = { accept: 'application/json', 'idempotency-key': task.idempotencyKey };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const token = c.tokenEnv ? process.env[c.tokenEnv] : undefined;
    if (token) headers.authorization = `Bearer ${token}`;
    return withRetry(`${method} ${url.replace(/[?#].*$/, '')}`, async () => {
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(c.timeoutMs ?? 10_000) });
      } catch (e) {
        throw new HttpFailure(undefined, (e as Error).message);
      }
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = text ? JSON.parse(text) : {};
      } catch {
        json = { message: text.slice(0, 200) };
      }
      if (res.status >= 400 && res.status !== 404 && res.status !== 409) throw new HttpFailure(res.status, String(json.message ?? json.error ?? res.statusText));
      return { status: res.status, json };
    }, readHttp);
  }

  const urls = (task: TaskSpec) => {
    const c = config(task);
    const values = { target: encodeURIComponent(task.targetId), key: encodeURIComponent(task.idempotencyKey) };
    return { deploy: fill(c.deployUrl, values), status: fill(c.statusUrl ?? `${c.deployUrl}/{key}`, values) };
  };

  async function post(task: TaskSpec, run: Run): Promise<TaskReport> {
    const a = task.artifact;
    const body = { key: task.idempotencyKey, target: task.targetId, action: task.action, version: task.version, fromVersion: run.from, httpSrcUri: a.httpSrcUri, compileRepoPath: a.compileRepoPath, compileRepoBranch: a.compileRepoBranch };
    try {
      await request(task, 'POST', urls(task).deploy, body);
    } catch (e) {
      if (e instanceof CloudError) return settleRun(deps, task, run, { ok: false, changed: false, message: `${task.targetId}: ${e.message}` });
      throw e;
    }
    await putRun(deps.fleet, task.service.id, task.targetId, task.idempotencyKey, (r) => (r && !r.ref ? { ...r, ref: 'posted' } : undefined));
    return observe(task, { ...run, ref: 'posted' });
  }

  async function observe(task: TaskSpec, run: Run): Promise<TaskReport> {
    let r: { status: number; json: Record<string, unknown> };
    try {
      r = await request(task, 'GET', urls(task).status);
    } catch (e) {
      if (e instanceof CloudError) return settleRun(deps, task, run, { ok: false, changed: false, message: `${task.targetId}: ${e.message}` });
      throw e;
    }
    if (r.status === 404) return post(task, run); // the endpoint lost (or never got) the deployment: the same key again
    const state = String(r.json.state ?? 'running');
    const message = r.json.message === undefined ? undefined : String(r.json.message).slice(0, 500);
    if (state === 'succeeded') return settleRun(deps, task, run, { ok: true, changed: true, message: message ?? `${task.targetId}: ${task.action} ${run.to ?? ''}`.trim(), from: run.from, to: r.json.version === undefined ? run.to : String(r.json.version) });
    if (state === 'failed') return settleRun(deps, task, run, { ok: false, changed: r.json.changed === true, message: `${task.targetId}: ${message ?? 'deployment failed'}`, from: run.from });
    return { state: 'running', pollAfterMs: pollMsOf(config(task)), message };
  }

  return {
    type: 'http',
    async start(task) {
      const t = await loadTarget(deps.fleet, task.service.id, task.targetId);
      if (runOf(t, task.idempotencyKey)) return this.poll(task);
      const run: Run = { key: task.idempotencyKey, at: deps.now(), from: t.version, to: task.version };
      const row = await putRun(deps.fleet, task.service.id, task.targetId, task.idempotencyKey, (r) => r ?? run);
      return post(task, runOf(row, task.idempotencyKey) ?? run);
    },
    async poll(task) {
      const run = runOf(await deps.fleet.getTarget(task.service.id, task.targetId), task.idempotencyKey);
      if (!run) return { state: 'unknown' };
      return reportOf(run) ?? (run.ref ? observe(task, run) : post(task, run));
    },
    async checkHealth(task: TaskSpec, check: HealthCheck) {
      const c = config(task);
      return httpHealthCheck(healthUrlOf(c.healthUrl ?? c.deployUrl, task.targetId, check), task.targetId, check);
    },
  };
}
