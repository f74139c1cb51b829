// SQLite adapter of the Store contract. It deliberately uses SQLite only the way a Tablestore adapter can
// use Tablestore: one conditional statement per row, range reads by partition, batches that may stop
// half-way. Transactions wrap batches purely for speed; nothing relies on their atomicity.

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
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

export interface SqliteStoreOptions {
  path: string;
  synchronous?: 'FULL' | 'NORMAL';
}

/** Tablestore's BatchWriteRow limit: batches are cut the same way so both adapters fail alike. */
const BATCH = 200;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS services (id TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS targets (
  service_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, value TEXT NOT NULL, rev INTEGER NOT NULL,
  PRIMARY KEY (service_id, id));
CREATE INDEX IF NOT EXISTS targets_by_seq ON targets (service_id, seq);
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY, spec TEXT NOT NULL, head TEXT NOT NULL, version INTEGER NOT NULL,
  status TEXT NOT NULL, due_at INTEGER, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_created ON orders (created_at, id);
CREATE INDEX IF NOT EXISTS orders_by_status ON orders (status, created_at, id);
CREATE INDEX IF NOT EXISTS orders_by_due ON orders (due_at, id) WHERE due_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS order_services (
  service_id TEXT NOT NULL, created_at INTEGER NOT NULL, order_id TEXT NOT NULL,
  PRIMARY KEY (service_id, created_at, order_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS order_services_by_order ON order_services (order_id);
CREATE TABLE IF NOT EXISTS tasks (
  order_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (order_id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  order_id TEXT NOT NULL, seq TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (order_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scopes (scope TEXT PRIMARY KEY, order_id TEXT NOT NULL, since INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS idem (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

type OrderRow = { id: string; spec: string; head: string; version: number; created_at: number };
type TargetRow = { id: string; value: string; rev: number };
type IndexRow = { service_id: string; created_at: number };

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');


/** Distinct service ids of an order's items: the keys under which listOrders can find it by service. */
const serviceIdsOf = (spec: OrderSpec): string[] => [...new Set(spec.items.map((i) => i.serviceId))];

const toOrder = (r: OrderRow): OrderRecord => ({ spec: JSON.parse(r.spec), head: JSON.parse(r.head), version: r.version });

/** Only the fields TargetRecord names are stored, so stray properties of callers' objects never leak in. */
const targetValue = (t: Omit<TargetRecord, 'serviceId' | 'rev'>): string =>
  JSON.stringify({ labels: t.labels, version: t.version, changeCount: t.changeCount, state: t.state });

const toTarget = (serviceId: string, r: TargetRow): TargetRecord => ({ serviceId, id: r.id, ...JSON.parse(r.value), rev: r.rev });

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly counters: StoreStats = { reads: 0, writes: 0, bytesWritten: 0 };

  constructor(opts: SqliteStoreOptions) {
    if (opts.path !== ':memory:') fs.mkdirSync(path.dirname(opts.path), { recursive: true });
    this.db = new Database(opts.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  private sql(text: string): Database.Statement {
    let s = this.statements.get(text);
    if (!s) this.statements.set(text, (s = this.db.prepare(text)));
    return s;
  }

  /** A range read that returns nothing still costs a request, as in Tablestore. */
  private read<T>(rows: T[]): T[] {
    this.counters.reads += Math.max(1, rows.length);
    return rows;
  }

  private get<T>(row: T | undefined): T | undefined {
    this.counters.reads += 1;
    return row;
  }

  /** A conditional write that lost still counts as an attempt; range deletes pass attempted = 0 (empty range, no write). */
  private write(changes: number, bytes = 0, attempted = 1): number {
    this.counters.writes += Math.max(attempted, changes);
    if (changes > 0) this.counters.bytesWritten += bytes;
    return changes;
  }

  /** Runs `fn` per chunk of BATCH items, each chunk in its own (immediate, so busy_timeout applies) transaction. */
  private batch<T>(items: T[], fn: (item: T) => void): void {
    const tx = this.db.transaction((chunk: T[]) => chunk.forEach(fn));
    for (let i = 0; i < items.length; i += BATCH) tx.immediate(items.slice(i, i + BATCH));
  }

  // services

  async putService(service: ServiceRecord): Promise<void> {
    const value = JSON.stringify(service);
    const info = this.sql('INSERT INTO services (id, value) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET value = excluded.value')
      .run(service.id, value);
    this.write(info.changes, byteLength(value));
  }

  async getService(id: string): Promise<ServiceRecord | undefined> {
    const row = this.get(this.sql('SELECT value FROM services WHERE id = ?').get(id) as { value: string } | undefined);
    return row && JSON.parse(row.value);
  }

  async listServices(): Promise<ServiceRecord[]> {
    const rows = this.read(this.sql('SELECT value FROM services ORDER BY id').all() as { value: string }[]);
    return rows.map((r) => JSON.parse(r.value));
  }

  async deleteService(id: string): Promise<boolean> {
    const existed = this.write(this.sql('DELETE FROM services WHERE id = ?').run(id).changes) > 0;
    // targets go even when the service row is already gone: a retried delete clears what a crash left
    this.write(this.sql('DELETE FROM targets WHERE service_id = ?').run(id).changes, 0, 0);
    return existed;
  }

  // targets

  async putTargets(serviceId: string, targets: Omit<TargetRecord, 'serviceId' | 'rev'>[]): Promise<void> {
    // seq is fixed on first registration (the upsert leaves it alone), so listTargets keeps that order
    const upsert = this.sql(`INSERT INTO targets (service_id, id, seq, value, rev)
      VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM targets WHERE service_id = ?), ?, 1)
      ON CONFLICT (service_id, id) DO UPDATE SET value = excluded.value, rev = rev + 1`);
    this.batch(targets, (t) => {
      const value = targetValue(t);
      this.write(upsert.run(serviceId, t.id, serviceId, value).changes, byteLength(value));
    });
  }

  async listTargets(serviceId: string): Promise<TargetRecord[]> {
    const rows = this.read(this.sql('SELECT id, value, rev FROM targets WHERE service_id = ? ORDER BY seq').all(serviceId) as TargetRow[]);
    return rows.map((r) => toTarget(serviceId, r));
  }

  async getTarget(serviceId: string, id: string): Promise<TargetRecord | undefined> {
    const row = this.get(
      this.sql('SELECT id, value, rev FROM targets WHERE service_id = ? AND id = ?').get(serviceId, id) as TargetRow | undefined,
    );
    return row && toTarget(serviceId, row);
  }

  async updateTarget(target: TargetRecord, expectedRev: number): Promise<number> {
    const value = targetValue(target);
    const info = this.sql('UPDATE targets SET value = ?, rev = ? WHERE service_id = ? AND id = ? AND rev = ?')
      .run(value, expectedRev + 1, target.serviceId, target.id, expectedRev);
    if (this.write(info.changes, byteLength(value)) === 0) {
      throw new ConflictError(`target ${target.serviceId}/${target.id}: rev ${expectedRev} is stale or the target is gone`);
    }
    return expectedRev + 1;
  }

  // orders

  async createOrder(spec: OrderSpec, head: OrderHead): Promise<OrderRecord> {
    const specJson = JSON.stringify(spec);
    const headJson = JSON.stringify(head);
    const info = this.sql(`INSERT INTO orders (id, spec, head, version, status, due_at, created_at)
      VALUES (?, ?, ?, 1, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
      .run(spec.id, specJson, headJson, head.status, head.dueAt ?? null, spec.createdAt);
    if (this.write(info.changes, byteLength(specJson) + byteLength(headJson)) === 0) {
      throw new AlreadyExistsError(`order ${spec.id} already exists`);
    }
    // the index rows follow the order row: a crash in between only hides the order from filtered lists
    this.indexServices(spec, []);
    return { spec, head, version: 1 };
  }

  async getOrder(id: string): Promise<OrderRecord | undefined> {
    const row = this.get(this.sql('SELECT id, spec, head, version, created_at FROM orders WHERE id = ?').get(id) as OrderRow | undefined);
    return row && toOrder(row);
  }

  async updateOrder(id: string, head: OrderHead, expectedVersion: number, spec?: OrderSpec): Promise<number> {
    const headJson = JSON.stringify(head);
    const due = head.dueAt ?? null;
    let info: Database.RunResult;
    let bytes = byteLength(headJson);
    if (spec) {
      const specJson = JSON.stringify(spec);
      bytes += byteLength(specJson);
      info = this.sql(`UPDATE orders SET head = ?, status = ?, due_at = ?, spec = ?, created_at = ?, version = version + 1
        WHERE id = ? AND version = ?`).run(headJson, head.status, due, specJson, spec.createdAt, id, expectedVersion);
    } else {
      info = this.sql('UPDATE orders SET head = ?, status = ?, due_at = ?, version = version + 1 WHERE id = ? AND version = ?')
        .run(headJson, head.status, due, id, expectedVersion);
    }
    if (this.write(info.changes, bytes) === 0) {
      throw new ConflictError(`order ${id}: version ${expectedVersion} is stale or the order is gone`);
    }
    if (spec) {
      const current = this.read(
        this.sql('SELECT service_id, created_at FROM order_services WHERE order_id = ?').all(id) as IndexRow[],
      );
      this.indexServices(spec, current);
    }
    return expectedVersion + 1;
  }

  /** Brings the order's order_services rows to the spec: adds missing ones first, then drops stale ones. */
  private indexServices(spec: OrderSpec, current: IndexRow[]): void {
    const wanted = serviceIdsOf(spec);
    const has = (sid: string, at: number) => current.some((r) => r.service_id === sid && r.created_at === at);
    const add = this.sql('INSERT INTO order_services (service_id, created_at, order_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    const drop = this.sql('DELETE FROM order_services WHERE service_id = ? AND created_at = ? AND order_id = ?');
    const stale = current.filter((r) => r.created_at !== spec.createdAt || !wanted.includes(r.service_id));
    const missing = wanted.filter((sid) => !has(sid, spec.createdAt));
    if (missing.length === 0 && stale.length === 0) return;
    this.batch(missing, (sid) => this.write(add.run(sid, spec.createdAt, spec.id).changes));
    this.batch(stale, (r) => this.write(drop.run(r.service_id, r.created_at, spec.id).changes));
  }

  async deleteOrder(id: string): Promise<boolean> {
    const existed = this.write(this.sql('DELETE FROM orders WHERE id = ?').run(id).changes) > 0;
    // children go even when the order row is already gone, so a retried delete clears a crash's orphans
    for (const table of ['tasks', 'events', 'order_services']) {
      this.write(this.sql(`DELETE FROM ${table} WHERE order_id = ?`).run(id).changes, 0, 0);
    }
    return existed;
  }

  async listOrders(query: OrderQuery): Promise<OrderPage> {
    const limit = checkLimit(query.limit);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    // by service: walk the order_services partition and join; index rows whose order is gone drop out
    const [from, createdAt, id] = query.serviceId !== undefined
      ? ['order_services s JOIN orders o ON o.id = s.order_id', 's.created_at', 's.order_id']
      : ['orders o', 'o.created_at', 'o.id'];
    const where: string[] = [];
    const args: unknown[] = [];
    const filter = (clause: string, ...values: unknown[]) => (where.push(clause), args.push(...values));
    if (query.serviceId !== undefined) filter('s.service_id = ?', query.serviceId);
    if (query.status !== undefined) filter('o.status = ?', query.status);
    if (after) filter(`(${createdAt}, ${id}) < (?, ?)`, after.c, after.i);
    const text = `SELECT ${id} AS id, o.spec, o.head, o.version, ${createdAt} AS created_at FROM ${from}
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${createdAt} DESC, ${id} DESC LIMIT ?`;
    // one row beyond the page tells whether another page follows
    const rows = this.read(this.sql(text).all(...args, limit + 1) as OrderRow[]);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      orders: page.map(toOrder),
      ...(rows.length > limit && last ? { nextCursor: encodeCursor({ c: last.created_at, i: last.id }) } : {}),
    };
  }

  async dueOrders(now: number, limit: number): Promise<string[]> {
    const rows = this.read(this.sql('SELECT id FROM orders WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?')
      .all(now, checkLimit(limit)) as { id: string }[]);
    return rows.map((r) => r.id);
  }

  // tasks

  async putTasks(orderId: string, tasks: Task[]): Promise<void> {
    const upsert = this.sql(
      'INSERT INTO tasks (order_id, key, value) VALUES (?, ?, ?) ON CONFLICT (order_id, key) DO UPDATE SET value = excluded.value',
    );
    this.batch(tasks, (t) => {
      const value = JSON.stringify(t);
      this.write(upsert.run(orderId, t.key, value).changes, byteLength(value));
    });
  }

  async listTasks(orderId: string): Promise<Task[]> {
    const rows = this.read(this.sql('SELECT value FROM tasks WHERE order_id = ? ORDER BY key').all(orderId) as { value: string }[]);
    return rows.map((r) => JSON.parse(r.value));
  }

  // events

  async appendEvents(orderId: string, events: StoredEvent[]): Promise<void> {
    // put-if-absent: a replayed outbox flush must not rewrite history
    const insert = this.sql('INSERT INTO events (order_id, seq, value) VALUES (?, ?, ?) ON CONFLICT (order_id, seq) DO NOTHING');
    this.batch(events, (e) => {
      const value = JSON.stringify(e);
      this.write(insert.run(orderId, e.seq, value).changes, byteLength(value));
    });
  }

  async listEvents(orderId: string, after?: string, limit?: number): Promise<StoredEvent[]> {
    const max = limit === undefined ? -1 : checkLimit(limit); // LIMIT -1: no limit
    const rows = (after === undefined
      ? this.sql('SELECT value FROM events WHERE order_id = ? ORDER BY seq LIMIT ?').all(orderId, max)
      : this.sql('SELECT value FROM events WHERE order_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(orderId, after, max)) as { value: string }[];
    return this.read(rows).map((r) => JSON.parse(r.value));
  }

  // scopes

  async acquireScope(scope: string, orderId: string, now: number): Promise<{ ok: true } | { ok: false; holder: ScopeHolder }> {
    // another connection may release between the failed insert and the read: then simply try again
    for (;;) {
      const info = this.sql('INSERT INTO scopes (scope, order_id, since) VALUES (?, ?, ?) ON CONFLICT (scope) DO NOTHING')
        .run(scope, orderId, now);
      if (this.write(info.changes, byteLength(orderId)) > 0) return { ok: true };
      const holder = await this.getScope(scope);
      if (!holder) continue;
      return holder.orderId === orderId ? { ok: true } : { ok: false, holder };
    }
  }

  async transferScope(scope: string, fromOrderId: string, toOrderId: string, now: number): Promise<boolean> {
    const info = this.sql('UPDATE scopes SET order_id = ?, since = ? WHERE scope = ? AND order_id = ?')
      .run(toOrderId, now, scope, fromOrderId);
    return this.write(info.changes, byteLength(toOrderId)) > 0;
  }

  async releaseScope(scope: string, orderId: string): Promise<boolean> {
    return this.write(this.sql('DELETE FROM scopes WHERE scope = ? AND order_id = ?').run(scope, orderId).changes) > 0;
  }

  async getScope(scope: string): Promise<ScopeHolder | undefined> {
    const row = this.get(
      this.sql('SELECT order_id, since FROM scopes WHERE scope = ?').get(scope) as { order_id: string; since: number } | undefined,
    );
    return row && { scope, orderId: row.order_id, since: row.since };
  }

  // idempotency keys

  async claimIdempotencyKey(rec: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const value = JSON.stringify(rec);
    // keys are never deleted, so a lost insert always finds the winner's row
    const info = this.sql('INSERT INTO idem (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(rec.key, value);
    if (this.write(info.changes, byteLength(value)) > 0) return undefined;
    const row = this.get(this.sql('SELECT value FROM idem WHERE key = ?').get(rec.key) as { value: string } | undefined);
    if (!row) throw new Error(`idempotency key ${rec.key} vanished while being claimed`);
    return JSON.parse(row.value);
  }

  stats(): StoreStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

export function openSqliteStore(opts: SqliteStoreOptions): Store {
  return new SqliteStore(opts);
}
