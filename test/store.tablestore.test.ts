// The Tablestore adapter against the wire-compatible emulator, through the real SDK: the shared contract
// (once with full pages, once with the short pages the service may return), then what is specific to it.

import TableStore from 'tablestore';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTablestoreStore, setupTablestore, type TablestoreStoreOptions } from '../shared/store/tablestore.ts';
import { ConflictError } from '../shared/store/store.ts';
import { head, spec, storeContract, task } from './support/store-contract.ts';
import { startTablestoreEmulator, type TablestoreEmulator } from './support/tablestore-emulator.ts';

const T0 = 1_700_000_000_000;

const optionsFor = (emu: TablestoreEmulator, tablePrefix: string): TablestoreStoreOptions => ({
  endpoint: emu.endpoint,
  instanceName: emu.instanceName,
  accessKeyId: emu.accessKeyId,
  accessKeySecret: emu.accessKeySecret,
  tablePrefix,
  maxRetries: 0,
});

const sdkFor = (emu: TablestoreEmulator) =>
  new TableStore.Client({ endpoint: emu.endpoint, instancename: emu.instanceName, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret, maxRetries: 0 });

/** Drops the tables of one prefix: what a store stored goes with them. */
async function dropTables(emu: TablestoreEmulator, prefix: string): Promise<void> {
  const sdk = sdkFor(emu);
  const { tableNames } = await sdk.listTable({});
  for (const tableName of tableNames.filter((n) => n.startsWith(prefix))) await sdk.deleteTable({ tableName });
}

for (const shortPages of [false, true]) {
  describe(shortPages ? 'tablestore, short pages' : 'tablestore', () => {
    let emu: TablestoreEmulator;
    let opened = 0;
    beforeAll(async () => {
      emu = await startTablestoreEmulator({ shortPages });
    });
    afterAll(async () => {
      await emu.close();
    });

    storeContract(shortPages ? 'tablestore (short pages)' : 'tablestore', async () => {
      const prefix = `t${++opened}_`; // a fresh prefix: every open starts empty
      const store = await openTablestoreStore(optionsFor(emu, prefix));
      return {
        store,
        cleanup: async () => {
          await store.close();
          await dropTables(emu, prefix);
        },
      };
    });
  });
}

describe('tablestore store', () => {
  let emu: TablestoreEmulator;
  let n = 0;
  const fresh = async (over: Partial<TablestoreStoreOptions> = {}) => openTablestoreStore({ ...optionsFor(emu, `x${++n}_`), ...over });

  beforeAll(async () => {
    emu = await startTablestoreEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('creates its tables once: setup is idempotent and a second open finds them', async () => {
    const opts = optionsFor(emu, 'setup_');
    const first = await setupTablestore(opts);
    expect(first.created).toHaveLength(10);
    expect(first.created.every((t) => t.startsWith('setup_'))).toBe(true);
    expect(await setupTablestore(opts)).toEqual({ created: [], existing: first.created });
    const before = emu.stats.operations.CreateTable ?? 0;
    await openTablestoreStore(opts);
    expect(emu.stats.operations.CreateTable ?? 0).toBe(before);
    await expect(openTablestoreStore({ ...opts, tablePrefix: 'bad-prefix' })).rejects.toThrow(/invalid table prefix/);
  });

  it('never puts the secret or the token in an error', async () => {
    const secret = 'the-wrong-secret-1234567890';
    const token = 'sts-token-abcdefghijklmnop';
    const err = await fresh({ accessKeySecret: secret, securityToken: token }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/OTSAuthFailed/);
    expect(`${err?.message} ${err?.stack} ${JSON.stringify(err)}`).not.toMatch(new RegExp(`${secret}|${token}|${emu.accessKeySecret}`));
  });

  it('lets exactly one of two racing writers move an order on', async () => {
    const a = await fresh();
    const b = await openTablestoreStore({ ...optionsFor(emu, `x${n}_`), createTables: false });
    await a.createOrder(spec('o1', T0), head('RUNNING', { dueAt: T0 + 10 }));
    const results = await Promise.allSettled([
      a.updateOrder('o1', head('PAUSED'), 1),
      b.updateOrder('o1', head('STOPPED'), 1),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError)).toHaveLength(1);
    expect((await a.getOrder('o1'))?.version).toBe(2);
  });

  it('skips and deletes due-index rows left stale by a writer that did not know the old due time', async () => {
    const writer = await fresh();
    const prefix = `x${n}_`;
    const other = await openTablestoreStore({ ...optionsFor(emu, prefix), createTables: false });
    await writer.createOrder(spec('o1', T0), head('RUNNING', { dueAt: T0 + 100 }));
    await writer.createOrder(spec('o2', T0), head('RUNNING', { dueAt: T0 + 150 }));
    // `other` never read o1, so it cannot delete the old index row: the row at T0+100 goes stale
    await other.updateOrder('o1', head('RUNNING', { dueAt: T0 + 500 }), 1);
    const dueRows = async () => {
      const { rows } = await sdkFor(emu).getRange({
        tableName: `${prefix}order_due`, direction: 'FORWARD',
        inclusiveStartPrimaryKey: [{ shard: TableStore.INF_MIN }, { due_at: TableStore.INF_MIN }, { id: TableStore.INF_MIN }],
        exclusiveEndPrimaryKey: [{ shard: TableStore.INF_MAX }, { due_at: TableStore.INF_MAX }, { id: TableStore.INF_MAX }],
      });
      return rows.map((r) => (r.primaryKey ?? []).slice(1).map((c) => String(c.value)).join('@'));
    };
    expect(await dueRows()).toEqual([`${T0 + 100}@o1`, `${T0 + 150}@o2`, `${T0 + 500}@o1`]);
    // skipped at once, but deleted only when older than a minute: a young one may be a write in progress
    expect(await other.dueOrders(T0 + 200, 10)).toEqual(['o2']);
    expect(await dueRows()).toHaveLength(3);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 61_000);
    expect(await other.dueOrders(T0 + 200, 10)).toEqual(['o2']);
    expect(await dueRows()).toEqual([`${T0 + 150}@o2`, `${T0 + 500}@o1`]);
    expect(await other.dueOrders(T0 + 1000, 10)).toEqual(['o2', 'o1']);

    // a writer that knows the old due time moves the row itself
    await writer.getOrder('o2');
    await writer.updateOrder('o2', head('SUCCEEDED'), 1);
    expect(await dueRows()).toEqual([`${T0 + 500}@o1`]);
  });

  it('keeps a filtered page short rather than reading without end', async () => {
    const store = await fresh();
    for (let i = 0; i < 30; i++) await store.createOrder(spec(`o${String(i).padStart(2, '0')}`, T0 + i), head(i === 0 ? 'PAUSED' : 'RUNNING'));
    const pages: number[] = [];
    let cursor: string | undefined;
    const found: string[] = [];
    do {
      const page = await store.listOrders({ limit: 5, status: 'PAUSED', cursor });
      pages.push(page.orders.length);
      found.push(...page.orders.map((o) => o.spec.id));
      cursor = page.nextCursor;
    } while (cursor && pages.length < 10);
    expect(found).toEqual(['o00']);
    expect(cursor).toBeUndefined();
  });

  it('counts rows read and written from its own calls', async () => {
    const store = await fresh();
    const before = emu.stats.rowsWritten;
    await store.putTasks('o1', Array.from({ length: 450 }, (_, i) => task(`0/0/t${i}`)));
    expect(store.stats().writes).toBe(450);
    expect(emu.stats.rowsWritten - before).toBe(450);
    expect(emu.stats.operations.BatchWriteRow).toBeGreaterThanOrEqual(3);
    const reads = store.stats().reads;
    expect(await store.listTasks('o1')).toHaveLength(450);
    expect(store.stats().reads - reads).toBe(450);
  });
});
