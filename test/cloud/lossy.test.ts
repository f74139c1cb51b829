// Lost invocations in cloud mode (its own file: one local cloud per process, as one FC deployment).

import { describe, expect, it } from 'vitest';
import { startLocalCloud } from '../support/local-cloud.ts';

describe('lost invocations', () => {
  it('invocations dropped by the queue are recovered by the ticker; nothing is changed twice', async () => {
    const lossy = await startLocalCloud({ tickMs: 200, leaseMs: 1_000, drop: (n) => n > 1 && n % 3 === 0, tablePrefix: 'lossy_' });
    try {
      const finished = (o: any) => ['SUCCEEDED', 'FAILED', 'STOPPED', 'PARTIAL'].includes(o?.status) && o.finalized;
      const fleet = (p: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${p}-${i + 1}`, version: '1.0' }));
      const call = async (method: string, path: string, body?: string, type = 'application/json') => {
        const res = await fetch(lossy.apiUrl + path, { method, body, headers: { authorization: `Bearer ${lossy.apiToken}`, ...(body ? { 'content-type': type } : {}) } });
        return res.json();
      };
      await call('PUT', '/v1/services/lossy', JSON.stringify({ executor: { type: 'simulated', latencyMs: 30 }, targets: fleet('l', 8) }));
      const { changeOrderId } = await call('POST', '/v1/change-orders', 'deployPlanItems:\n  - serviceId: lossy\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://x/l.zip\n    version: "2"\n    batchNumber: 4\n', 'application/yaml');
      let o;
      for (let i = 0; i < 600; i++) {
        o = await call('GET', `/v1/change-orders/${changeOrderId}`);
        if (finished(o)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(o.status).toBe('SUCCEEDED');
      expect(lossy.fc.stats.dropped).toBeGreaterThan(0);
      const t = await call('GET', '/v1/services/lossy/targets');
      expect(t.every((x: { changeCount: number }) => x.changeCount === 1)).toBe(true);
    } finally {
      await lossy.close();
    }
  }, 60_000);
});
