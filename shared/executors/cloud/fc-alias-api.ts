// Function Compute aliases: FC 3.0 (@alicloud/fc20230330, `/2023-03-30/functions/{fn}/aliases/{alias}`)
// and FC 2.0 service aliases (@alicloud/fc2, `/2016-08-15/services/{svc}/aliases/{alias}`).

import { createRequire } from 'node:module';
import * as FcModule from '@alicloud/fc20230330';
import * as OpenApi from '@alicloud/openapi-core';
import * as Dara from '@darabonba/typescript';
import type { CloudCredentials } from '../executor.ts';
import { withRetry, type CloudFailure } from './retry.ts';

/** where traffic goes: the main version, plus at most one other version with a share of 0..1 */
export interface AliasRoute {
  versionId: string;
  weights: Record<string, number>;
}

export interface AliasApi {
  get(owner: string, alias: string): Promise<AliasRoute>;
  update(owner: string, alias: string, route: AliasRoute): Promise<void>;
}

// CommonJS with a default export: under ESM the class sits one `default` deeper
const Fc3Client = ((FcModule as unknown as { default: { default?: unknown } }).default.default ?? (FcModule as unknown as { default: unknown }).default) as new (config: unknown) => {
  getAliasWithOptions(fn: string, alias: string, headers: unknown, runtime: unknown): Promise<{ body?: { versionId?: string; additionalVersionWeight?: Record<string, number> } }>;
  updateAliasWithOptions(fn: string, alias: string, req: unknown, headers: unknown, runtime: unknown): Promise<unknown>;
};

function readFc3Error(e: unknown): CloudFailure {
  const err = e as { code?: string; statusCode?: number; data?: { Code?: string; Message?: string; code?: string; message?: string }; message?: string; name?: string };
  const code = err.data?.Code ?? err.data?.code ?? err.code;
  const message = err.data?.Message ?? err.data?.message ?? err.message?.replace(/request id: .*$/, '') ?? String(e);
  return { code, message, status: err.statusCode, transient: isFcTransient(code, err.statusCode, err.name) };
}

const NET = /ECONN|ETIMEDOUT|EPIPE|EAI_AGAIN|socket hang up|Timeout/i;
const isFcTransient = (code: string | undefined, status: number | undefined, name?: string) =>
  (status !== undefined && (status >= 500 || status === 429)) || /^Throttling|ResourceThrottled|ServiceUnavailable|InternalServerError/.test(code ?? '') || (status === undefined && NET.test(`${code ?? ''} ${name ?? ''}`));

/** FC 3.0; `endpoint` is a URL (http://127.0.0.1:PORT for a fake) or a host */
export function fc3Aliases(endpoint: string, region: string, creds: CloudCredentials): AliasApi {
  const url = /^https?:\/\//.test(endpoint) ? new URL(endpoint) : new URL(`https://${endpoint}`);
  const client = new Fc3Client(
    new OpenApi.$OpenApiUtil.Config({ accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret, securityToken: creds.securityToken, endpoint: url.host, protocol: url.protocol.replace(':', ''), regionId: region, readTimeout: 10_000, connectTimeout: 5_000 }),
  );
  const runtime = () => new Dara.RuntimeOptions({ autoretry: false });
  return {
    async get(fn, alias) {
      const r = await withRetry('GetAlias', () => client.getAliasWithOptions(fn, alias, {}, runtime()), readFc3Error, creds);
      return { versionId: String(r.body?.versionId ?? ''), weights: { ...(r.body?.additionalVersionWeight ?? {}) } };
    },
    async update(fn, alias, route) {
      const body = new FcModule.UpdateAliasInput({ versionId: route.versionId, additionalVersionWeight: route.weights });
      await withRetry('UpdateAlias', () => client.updateAliasWithOptions(fn, alias, new FcModule.UpdateAliasRequest({ body }), {}, runtime()), readFc3Error, creds);
    },
  };
}

type Fc2 = {
  getAlias(svc: string, alias: string): Promise<{ data: { versionId?: string; additionalVersionWeight?: Record<string, number> } }>;
  updateAlias(svc: string, alias: string, versionId: string, options: Record<string, unknown>): Promise<unknown>;
};

function readFc2Error(e: unknown): CloudFailure {
  const err = e as { code?: string; message?: string };
  const status = Number(/failed with (\d{3})/.exec(err.message ?? '')?.[1]) || undefined;
  const message = /message: (.*)\.$/.exec(err.message ?? '')?.[1] ?? err.message ?? String(e);
  return { code: err.code, message, status, transient: isFcTransient(err.code, status, err.message) };
}

/** FC 2.0 (API 2016-08-15); needs the account id */
export function fc2Aliases(endpoint: string | undefined, accountId: string, region: string, creds: CloudCredentials): AliasApi {
  const require = createRequire(import.meta.url);
  const FC = require('@alicloud/fc2') as new (accountId: string, config: Record<string, unknown>) => Fc2;
  const client = new FC(accountId, { accessKeyID: creds.accessKeyId, accessKeySecret: creds.accessKeySecret, securityToken: creds.securityToken, region, endpoint, secure: true, timeout: 10_000 });
  return {
    async get(svc, alias) {
      const r = await withRetry('GetAlias', () => client.getAlias(svc, alias), readFc2Error, creds);
      return { versionId: String(r.data.versionId ?? ''), weights: { ...(r.data.additionalVersionWeight ?? {}) } };
    },
    async update(svc, alias, route) {
      await withRetry('UpdateAlias', () => client.updateAlias(svc, alias, route.versionId, { additionalVersionWeight: route.weights }), readFc2Error, creds);
    },
  };
}

/** `1` or `1+3@10`: the main version, and the other version with its percentage */
export function formatRoute(r: AliasRoute): string {
  const extra = Object.entries(r.weights).filter(([, w]) => w > 0);
  return [r.versionId, ...extra.map(([v, w]) => `${v}@${Math.round(w * 100)}`)].join('+');
}

export function parseRoute(label: string): AliasRoute {
  const [versionId, ...rest] = label.split('+');
  return { versionId, weights: Object.fromEntries(rest.map((p) => p.split('@')).map(([v, w]) => [v, Number(w) / 100])) };
}
