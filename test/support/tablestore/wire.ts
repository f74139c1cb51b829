// The emulator's wire layer: the SDK's own protobuf classes and plainbuffer row writer (so responses are
// byte-for-byte what the SDK expects, CRC8 checksums included), plus an own plainbuffer reader for
// requests — the SDK's reader cannot decode delete/increment cells or INF_MIN/INF_MAX keys, and its
// request buffers may end in zero bytes left over from over-estimated sizes.

import { createRequire } from 'node:module';
import TableStore from 'tablestore';

const require = createRequire(import.meta.url);

/** A protobufjs message class as generated in tablestore_compiled_proto.js. */
export interface MessageClass {
  decode(buf: Uint8Array): Record<string, any>;
  encode(msg: Record<string, unknown>): { finish(): Uint8Array };
  create(props?: Record<string, unknown>): Record<string, unknown>;
}
type ProtoNamespace = Record<string, MessageClass> & Record<string, any>;
const compiled = require('tablestore/lib/protocol/tablestore_compiled_proto.js') as { main: { proto: ProtoNamespace }; filter: { proto: ProtoNamespace } };
export const pb = compiled.main.proto;
export const pbFilter = compiled.filter.proto;

/** The SDK internals the emulator reuses; none of them are in @types/tablestore. */
interface SdkInternals {
  PlainBufferBuilder: {
    serializeForPutRow(pk: Record<string, unknown>[], attrs: Record<string, unknown>[]): Buffer;
    serializePrimaryKey(pk: Record<string, unknown>[]): Buffer;
  };
  plainBufferCrc8: { update(crc: number, bytes: Buffer): number; crcInt8(crc: number, byte: number): number };
}
const sdk = TableStore as unknown as SdkInternals;
/** The int64-buffer class the SDK's writer recognises integers by (`instanceof`). */
const Int64LE = Object.getPrototypeOf(TableStore.Long.fromNumber(0)).constructor as new (buf: Buffer) => object;

export type Value =
  | { type: 'integer'; value: bigint }
  | { type: 'double'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'binary'; value: Buffer };
export type KeyValue = Extract<Value, { type: 'integer' | 'string' | 'binary' }> | { type: 'inf_min' | 'inf_max' | 'auto_increment' };
export interface PkColumn { name: string; value: KeyValue }
export type CellOp = 'put' | 'delete_one' | 'delete_all' | 'increment';
export interface CellChange { name: string; op: CellOp; value?: Value; timestamp?: number }
export interface RowChange { primaryKey: PkColumn[]; cells: CellChange[]; deleteMarker: boolean }

/** A malformed request: the service answers 400 OTSParameterInvalid. */
export class WireError extends Error {}

const HEADER = 0x75;
const TAG = { ROW_PK: 1, ROW_DATA: 2, CELL: 3, CELL_NAME: 4, CELL_VALUE: 5, CELL_TYPE: 6, CELL_TIMESTAMP: 7, DELETE_MARKER: 8, ROW_CHECKSUM: 9, CELL_CHECKSUM: 10 } as const;
const VT = { INTEGER: 0, DOUBLE: 1, BOOLEAN: 2, STRING: 3, BLOB: 7, INF_MIN: 9, INF_MAX: 10, AUTO_INCREMENT: 11 } as const;
const OP: Record<number, CellOp> = { 1: 'delete_all', 3: 'delete_one', 4: 'increment' };

const crc8 = (crc: number, bytes: Buffer): number => sdk.plainBufferCrc8.update(crc, bytes);
const crcByte = (crc: number, byte: number): number => sdk.plainBufferCrc8.crcInt8(crc, byte);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  take(n: number): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) throw new WireError('plainbuffer is truncated');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  byte(): number {
    return this.take(1)[0];
  }
  u32(): number {
    return this.take(4).readUInt32LE(0);
  }
}

/** Decodes a variant (type byte + payload), as in a cell value or a column condition's value. */
export function decodeVariant(bytes: Buffer): Value | KeyValue {
  const r = new Reader(bytes);
  const type = r.byte();
  switch (type) {
    case VT.INTEGER: return { type: 'integer', value: r.take(8).readBigInt64LE(0) };
    case VT.DOUBLE: return { type: 'double', value: r.take(8).readDoubleLE(0) };
    case VT.BOOLEAN: return { type: 'boolean', value: r.byte() !== 0 };
    case VT.STRING: return { type: 'string', value: r.take(r.u32()).toString('utf8') };
    case VT.BLOB: return { type: 'binary', value: Buffer.from(r.take(r.u32())) };
    case VT.INF_MIN: return { type: 'inf_min' };
    case VT.INF_MAX: return { type: 'inf_max' };
    case VT.AUTO_INCREMENT: return { type: 'auto_increment' };
    default: throw new WireError(`unsupported value type ${type}`);
  }
}

/** Reads one cell after its TAG_CELL; returns it with its checksum and the tag that follows it. */
function readCell(r: Reader, isPk: boolean): { cell: CellChange; crc: number; next: number } {
  if (r.byte() !== TAG.CELL_NAME) throw new WireError('expected a cell name');
  const nameBytes = r.take(r.u32());
  const name = nameBytes.toString('utf8');
  let valueBytes: Buffer | undefined;
  let tsBytes: Buffer | undefined;
  let op: number | undefined;
  let tag = r.byte();
  if (tag === TAG.CELL_VALUE) {
    valueBytes = r.take(r.u32());
    tag = r.byte();
  }
  for (;;) {
    if (tag === TAG.CELL_TYPE && op === undefined && !isPk) op = r.byte();
    else if (tag === TAG.CELL_TIMESTAMP && tsBytes === undefined && !isPk) tsBytes = r.take(8);
    else break;
    tag = r.byte();
  }
  if (tag !== TAG.CELL_CHECKSUM) throw new WireError(`expected a cell checksum, got tag ${tag}`);
  // checksum order is fixed whatever the wire order: name, value, timestamp, operation
  let crc = crc8(0, nameBytes);
  if (valueBytes) crc = crc8(crc, valueBytes);
  if (tsBytes) crc = crc8(crc, tsBytes);
  if (op !== undefined) crc = crcByte(crc, op);
  if (r.byte() !== crc) throw new WireError(`checksum mismatch in cell ${name}`);
  const cell: CellChange = { name, op: op === undefined ? 'put' : OP[op] ?? 'put' };
  if (op !== undefined && !OP[op]) throw new WireError(`unknown cell operation ${op}`);
  if (valueBytes) cell.value = decodeVariant(valueBytes) as Value;
  if (tsBytes) cell.timestamp = Number(tsBytes.readBigInt64LE(0));
  return { cell, crc, next: r.byte() };
}

/** Decodes a request's row (primary key, cells, delete marker); trailing zero bytes are ignored. */
export function readRowChange(buf: Uint8Array): RowChange {
  const r = new Reader(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  if (r.u32() !== HEADER) throw new WireError('invalid plainbuffer header');
  let tag = r.byte();
  if (tag !== TAG.ROW_PK) throw new WireError('expected a primary key');
  const primaryKey: PkColumn[] = [];
  const cells: CellChange[] = [];
  let rowCrc = 0;
  tag = r.byte();
  while (tag === TAG.CELL) {
    const { cell, crc, next } = readCell(r, true);
    if (!cell.value) throw new WireError(`primary key column ${cell.name} has no value`);
    primaryKey.push({ name: cell.name, value: cell.value as KeyValue });
    rowCrc = crcByte(rowCrc, crc);
    tag = next;
  }
  if (tag === TAG.ROW_DATA) {
    tag = r.byte();
    while (tag === TAG.CELL) {
      const { cell, crc, next } = readCell(r, false);
      cells.push(cell);
      rowCrc = crcByte(rowCrc, crc);
      tag = next;
    }
  }
  const deleteMarker = tag === TAG.DELETE_MARKER;
  if (deleteMarker) tag = r.byte();
  rowCrc = crcByte(rowCrc, deleteMarker ? 1 : 0);
  if (tag !== TAG.ROW_CHECKSUM) throw new WireError(`expected a row checksum, got tag ${tag}`);
  if (r.byte() !== rowCrc) throw new WireError('row checksum mismatch');
  if (r.buf.subarray(r.pos).some((b) => b !== 0)) throw new WireError('unexpected bytes after the row');
  return { primaryKey, cells, deleteMarker };
}

// responses, written with the SDK's builder

function toSdk(v: Value | KeyValue): unknown {
  switch (v.type) {
    case 'integer': {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(v.value);
      return new Int64LE(b);
    }
    case 'inf_min': return (TableStore as unknown as { INF_MIN: unknown }).INF_MIN;
    case 'inf_max': return (TableStore as unknown as { INF_MAX: unknown }).INF_MAX;
    case 'auto_increment': throw new Error('auto_increment is not a stored value');
    default: return v.value;
  }
}

const sdkPk = (pk: PkColumn[]) => pk.map((c) => ({ [c.name]: toSdk(c.value) }));

export interface OutCell { name: string; value: Value; timestamp: number }

/** One row with its header, as GetRow, the batch results and write results carry it. */
export function writeRow(pk: PkColumn[], cells: OutCell[]): Buffer {
  // the builder takes {name: value, timestamp}: a column literally called "timestamp" would not survive
  const attrs = cells.map((c) => ({ [c.name]: toSdk(c.value), timestamp: c.timestamp }));
  return sdk.PlainBufferBuilder.serializeForPutRow(sdkPk(pk), attrs);
}

/** GetRange's rows: one header, then the rows without theirs. */
export function writeRows(rows: Buffer[]): Buffer {
  if (rows.length === 0) return Buffer.alloc(0);
  return Buffer.concat([rows[0].subarray(0, 4), ...rows.map((r) => r.subarray(4))]);
}

export const writePrimaryKey = (pk: PkColumn[]): Buffer => sdk.PlainBufferBuilder.serializePrimaryKey(sdkPk(pk));
