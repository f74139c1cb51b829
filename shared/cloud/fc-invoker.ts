// Asynchronous invocation of the worker function with the FC 3.0 SDK (@alicloud/fc20230330).
// Endpoint `<accountId>.<region>.fc.aliyuncs.com` must be given explicitly (the SDK's default is wrong).

import { Readable } from 'node:stream';
import * as FcModule from '@alicloud/fc20230330';
import * as OpenApi from '@alicloud/openapi-core';
import * as Dara from '@darabonba/typescript';
import { redact } from '../runtime/errors.ts';
import type { FcCredentials } from './context.ts';

// the package is CommonJS with a default export: under ESM the class sits one `default` deeper
const FcClient = ((FcModule as unknown as { default: { default?: unknown } }).default.default ?? (FcModule as unknown as { default: unknown }).default) as new (
  config: unknown,
) => { invokeFunctionWithOptions(fn: string, req: unknown, headers: unknown, runtime: unknown): Promise<{ statusCode?: number }> };

export interface Invoker {
  /** queues one asynchronous invocation of `functionName`; FC delivers it at least once */
  invokeAsync(functionName: string, payload: string, delaySeconds?: number): Promise<void>;
}

export interface FcInvokerOptions {
  endpoint: string;
  credentials: FcCredentials;
  /** 'http' only for a local fake FC in tests */
  protocol?: 'https' | 'http';
}

export function fcInvoker(opts: FcInvokerOptions): Invoker {
  const config = new OpenApi.$OpenApiUtil.Config({
    accessKeyId: opts.credentials.accessKeyId,
    accessKeySecret: opts.credentials.accessKeySecret,
    securityToken: opts.credentials.securityToken,
    endpoint: opts.endpoint,
    protocol: opts.protocol ?? 'https',
  });
  const client = new FcClient(config);
  return {
    async invokeAsync(functionName, payload, delaySeconds = 0) {
      const req = new FcModule.InvokeFunctionRequest({ body: Readable.from([Buffer.from(payload)]) });
      // x-fc-async-delay (0–3600 s) defers the invocation: a timer without a sleeping function
      const commonHeaders: Record<string, string> = delaySeconds > 0 ? { 'x-fc-async-delay': String(Math.min(3600, Math.ceil(delaySeconds))) } : {};
      const headers = new FcModule.InvokeFunctionHeaders({ xFcInvocationType: 'Async', commonHeaders });
      try {
        await client.invokeFunctionWithOptions(functionName, req, headers, new Dara.RuntimeOptions({ autoretry: true, maxAttempts: 3 }));
      } catch (e) {
        const err = e as { code?: string; statusCode?: number; data?: { Code?: string; Message?: string }; message?: string };
        throw new Error(`async invocation of ${functionName} failed: ${err.data?.Code ?? err.code ?? err.statusCode ?? ''} ${redact(err.data?.Message ?? err.message ?? '')}`.trim());
      }
    },
  };
}
