// The emulator's data model: tables of rows sorted by primary key the way Tablestore sorts them
// (column by column; within a column integer < string < binary; strings and binaries by bytes), cells
// with versions, and the evaluation of row conditions and column filters.

import { OtsError, invalid } from './errors.ts';
import { decodeVariant, pbFilter, type CellChange, type KeyValue, type OutCell, type PkColumn, type Value } from './wire.ts';

export type PkType = 'INTEGER' | 'STRING' | 'BINARY';
export interface PkSchema { name: string; type: PkType; autoIncrement: boolean }

export interface TableMeta {
  name: string;
  primaryKey: PkSchema[];
  maxVersions: number;
  timeToLive: number;
  reservedRead: number;
  reservedWrite: number;
  createdAt: number;
}

interface Version { ts: number; value: Value }
export interface StoredRow { pk: PkColumn[]; key: Buffer; cols: Map<string, Version[]> }

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
export const validName = (name: string): boolean => NAME.test(name);

const MAX_PK_BYTES = 1024;
const MAX_CELL_BYTES = 2 * 1024 * 1024;

const valueBytes = (v: Value | KeyValue): number =>
  v.type === 'string' ? Buffer.byteLength(v.value) : v.type === 'binary' ? v.value.length : v.type === 'boolean' ? 1 : 8;

// primary key order: an encoding whose byte order is Tablestore's order, so one Buffer.compare decides

function escape(bytes: Buffer): Buffer {
  const out: number[] = [];
  for (const b of bytes) out.push(...(b === 0 ? [0, 0xff] : [b]));
  return Buffer.from([...out, 0, 0]);
}

export function encodeKey(pk: KeyValue[]): Buffer {
  const parts = pk.map((v) => {
    switch (v.type) {
      case 'inf_min': return Buffer.from([0x00]);
      case 'inf_max': return Buffer.from([0xff]);
      case 'integer': {
        const b = Buffer.alloc(9);
        b[0] = 1;
        b.writeBigUInt64BE(BigInt.asUintN(64, v.value + (1n << 63n)), 1);
        return b;
      }
      case 'string': return Buffer.concat([Buffer.from([2]), escape(Buffer.from(v.value, 'utf8'))]);
      case 'binary': return Buffer.concat([Buffer.from([3]), escape(v.value)]);
      default: throw invalid('auto increment is only allowed when writing a row');
    }
  });
  return Buffer.concat(parts);
}

/** Checks a primary key against the schema; `bounds` allows INF_MIN/INF_MAX (GetRange). */
export function checkPrimaryKey(meta: TableMeta, pk: PkColumn[], bounds = false): void {
  if (pk.length !== meta.primaryKey.length) throw invalid('The number of primary key columns must be the same as the table schema.');
  pk.forEach((col, i) => {
    const schema = meta.primaryKey[i];
    if (col.name !== schema.name) throw invalid(`Validate PK name fail. Input: ${col.name}, Meta: ${schema.name}.`);
    const t = col.value.type;
    if (t === 'inf_min' || t === 'inf_max') {
      if (!bounds) throw invalid('INF_MIN and INF_MAX are only allowed in a range.');
      return;
    }
    if (t === 'auto_increment') {
      if (bounds || !schema.autoIncrement) throw invalid(`Column ${col.name} is not an auto increment column.`);
      return;
    }
    if (t.toUpperCase() !== schema.type) throw invalid(`Validate PK type fail. Input: ${t.toUpperCase()}, Meta: ${schema.type}.`);
    if (valueBytes(col.value) > MAX_PK_BYTES) throw invalid(`The length of primary key column ${col.name} exceeds ${MAX_PK_BYTES}.`);
  });
}

export class Table {
  /** sorted by key */
  private rows: StoredRow[] = [];
  private byKey = new Map<string, StoredRow>();
  private autoIncrement = 0n;

  constructor(readonly meta: TableMeta) {}

  get size(): number {
    return this.rows.length;
  }

  /** Replaces PK_AUTO_INCR by a fresh increasing value (writes only). */
  resolveKey(pk: PkColumn[]): PkColumn[] {
    return pk.map((c) =>
      c.value.type === 'auto_increment' ? { name: c.name, value: { type: 'integer', value: BigInt(Date.now()) * 1000n + this.autoIncrement++ } } : c,
    );
  }

  get(pk: PkColumn[]): StoredRow | undefined {
    return this.byKey.get(encodeKey(pk.map((c) => c.value)).toString('latin1'));
  }

  /** Index of the first row whose key is >= key. */
  private lowerBound(key: Buffer): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (Buffer.compare(this.rows[mid].key, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  put(row: StoredRow): void {
    const id = row.key.toString('latin1');
    const existing = this.byKey.get(id);
    if (existing) {
      existing.cols = row.cols;
      return;
    }
    this.rows.splice(this.lowerBound(row.key), 0, row);
    this.byKey.set(id, row);
  }

  remove(row: StoredRow): void {
    const id = row.key.toString('latin1');
    if (!this.byKey.delete(id)) return;
    this.rows.splice(this.lowerBound(row.key), 1);
  }

  /** Rows from start (inclusive) towards end (exclusive), in the given direction. */
  *range(start: Buffer, end: Buffer, backward: boolean): Generator<StoredRow> {
    if (!backward) {
      for (let i = this.lowerBound(start); i < this.rows.length && Buffer.compare(this.rows[i].key, end) < 0; i++) yield this.rows[i];
    } else {
      let i = this.lowerBound(start);
      if (i >= this.rows.length || Buffer.compare(this.rows[i].key, start) > 0) i--;
      for (; i >= 0 && Buffer.compare(this.rows[i].key, end) > 0; i--) yield this.rows[i];
    }
  }

  clear(): void {
    this.rows = [];
    this.byKey.clear();
  }
}

// writes

export function checkCells(cells: CellChange[], meta: TableMeta, update: boolean): void {
  if (cells.length > 1024) throw invalid('The number of attribute columns exceeds the limit of 1024.');
  for (const c of cells) {
    if (!validName(c.name)) throw invalid(`Invalid column name: '${c.name}'.`);
    if (meta.primaryKey.some((p) => p.name === c.name)) throw invalid(`Column ${c.name} is a primary key column.`);
    if (!update && c.op !== 'put') throw invalid('PutRow only puts cells.');
    if ((c.op === 'put' || c.op === 'increment') && !c.value) throw invalid(`Column ${c.name} has no value.`);
    if (c.value && valueBytes(c.value) > MAX_CELL_BYTES) throw invalid(`The length of attribute column ${c.name} exceeds ${MAX_CELL_BYTES}.`);
    if (c.op === 'increment' && (c.value?.type !== 'integer' || c.timestamp !== undefined)) {
      throw invalid(`Increment of ${c.name} needs an integer value and no timestamp.`);
    }
    if (c.op === 'delete_one' && c.timestamp === undefined) throw invalid(`Deleting one version of ${c.name} needs its timestamp.`);
  }
}

const addVersion = (versions: Version[], v: Version, max: number): Version[] =>
  [v, ...versions.filter((x) => x.ts !== v.ts)].sort((a, b) => b.ts - a.ts).slice(0, max);

export function newRow(table: Table, pk: PkColumn[], cells: CellChange[], now: number): StoredRow {
  checkCells(cells, table.meta, false);
  const cols = new Map<string, Version[]>();
  for (const c of cells) cols.set(c.name, addVersion(cols.get(c.name) ?? [], { ts: c.timestamp ?? now, value: c.value! }, table.meta.maxVersions));
  return { pk, key: encodeKey(pk.map((p) => p.value)), cols };
}

/** Applies an UpdateRow's cells; returns the new values of incremented columns. */
export function updateRow(table: Table, pk: PkColumn[], existing: StoredRow | undefined, cells: CellChange[], now: number): { row: StoredRow; incremented: OutCell[] } {
  checkCells(cells, table.meta, true);
  const cols = new Map(existing?.cols ?? []);
  const incremented: OutCell[] = [];
  for (const c of cells) {
    const versions = cols.get(c.name) ?? [];
    switch (c.op) {
      case 'put':
        cols.set(c.name, addVersion(versions, { ts: c.timestamp ?? now, value: c.value! }, table.meta.maxVersions));
        break;
      case 'delete_all':
        cols.delete(c.name);
        break;
      case 'delete_one':
        cols.set(c.name, versions.filter((v) => v.ts !== c.timestamp));
        if (cols.get(c.name)!.length === 0) cols.delete(c.name);
        break;
      case 'increment': {
        const current = versions[0]?.value ?? { type: 'integer', value: 0n };
        if (current.type !== 'integer') throw invalid(`Column ${c.name} is not an integer: cannot increment it.`);
        const value: Value = { type: 'integer', value: BigInt.asIntN(64, current.value + (c.value as { value: bigint }).value) };
        cols.set(c.name, addVersion(versions, { ts: now, value }, table.meta.maxVersions));
        incremented.push({ name: c.name, value, timestamp: now });
        break;
      }
    }
  }
  return { row: { pk, key: existing?.key ?? encodeKey(pk.map((p) => p.value)), cols }, incremented };
}

// reads

export interface ReadOptions {
  columnsToGet: string[];
  maxVersions?: number;
  timeRange?: { start?: number; end?: number; specific?: number };
  filter?: Uint8Array;
}

/**
 * The cells a read returns, or undefined when the filter drops the row. A row with none of the wanted
 * columns still comes back, with its primary key only (the service documents this for GetRow).
 */
export function project(row: StoredRow, opts: ReadOptions): OutCell[] | undefined {
  if (opts.filter && opts.filter.length > 0 && !evalFilter(opts.filter, row)) return undefined;
  const wanted = opts.columnsToGet.length > 0 ? new Set(opts.columnsToGet) : undefined;
  const tr = opts.timeRange;
  const inRange = (ts: number) =>
    !tr ? true : tr.specific !== undefined ? ts === tr.specific : (tr.start ?? 0) <= ts && ts < (tr.end ?? Number.MAX_SAFE_INTEGER);
  const out: OutCell[] = [];
  for (const [name, versions] of row.cols) {
    if (wanted && !wanted.has(name)) continue;
    for (const v of versions.filter((x) => inRange(x.ts)).slice(0, opts.maxVersions ?? 1)) out.push({ name, value: v.value, timestamp: v.ts });
  }
  return out;
}

// conditions and filters

/** Compares two values of the same type; undefined when the types differ (the comparison then fails). */
function compare(a: Value, b: Value): number | undefined {
  if (a.type !== b.type) return undefined;
  switch (a.type) {
    case 'integer': return a.value < (b.value as bigint) ? -1 : a.value > (b.value as bigint) ? 1 : 0;
    case 'double': return Math.sign(a.value - (b.value as number));
    case 'boolean': return Number(a.value) - Number(b.value as boolean);
    case 'string': return Buffer.compare(Buffer.from(a.value), Buffer.from(b.value as string));
    case 'binary': return Buffer.compare(a.value, b.value as Buffer);
  }
}

const COMPARATORS: Record<number, (c: number) => boolean> = {
  1: (c) => c === 0, 2: (c) => c !== 0, 3: (c) => c > 0, 4: (c) => c >= 0, 5: (c) => c < 0, 6: (c) => c <= 0,
};

/** Evaluates a serialized filter.proto.Filter against a row (a missing row has no columns). */
export function evalFilter(bytes: Uint8Array, row: StoredRow | undefined): boolean {
  let filter: Record<string, any>;
  try {
    filter = pbFilter.Filter.decode(bytes);
  } catch (e) {
    throw invalid(`Invalid column condition: ${(e as Error).message}`);
  }
  const FT = pbFilter.FilterType;
  if (filter.type === FT.FT_SINGLE_COLUMN_VALUE) {
    const f = pbFilter.SingleColumnValueFilter.decode(filter.filter);
    const test = COMPARATORS[f.comparator];
    if (!test) throw invalid(`Invalid comparator ${f.comparator}.`);
    const expected = decodeVariant(Buffer.from(f.columnValue)) as Value;
    const versions = row?.cols.get(f.columnName) ?? [];
    if (versions.length === 0) return !f.filterIfMissing;
    const candidates = f.latestVersionOnly ? versions.slice(0, 1) : versions;
    return candidates.some((v) => {
      const c = compare(v.value, expected);
      return c !== undefined && test(c);
    });
  }
  if (filter.type === FT.FT_COMPOSITE_COLUMN_VALUE) {
    const f = pbFilter.CompositeColumnValueFilter.decode(filter.filter);
    const subs: Uint8Array[] = f.subFilters.map((s: Record<string, unknown>) => pbFilter.Filter.encode(s).finish());
    const LO = pbFilter.LogicalOperator;
    if (f.combinator === LO.LO_NOT) {
      if (subs.length !== 1) throw invalid('NOT takes exactly one sub condition.');
      return !evalFilter(subs[0], row);
    }
    if (subs.length < 2) throw invalid('AND and OR take at least two sub conditions.');
    if (f.combinator === LO.LO_AND) return subs.every((s) => evalFilter(s, row));
    if (f.combinator === LO.LO_OR) return subs.some((s) => evalFilter(s, row));
    throw invalid(`Invalid logical operator ${f.combinator}.`);
  }
  throw invalid(`Unsupported filter type ${filter.type} in a condition.`);
}

const EXISTENCE = { IGNORE: 0, EXPECT_EXIST: 1, EXPECT_NOT_EXIST: 2 } as const;

/** Throws OTSConditionCheckFail unless the row satisfies the condition (a decoded main.proto.Condition). */
export function checkCondition(condition: { rowExistence: number; columnCondition?: Uint8Array } | undefined, row: StoredRow | undefined): void {
  if (!condition) throw invalid('The condition is required.');
  const e = condition.rowExistence;
  if (e !== EXISTENCE.IGNORE && e !== EXISTENCE.EXPECT_EXIST && e !== EXISTENCE.EXPECT_NOT_EXIST) throw invalid(`Invalid row existence ${e}.`);
  const fail = () => new OtsError(403, 'OTSConditionCheckFail', 'Condition check failed.');
  if (e === EXISTENCE.EXPECT_EXIST && !row) throw fail();
  if (e === EXISTENCE.EXPECT_NOT_EXIST && row) throw fail();
  if (condition.columnCondition && condition.columnCondition.length > 0 && !evalFilter(condition.columnCondition, row)) throw fail();
}
