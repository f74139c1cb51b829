// The RPC APIs (ECS, ESS, OOS) through @alicloud/pop-core: signature v1.0 over POST, so the signed query
// (AccessKeyId, SecurityToken, Signature) is in the body, never in a URL an error message repeats.

import RPCClient from '@alicloud/pop-core';
import type { CloudCredentials } from '../executor.ts';
import { isTransient, withRetry, type CloudFailure } from './retry.ts';

export const API_VERSIONS = { ecs: '2014-05-26', ess: '2014-08-28', oos: '2019-06-01' } as const;

export type RpcParams = Record<string, string | number | boolean | string[] | undefined>;
export type Rpc = <T = any>(action: string, params: RpcParams) => Promise<T>;

/** pop-core throws when the body's Code is not a success code; network errors carry a Node code */
function readPopError(e: unknown): CloudFailure {
  const err = e as { code?: string; name?: string; message?: string; data?: { Code?: string; Message?: string }; entry?: { response?: { statusCode?: number } } };
  const status = err.entry?.response?.statusCode;
  if (err.data?.Code) return { code: err.data.Code, message: err.data.Message ?? '', status, transient: isTransient(err.data.Code, status) };
  // no JSON body (a gateway's HTML 502, a cut connection) or a socket error: worth another try
  if (e instanceof SyntaxError) return { code: 'InvalidResponse', message: 'the cloud answered with something that is not JSON', status, transient: true };
  const code = err.code ?? (err.name?.includes('Timeout') ? 'RequestTimeout' : undefined);
  return { code, message: err.message?.replace(/, URL: .*$/s, '') ?? String(e), status, transient: code !== undefined && isTransient(code, status) };
}

export function rpcClient(endpoint: string, apiVersion: string, creds: CloudCredentials): Rpc {
  const client = new RPCClient({ endpoint, apiVersion, accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret, securityToken: creds.securityToken });
  return (action, params) => {
    const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
    return withRetry(action, () => client.request(action, clean, { method: 'POST', timeout: 10_000, formatParams: false }), readPopError, creds);
  };
}
