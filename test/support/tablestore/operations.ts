// The emulated operations: each turns a protobuf request body into a protobuf response body, or throws
// an OtsError carrying the status and code the service would answer with.

import { OtsError, invalid, notExist } from './errors.ts';
import {
  Table, checkCells, checkCondition, checkPrimaryKey, encodeKey, newRow, project, updateRow, validName,
  type PkType, type ReadOptions, type StoredRow,
} from './model.ts';
import { WireError, pb, readRowChange, writePrimaryKey, writeRow, writeRows, type MessageClass, type OutCell, type PkColumn, type RowChange } from './wire.ts';

export interface EmulatorStats {
  /** requests per operation, answered with success or error */
  operations: Record<string, number>;
  /** error answers per error code */
  errors: Record<string, number>;
  rowsRead: number;
  rowsWritten: number;
}

export const emptyStats = (): EmulatorStats => ({ operations: {}, errors: {}, rowsRead: 0, rowsWritten: 0 });

export class Instance {
  readonly tables = new Map<string, Table>();
  private pages = 0;

  constructor(
    readonly stats: EmulatorStats,
    private readonly shortPages: boolean,
  ) {}

  table(name: string): Table {
    const t = this.tables.get(name);
    if (!t) throw notExist();
    return t;
  }

  /** Rows one GetRange page may return: as asked, or deliberately fewer (0, 1 or 2) with `shortPages`. */
  pageCap(limit: number): number {
    return this.shortPages ? Math.min(limit, [1, 0, 2][this.pages++ % 3]) : limit;
  }
}

const MAX_RANGE_ROWS = 5000;
const MAX_RANGE_BYTES = 4 * 1024 * 1024;
const MAX_BATCH_WRITE = 200;
const MAX_BATCH_GET = 100;
const PK_TYPES: Record<number, PkType> = { 1: 'INTEGER', 2: 'STRING', 3: 'BINARY' };
const ReturnType = { RT_NONE: 0, RT_PK: 1, RT_AFTER_MODIFY: 2 };

function decode(cls: MessageClass, body: Buffer, what: string): Record<string, any> {
  try {
    return cls.decode(body);
  } catch (e) {
    throw invalid(`Malformed ${what}: ${(e as Error).message}`);
  }
}

function rowChange(bytes: Uint8Array | undefined): RowChange {
  if (!bytes || bytes.length === 0) throw invalid('The row is empty.');
  try {
    return readRowChange(bytes);
  } catch (e) {
    if (e instanceof WireError) throw invalid(`Invalid plainbuffer: ${e.message}`);
    throw e;
  }
}

const consumed = (read: number, write: number) => ({ capacityUnit: { read, write } });
const encode = (cls: MessageClass, msg: Record<string, unknown>): Uint8Array => cls.encode(msg).finish();
/** protobufjs puts defaults on the prototype: only own properties were on the wire. */
const has = (msg: Record<string, any> | null | undefined, field: string): boolean => msg != null && Object.hasOwn(msg, field);
const field = (msg: Record<string, any>, name: string): number | undefined => (has(msg, name) ? Number(String(msg[name])) : undefined);

function readOptions(req: Record<string, any>): ReadOptions {
  const tr = has(req, 'timeRange') ? req.timeRange : undefined;
  const timeRange = tr && { start: field(tr, 'startTime'), end: field(tr, 'endTime'), specific: field(tr, 'specificTime') };
  const maxVersions = field(req, 'maxVersions');
  if (maxVersions === undefined && !timeRange) throw invalid('Neither max_versions nor time_range is set.');
  if (maxVersions !== undefined && maxVersions < 1) throw invalid('max_versions must be positive.');
  return { columnsToGet: req.columnsToGet ?? [], maxVersions, timeRange, filter: has(req, 'filter') ? req.filter : undefined };
}

const returned = (req: Record<string, any>) => (has(req, 'returnContent') ? req.returnContent : undefined);

type WriteKind = 'PUT' | 'UPDATE' | 'DELETE';

/** A validated single-row write, ready to be applied against the row's current state. */
interface Write { table: Table; kind: WriteKind; pk: PkColumn[]; change: RowChange; condition: any; returnContent?: any }

function prepareWrite(table: Table, kind: WriteKind, change: RowChange, condition: any, returnContent?: any): Write {
  checkPrimaryKey(table.meta, change.primaryKey);
  if (kind === 'DELETE' && change.cells.length > 0) throw invalid('DeleteRow takes no columns.');
  if (kind !== 'DELETE' && change.deleteMarker) throw invalid('Only DeleteRow carries a delete marker.');
  if (kind === 'DELETE' && change.primaryKey.some((c) => c.value.type === 'auto_increment')) throw invalid('DeleteRow needs the whole primary key.');
  if (kind !== 'DELETE') checkCells(change.cells, table.meta, kind === 'UPDATE');
  return { table, kind, pk: table.resolveKey(change.primaryKey), change, condition, returnContent };
}

/** Applies one write: validation first (400), then the condition (403), then the change. */
function applyWrite(db: Instance, w: Write): Buffer | undefined {
  const now = Date.now();
  const existing = w.table.get(w.pk);
  let row: StoredRow | undefined;
  let incremented: OutCell[] = [];
  if (w.kind === 'PUT') row = newRow(w.table, w.pk, w.change.cells, now);
  else if (w.kind === 'UPDATE') ({ row, incremented } = updateRow(w.table, w.pk, existing, w.change.cells, now));
  checkCondition(w.condition, existing);
  if (w.kind === 'DELETE' || (w.kind === 'UPDATE' && row!.cols.size === 0)) {
    if (existing) w.table.remove(existing);
  } else {
    w.table.put(row!);
  }
  db.stats.rowsWritten += 1;
  const type = has(w.returnContent, 'returnType') ? w.returnContent.returnType : undefined;
  if (type === ReturnType.RT_PK) return writeRow(w.pk, []);
  if (type === ReturnType.RT_AFTER_MODIFY) {
    const names: string[] = w.returnContent.returnColumnNames ?? [];
    return writeRow(w.pk, incremented.filter((c) => names.length === 0 || names.includes(c.name)));
  }
  return undefined;
}

function readRow(db: Instance, table: Table, pk: PkColumn[], opts: ReadOptions): Buffer {
  const row = table.get(pk);
  const cells = row && project(row, opts);
  if (!row || !cells) return Buffer.alloc(0);
  db.stats.rowsRead += 1;
  return writeRow(row.pk, cells);
}

type Handler = (db: Instance, body: Buffer) => Uint8Array;

export const OPERATIONS: Record<string, Handler> = {
  CreateTable(db, body) {
    const req = decode(pb.CreateTableRequest, body, 'CreateTableRequest');
    const meta = req.tableMeta;
    if (!validName(meta.tableName)) throw invalid(`Invalid table name: '${meta.tableName}'.`);
    const pk = ((meta.primaryKey ?? []) as { name: string; type: number; option?: number }[])
      .map((p) => ({ name: p.name, type: p.type, autoIncrement: has(p, 'option') && p.option === 1 }));
    if (pk.length < 1 || pk.length > 4) throw invalid('The number of primary key columns must be in range: [1, 4].');
    if (new Set(pk.map((p) => p.name)).size !== pk.length) throw invalid('Duplicated primary key name.');
    for (const [i, p] of pk.entries()) {
      if (!validName(p.name)) throw invalid(`Invalid primary key name: '${p.name}'.`);
      if (!PK_TYPES[p.type]) throw invalid(`Invalid primary key type ${p.type}.`);
      if (p.autoIncrement && (i === 0 || PK_TYPES[p.type] !== 'INTEGER')) throw invalid('Only a non-partition INTEGER key can auto increment.');
    }
    const opts = has(req, 'tableOptions') ? req.tableOptions : undefined;
    const maxVersions = opts && field(opts, 'maxVersions');
    const timeToLive = opts && field(opts, 'timeToLive');
    if (maxVersions === undefined || timeToLive === undefined) throw invalid('table_options must set time_to_live and max_versions.');
    if (maxVersions < 1) throw invalid('max_versions must be positive.');
    if (timeToLive !== -1 && timeToLive < 86400) throw invalid('time_to_live must be -1 or at least 86400 seconds.');
    if (db.tables.has(meta.tableName)) throw new OtsError(409, 'OTSObjectAlreadyExist', 'Requested table already exists.');
    db.tables.set(meta.tableName, new Table({
      name: meta.tableName,
      primaryKey: pk.map((p) => ({ name: p.name, type: PK_TYPES[p.type], autoIncrement: p.autoIncrement })),
      maxVersions,
      timeToLive,
      reservedRead: req.reservedThroughput.capacityUnit.read ?? 0,
      reservedWrite: req.reservedThroughput.capacityUnit.write ?? 0,
      createdAt: Math.floor(Date.now() / 1000),
    }));
    return encode(pb.CreateTableResponse, {});
  },

  ListTable(db) {
    return encode(pb.ListTableResponse, { tableNames: [...db.tables.keys()].sort() });
  },

  DescribeTable(db, body) {
    const { meta } = db.table(decode(pb.DescribeTableRequest, body, 'DescribeTableRequest').tableName);
    const types = Object.fromEntries(Object.entries(PK_TYPES).map(([k, v]) => [v, Number(k)]));
    return encode(pb.DescribeTableResponse, {
      tableMeta: { tableName: meta.name, primaryKey: meta.primaryKey.map((p) => ({ name: p.name, type: types[p.type], ...(p.autoIncrement ? { option: 1 } : {}) })) },
      reservedThroughputDetails: { capacityUnit: { read: meta.reservedRead, write: meta.reservedWrite }, lastIncreaseTime: meta.createdAt },
      tableOptions: { timeToLive: meta.timeToLive, maxVersions: meta.maxVersions, deviationCellVersionInSec: 86400, allowUpdate: true },
      tableStatus: pb.TableStatus.ACTIVE,
    });
  },

  DeleteTable(db, body) {
    const name = decode(pb.DeleteTableRequest, body, 'DeleteTableRequest').tableName;
    db.table(name);
    db.tables.delete(name);
    return encode(pb.DeleteTableResponse, {});
  },

  PutRow(db, body) {
    const req = decode(pb.PutRowRequest, body, 'PutRowRequest');
    const row = applyWrite(db, prepareWrite(db.table(req.tableName), 'PUT', rowChange(req.row), req.condition, returned(req)));
    return encode(pb.PutRowResponse, { consumed: consumed(0, 1), ...(row ? { row } : {}) });
  },

  UpdateRow(db, body) {
    const req = decode(pb.UpdateRowRequest, body, 'UpdateRowRequest');
    const row = applyWrite(db, prepareWrite(db.table(req.tableName), 'UPDATE', rowChange(req.rowChange), req.condition, returned(req)));
    return encode(pb.UpdateRowResponse, { consumed: consumed(0, 1), ...(row ? { row } : {}) });
  },

  DeleteRow(db, body) {
    const req = decode(pb.DeleteRowRequest, body, 'DeleteRowRequest');
    const row = applyWrite(db, prepareWrite(db.table(req.tableName), 'DELETE', rowChange(req.primaryKey), req.condition, returned(req)));
    return encode(pb.DeleteRowResponse, { consumed: consumed(0, 1), ...(row ? { row } : {}) });
  },

  GetRow(db, body) {
    const req = decode(pb.GetRowRequest, body, 'GetRowRequest');
    const table = db.table(req.tableName);
    const pk = rowChange(req.primaryKey).primaryKey;
    checkPrimaryKey(table.meta, pk);
    const row = readRow(db, table, pk, readOptions(req));
    return encode(pb.GetRowResponse, { consumed: consumed(1, 0), row });
  },

  GetRange(db, body) {
    const req = decode(pb.GetRangeRequest, body, 'GetRangeRequest');
    const table = db.table(req.tableName);
    const opts = readOptions(req);
    const start = rowChange(req.inclusiveStartPrimaryKey).primaryKey;
    const end = rowChange(req.exclusiveEndPrimaryKey).primaryKey;
    checkPrimaryKey(table.meta, start, true);
    checkPrimaryKey(table.meta, end, true);
    const backward = req.direction === pb.Direction.BACKWARD;
    const [startKey, endKey] = [encodeKey(start.map((c) => c.value)), encodeKey(end.map((c) => c.value))];
    const order = Buffer.compare(startKey, endKey);
    if (!backward && order >= 0) throw invalid('Begin key must less than end key in FORWARD.');
    if (backward && order <= 0) throw invalid('Begin key must more than end key in BACKWARD.');
    const limit = field(req, 'limit');
    if (limit !== undefined && limit <= 0) throw invalid('The limit must be positive.');
    const cap = db.pageCap(Math.min(limit ?? MAX_RANGE_ROWS, MAX_RANGE_ROWS));
    const rows: Buffer[] = [];
    let bytes = 0;
    let next: PkColumn[] | undefined;
    for (const row of table.range(startKey, endKey, backward)) {
      if (rows.length >= cap || bytes >= MAX_RANGE_BYTES) {
        next = row.pk;
        break;
      }
      const cells = project(row, opts);
      if (!cells) continue;
      const out = writeRow(row.pk, cells);
      rows.push(out);
      bytes += out.length;
    }
    db.stats.rowsRead += rows.length;
    return encode(pb.GetRangeResponse, {
      consumed: consumed(Math.max(1, Math.ceil(bytes / 4096)), 0),
      rows: writeRows(rows),
      ...(next ? { nextStartPrimaryKey: writePrimaryKey(next) } : {}),
    });
  },

  BatchGetRow(db, body) {
    const req = decode(pb.BatchGetRowRequest, body, 'BatchGetRowRequest');
    const tables = (req.tables ?? []) as Record<string, any>[];
    const count = tables.reduce((n, t) => n + (t.primaryKey?.length ?? 0), 0);
    if (count === 0) throw invalid('No row specified in the request of BatchGetRow.');
    if (count > MAX_BATCH_GET) throw invalid(`Rows count exceeds the upper limit: ${MAX_BATCH_GET}.`);
    // validate everything before reading anything
    const plan = tables.map((t) => {
      const table = db.table(t.tableName);
      const opts = readOptions(t);
      const pks = (t.primaryKey as Uint8Array[]).map((bytes) => {
        const pk = rowChange(bytes).primaryKey;
        checkPrimaryKey(table.meta, pk);
        return pk;
      });
      return { table, opts, pks };
    });
    return encode(pb.BatchGetRowResponse, {
      tables: plan.map(({ table, opts, pks }) => ({
        tableName: table.meta.name,
        rows: pks.map((pk) => ({ isOk: true, consumed: consumed(1, 0), row: readRow(db, table, pk, opts) })),
      })),
    });
  },

  BatchWriteRow(db, body) {
    const req = decode(pb.BatchWriteRowRequest, body, 'BatchWriteRowRequest');
    const tables = (req.tables ?? []) as Record<string, any>[];
    const count = tables.reduce((n, t) => n + (t.rows?.length ?? 0), 0);
    if (count === 0) throw invalid('No row specified in the request of BatchWriteRow.');
    if (count > MAX_BATCH_WRITE) throw invalid(`Rows count exceeds the upper limit: ${MAX_BATCH_WRITE}.`);
    const kinds: Record<number, WriteKind> = { 1: 'PUT', 2: 'UPDATE', 3: 'DELETE' };
    // the whole request is validated first; then each row succeeds or fails alone (not atomic)
    const plan = tables.map((t) => {
      const table = db.table(t.tableName);
      const seen = new Set<string>();
      const writes = (t.rows as Record<string, any>[]).map((r) => {
        const kind = kinds[r.type];
        if (!kind) throw invalid(`Invalid operation type ${r.type}.`);
        const w = prepareWrite(table, kind, rowChange(r.rowChange), has(r, 'condition') ? r.condition : undefined, returned(r));
        const id = encodeKey(w.pk.map((c) => c.value)).toString('latin1');
        if (seen.has(id)) throw invalid('Duplicated primary key in the request of BatchWriteRow.');
        seen.add(id);
        return w;
      });
      return { table, writes };
    });
    return encode(pb.BatchWriteRowResponse, {
      tables: plan.map(({ table, writes }) => ({
        tableName: table.meta.name,
        rows: writes.map((w) => {
          try {
            const row = applyWrite(db, w);
            return { isOk: true, consumed: consumed(0, 1), ...(row ? { row } : {}) };
          } catch (e) {
            if (!(e instanceof OtsError)) throw e;
            db.stats.errors[e.code] = (db.stats.errors[e.code] ?? 0) + 1;
            return { isOk: false, error: { code: e.code, message: e.message } };
          }
        }),
      })),
    });
  },
};
