// The emulator as the real SDK sees it: auth, conditions, increments, ranges, batches and errors.

import crypto from 'node:crypto';
import TableStore from 'tablestore';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTablestoreEmulator, type TablestoreEmulator } from './tablestore-emulator.ts';
import { pb } from './tablestore/wire.ts';

const { Long, Condition, RowExistenceExpectation: RE, SingleColumnCondition, CompositeCondition, ComparatorType: CT, LogicalOperator } = TableStore;
const INF_MIN: typeof TableStore.INF_MIN = TableStore.INF_MIN;
const INF_MAX: typeof TableStore.INF_MAX = TableStore.INF_MAX;
const IGNORE = new Condition(RE.IGNORE, null);

let emu: TablestoreEmulator;
let client: TableStore.Client;

const clientWith = (over: Partial<{ accessKeyId: string; accessKeySecret: string; instancename: string }> = {}) =>
  new TableStore.Client({
    endpoint: emu.endpoint,
    instancename: emu.instanceName,
    accessKeyId: emu.accessKeyId,
    accessKeySecret: emu.accessKeySecret,
    maxRetries: 0,
    ...over,
  });

/** The SDK's error parser is broken: the code is the HTTP status and the message holds the raw body. */
async function failure(p: Promise<unknown>): Promise<{ code: unknown; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code: unknown; message: string };
    return { code: err.code, message: err.message };
  }
  throw new Error('expected the call to fail');
}

async function createTable(name: string, pk: { name: string; type: 'STRING' | 'INTEGER' }[], maxVersions = 1) {
  await client.createTable({
    tableMeta: { tableName: name, primaryKey: pk },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions },
  });
}

const put = (table: string, primaryKey: TableStore.PrimaryKeyInput, attributeColumns: TableStore.AttributesInput, condition = IGNORE) =>
  client.putRow({ tableName: table, primaryKey, attributeColumns, condition });

const attrs = (row: TableStore.Row | undefined): Record<string, string> =>
  Object.fromEntries((row?.attributes ?? []).map((a) => [a.columnName, String(a.columnValue)]));

/** Protobuf by hand, for requests the SDK refuses to build (a length-delimited field). */
function field(n: number, bytes: Buffer): Buffer {
  const len: number[] = [];
  for (let v = bytes.length; ; v >>>= 7) {
    if (v < 0x80) {
      len.push(v);
      break;
    }
    len.push((v & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([(n << 3) | 2, ...len]), bytes]);
}

/** A request signed by hand as the service expects; returns the status and the decoded Error body. */
async function raw(op: string, body: Buffer, over: Record<string, string> = {}): Promise<{ status: number; code?: string }> {
  const headers: Record<string, string> = {
    'x-ots-apiversion': '2015-12-31',
    'x-ots-instancename': emu.instanceName,
    'x-ots-accesskeyid': emu.accessKeyId,
    'x-ots-date': new Date().toISOString(),
    'x-ots-contentmd5': crypto.createHash('md5').update(body).digest('base64'),
    ...over,
  };
  const lines = Object.keys(headers).sort().map((k) => `${k}:${headers[k]}`);
  headers['x-ots-signature'] = crypto.createHmac('sha1', emu.accessKeySecret).update(`/${op}\nPOST\n\n${lines.join('\n')}\n`).digest('base64');
  const res = await fetch(`${emu.endpoint}/${op}`, { method: 'POST', headers, body: new Uint8Array(body) });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, ...(res.status === 200 ? {} : { code: pb.Error.decode(bytes).code as string }) };
}

const pkValues = (rows: TableStore.Row[]): string[] => rows.map((r) => (r.primaryKey ?? []).map((c) => String(c.value)).join('/'));

beforeAll(async () => {
  emu = await startTablestoreEmulator();
  client = clientWith();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  emu.clear();
  await createTable('kv', [{ name: 'id', type: 'STRING' }]);
  await createTable('log', [{ name: 'p', type: 'STRING' }, { name: 'n', type: 'INTEGER' }]);
});

describe('tablestore emulator', () => {
  it('refuses a wrong secret or an unknown key with OTSAuthFailed (403)', async () => {
    for (const bad of [clientWith({ accessKeySecret: 'wrong' }), clientWith({ accessKeyId: 'nobody' })]) {
      const err = await failure(bad.listTable({}));
      expect(err.code).toBe(403);
      expect(err.message).toMatch(/OTSAuthFailed/);
    }
    expect((await client.listTable({})).tableNames).toEqual(['kv', 'log']);
  });

  it('describes, refuses to re-create and deletes tables', async () => {
    const d = await client.describeTable({ tableName: 'log' });
    expect(d.tableMeta.primaryKey.map((p) => p.name)).toEqual(['p', 'n']);
    const again = await failure(createTable('kv', [{ name: 'id', type: 'STRING' }]));
    expect([again.code, /OTSObjectAlreadyExist/.test(again.message)]).toEqual([409, true]);
    await client.deleteTable({ tableName: 'kv' });
    expect((await client.listTable({})).tableNames).toEqual(['log']);
  });

  it('answers OTSObjectNotExist (404) for an unknown table', async () => {
    const err = await failure(client.getRow({ tableName: 'nope', primaryKey: [{ id: 'a' }] }));
    expect(err.code).toBe(404);
    expect(err.message).toMatch(/OTSObjectNotExist/);
  });

  it('puts, gets (columns_to_get, max_versions) and deletes rows', async () => {
    await put('kv', [{ id: 'a' }], [{ s: 'héllo' }, { i: Long.fromNumber(2 ** 60) }, { d: 1.5 }, { b: true }]);
    const got = await client.getRow({ tableName: 'kv', primaryKey: [{ id: 'a' }] });
    expect(attrs(got.row)).toEqual({ s: 'héllo', i: String(2n ** 60n), d: '1.5', b: 'true' });
    const some = await client.getRow({ tableName: 'kv', primaryKey: [{ id: 'a' }], columnsToGet: ['s'] });
    expect(attrs(some.row)).toEqual({ s: 'héllo' });
    const none = await client.getRow({ tableName: 'kv', primaryKey: [{ id: 'a' }], columnsToGet: ['absent'] });
    expect([none.row?.primaryKey?.[0]?.value, none.row?.attributes]).toEqual(['a', []]); // the key only
    expect((await client.getRow({ tableName: 'kv', primaryKey: [{ id: 'zz' }] })).row).toEqual({});

    await client.deleteRow({ tableName: 'kv', primaryKey: [{ id: 'a' }], condition: IGNORE });
    expect((await client.getRow({ tableName: 'kv', primaryKey: [{ id: 'a' }] })).row).toEqual({});

    await createTable('versioned', [{ name: 'id', type: 'STRING' }], 3);
    for (const [v, ts] of [['v1', 1000], ['v2', 2000], ['v3', 3000], ['v4', 4000]] as const) {
      await put('versioned', [{ id: 'a' }], [{ c: v, timestamp: ts }]);
      await client.updateRow({ tableName: 'versioned', primaryKey: [{ id: 'b' }], condition: IGNORE, updateOfAttributeColumns: [{ PUT: [{ c: v, timestamp: ts }] }] });
    }
    const b = await client.getRow({ tableName: 'versioned', primaryKey: [{ id: 'b' }], maxVersions: 5 });
    expect(b.row?.attributes?.map((a) => String(a.columnValue))).toEqual(['v4', 'v3', 'v2']);
    const a = await client.getRow({ tableName: 'versioned', primaryKey: [{ id: 'a' }], maxVersions: 5 });
    expect(a.row?.attributes?.map((x) => String(x.columnValue))).toEqual(['v4']); // PutRow replaces the row
  });

  it('checks row existence: EXPECT_NOT_EXIST on an existing row fails with OTSConditionCheckFail (403)', async () => {
    await put('kv', [{ id: 'a' }], [{ v: 'first' }], new Condition(RE.EXPECT_NOT_EXIST, null));
    const err = await failure(put('kv', [{ id: 'a' }], [{ v: 'second' }], new Condition(RE.EXPECT_NOT_EXIST, null)));
    expect(err.code).toBe(403);
    expect(err.message).toMatch(/OTSConditionCheckFail/);
    const missing = await failure(client.updateRow({
      tableName: 'kv', primaryKey: [{ id: 'b' }], condition: new Condition(RE.EXPECT_EXIST, null), updateOfAttributeColumns: [{ PUT: [{ v: 'x' }] }],
    }));
    expect(missing.message).toMatch(/OTSConditionCheckFail/);
    expect(attrs((await client.getRow({ tableName: 'kv', primaryKey: [{ id: 'a' }] })).row)).toEqual({ v: 'first' });
  });

  it('checks single and composite column conditions', async () => {
    await put('kv', [{ id: 'a' }], [{ version: Long.fromNumber(3) }, { owner: 'o1' }]);
    const update = (cond: TableStore.ColumnCondition, v: string) =>
      client.updateRow({
        tableName: 'kv', primaryKey: [{ id: 'a' }], condition: new Condition(RE.EXPECT_EXIST, cond), updateOfAttributeColumns: [{ PUT: [{ note: v }] }],
      });
    const eq = (n: number) => new SingleColumnCondition('version', Long.fromNumber(n), CT.EQUAL, false);
    expect((await failure(update(eq(2), 'stale'))).message).toMatch(/OTSConditionCheckFail/);
    await update(eq(3), 'cas');
    await update(new SingleColumnCondition('version', Long.fromNumber(1), CT.GREATER_THAN), 'gt');

    const and = new CompositeCondition(LogicalOperator.AND);
    and.addSubCondition(eq(3));
    and.addSubCondition(new SingleColumnCondition('owner', 'o2', CT.EQUAL));
    expect((await failure(update(and, 'and'))).message).toMatch(/OTSConditionCheckFail/);
    const or = new CompositeCondition(LogicalOperator.OR);
    or.addSubCondition(eq(3));
    or.addSubCondition(new SingleColumnCondition('owner', 'o2', CT.EQUAL));
    await update(or, 'or');
    const not = new CompositeCondition(LogicalOperator.NOT);
    not.addSubCondition(new SingleColumnCondition('owner', 'o1', CT.EQUAL));
    expect((await failure(update(not, 'not'))).message).toMatch(/OTSConditionCheckFail/);
    // a missing column passes unless passIfMissing is false
    await update(new SingleColumnCondition('absent', 'x', CT.EQUAL, true), 'missing-pass');
    expect((await failure(update(new SingleColumnCondition('absent', 'x', CT.EQUAL, false), 'missing-fail'))).message).toMatch(/OTSConditionCheckFail/);
    expect(attrs((await client.getRow({ tableName: 'kv', primaryKey: [{ id: 'a' }] })).row).note).toBe('missing-pass');
  });

  it('increments integers atomically and returns the new value when asked', async () => {
    const inc = (by: number) =>
      client.updateRow({
        tableName: 'kv', primaryKey: [{ id: 'c' }], condition: IGNORE,
        updateOfAttributeColumns: [{ INCREMENT: [{ n: Long.fromNumber(by) }] }, { PUT: [{ other: 'x' }] }],
        returnContent: { returnType: TableStore.ReturnType.AfterModify, returnColumns: ['n'] },
      } as TableStore.UpdateRowParams);
    expect(attrs((await inc(5)).row)).toEqual({ n: '5' }); // a missing column counts from 0
    await Promise.all([inc(1), inc(1), inc(1)]);
    expect(attrs((await inc(-2)).row)).toEqual({ n: '6' });
    await client.updateRow({ tableName: 'kv', primaryKey: [{ id: 'c' }], condition: IGNORE, updateOfAttributeColumns: [{ DELETE_ALL: ['other'] }] });
    expect(attrs((await client.getRow({ tableName: 'kv', primaryKey: [{ id: 'c' }] })).row)).toEqual({ n: '6' });
    await put('kv', [{ id: 's' }], [{ n: 'text' }]);
    const err = await failure(client.updateRow({ tableName: 'kv', primaryKey: [{ id: 's' }], condition: IGNORE, updateOfAttributeColumns: [{ INCREMENT: [{ n: Long.fromNumber(1) }] }] }));
    expect([err.code, /OTSParameterInvalid/.test(err.message)]).toEqual([400, true]);
  });

  it('reads ranges forward and backward with limit and next_start_primary_key', async () => {
    for (const p of ['a', 'b']) for (let n = 0; n < 7; n++) await put('log', [{ p }, { n: Long.fromNumber(n) }], [{ v: `${p}${n}` }]);
    const range = (direction: 'FORWARD' | 'BACKWARD', start: TableStore.PrimaryKeyInput, end: TableStore.PrimaryKeyInput, limit?: number) =>
      client.getRange({ tableName: 'log', direction, inclusiveStartPrimaryKey: start, exclusiveEndPrimaryKey: end, limit });

    const first = await range('FORWARD', [{ p: 'a' }, { n: INF_MIN }], [{ p: 'a' }, { n: INF_MAX }], 3);
    expect(pkValues(first.rows)).toEqual(['a/0', 'a/1', 'a/2']);
    expect(first.nextStartPrimaryKey?.map((c) => String(c.value))).toEqual(['a', '3']);
    const rest = await range('FORWARD', first.nextStartPrimaryKey!.map((c) => ({ [c.name]: c.value })), [{ p: 'a' }, { n: INF_MAX }]);
    expect(pkValues(rest.rows)).toEqual(['a/3', 'a/4', 'a/5', 'a/6']);
    expect(rest.nextStartPrimaryKey).toBeNull();

    // inclusive start, exclusive end
    const mid = await range('FORWARD', [{ p: 'a' }, { n: Long.fromNumber(2) }], [{ p: 'b' }, { n: Long.fromNumber(1) }]);
    expect(pkValues(mid.rows)).toEqual(['a/2', 'a/3', 'a/4', 'a/5', 'a/6', 'b/0']);

    const back = await range('BACKWARD', [{ p: 'b' }, { n: Long.fromNumber(2) }], [{ p: 'a' }, { n: Long.fromNumber(4) }], 4);
    expect(pkValues(back.rows)).toEqual(['b/2', 'b/1', 'b/0', 'a/6']);
    expect(back.nextStartPrimaryKey?.map((c) => String(c.value))).toEqual(['a', '5']);
    const all = await range('BACKWARD', [{ p: INF_MAX }, { n: INF_MAX }], [{ p: INF_MIN }, { n: INF_MIN }]);
    expect(all.rows).toHaveLength(14);
    expect(pkValues(all.rows)[0]).toBe('b/6');

    const wrongWay = await failure(range('FORWARD', [{ p: 'b' }, { n: INF_MIN }], [{ p: 'a' }, { n: INF_MIN }]));
    expect(wrongWay.message).toMatch(/OTSParameterInvalid/);
  });

  it('returns short pages that still cover the range when asked to', async () => {
    const short = await startTablestoreEmulator({ shortPages: true });
    try {
      const c = new TableStore.Client({ endpoint: short.endpoint, instancename: short.instanceName, accessKeyId: short.accessKeyId, accessKeySecret: short.accessKeySecret, maxRetries: 0 });
      await c.createTable({ tableMeta: { tableName: 't', primaryKey: [{ name: 'id', type: 'STRING' }] }, reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } });
      for (let i = 0; i < 5; i++) await c.putRow({ tableName: 't', primaryKey: [{ id: `r${i}` }], attributeColumns: [{ v: 'x' }], condition: IGNORE });
      const seen: string[] = [];
      const sizes: number[] = [];
      let start: TableStore.PrimaryKeyInput = [{ id: INF_MIN }];
      for (let page = 0; page < 20; page++) {
        const r = await c.getRange({ tableName: 't', direction: 'FORWARD', inclusiveStartPrimaryKey: start, exclusiveEndPrimaryKey: [{ id: INF_MAX }], limit: 10 });
        seen.push(...pkValues(r.rows));
        sizes.push(r.rows.length);
        if (!r.nextStartPrimaryKey) break;
        start = r.nextStartPrimaryKey.map((col) => ({ [col.name]: col.value }));
      }
      expect(seen).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
      expect(Math.max(...sizes)).toBeLessThan(10);
      expect(sizes).toContain(0);
    } finally {
      await short.close();
    }
  });

  it('writes batches row by row: a failing row does not stop the others', async () => {
    await put('kv', [{ id: 'taken' }], [{ v: 'old' }]);
    const notExist = new Condition(RE.EXPECT_NOT_EXIST, null);
    const res = await client.batchWriteRow({
      tables: [
        {
          tableName: 'kv',
          rows: [
            { type: 'PUT', condition: notExist, primaryKey: [{ id: 'n1' }], attributeColumns: [{ v: 'new' }] },
            { type: 'PUT', condition: notExist, primaryKey: [{ id: 'taken' }], attributeColumns: [{ v: 'clobbered' }] },
            { type: 'UPDATE', condition: IGNORE, primaryKey: [{ id: 'n2' }], attributeColumns: [{ PUT: [{ v: 'upd' }] }] },
          ],
        },
        { tableName: 'log', rows: [{ type: 'PUT', condition: IGNORE, primaryKey: [{ p: 'x' }, { n: Long.fromNumber(1) }], attributeColumns: [{ v: 'l' }] }] },
      ],
    });
    expect(res.tables.map((r) => [r.tableName, r.isOk, r.errorCode])).toEqual([
      ['kv', true, null], ['kv', false, 'OTSConditionCheckFail'], ['kv', true, null], ['log', true, null],
    ]);
    const got = await client.batchGetRow({
      tables: [{ tableName: 'kv', primaryKey: [[{ id: 'n1' }], [{ id: 'taken' }], [{ id: 'n2' }], [{ id: 'absent' }]] }],
    });
    expect(got.tables[0].map((r) => [r.isOk, attrs(r).v])).toEqual([[true, 'new'], [true, 'old'], [true, 'upd'], [true, undefined]]);
    expect(emu.stats.rowsWritten).toBeGreaterThanOrEqual(4);
    expect(emu.stats.operations.BatchWriteRow).toBe(1);
  });

  it('refuses oversized or malformed requests with OTSParameterInvalid (400)', async () => {
    const rows = Array.from({ length: 201 }, (_, i) => ({ type: 'PUT' as const, condition: IGNORE, primaryKey: [{ id: `r${i}` }], attributeColumns: [{ v: 'x' }] }));
    const tooMany = await failure(client.batchWriteRow({ tables: [{ tableName: 'kv', rows }] }));
    expect([tooMany.code, /OTSParameterInvalid/.test(tooMany.message)]).toEqual([400, true]);
    expect((await client.getRow({ tableName: 'kv', primaryKey: [{ id: 'r0' }] })).row).toEqual({});

    const keys = Array.from({ length: 101 }, (_, i) => [{ id: `r${i}` }]);
    expect((await failure(client.batchGetRow({ tables: [{ tableName: 'kv', primaryKey: keys }] }))).message).toMatch(/OTSParameterInvalid/);

    // the SDK cannot even encode a write without a condition: send one by hand
    const row = (TableStore as unknown as { PlainBufferBuilder: { serializeForPutRow(pk: unknown, a: unknown): Buffer } })
      .PlainBufferBuilder.serializeForPutRow([{ id: 'a' }], [{ v: 'x' }]);
    const putRow = Buffer.concat([field(1, Buffer.from('kv')), field(2, row)]);
    expect(await raw('PutRow', putRow)).toEqual({ status: 400, code: 'OTSParameterInvalid' });
    const batchRow = Buffer.concat([Buffer.from([0x08, 0x01]), field(2, row)]); // type PUT, row_change, no condition
    expect(await raw('BatchWriteRow', field(1, Buffer.concat([field(1, Buffer.from('kv')), field(2, batchRow)])))).toEqual({ status: 400, code: 'OTSParameterInvalid' });
    expect(await raw('ListTable', Buffer.alloc(0))).toEqual({ status: 200 });
    expect(await raw('ListTable', Buffer.alloc(0), { 'x-ots-contentmd5': 'AAAAAAAAAAAAAAAAAAAAAA==' })).toEqual({ status: 400, code: 'OTSParameterInvalid' });
    const dup = await failure(client.batchWriteRow({ tables: [{ tableName: 'kv', rows: [rows[0], rows[0]] }] }));
    expect(dup.message).toMatch(/OTSParameterInvalid/);
    const wrongKey = await failure(client.getRow({ tableName: 'log', primaryKey: [{ p: 'a' }, { n: 'not-an-integer' }] }));
    expect(wrongKey.message).toMatch(/OTSParameterInvalid/);
  });
});
