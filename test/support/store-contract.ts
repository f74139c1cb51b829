// The Store contract suite. Every adapter (SQLite now, Tablestore later) must pass it unchanged, so it
// asserts only what store.ts promises: no exact stats numbers, no ordering the interface leaves open.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent, ItemSpec, OrderHead, OrderSpec, OrderStatus, Task } from '../../shared/engine/types.ts';
import { taskKey } from '../../shared/engine/types.ts';
import {
  AlreadyExistsError,
  ConflictError,
  type OrderQuery,
  type OrderRecord,
  type ServiceRecord,
  type Store,
  type StoredEvent,
  type TargetRecord,
} from '../../shared/store/store.ts';

// fixtures

const T0 = 1_700_000_000_000;

export function item(serviceId: string, targets: string[], over: Partial<ItemSpec> = {}): ItemSpec {
  return {
    serviceId,
    priority: 0,
    deployment: 'HTTP_UPLOAD_DEPLOY',
    executor: 'simulated',
    containerExecMethod: 'PARALLEL',
    maxConcurrency: 0,
    batchPauseOption: 'Automatic',
    batchWaitSeconds: 0,
    maxErrors: 0,
    onFailure: 'fail',
    bakeSeconds: 0,
    version: 'v2',
    artifact: { httpSrcUri: `https://example.com/${serviceId}/v2.jar` },
    batches: [targets.slice(0, 1), targets.slice(1)].filter((b) => b.length > 0),
    ...over,
  };
}

/** A deploy order of the given services, each with two targets. */
export function spec(id: string, createdAt: number, services: string[] = ['svc-a'], over: Partial<OrderSpec> = {}): OrderSpec {
  return {
    id,
    type: 'deploy',
    createdAt,
    comment: `deploy ${id}`,
    origin: 'plan',
    onAlarm: 'rollback',
    scopes: services.map((s) => `service:${s}`),
    items: services.map((s) => item(s, [`${s}-1`, `${s}-2`])),
    ...over,
  };
}

export function head(status: OrderStatus = 'READY', over: Partial<OrderHead> = {}): OrderHead {
  return {
    status,
    items: [{ batch: 0, phase: 'pending', batchStartedAt: [null, null], batchFinishedAt: [null, null] }],
    faults: 0,
    outbox: [],
    ...over,
  };
}

export function task(key: string, over: Partial<Task> = {}): Task {
  const [itemIndex, batch, targetId] = key.split('/');
  return { key, item: Number(itemIndex), batch: Number(batch), targetId, status: 'PENDING', attempt: 0, action: 'HTTP_UPLOAD_DEPLOY', ...over };
}

/** Sortable like the engine's seqs: the head version, then the event's index within that transition. */
export const seqOf = (version: number, index: number): string => `${String(version).padStart(10, '0')}.${String(index).padStart(4, '0')}`;

export function event(seq: string, over: Partial<AuditEvent> = {}): StoredEvent {
  return { seq, at: T0, actor: 'system', type: 'TaskStarted', reason: `event ${seq}`, ...over };
}

export function service(id: string, over: Partial<ServiceRecord> = {}): ServiceRecord {
  return { id, executor: { type: 'simulated', latencyMs: 50 }, defaults: { maxErrors: 1 }, createdAt: T0, updatedAt: T0, ...over };
}

export function target(id: string, over: Partial<Omit<TargetRecord, 'serviceId' | 'rev'>> = {}): Omit<TargetRecord, 'serviceId' | 'rev'> {
  return { id, labels: ['zone-a'], version: 'v1', changeCount: 0, state: {}, ...over };
}

const byKey = <T extends { key: string }>(xs: T[]): T[] => [...xs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
const ids = (orders: OrderRecord[]): string[] => orders.map((o) => o.spec.id);

/** Follows cursors to the end; fails instead of looping forever on a cursor that never ends. */
async function allPages(store: Store, query: Omit<OrderQuery, 'cursor'>): Promise<{ ids: string[]; pages: number }> {
  const out: string[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages <= 100; pages++) {
    const page = await store.listOrders({ ...query, cursor });
    expect(page.orders.length).toBeLessThanOrEqual(query.limit);
    out.push(...ids(page.orders));
    if (page.nextCursor === undefined) return { ids: out, pages };
    cursor = page.nextCursor;
  }
  throw new Error('listOrders kept returning cursors');
}

/**
 * `open` must return an empty store each time; `cleanup` must close it and remove whatever it stored.
 */
export function storeContract(name: string, open: () => Promise<{ store: Store; cleanup: () => Promise<void> }>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await open());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe('services', () => {
      it('puts, replaces, lists and gets services', async () => {
        await store.putService(service('svc-b'));
        await store.putService(service('svc-a', { description: 'first' }));
        await store.putService(service('svc-a', { description: 'second', updatedAt: T0 + 1 }));
        expect(await store.getService('svc-a')).toEqual(service('svc-a', { description: 'second', updatedAt: T0 + 1 }));
        expect(await store.getService('nope')).toBeUndefined();
        const all = await store.listServices();
        expect(all.map((s) => s.id).sort()).toEqual(['svc-a', 'svc-b']);
      });

      it('deleteService removes the service and its targets only', async () => {
        await store.putService(service('svc-a'));
        await store.putService(service('svc-b'));
        await store.putTargets('svc-a', [target('a1'), target('a2')]);
        await store.putTargets('svc-b', [target('b1')]);
        expect(await store.deleteService('svc-a')).toBe(true);
        expect(await store.getService('svc-a')).toBeUndefined();
        expect(await store.listTargets('svc-a')).toEqual([]);
        expect(await store.getTarget('svc-a', 'a1')).toBeUndefined();
        expect((await store.listTargets('svc-b')).map((t) => t.id)).toEqual(['b1']);
        expect(await store.deleteService('svc-a')).toBe(false);
      });
    });

    describe('targets', () => {
      it('putTargets starts rev at 1, bumps it on re-put and replaces the fields', async () => {
        await store.putTargets('svc-a', [target('t1'), target('t2', { labels: ['zone-b'] })]);
        expect(await store.getTarget('svc-a', 't1')).toEqual({ serviceId: 'svc-a', ...target('t1'), rev: 1 });
        await store.putTargets('svc-a', [target('t1', { version: 'v2', changeCount: 3, state: { run: 'x' }, labels: [] })]);
        expect(await store.getTarget('svc-a', 't1')).toEqual({
          serviceId: 'svc-a', id: 't1', labels: [], version: 'v2', changeCount: 3, state: { run: 'x' }, rev: 2,
        });
        expect((await store.getTarget('svc-a', 't2'))?.rev).toBe(1);
        expect(await store.getTarget('svc-a', 'nope')).toBeUndefined();
        expect(await store.getTarget('svc-b', 't1')).toBeUndefined();
      });

      it('listTargets keeps the order of first registration', async () => {
        await store.putTargets('svc-a', [target('m'), target('c'), target('x')]);
        await store.putTargets('svc-a', [target('c', { version: 'v9' }), target('a')]);
        await store.putTargets('svc-b', [target('z')]);
        const listed = await store.listTargets('svc-a');
        expect(listed.map((t) => t.id)).toEqual(['m', 'c', 'x', 'a']);
        expect(listed.map((t) => t.rev)).toEqual([1, 2, 1, 1]);
        expect(listed.every((t) => t.serviceId === 'svc-a')).toBe(true);
      });

      it('updateTarget is a compare-and-set on rev', async () => {
        await store.putTargets('svc-a', [target('t1')]);
        const t = (await store.getTarget('svc-a', 't1'))!;
        const rev = await store.updateTarget({ ...t, version: 'v2', changeCount: 1, state: { attempt: 'k1' } }, t.rev);
        expect(rev).toBe(t.rev + 1);
        expect(await store.getTarget('svc-a', 't1')).toEqual({ ...t, version: 'v2', changeCount: 1, state: { attempt: 'k1' }, rev });
        // a writer still holding the old rev loses and changes nothing
        await expect(store.updateTarget({ ...t, version: 'v3' }, t.rev)).rejects.toBeInstanceOf(ConflictError);
        expect((await store.getTarget('svc-a', 't1'))?.version).toBe('v2');
        await expect(store.updateTarget({ ...t, id: 'missing' }, 1)).rejects.toBeInstanceOf(ConflictError);
        expect(await store.getTarget('svc-a', 'missing')).toBeUndefined();
      });
    });

    describe('orders', () => {
      it('createOrder starts at version 1 and refuses a taken id', async () => {
        const rec = await store.createOrder(spec('o1', T0), head());
        expect(rec).toEqual({ spec: spec('o1', T0), head: head(), version: 1 });
        expect(await store.getOrder('o1')).toEqual(rec);
        await expect(store.createOrder(spec('o1', T0 + 5, ['svc-b']), head('RUNNING'))).rejects.toBeInstanceOf(AlreadyExistsError);
        expect(await store.getOrder('o1')).toEqual(rec);
        expect(await store.getOrder('nope')).toBeUndefined();
      });

      it('updateOrder is a compare-and-set on version and writes the spec only when given', async () => {
        await store.createOrder(spec('o1', T0), head());
        const running = head('RUNNING', { startedAt: T0 + 1, dueAt: T0 + 100 });
        expect(await store.updateOrder('o1', running, 1)).toBe(2);
        expect(await store.getOrder('o1')).toEqual({ spec: spec('o1', T0), head: running, version: 2 });

        await expect(store.updateOrder('o1', head('FAILED'), 1)).rejects.toBeInstanceOf(ConflictError);
        expect((await store.getOrder('o1'))?.head).toEqual(running);

        const resolved = spec('o1', T0, ['svc-a'], { comment: 'resolved' });
        expect(await store.updateOrder('o1', head('WAITING_AUTO'), 2, resolved)).toBe(3);
        expect(await store.getOrder('o1')).toEqual({ spec: resolved, head: head('WAITING_AUTO'), version: 3 });

        await expect(store.updateOrder('gone', head(), 1)).rejects.toBeInstanceOf(ConflictError);
        expect(await store.getOrder('gone')).toBeUndefined();
      });

      it('lists newest first across several pages', async () => {
        // ties in createdAt must still page without gaps or repeats
        const created = [0, 1, 1, 1, 1, 2, 3, 3, 3, 4].map((d, i) => ({ id: `o${String(i).padStart(2, '0')}`, at: T0 + d }));
        for (const c of created) await store.createOrder(spec(c.id, c.at), head());
        const newestFirst = [...created].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1)).map((c) => c.id);

        const first = await store.listOrders({ limit: 3 });
        expect(ids(first.orders)).toEqual(newestFirst.slice(0, 3));
        expect(first.nextCursor).toEqual(expect.any(String));
        const second = await store.listOrders({ limit: 3, cursor: first.nextCursor });
        expect(ids(second.orders)).toEqual(newestFirst.slice(3, 6));

        const all = await allPages(store, { limit: 3 });
        expect(all.ids).toEqual(newestFirst);
        expect(all.pages).toBeGreaterThanOrEqual(4);

        const whole = await store.listOrders({ limit: 100 });
        expect(ids(whole.orders)).toEqual(newestFirst);
        expect(whole.nextCursor).toBeUndefined();
        expect(await store.listOrders({ limit: 5, status: 'PAUSED' })).toEqual({ orders: [] });
      });

      it('filters by status, following status changes', async () => {
        const statuses: OrderStatus[] = ['RUNNING', 'READY', 'RUNNING', 'SUCCEEDED', 'RUNNING', 'RUNNING', 'FAILED', 'RUNNING'];
        for (const [i, s] of statuses.entries()) await store.createOrder(spec(`o${i}`, T0 + i), head(s));
        const running = (await allPages(store, { limit: 2, status: 'RUNNING' })).ids;
        expect(running).toEqual(['o7', 'o5', 'o4', 'o2', 'o0']);

        await store.updateOrder('o4', head('SUCCEEDED'), 1);
        await store.updateOrder('o1', head('RUNNING'), 1);
        expect((await allPages(store, { limit: 2, status: 'RUNNING' })).ids).toEqual(['o7', 'o5', 'o2', 'o1', 'o0']);
        expect((await allPages(store, { limit: 10, status: 'SUCCEEDED' })).ids).toEqual(['o4', 'o3']);
      });

      it('filters by service, alone and with a status', async () => {
        await store.createOrder(spec('a1', T0 + 1, ['svc-a']), head('RUNNING'));
        await store.createOrder(spec('b1', T0 + 2, ['svc-b']), head('RUNNING'));
        // two items of the same service: the order is listed once
        await store.createOrder(spec('ab', T0 + 3, ['svc-a', 'svc-b', 'svc-a']), head('SUCCEEDED'));
        await store.createOrder(spec('a2', T0 + 4, ['svc-a']), head('SUCCEEDED'));
        await store.createOrder(spec('a3', T0 + 5, ['svc-a']), head('RUNNING'));

        expect((await allPages(store, { limit: 2, serviceId: 'svc-a' })).ids).toEqual(['a3', 'a2', 'ab', 'a1']);
        expect((await allPages(store, { limit: 1, serviceId: 'svc-b' })).ids).toEqual(['ab', 'b1']);
        expect((await allPages(store, { limit: 1, serviceId: 'svc-a', status: 'RUNNING' })).ids).toEqual(['a3', 'a1']);
        expect((await allPages(store, { limit: 5, serviceId: 'svc-c' })).ids).toEqual([]);

        await store.updateOrder('a2', head('RUNNING'), 1);
        expect((await allPages(store, { limit: 2, serviceId: 'svc-a', status: 'RUNNING' })).ids).toEqual(['a3', 'a2', 'a1']);
      });

      it('follows a spec rewritten by updateOrder in the service filter', async () => {
        await store.createOrder(spec('r1', T0, ['svc-a']), head());
        await store.updateOrder('r1', head(), 1, spec('r1', T0, ['svc-b']));
        expect((await allPages(store, { limit: 5, serviceId: 'svc-a' })).ids).toEqual([]);
        expect((await allPages(store, { limit: 5, serviceId: 'svc-b' })).ids).toEqual(['r1']);
      });

      it('rejects an invalid cursor', async () => {
        await store.createOrder(spec('o1', T0), head());
        for (const cursor of ['garbage!', 'e30']) {
          await expect(store.listOrders({ limit: 2, cursor })).rejects.toThrow(/invalid.*cursor|cursor.*invalid/i);
        }
      });

      it('dueOrders returns orders due by now, earliest first', async () => {
        // ids sort against due order, so ordering by id would fail
        await store.createOrder(spec('a-late', T0), head('WAITING_AUTO', { dueAt: T0 + 300 }));
        await store.createOrder(spec('c-first', T0), head('RUNNING', { dueAt: T0 + 100 }));
        await store.createOrder(spec('b-second', T0), head('RUNNING', { dueAt: T0 + 200 }));
        await store.createOrder(spec('d-idle', T0), head('SUCCEEDED'));
        expect(await store.dueOrders(T0 + 250, 10)).toEqual(['c-first', 'b-second']);
        expect(await store.dueOrders(T0 + 250, 1)).toEqual(['c-first']);
        expect(await store.dueOrders(T0 + 200, 10)).toEqual(['c-first', 'b-second']);
        expect(await store.dueOrders(T0, 10)).toEqual([]);

        await store.updateOrder('c-first', head('SUCCEEDED'), 1); // no dueAt any more
        await store.updateOrder('a-late', head('RUNNING', { dueAt: T0 + 50 }), 1);
        expect(await store.dueOrders(T0 + 1000, 10)).toEqual(['a-late', 'b-second']);
      });

      it('deleteOrder removes the order, its tasks and its events', async () => {
        await store.createOrder(spec('o1', T0, ['svc-a']), head('RUNNING', { dueAt: T0 }));
        await store.createOrder(spec('o2', T0 + 1, ['svc-a']), head('RUNNING'));
        await store.putTasks('o1', [task('0/0/t1'), task('0/1/t2')]);
        await store.putTasks('o2', [task('0/0/t1')]);
        await store.appendEvents('o1', [event(seqOf(1, 0)), event(seqOf(2, 0))]);

        expect(await store.deleteOrder('o1')).toBe(true);
        expect(await store.getOrder('o1')).toBeUndefined();
        expect(await store.listTasks('o1')).toEqual([]);
        expect(await store.listEvents('o1')).toEqual([]);
        expect(ids((await store.listOrders({ limit: 10 })).orders)).toEqual(['o2']);
        expect(ids((await store.listOrders({ limit: 10, serviceId: 'svc-a' })).orders)).toEqual(['o2']);
        expect(await store.dueOrders(T0 + 10, 10)).toEqual([]);
        expect(await store.listTasks('o2')).toHaveLength(1);
        expect(await store.deleteOrder('o1')).toBe(false);

        // the id can be reused, starting clean
        expect((await store.createOrder(spec('o1', T0 + 2), head())).version).toBe(1);
        expect(await store.listTasks('o1')).toEqual([]);
      });
    });

    describe('tasks', () => {
      it('upserts tasks by key, per order', async () => {
        await store.putTasks('o1', [task('0/0/t2'), task('0/0/t1')]);
        await store.putTasks('o2', [task('0/0/t1', { status: 'FAILED' })]);
        const done = task('0/0/t1', { status: 'SUCCEEDED', attempt: 1, changed: true, fromVersion: 'v1', toVersion: 'v2' });
        await store.putTasks('o1', [done, task('0/1/t3')]);
        expect(byKey(await store.listTasks('o1'))).toEqual([done, task('0/0/t2'), task('0/1/t3')]);
        expect(await store.listTasks('o2')).toEqual([task('0/0/t1', { status: 'FAILED' })]);
        expect(await store.listTasks('none')).toEqual([]);
        await store.putTasks('o1', []);
        expect(await store.listTasks('o1')).toHaveLength(3);
      });

      it('stores and returns all of 450 tasks (more than one batch)', async () => {
        const tasks = Array.from({ length: 450 }, (_, i) => task(taskKey(i % 3, Math.floor(i / 150), `t${i}`), { attempt: i % 5 }));
        await store.putTasks('big', tasks);
        expect(byKey(await store.listTasks('big'))).toEqual(byKey(tasks));

        const events = Array.from({ length: 450 }, (_, i) => event(seqOf(1 + Math.floor(i / 10), i % 10)));
        await store.appendEvents('big', events);
        expect(await store.listEvents('big')).toEqual(events);

        const targets = Array.from({ length: 450 }, (_, i) => target(`host-${String(449 - i).padStart(3, '0')}`));
        await store.putTargets('svc-big', targets);
        expect((await store.listTargets('svc-big')).map((t) => t.id)).toEqual(targets.map((t) => t.id));
      });
    });

    describe('events', () => {
      it('appends idempotently by seq and lists ascending, after a seq and limited', async () => {
        const e = (v: number, i: number) => event(seqOf(v, i), { type: `E${v}.${i}` });
        // appended out of order: listing sorts by seq
        await store.appendEvents('o1', [e(2, 0), e(1, 0), e(1, 1)]);
        await store.appendEvents('o1', [{ ...e(1, 1), reason: 'replayed with other content' }, e(3, 0)]);
        await store.appendEvents('o2', [e(1, 0)]);
        const all = await store.listEvents('o1');
        expect(all).toEqual([e(1, 0), e(1, 1), e(2, 0), e(3, 0)]);
        expect(await store.listEvents('o1', seqOf(1, 1))).toEqual([e(2, 0), e(3, 0)]);
        expect(await store.listEvents('o1', undefined, 2)).toEqual([e(1, 0), e(1, 1)]);
        expect(await store.listEvents('o1', seqOf(1, 0), 2)).toEqual([e(1, 1), e(2, 0)]);
        expect(await store.listEvents('o1', seqOf(3, 0))).toEqual([]);
        expect(await store.listEvents('o2')).toEqual([e(1, 0)]);
        expect(await store.listEvents('none')).toEqual([]);
      });

      it('pages through events with after and limit', async () => {
        const events = Array.from({ length: 23 }, (_, i) => event(seqOf(i + 1, 0)));
        await store.appendEvents('o1', events);
        const seen: StoredEvent[] = [];
        let after: string | undefined;
        for (let page = 0; page < 10; page++) {
          const got = await store.listEvents('o1', after, 5);
          if (got.length === 0) break;
          expect(got.length).toBeLessThanOrEqual(5);
          seen.push(...got);
          after = got[got.length - 1].seq;
        }
        expect(seen).toEqual(events);
      });
    });

    describe('scopes', () => {
      it('acquires, re-acquires, refuses, transfers and releases by the right holder only', async () => {
        expect(await store.acquireScope('service:a', 'o1', T0)).toEqual({ ok: true });
        expect(await store.acquireScope('service:a', 'o1', T0 + 1)).toEqual({ ok: true });
        expect(await store.acquireScope('service:a', 'o2', T0 + 2)).toEqual({
          ok: false, holder: { scope: 'service:a', orderId: 'o1', since: T0 },
        });
        expect(await store.getScope('service:a')).toEqual({ scope: 'service:a', orderId: 'o1', since: T0 });
        expect(await store.getScope('service:b')).toBeUndefined();

        expect(await store.transferScope('service:a', 'o2', 'o3', T0 + 3)).toBe(false);
        expect((await store.getScope('service:a'))?.orderId).toBe('o1');
        expect(await store.transferScope('service:a', 'o1', 'o2', T0 + 4)).toBe(true);
        expect(await store.getScope('service:a')).toEqual({ scope: 'service:a', orderId: 'o2', since: T0 + 4 });
        expect(await store.transferScope('service:b', 'o1', 'o2', T0 + 4)).toBe(false);
        expect(await store.getScope('service:b')).toBeUndefined();

        expect(await store.releaseScope('service:a', 'o1')).toBe(false);
        expect((await store.getScope('service:a'))?.orderId).toBe('o2');
        expect(await store.releaseScope('service:a', 'o2')).toBe(true);
        expect(await store.getScope('service:a')).toBeUndefined();
        expect(await store.releaseScope('service:a', 'o2')).toBe(false);
        expect(await store.acquireScope('service:a', 'o3', T0 + 5)).toEqual({ ok: true });
        expect((await store.getScope('service:a'))?.orderId).toBe('o3');
      });
    });

    describe('idempotency keys', () => {
      it('claims a key once and returns the first claim afterwards', async () => {
        const first = { key: 'k1', orderId: 'o1', bodyHash: 'h1', createdAt: T0 };
        expect(await store.claimIdempotencyKey(first)).toBeUndefined();
        expect(await store.claimIdempotencyKey({ key: 'k1', orderId: 'o2', bodyHash: 'h2', createdAt: T0 + 1 })).toEqual(first);
        expect(await store.claimIdempotencyKey(first)).toEqual(first);
        expect(await store.claimIdempotencyKey({ key: 'k2', orderId: 'o2', bodyHash: 'h2', createdAt: T0 })).toBeUndefined();
      });
    });

    describe('stats', () => {
      it('counts reads, writes and bytes written', async () => {
        const snap = () => ({ ...store.stats() });
        const s0 = snap();
        expect(s0.reads).toBeGreaterThanOrEqual(0);

        await store.putTasks('o1', Array.from({ length: 10 }, (_, i) => task(`0/0/t${i}`)));
        const s1 = snap();
        expect(s1.writes).toBeGreaterThanOrEqual(s0.writes + 10);
        expect(s1.bytesWritten).toBeGreaterThan(s0.bytesWritten);

        expect(await store.listTasks('o1')).toHaveLength(10);
        const s2 = snap();
        expect(s2.reads).toBeGreaterThanOrEqual(s1.reads + 10);

        expect(await store.getOrder('missing')).toBeUndefined();
        const s3 = snap();
        expect(s3.reads).toBeGreaterThan(s2.reads);

        await store.createOrder(spec('o1', T0), head());
        const s4 = snap();
        expect(s4.writes).toBeGreaterThan(s3.writes);
        expect(s4.bytesWritten).toBeGreaterThan(s3.bytesWritten);

        // a conditional write that loses is still an attempt
        await expect(store.updateOrder('o1', head('RUNNING'), 7)).rejects.toBeInstanceOf(ConflictError);
        expect(snap().writes).toBeGreaterThan(s4.writes);
      });
    });
  });
}
