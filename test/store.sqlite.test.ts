import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../shared/store/sqlite.ts';
import { event, head, seqOf, spec, storeContract, target, task } from './support/store-contract.ts';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'changeflow-store-'));

storeContract('sqlite', async () => {
  const dir = tempDir();
  // a nested path proves the store creates its directory
  const store = openSqliteStore({ path: path.join(dir, 'data', 'store.db') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('sqlite store', () => {
  it('keeps its data across close and reopen', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'store.db');
    try {
      const first = openSqliteStore({ path: file, synchronous: 'FULL' });
      await first.createOrder(spec('o1', 1000, ['svc-a']), head('RUNNING', { dueAt: 2000 }));
      await first.updateOrder('o1', head('RUNNING', { dueAt: 1500 }), 1);
      await first.putTasks('o1', [task('0/0/t1')]);
      await first.appendEvents('o1', [event(seqOf(1, 0))]);
      await first.putTargets('svc-a', [target('b'), target('a')]);
      await first.acquireScope('service:svc-a', 'o1', 1000);
      await first.claimIdempotencyKey({ key: 'k1', orderId: 'o1', bodyHash: 'h', createdAt: 1000 });
      await first.close();

      const second = openSqliteStore({ path: file });
      try {
        expect(await second.getOrder('o1')).toEqual({ spec: spec('o1', 1000, ['svc-a']), head: head('RUNNING', { dueAt: 1500 }), version: 2 });
        expect(await second.updateOrder('o1', head('SUCCEEDED'), 2)).toBe(3);
        expect(await second.listTasks('o1')).toEqual([task('0/0/t1')]);
        expect(await second.listEvents('o1')).toEqual([event(seqOf(1, 0))]);
        expect((await second.listTargets('svc-a')).map((t) => t.id)).toEqual(['b', 'a']);
        expect((await second.getScope('service:svc-a'))?.orderId).toBe('o1');
        expect(await second.claimIdempotencyKey({ key: 'k1', orderId: 'o2', bodyHash: 'x', createdAt: 2000 })).toMatchObject({ orderId: 'o1' });
        expect((await second.listOrders({ limit: 5, serviceId: 'svc-a' })).orders).toHaveLength(1);
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
