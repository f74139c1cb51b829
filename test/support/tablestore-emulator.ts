// A wire-compatible Tablestore emulator for tests and the bench: a local HTTP server the real `tablestore`
// SDK talks to. It checks the request signature and content MD5 like the service, answers in protobuf
// with plainbuffer rows (CRC8 checksums included), and keeps tables in memory. JavaScript runs one
// request handler at a time, so every row write is atomic and nothing else is.
//
// Emulated: CreateTable, ListTable, DescribeTable, DeleteTable, PutRow, GetRow, UpdateRow (PUT, DELETE,
// DELETE_ALL, INCREMENT), DeleteRow, GetRange (both directions, limit, next_start_primary_key), BatchGetRow
// (<= 100 rows), BatchWriteRow (<= 200 rows, per-row results, not atomic); row existence and column
// conditions (single and composite) on writes, column filters on reads; cell versions up to max_versions.
// Not emulated: TTL expiry, streams, search and secondary indexes, transactions, throttling.

import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OtsError, authFailed, invalid } from './tablestore/errors.ts';
import { Instance, OPERATIONS, emptyStats, type EmulatorStats } from './tablestore/operations.ts';
import { pb } from './tablestore/wire.ts';

export type { EmulatorStats } from './tablestore/operations.ts';

export interface TablestoreEmulatorOptions {
  /** 0 (the default) picks a free port */
  port?: number;
  accessKeyId?: string;
  accessKeySecret?: string;
  instanceName?: string;
  /** GetRange returns pages of 0 to 2 rows (with next_start_primary_key), as the service may */
  shortPages?: boolean;
}

export interface TablestoreEmulator {
  endpoint: string;
  instanceName: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** live counters: requests per operation, errors per code, rows read and written */
  readonly stats: EmulatorStats;
  /** zeroes the counters */
  resetStats(): void;
  /** drops every table */
  clear(): void;
  /** the next `n` requests of `operation` fail with 500 OTSInternalServerError (a fault mid-step) */
  failNext(operation: string, n: number): void;
  close(): Promise<void>;
}

const MAX_BODY = 5 * 1024 * 1024;
const MAX_WRITE_BODY = 4 * 1024 * 1024;
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const md5 = (body: Buffer): string => crypto.createHash('md5').update(body).digest('base64');

function header(req: http.IncomingMessage, name: string): string {
  const v = req.headers[name];
  if (typeof v !== 'string' || v === '') throw invalid(`Missing header: ${name}.`);
  return v;
}

/** The service's string to sign: "/Op\nPOST\n\n" and the sorted x-ots-* headers but the signature. */
function stringToSign(path: string, req: http.IncomingMessage): string {
  const lines = Object.entries(req.headers)
    .filter(([name]) => name.startsWith('x-ots-') && name !== 'x-ots-signature')
    .map(([name, value]) => `${name}:${Array.isArray(value) ? value.join(',') : value}`)
    .sort();
  return `${path}\nPOST\n\n${lines.join('\n')}\n`;
}

function authenticate(req: http.IncomingMessage, path: string, body: Buffer, opts: Required<Omit<TablestoreEmulatorOptions, 'port' | 'shortPages'>>): void {
  if (header(req, 'x-ots-apiversion') !== '2015-12-31') throw invalid('Unsupported x-ots-apiversion.');
  const date = Date.parse(header(req, 'x-ots-date'));
  if (Number.isNaN(date)) throw invalid('Invalid x-ots-date.');
  if (header(req, 'x-ots-accesskeyid') !== opts.accessKeyId) throw authFailed('The AccessKeyID does not exist.');
  const expected = crypto.createHmac('sha1', opts.accessKeySecret).update(stringToSign(path, req)).digest();
  const given = Buffer.from(header(req, 'x-ots-signature'), 'base64');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw authFailed('Signature mismatch.');
  if (Math.abs(Date.now() - date) > MAX_CLOCK_SKEW_MS) throw authFailed('Mismatch between system time and x-ots-date.');
  if (header(req, 'x-ots-instancename') !== opts.instanceName) throw authFailed(`Instance not found: ${header(req, 'x-ots-instancename')}.`);
  if (header(req, 'x-ots-contentmd5') !== md5(body)) throw invalid('Mismatch between the MD5 of the request body and x-ots-contentmd5.');
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw invalid('The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startTablestoreEmulator(opts: TablestoreEmulatorOptions = {}): Promise<TablestoreEmulator> {
  const auth = {
    accessKeyId: opts.accessKeyId ?? 'emulator-key-id',
    accessKeySecret: opts.accessKeySecret ?? crypto.randomBytes(18).toString('base64url'),
    instanceName: opts.instanceName ?? 'changeflow',
  };
  const stats = emptyStats();
  let instance = new Instance(stats, opts.shortPages ?? false);
  let requestSeq = 0;
  const injected = new Map<string, number>();

  const server = http.createServer((req, res) => {
    const requestId = `emu-${process.pid}-${++requestSeq}`;
    const path = (req.url ?? '/').split('?')[0];
    const op = path.slice(1);
    const reply = (status: number, body: Uint8Array) => {
      const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      res.writeHead(status, {
        'content-type': 'application/x-protobuf',
        'content-length': buf.length,
        'x-ots-contentmd5': md5(buf),
        'x-ots-requestid': requestId,
        'x-ots-date': new Date().toISOString(),
        'x-ots-contenttype': 'protocol buffer',
      });
      res.end(buf);
    };
    const fail = (e: OtsError) => {
      stats.errors[e.code] = (stats.errors[e.code] ?? 0) + 1;
      reply(e.status, pb.Error.encode({ code: e.code, message: e.message }).finish());
    };
    readBody(req)
      .then((body) => {
        stats.operations[op] = (stats.operations[op] ?? 0) + 1;
        if (req.method !== 'POST') throw invalid(`Unsupported method ${req.method}.`);
        authenticate(req, path, body, auth);
        const pending = injected.get(op) ?? 0;
        if (pending > 0) {
          injected.set(op, pending - 1);
          throw new OtsError(500, 'OTSInternalServerError', `injected fault in ${op}`);
        }
        const handler = Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op] : undefined;
        if (!handler) throw new OtsError(400, 'OTSUnsupportOperation', `Unsupported operation: '${op}'.`);
        if (/Write|Put|Update/.test(op) && body.length > MAX_WRITE_BODY) throw invalid('The request body exceeds 4 MB.');
        reply(200, handler(instance, body));
      })
      .catch((e: unknown) => {
        if (e instanceof OtsError) return fail(e);
        fail(new OtsError(500, 'OTSInternalServerError', `Internal error: ${(e as Error).message}`));
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    ...auth,
    stats,
    resetStats() {
      Object.assign(stats, emptyStats());
    },
    clear() {
      instance = new Instance(stats, opts.shortPages ?? false);
    },
    failNext(operation, n) {
      injected.set(operation, (injected.get(operation) ?? 0) + n);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
