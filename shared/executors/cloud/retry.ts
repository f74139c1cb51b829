// Transient cloud faults (throttling, 5xx, network) are retried inside the call with exponential backoff
// and full jitter; what still fails becomes an ExecutorFault (the engine counts those → SYSTEM_ERROR).
// Every other cloud error is a CloudError: the task fails with the cloud's Code and Message, and nothing
// else — no URL, key or token — from the SDK's error.

import { redact } from '../../runtime/errors.ts';
import { ExecutorFault, type CloudCredentials } from '../executor.ts';

export class CloudError extends Error {
  override readonly name = 'CloudError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);
const TRANSIENT_CODES = new Set(['ServiceUnavailable', 'InternalError', 'InternalServerError', 'ServiceBusy', 'UnknownError', 'RequestTimeout', 'OperationConflict', 'LastTokenProcessing']);

/** what a cloud error looks like once read: its code, message and HTTP status, whatever the SDK */
export interface CloudFailure {
  code?: string;
  message: string;
  status?: number;
  transient: boolean;
}

export function isTransient(code: string | undefined, status: number | undefined): boolean {
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (!code) return false;
  return /^Throttling/i.test(code) || TRANSIENT_CODES.has(code) || NETWORK.has(code) || /Timeout/.test(code);
}

/** removes every credential value (plain and URL-encoded) and then anything URL- or key-shaped */
export function scrub(message: string, creds?: CloudCredentials): string {
  // the cloud's SignatureDoesNotMatch repeats the whole signed request (scripts, parameters): drop it
  let m = message.replace(/(string to sign is)[\s\S]*$/i, '$1 (omitted)');
  for (const v of [creds?.accessKeyId, creds?.accessKeySecret, creds?.securityToken]) {
    if (!v) continue;
    for (const form of new Set([v, encodeURIComponent(v), encodeURIComponent(encodeURIComponent(v))])) m = m.split(form).join('***');
  }
  return redact(m.replace(/(AccessKeyId|SecurityToken|Signature)(%3D|%253D)[^&%\s"]*/gi, '$1$2***'));
}

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/** CHANGEFLOW_CLOUD_RETRIES / CHANGEFLOW_CLOUD_RETRY_MS tune it (tests make it fast) */
export const retryPolicy = (env: NodeJS.ProcessEnv = process.env): RetryPolicy => ({
  attempts: Math.max(1, Number(env.CHANGEFLOW_CLOUD_RETRIES) || 4),
  baseMs: Number(env.CHANGEFLOW_CLOUD_RETRY_MS) || 200,
  maxMs: 5000,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `call`; `read` turns whatever it threw into a CloudFailure. Transient failures are retried, then
 * become an ExecutorFault; others a CloudError. Messages are scrubbed of the credentials in use.
 */
export async function withRetry<T>(what: string, call: () => Promise<T>, read: (e: unknown) => CloudFailure, creds?: CloudCredentials, policy = retryPolicy()): Promise<T> {
  let last: CloudFailure | undefined;
  for (let i = 0; i < policy.attempts; i++) {
    if (i > 0) await sleep(Math.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** i));
    try {
      return await call();
    } catch (e) {
      last = read(e);
      if (!last.transient) throw new CloudError(last.code ?? 'Error', scrub(`${what}: ${last.code ? `${last.code}: ` : ''}${last.message}`, creds));
    }
  }
  throw new ExecutorFault(scrub(`${what}: ${last?.code ? `${last.code}: ` : ''}${last?.message ?? 'failed'} (still failing after ${policy.attempts} attempts)`, creds));
}
