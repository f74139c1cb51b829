// Tablestore adapter of the Store contract, on the `tablestore` SDK's promise API.
//
// Table layout (names carry `tablePrefix`; S = STRING, I = INTEGER written with TableStore.Long):
//
//   orders         pk id:S                              spec, head (JSON S), version:I, status:S, due_at:I?, created_at:I
//   order_due      pk shard:S, due_at:I, id:S           ver:I, the order version that wrote the row
//   order_created  pk shard:S, created_at:I, id:S       (no columns)
//   order_service  pk service_id:S, created_at:I, id:S  (no columns)
//   tasks          pk order_id:S, key:S                 value (JSON)
//   events         pk order_id:S, seq:S                 value (JSON)
//   scopes         pk scope:S                           order_id:S, since:I
//   idem           pk key:S                             value (JSON)
//   services       pk id:S                              value (JSON)
//   targets        pk service_id:S, id:S                seq:I (registration order), value (JSON), rev:I
//
// Only the order row is compare-and-set (UpdateRow: EXPECT_EXIST and version == expected); its index rows
// are separate writes, ordered so that a crash between them can only leave a stale row, which readers
// recognise by re-reading the order and skip:
// - order_due (dueOrders, earliest first): the new row is written before the order row and the old one
//   deleted after, only if its `ver` is older. A due order is therefore never missing from the index.
//   dueOrders re-checks each candidate's due_at and deletes stale rows, conditional on the `ver` it read,
//   once they are older than a minute: a younger one may belong to a write still between its two steps.
//   The previous due_at comes from the order as this process last read or wrote it; when unknown, the old
//   row is left for dueOrders to clean.
// - order_created / order_service (listOrders, newest first, all or per service): written after the order
//   row (a crash in between hides the order from lists, as in the SQLite adapter) and deleted before it.
//   They are read BACKWARD: created_at descending with ties by id descending, the contract's order (an
//   inverted created_at read forward would give ties by id ascending). A status filter is checked on the
//   order rows read anyway, so a filtered page may be short while a cursor says more may follow.
//   shard "0" puts every order in one partition: fine for thousands of orders a day; more would need N
//   shards merged on read.
// - targets are keyed by (service_id, id) so getTarget/updateTarget are single-row operations; listTargets
//   reads the partition whole and sorts by seq, which is fixed at first registration.
//
// Counted in stats(): rows read (at least 1 a request), rows written (attempts, a lost condition included)
// and attribute value bytes of successful writes.

import TableStore from 'tablestore';
import type { OrderHead, OrderSpec, Task } from '../engine/types.ts';
import { checkLimit, decodeCursor, encodeCursor, type Cursor } from './paging.ts';
import {
  AlreadyExistsError,
  ConflictError,
  type IdempotencyRecord,
  type OrderPage,
  type OrderQuery,
  type OrderRecord,
  type ScopeHolder,
  type ServiceRecord,
  type Store,
  type StoreStats,
  type StoredEvent,
  type TargetRecord,
} from './store.ts';

export interface TablestoreStoreOptions {
  endpoint: string;
  instanceName: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /** prepended to every table name; default "changeflow_" */
  tablePrefix?: string;
  /** retries of throttled or unavailable requests (and of reads that timed out); default 3 */
  maxRetries?: number;
  /** create missing tables when opening (default true) */
  createTables?: boolean;
}

const TABLES = {
  orders: [['id', 'STRING']],
  order_due: [['shard', 'STRING'], ['due_at', 'INTEGER'], ['id', 'STRING']],
  order_created: [['shard', 'STRING'], ['created_at', 'INTEGER'], ['id', 'STRING']],
  order_service: [['service_id', 'STRING'], ['created_at', 'INTEGER'], ['id', 'STRING']],
  tasks: [['order_id', 'STRING'], ['key', 'STRING']],
  events: [['order_id', 'STRING'], ['seq', 'STRING']],
  scopes: [['scope', 'STRING']],
  idem: [['key', 'STRING']],
  services: [['id', 'STRING']],
  targets: [['service_id', 'STRING'], ['id', 'STRING']],
} as const satisfies Record<string, readonly (readonly [string, 'STRING' | 'INTEGER'])[]>;
type Table = keyof typeof TABLES;

type Pk = TableStore.PrimaryKeyInput;
type Cell = TableStore.CellValue;
type Row = Record<string, Cell>;
type Columns = Record<string, Cell>;

const { Long, Condition, SingleColumnCondition, RowExistenceExpectation: RE, ComparatorType: CT } = TableStore;
const SHARD = '0';
const BATCH_ROWS = 200;
const BATCH_BYTES = 3.5 * 1024 * 1024; // under the 4 MB request limit, leaving room for keys and framing
const GET_ROWS = 100;
const MAX_CELL_BYTES = 2 * 1024 * 1024;
/** index rows one listOrders/dueOrders call reads at most before returning a short page */
const MAX_SCAN = 1000;
const DUE_MEMORY = 10_000;
/** a due row this young that looks stale may be a write in progress (index row put, order row not yet) */
const STALE_GRACE_MS = 60_000;

// values

const long = (n: number) => Long.fromNumber(n);
const str = (v: Cell | undefined): string => (typeof v === 'string' ? v : String(v ?? ''));

/** An INTEGER cell as a number; throws rather than round a value beyond 2^53. */
function int(v: Cell | undefined): number {
  if (typeof v === 'number') return v;
  const text = String(v);
  const n = Number(text);
  if (v === null || v === undefined || !Number.isSafeInteger(n)) throw new Error(`tablestore: integer ${text} is not a safe JS number`);
  return n;
}

const valueBytes = (v: Cell | undefined): number =>
  typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : Buffer.isBuffer(v) ? v.length : typeof v === 'boolean' ? 1 : v === null || v === undefined ? 0 : 8;
const bytesOf = (cols: Columns): number => Object.values(cols).reduce((n: number, v) => n + valueBytes(v), 0);
const toAttributes = (cols: Columns): TableStore.AttributesInput => Object.entries(cols).map(([k, v]) => ({ [k]: v }));

function rowOf(r: TableStore.Row | undefined): Row | undefined {
  if (!r?.primaryKey) return undefined; // GetRow of a missing row decodes to {}
  const out: Row = {};
  for (const c of r.primaryKey) out[c.name] = c.value;
  for (const a of r.attributes ?? []) out[a.columnName] = a.columnValue;
  return out;
}

const json = (s: string): string => {
  if (Buffer.byteLength(s, 'utf8') > MAX_CELL_BYTES) throw new RangeError(`tablestore: a column of ${Buffer.byteLength(s)} bytes exceeds the 2 MB limit`);
  return s;
};

// conditions

const IGNORE = new Condition(RE.IGNORE, null);
const EXPECT_EXIST = new Condition(RE.EXPECT_EXIST, null);
const EXPECT_NOT_EXIST = new Condition(RE.EXPECT_NOT_EXIST, null);
type Existence = (typeof RE)[keyof typeof RE];
type Comparator = (typeof CT)[keyof typeof CT];
/** a column condition that fails on a missing column */
const when = (existence: Existence, column: string, value: Cell, comparator: Comparator = CT.EQUAL) =>
  new Condition(existence, new SingleColumnCondition(column, value, comparator, false));

// errors

/** A request that failed for another reason than a lost condition; never carries credentials. */
export class TablestoreError extends Error {
  override readonly name = 'TablestoreError';
  constructor(
    readonly operation: string,
    readonly table: string,
    /** the service's error code (OTSServerBusy, ...) or the SDK's (NetworkingError, an HTTP status) */
    readonly code: string,
    detail: string,
  ) {
    super(`tablestore ${operation} on ${table} failed: ${code}${detail ? ` (${detail})` : ''}`);
  }
}

/** A write's condition did not hold: the callers turn it into false, ConflictError or AlreadyExistsError. */
class ConditionFailed extends Error {}

/** The SDK's error parser is broken: `code` is the HTTP status and `message` the raw protobuf body. */
function parseSdkError(e: unknown): { code: string; detail: string } {
  const err = e as { code?: unknown; message?: unknown };
  const raw = typeof err?.message === 'string' ? err.message : String(e);
  const ots = /OTS[A-Za-z]+/.exec(raw)?.[0];
  const detail = raw.replace(ots ?? '', '').replace(/[^\x20-\x7e]+/g, ' ').trim().slice(0, 300);
  return { code: ots ?? String(err?.code ?? 'Error'), detail };
}

// the request is known not to have been applied: safe to resend whatever it was
const RETRY_ANY = /^(OTSRowOperationConflict|OTSNotEnoughCapacityUnit|OTSTableNotReady|OTSPartitionUnavailable|OTSServerBusy|OTSOperationThrottled|OTSQuotaExhausted)$/;
// the outcome is unknown: resend only reads
const RETRY_READ = /^(OTSTimeout|OTSInternalServerError|OTSServerUnavailable|NetworkingError|TimeoutError|500|502|503)$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (attempt: number) => Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);

const col = (name: string, value: Cell | TableStore.VirtualData): Pk[number] => ({ [name]: value });

/** The bounds of one partition: its first key column fixed, the others from INF_MIN to INF_MAX. */
function partition(table: Table, value: Cell): [Pk, Pk] {
  const [[first], ...rest] = TABLES[table];
  return [
    [col(first, value), ...rest.map(([n]) => col(n, TableStore.INF_MIN))],
    [col(first, value), ...rest.map(([n]) => col(n, TableStore.INF_MAX))],
  ];
}

interface WriteRow {
  table: Table;
  type: 'PUT' | 'UPDATE' | 'DELETE';
  primaryKey: Pk;
  /** PUT: columns; UPDATE: the SDK's update list */
  columns?: Columns;
  updates?: object[];
  condition: TableStore.Condition;
  bytes: number;
}

/** SDK calls with paging, batching, retries, error mapping and row counting. */
class Tables {
  readonly counters: StoreStats = { reads: 0, writes: 0, bytesWritten: 0 };

  constructor(
    readonly client: TableStore.Client,
    readonly prefix: string,
    private readonly maxRetries: number,
  ) {}

  name(table: Table): string {
    return this.prefix + table;
  }

  async call<T>(operation: string, table: string, read: boolean, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const { code, detail } = parseSdkError(e);
        if (code === 'OTSConditionCheckFail') throw new ConditionFailed();
        if (attempt < this.maxRetries && (RETRY_ANY.test(code) || (read && RETRY_READ.test(code)))) {
          await sleep(backoff(attempt));
          continue;
        }
        throw new TablestoreError(operation, table, code, detail);
      }
    }
  }

  async getRow(table: Table, primaryKey: Pk, columnsToGet?: string[]): Promise<Row | undefined> {
    const res = await this.call('GetRow', this.name(table), true, () =>
      this.client.getRow({ tableName: this.name(table), primaryKey, maxVersions: 1, ...(columnsToGet ? { columnsToGet } : {}) }));
    this.counters.reads += 1;
    return rowOf(res.row);
  }

  /**
   * Reads [start, end) until `limit` rows or the end of the range, following next_start_primary_key: a
   * page may be short, even empty, with more to come. `next` is where to go on when the limit stopped it.
   */
  async range(table: Table, start: Pk, end: Pk, opts: { backward?: boolean; limit?: number; columnsToGet?: string[] } = {}): Promise<{ rows: Row[]; next?: Pk }> {
    const rows: Row[] = [];
    let from = start;
    for (;;) {
      const want = opts.limit === undefined ? undefined : Math.min(5000, opts.limit - rows.length);
      const res = await this.call('GetRange', this.name(table), true, () =>
        this.client.getRange({
          tableName: this.name(table),
          direction: opts.backward ? 'BACKWARD' : 'FORWARD',
          inclusiveStartPrimaryKey: from,
          exclusiveEndPrimaryKey: end,
          maxVersions: 1,
          ...(want !== undefined ? { limit: want } : {}),
          ...(opts.columnsToGet ? { columnsToGet: opts.columnsToGet } : {}),
        }));
      this.counters.reads += Math.max(1, res.rows.length);
      for (const r of res.rows) {
        const row = rowOf(r);
        if (row) rows.push(row);
      }
      const next = res.nextStartPrimaryKey;
      if (!next || next.length === 0) return { rows };
      from = next.map((c) => ({ [c.name]: c.value }));
      if (opts.limit !== undefined && rows.length >= opts.limit) return { rows, next: from };
    }
  }

  /** Point reads in chunks of 100; undefined where the row does not exist. */
  async batchGet(table: Table, keys: Pk[], columnsToGet?: string[]): Promise<(Row | undefined)[]> {
    const out: (Row | undefined)[] = [];
    for (let i = 0; i < keys.length; i += GET_ROWS) {
      const chunk = keys.slice(i, i + GET_ROWS);
      const found = new Array<Row | undefined>(chunk.length);
      let pending = chunk.map((_, k) => k);
      for (let attempt = 0; pending.length > 0; attempt++) {
        const res = await this.call('BatchGetRow', this.name(table), true, () =>
          this.client.batchGetRow({
            tables: [{ tableName: this.name(table), primaryKey: pending.map((k) => chunk[k]), maxVersions: 1, ...(columnsToGet ? { columnsToGet } : {}) }],
          }));
        this.counters.reads += pending.length;
        const results = res.tables[0] ?? [];
        const failed: number[] = [];
        pending.forEach((k, j) => {
          const r = results[j];
          const code = r?.errorCode ?? 'MissingResult';
          if (r?.isOk) found[k] = rowOf(r);
          else if (attempt < this.maxRetries && (RETRY_ANY.test(code) || RETRY_READ.test(code))) failed.push(k);
          else throw new TablestoreError('BatchGetRow', this.name(table), code, r?.errorMessage ?? '');
        });
        if (failed.length > 0) await sleep(backoff(attempt));
        pending = failed;
      }
      out.push(...found);
    }
    return out;
  }

  /** A single-row write: true when written, false when its condition did not hold. */
  async write(operation: 'PutRow' | 'UpdateRow' | 'DeleteRow', table: Table, bytes: number, fn: (tableName: string) => Promise<unknown>): Promise<boolean> {
    this.counters.writes += 1;
    try {
      await this.call(operation, this.name(table), false, () => fn(this.name(table)));
    } catch (e) {
      if (e instanceof ConditionFailed) return false;
      throw e;
    }
    this.counters.bytesWritten += bytes;
    return true;
  }

  put(table: Table, primaryKey: Pk, columns: Columns, condition: TableStore.Condition): Promise<boolean> {
    return this.write('PutRow', table, bytesOf(columns), (tableName) =>
      this.client.putRow({ tableName, primaryKey, attributeColumns: toAttributes(columns), condition }));
  }

  update(table: Table, primaryKey: Pk, put: Columns, deleteAll: string[], condition: TableStore.Condition): Promise<boolean> {
    const updateOfAttributeColumns = [{ PUT: toAttributes(put) }, ...(deleteAll.length > 0 ? [{ DELETE_ALL: deleteAll }] : [])];
    return this.write('UpdateRow', table, bytesOf(put), (tableName) => this.client.updateRow({ tableName, primaryKey, updateOfAttributeColumns, condition }));
  }

  delete(table: Table, primaryKey: Pk, condition: TableStore.Condition): Promise<boolean> {
    return this.write('DeleteRow', table, 0, (tableName) => this.client.deleteRow({ tableName, primaryKey, condition }));
  }

  /**
   * BatchWriteRow in chunks of at most 200 rows and ~3.5 MB; NOT atomic. Returns per row whether it was
   * written or its condition failed; other row errors are retried when safe, then thrown.
   */
  async batchWrite(rows: WriteRow[]): Promise<('ok' | 'condition')[]> {
    const outcomes = new Array<'ok' | 'condition'>(rows.length);
    let pending = rows.map((_, i) => i);
    for (let attempt = 0; pending.length > 0; attempt++) {
      const retry: number[] = [];
      for (const chunk of this.chunks(pending, rows)) {
        const groups = new Map<string, number[]>();
        for (const i of chunk) groups.set(this.name(rows[i].table), [...(groups.get(this.name(rows[i].table)) ?? []), i]);
        const res = await this.call('BatchWriteRow', [...groups.keys()].join(','), false, () =>
          this.client.batchWriteRow({
            tables: [...groups].map(([tableName, idx]) => ({ tableName, rows: idx.map((i) => sdkRow(rows[i])) })),
          } as unknown as TableStore.BatchWriteRowParams));
        this.counters.writes += chunk.length;
        // results come back per table, in request order within each table
        const seen = new Map<string, number>();
        for (const r of res.tables) {
          const k = seen.get(r.tableName) ?? 0;
          seen.set(r.tableName, k + 1);
          const i = groups.get(r.tableName)?.[k];
          if (i === undefined) continue;
          if (r.isOk) {
            outcomes[i] = 'ok';
            this.counters.bytesWritten += rows[i].bytes;
          } else if (r.errorCode === 'OTSConditionCheckFail') {
            outcomes[i] = 'condition';
          } else if (attempt < this.maxRetries && RETRY_ANY.test(r.errorCode ?? '')) {
            retry.push(i);
          } else {
            throw new TablestoreError('BatchWriteRow', r.tableName, r.errorCode ?? 'Error', r.errorMessage ?? '');
          }
        }
        const missing = chunk.find((i) => outcomes[i] === undefined && !retry.includes(i));
        if (missing !== undefined) throw new TablestoreError('BatchWriteRow', this.name(rows[missing].table), 'MissingResult', 'a row got no result');
      }
      if (retry.length > 0) await sleep(backoff(attempt));
      pending = retry;
    }
    return outcomes;
  }

  private *chunks(indexes: number[], rows: WriteRow[]): Generator<number[]> {
    let chunk: number[] = [];
    let bytes = 0;
    for (const i of indexes) {
      const size = rows[i].bytes + 256;
      if (chunk.length === BATCH_ROWS || (chunk.length > 0 && bytes + size > BATCH_BYTES)) {
        yield chunk;
        chunk = [];
        bytes = 0;
      }
      chunk.push(i);
      bytes += size;
    }
    if (chunk.length > 0) yield chunk;
  }

  /** Deletes every row of one partition (read as keys only, then batch deletes). */
  async deletePartition(table: Table, value: string): Promise<void> {
    const [start, end] = partition(table, value);
    const keys = TABLES[table].map(([n]) => n);
    const { rows } = await this.range(table, start, end, { columnsToGet: keys });
    if (rows.length === 0) return;
    await this.batchWrite(rows.map((r) => ({ table, type: 'DELETE', primaryKey: keys.map((k) => ({ [k]: r[k] })), condition: IGNORE, bytes: 0 })));
  }
}

function sdkRow(r: WriteRow): object {
  switch (r.type) {
    case 'PUT': return { type: 'PUT', condition: r.condition, primaryKey: r.primaryKey, attributeColumns: toAttributes(r.columns ?? {}) };
    case 'UPDATE': return { type: 'UPDATE', condition: r.condition, primaryKey: r.primaryKey, attributeColumns: r.updates ?? [] };
    case 'DELETE': return { type: 'DELETE', condition: r.condition, primaryKey: r.primaryKey };
  }
}

// keys and records

const orderKey = (id: string): Pk => [{ id }];
const dueKey = (due: number, id: string): Pk => [{ shard: SHARD }, { due_at: long(due) }, { id }];
const dueColumns = (ver: number): Columns => ({ ver: long(ver), at: long(Date.now()) });
/** due times are stored rounded up, so an order is never reported due early */
const dueOf = (head: OrderHead): number | undefined => (typeof head.dueAt === 'number' ? Math.ceil(head.dueAt) : undefined);
const dueColumn = (row: Row): number | undefined => (row.due_at === undefined || row.due_at === null ? undefined : int(row.due_at));
const serviceIdsOf = (spec: OrderSpec): string[] => [...new Set(spec.items.map((i) => i.serviceId))];
const toOrder = (row: Row): OrderRecord => ({ spec: JSON.parse(str(row.spec)), head: JSON.parse(str(row.head)), version: int(row.version) });
const ORDER_COLUMNS = ['spec', 'head', 'version', 'due_at'];

/** The rows under which listOrders finds an order: newest-first overall and per service. */
interface Listing { table: 'order_created' | 'order_service'; partition: string; createdAt: number; id: string }
const listingsOf = (spec: OrderSpec): Listing[] => [
  { table: 'order_created', partition: SHARD, createdAt: spec.createdAt, id: spec.id },
  ...serviceIdsOf(spec).map((sid): Listing => ({ table: 'order_service', partition: sid, createdAt: spec.createdAt, id: spec.id })),
];
type Bound = Cell | TableStore.VirtualData;
const listingKey = (table: Listing['table'], part: string, createdAt: number | Bound, id: Bound): Pk =>
  [col(TABLES[table][0][0], part), col('created_at', typeof createdAt === 'number' ? long(createdAt) : createdAt), col('id', id)];
const listingRow = (l: Listing, type: 'PUT' | 'DELETE'): WriteRow => ({
  table: l.table, type, primaryKey: listingKey(l.table, l.partition, l.createdAt, l.id), condition: IGNORE, bytes: 0,
});
const sameListing = (a: Listing, b: Listing) => a.table === b.table && a.partition === b.partition && a.createdAt === b.createdAt;

/** Only the fields TargetRecord names are stored, so stray properties of callers' objects never leak in. */
const targetValue = (t: Omit<TargetRecord, 'serviceId' | 'rev'>): string =>
  json(JSON.stringify({ labels: t.labels, version: t.version, changeCount: t.changeCount, state: t.state }));
const toTarget = (serviceId: string, row: Row): TargetRecord => ({ serviceId, id: str(row.id), ...JSON.parse(str(row.value)), rev: int(row.rev) });


export class TablestoreStore implements Store {
  readonly kind = 'tablestore';
  /** each order's due_at at the version this process last read or wrote: saves rewriting unchanged index rows */
  private readonly dueAt = new Map<string, { version: number; due?: number }>();

  constructor(private readonly db: Tables) {}

  private remember(id: string, version: number, due: number | undefined): void {
    this.dueAt.delete(id);
    this.dueAt.set(id, { version, due });
    if (this.dueAt.size > DUE_MEMORY) this.dueAt.delete(this.dueAt.keys().next().value!);
  }

  // services

  async putService(service: ServiceRecord): Promise<void> {
    await this.db.put('services', [{ id: service.id }], { value: json(JSON.stringify(service)) }, IGNORE);
  }

  async getService(id: string): Promise<ServiceRecord | undefined> {
    const row = await this.db.getRow('services', [{ id }], ['value']);
    return row && JSON.parse(str(row.value));
  }

  async listServices(): Promise<ServiceRecord[]> {
    const { rows } = await this.db.range('services', [{ id: TableStore.INF_MIN }], [{ id: TableStore.INF_MAX }]);
    return rows.map((r) => JSON.parse(str(r.value)));
  }

  async deleteService(id: string): Promise<boolean> {
    const existed = await this.db.delete('services', [{ id }], EXPECT_EXIST);
    // targets go even when the service row is already gone: a retried delete clears what a crash left
    await this.db.deletePartition('targets', id);
    return existed;
  }

  // targets

  async putTargets(serviceId: string, targets: Omit<TargetRecord, 'serviceId' | 'rev'>[]): Promise<void> {
    if (targets.length === 0) return;
    const byId = new Map(targets.map((t) => [t.id, t])); // the last of duplicates wins, at the first's place
    const [start, end] = partition('targets', serviceId);
    const { rows } = await this.db.range('targets', start, end, { columnsToGet: ['id', 'seq'] });
    const existing = new Set(rows.map((r) => str(r.id)));
    let seq = rows.reduce((max, r) => Math.max(max, int(r.seq)), 0);
    // new targets: put-if-absent with the next seq; known ones: update-if-present, rev incremented in place.
    // A row that appeared or vanished meanwhile fails its condition and is retried the other way.
    let pending = [...byId.values()].map((t) => ({ t, exists: existing.has(t.id) }));
    for (let round = 0; pending.length > 0; round++) {
      if (round === 3) throw new ConflictError(`targets of ${serviceId} kept changing while being registered`);
      const writes = pending.map(({ t, exists }): WriteRow => {
        const value = targetValue(t);
        const primaryKey: Pk = [{ service_id: serviceId }, { id: t.id }];
        return exists
          ? { table: 'targets', type: 'UPDATE', primaryKey, updates: [{ PUT: [{ value }] }, { INCREMENT: [{ rev: long(1) }] }], condition: EXPECT_EXIST, bytes: valueBytes(value) + 8 }
          : { table: 'targets', type: 'PUT', primaryKey, columns: { seq: long(++seq), value, rev: long(1) }, condition: EXPECT_NOT_EXIST, bytes: valueBytes(value) + 16 };
      });
      const outcomes = await this.db.batchWrite(writes);
      pending = pending.filter((_, i) => outcomes[i] === 'condition').map(({ t, exists }) => ({ t, exists: !exists }));
    }
  }

  async listTargets(serviceId: string): Promise<TargetRecord[]> {
    const [start, end] = partition('targets', serviceId);
    const { rows } = await this.db.range('targets', start, end);
    return rows
      .map((r) => ({ seq: int(r.seq), target: toTarget(serviceId, r) }))
      .sort((a, b) => a.seq - b.seq || (a.target.id < b.target.id ? -1 : a.target.id > b.target.id ? 1 : 0))
      .map((x) => x.target);
  }

  async getTarget(serviceId: string, id: string): Promise<TargetRecord | undefined> {
    const row = await this.db.getRow('targets', [{ service_id: serviceId }, { id }], ['id', 'value', 'rev']);
    return row && toTarget(serviceId, row);
  }

  async updateTarget(target: TargetRecord, expectedRev: number): Promise<number> {
    const ok = await this.db.update('targets', [{ service_id: target.serviceId }, { id: target.id }],
      { value: targetValue(target), rev: long(expectedRev + 1) }, [], when(RE.EXPECT_EXIST, 'rev', long(expectedRev)));
    if (!ok) throw new ConflictError(`target ${target.serviceId}/${target.id}: rev ${expectedRev} is stale or the target is gone`);
    return expectedRev + 1;
  }

  // orders

  async createOrder(spec: OrderSpec, head: OrderHead): Promise<OrderRecord> {
    const due = dueOf(head);
    // the due row goes first: an order that exists is never missing from the due index
    if (due !== undefined) await this.db.put('order_due', dueKey(due, spec.id), dueColumns(1), IGNORE);
    const columns: Columns = {
      spec: json(JSON.stringify(spec)), head: json(JSON.stringify(head)), version: long(1), status: head.status, created_at: long(spec.createdAt),
      ...(due !== undefined ? { due_at: long(due) } : {}),
    };
    if (!(await this.db.put('orders', orderKey(spec.id), columns, EXPECT_NOT_EXIST))) throw new AlreadyExistsError(`order ${spec.id} already exists`);
    this.remember(spec.id, 1, due);
    // the listing rows follow the order row: a crash in between only hides the order from lists
    await this.db.batchWrite(listingsOf(spec).map((l) => listingRow(l, 'PUT')));
    return { spec, head, version: 1 };
  }

  async getOrder(id: string): Promise<OrderRecord | undefined> {
    const row = await this.db.getRow('orders', orderKey(id), ORDER_COLUMNS);
    if (!row) return undefined;
    const order = toOrder(row);
    this.remember(id, order.version, dueColumn(row));
    return order;
  }

  async updateOrder(id: string, head: OrderHead, expectedVersion: number, spec?: OrderSpec): Promise<number> {
    const next = expectedVersion + 1;
    const due = dueOf(head);
    const conflict = () => {
      this.dueAt.delete(id);
      return new ConflictError(`order ${id}: version ${expectedVersion} is stale or the order is gone`);
    };
    // the order as it is at expectedVersion, when known: its due_at, and its spec when the spec changes
    let before: { due?: number; spec?: OrderSpec } | undefined;
    if (spec) {
      const row = await this.db.getRow('orders', orderKey(id), ['spec', 'version', 'due_at']);
      if (!row || int(row.version) !== expectedVersion) throw conflict();
      before = { due: dueColumn(row), spec: JSON.parse(str(row.spec)) };
    } else {
      const known = this.dueAt.get(id);
      if (known?.version === expectedVersion) before = { due: known.due };
    }
    if (due !== undefined && (!before || before.due !== due)) {
      await this.db.put('order_due', dueKey(due, id), dueColumns(next), IGNORE);
    }
    const put: Columns = {
      head: json(JSON.stringify(head)), status: head.status, version: long(next),
      ...(due !== undefined ? { due_at: long(due) } : {}),
      ...(spec ? { spec: json(JSON.stringify(spec)), created_at: long(spec.createdAt) } : {}),
    };
    const ok = await this.db.update('orders', orderKey(id), put, due === undefined ? ['due_at'] : [], when(RE.EXPECT_EXIST, 'version', long(expectedVersion)));
    if (!ok) throw conflict();
    this.remember(id, next, due);
    if (before?.due !== undefined && before.due !== due) {
      // only a row written for an older version: a newer writer may have just put the same key back
      await this.db.delete('order_due', dueKey(before.due, id), when(RE.IGNORE, 'ver', long(next), CT.LESS_THAN));
    }
    if (spec && before?.spec) await this.relist(before.spec, spec);
    return next;
  }

  /** Brings the listing rows from the old spec to the new one: adds missing ones first, then drops stale ones. */
  private async relist(from: OrderSpec, to: OrderSpec): Promise<void> {
    const [was, is] = [listingsOf(from), listingsOf(to)];
    const missing = is.filter((l) => !was.some((w) => sameListing(w, l)));
    const stale = was.filter((w) => !is.some((l) => sameListing(w, l)));
    if (missing.length > 0) await this.db.batchWrite(missing.map((l) => listingRow(l, 'PUT')));
    if (stale.length > 0) await this.db.batchWrite(stale.map((l) => listingRow(l, 'DELETE')));
  }

  async deleteOrder(id: string): Promise<boolean> {
    const row = await this.db.getRow('orders', orderKey(id), ['spec', 'due_at']);
    let existed = false;
    if (row) {
      // index rows first, the order row last: an interrupted delete leaves the order to delete again
      const due = dueColumn(row);
      await this.db.batchWrite([
        ...listingsOf(JSON.parse(str(row.spec))).map((l) => listingRow(l, 'DELETE')),
        ...(due !== undefined ? [{ table: 'order_due', type: 'DELETE', primaryKey: dueKey(due, id), condition: IGNORE, bytes: 0 } as WriteRow] : []),
      ]);
      existed = await this.db.delete('orders', orderKey(id), EXPECT_EXIST);
    }
    this.dueAt.delete(id);
    // children go even when the order row is already gone, so a retried delete clears a crash's orphans
    await this.db.deletePartition('tasks', id);
    await this.db.deletePartition('events', id);
    return existed;
  }

  async listOrders(query: OrderQuery): Promise<OrderPage> {
    const limit = checkLimit(query.limit);
    let last = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const [table, part] = query.serviceId !== undefined ? ['order_service' as const, query.serviceId] : ['order_created' as const, SHARD];
    const end = listingKey(table, part, TableStore.INF_MIN, TableStore.INF_MIN);
    const orders: OrderRecord[] = [];
    let more = true;
    for (let scanned = 0; orders.length < limit && more && scanned < MAX_SCAN;) {
      // a filtered list reads ahead; one row beyond the page tells whether another page follows
      const want = query.status === undefined ? limit - orders.length : Math.min(GET_ROWS, Math.max(limit - orders.length, 20));
      const from = last ? listingKey(table, part, last.c, last.i) : listingKey(table, part, TableStore.INF_MAX, TableStore.INF_MAX);
      const page = await this.db.range(table, from, end, { backward: true, limit: want + 1 + (last ? 1 : 0) });
      const at = last;
      const rows = page.rows.map((r) => ({ c: int(r.created_at), i: str(r.id) })).filter((r) => !(at && r.c === at.c && r.i === at.i));
      const batch = rows.slice(0, want);
      more = rows.length > batch.length || page.next !== undefined;
      const found = await this.db.batchGet('orders', batch.map((r) => orderKey(r.i)), ORDER_COLUMNS);
      for (const [k, r] of batch.entries()) {
        last = r;
        scanned += 1;
        const row = found[k];
        if (!row) continue; // an index row whose order is gone
        const order = toOrder(row);
        this.remember(r.i, order.version, dueColumn(row));
        if (order.spec.createdAt !== r.c) continue; // stale: the order was re-created or re-dated
        if (query.serviceId !== undefined && !serviceIdsOf(order.spec).includes(query.serviceId)) continue;
        if (query.status !== undefined && order.head.status !== query.status) continue;
        orders.push(order);
        if (orders.length === limit) {
          more ||= k < batch.length - 1;
          break;
        }
      }
    }
    return { orders, ...(more && last ? { nextCursor: encodeCursor(last) } : {}) };
  }

  async dueOrders(now: number, limit: number): Promise<string[]> {
    checkLimit(limit);
    const end: Pk = [col('shard', SHARD), col('due_at', long(Math.floor(now) + 1)), col('id', TableStore.INF_MIN)];
    let from: Pk | undefined = [col('shard', SHARD), col('due_at', TableStore.INF_MIN), col('id', TableStore.INF_MIN)];
    const ids: string[] = [];
    const stale: WriteRow[] = [];
    for (let scanned = 0; from && ids.length < limit && scanned < MAX_SCAN;) {
      const page: { rows: Row[]; next?: Pk } = await this.db.range('order_due', from, end, { limit: Math.min(GET_ROWS, limit - ids.length) });
      from = page.next;
      scanned += page.rows.length;
      const orders = await this.db.batchGet('orders', page.rows.map((r) => orderKey(str(r.id))), ['due_at']);
      for (const [k, r] of page.rows.entries()) {
        const order = orders[k];
        if (order && dueColumn(order) === int(r.due_at)) {
          ids.push(str(r.id));
          if (ids.length === limit) break;
        } else if (r.at === undefined || Date.now() - int(r.at) > STALE_GRACE_MS) {
          // stale: delete it unless an updater rewrote it since it was read (its ver changed)
          const condition = r.ver === undefined ? IGNORE : when(RE.IGNORE, 'ver', r.ver);
          stale.push({ table: 'order_due', type: 'DELETE', primaryKey: dueKey(int(r.due_at), str(r.id)), condition, bytes: 0 });
        }
      }
    }
    if (stale.length > 0) await this.db.batchWrite(stale);
    return ids;
  }

  // tasks

  async putTasks(orderId: string, tasks: Task[]): Promise<void> {
    if (tasks.length === 0) return;
    const byKey = new Map(tasks.map((t) => [t.key, t])); // one row per key in a batch; the last wins
    await this.db.batchWrite([...byKey.values()].map((t): WriteRow => {
      const value = json(JSON.stringify(t));
      return { table: 'tasks', type: 'PUT', primaryKey: [{ order_id: orderId }, { key: t.key }], columns: { value }, condition: IGNORE, bytes: valueBytes(value) };
    }));
  }

  async listTasks(orderId: string): Promise<Task[]> {
    const [start, end] = partition('tasks', orderId);
    const { rows } = await this.db.range('tasks', start, end, { columnsToGet: ['value'] });
    return rows.map((r) => JSON.parse(str(r.value)));
  }

  // events

  async appendEvents(orderId: string, events: StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const bySeq = new Map<string, StoredEvent>();
    for (const e of events) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
    // put-if-absent: a replayed outbox flush must not rewrite history, so lost conditions are fine
    await this.db.batchWrite([...bySeq.values()].map((e): WriteRow => {
      const value = json(JSON.stringify(e));
      return { table: 'events', type: 'PUT', primaryKey: [{ order_id: orderId }, { seq: e.seq }], columns: { value }, condition: EXPECT_NOT_EXIST, bytes: valueBytes(value) };
    }));
  }

  async listEvents(orderId: string, after?: string, limit?: number): Promise<StoredEvent[]> {
    const max = limit === undefined ? undefined : checkLimit(limit);
    const start: Pk = [col('order_id', orderId), col('seq', after ?? TableStore.INF_MIN)];
    const [, end] = partition('events', orderId);
    // the range starts at `after` inclusive: read one more and drop it
    const { rows } = await this.db.range('events', start, end, {
      columnsToGet: ['seq', 'value'], ...(max !== undefined ? { limit: max + (after === undefined ? 0 : 1) } : {}),
    });
    return rows.filter((r) => after === undefined || str(r.seq) !== after).slice(0, max).map((r) => JSON.parse(str(r.value)));
  }

  // scopes

  async acquireScope(scope: string, orderId: string, now: number): Promise<{ ok: true } | { ok: false; holder: ScopeHolder }> {
    // the holder may release between the failed put and the read: then simply try again
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.db.put('scopes', [{ scope }], { order_id: orderId, since: long(now) }, EXPECT_NOT_EXIST)) return { ok: true };
      const holder = await this.getScope(scope);
      if (!holder) continue;
      return holder.orderId === orderId ? { ok: true } : { ok: false, holder };
    }
    throw new ConflictError(`scope ${scope} kept changing hands`);
  }

  async transferScope(scope: string, fromOrderId: string, toOrderId: string, now: number): Promise<boolean> {
    return this.db.update('scopes', [{ scope }], { order_id: toOrderId, since: long(now) }, [], when(RE.EXPECT_EXIST, 'order_id', fromOrderId));
  }

  async releaseScope(scope: string, orderId: string): Promise<boolean> {
    return this.db.delete('scopes', [{ scope }], when(RE.EXPECT_EXIST, 'order_id', orderId));
  }

  async getScope(scope: string): Promise<ScopeHolder | undefined> {
    const row = await this.db.getRow('scopes', [{ scope }], ['order_id', 'since']);
    return row && { scope, orderId: str(row.order_id), since: int(row.since) };
  }

  // idempotency keys

  async claimIdempotencyKey(rec: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    // keys are never deleted, so a lost put always finds the winner's row
    if (await this.db.put('idem', [{ key: rec.key }], { value: json(JSON.stringify(rec)) }, EXPECT_NOT_EXIST)) return undefined;
    const row = await this.db.getRow('idem', [{ key: rec.key }], ['value']);
    if (!row) throw new Error(`idempotency key ${rec.key} vanished while being claimed`);
    return JSON.parse(str(row.value));
  }

  stats(): StoreStats {
    return { ...this.db.counters };
  }

  async close(): Promise<void> {
    // the SDK keeps no connection of its own (node's global agent does)
  }
}

// opening and setup

const PREFIX = /^[A-Za-z_][A-Za-z0-9_]*$/;

function connect(opts: TablestoreStoreOptions): Tables {
  const prefix = opts.tablePrefix ?? 'changeflow_';
  if (!PREFIX.test(prefix)) throw new Error(`invalid table prefix ${JSON.stringify(prefix)}: letters, digits and _ only`);
  const client = new TableStore.Client({
    endpoint: opts.endpoint,
    instancename: opts.instanceName,
    accessKeyId: opts.accessKeyId,
    accessKeySecret: opts.accessKeySecret,
    ...(opts.securityToken ? { securityToken: opts.securityToken } : {}),
    // the SDK's own retry policy is a process-wide global and cannot read the error codes its broken
    // parser loses: it is off, and Tables.call retries instead
    maxRetries: 0,
    httpOptions: { timeout: 30_000, maxSockets: 300 },
  });
  return new Tables(client, prefix, opts.maxRetries ?? 3);
}

async function ensureTables(db: Tables): Promise<{ created: string[]; existing: string[] }> {
  const listed = await db.call('ListTable', '*', true, () => db.client.listTable({}));
  const have = new Set(listed.tableNames);
  const created: string[] = [];
  const existing: string[] = [];
  for (const [table, pk] of Object.entries(TABLES) as [Table, (typeof TABLES)[Table]][]) {
    const tableName = db.name(table);
    if (have.has(tableName)) {
      existing.push(tableName);
      continue;
    }
    try {
      await db.call('CreateTable', tableName, false, () =>
        db.client.createTable({
          tableMeta: { tableName, primaryKey: pk.map(([name, type]) => ({ name, type })) },
          reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
          tableOptions: { timeToLive: -1, maxVersions: 1 },
        }));
      created.push(tableName);
    } catch (e) {
      // another process created it meanwhile
      if (!(e instanceof TablestoreError && e.code === 'OTSObjectAlreadyExist')) throw e;
      existing.push(tableName);
    }
  }
  await waitUntilServing(db, created);
  return { created, existing };
}

/** A new table may refuse requests for a few seconds: probe each with a one-row read until it answers. */
async function waitUntilServing(db: Tables, tableNames: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const tableName of tableNames) {
    const table = tableName.slice(db.prefix.length) as Table;
    const pk = TABLES[table].map(([n]) => n);
    for (let attempt = 0; ; attempt++) {
      try {
        await db.client.getRange({
          tableName, direction: 'FORWARD', maxVersions: 1, limit: 1,
          inclusiveStartPrimaryKey: pk.map((n) => col(n, TableStore.INF_MIN)),
          exclusiveEndPrimaryKey: pk.map((n) => col(n, TableStore.INF_MAX)),
        });
        break;
      } catch (e) {
        const { code, detail } = parseSdkError(e);
        if (!RETRY_ANY.test(code) || Date.now() > deadline) throw new TablestoreError('GetRange', tableName, code, detail);
        await sleep(Math.min(2000, 250 * 2 ** attempt));
      }
    }
  }
}

/** Creates the missing tables (for `changeflow setup`). A new table may take seconds to accept writes. */
export async function setupTablestore(opts: TablestoreStoreOptions): Promise<{ created: string[]; existing: string[] }> {
  return ensureTables(connect(opts));
}

export async function openTablestoreStore(opts: TablestoreStoreOptions): Promise<Store> {
  const db = connect(opts);
  if (opts.createTables ?? true) await ensureTables(db);
  return new TablestoreStore(db);
}
