// The HTTP health check of a target after its change (plan `healthCheck`): GET the URL until it answers
// the expected status, with a timeout per try and growing pauses between tries.

import type { HealthCheck } from '../engine/types.ts';

/** `{target}` (URL-encoded target id) and `{path}` (the check's path without its leading slash) */
export const fillTemplate = (template: string, values: Record<string, string>) => template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? values[k] : m));

export function healthUrlOf(template: string, targetId: string, check: HealthCheck): string {
  const base = fillTemplate(template, { target: encodeURIComponent(targetId), path: check.path.replace(/^\//, '') });
  return template.includes('{path}') ? base : new URL(check.path, base).toString();
}

export async function httpHealthCheck(url: string, targetId: string, check: HealthCheck, pauseMs = (i: number) => Math.min(5_000, 250 * 2 ** i)): Promise<{ healthy: boolean; message?: string }> {
  let last = 'unreachable';
  for (let i = 0; i <= check.retries; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, pauseMs(i - 1)));
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(check.timeoutSeconds * 1000), redirect: 'manual' });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === check.expectStatus) return { healthy: true };
      last = `GET ${check.path} on ${targetId} answered ${res.status}, expected ${check.expectStatus}`;
    } catch (e) {
      last = `GET ${check.path} on ${targetId} failed: ${(e as Error).name === 'TimeoutError' ? `no answer within ${check.timeoutSeconds} s` : (e as Error).message}`;
    }
  }
  return { healthy: false, message: check.retries > 0 ? `${last} (after ${check.retries + 1} tries)` : last };
}
