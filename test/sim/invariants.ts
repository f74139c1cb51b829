// What must hold at the end of every seed (SPEC §5–§6).

import { isTerminal, type OrderStatus, type Task } from '../../shared/engine/types.ts';
import type { World } from './world.ts';

export async function checkInvariants(w: World, orderIds: string[], statuses: Map<string, OrderStatus>, accepted: { nonce: string; orderId: string; name: string }[]): Promise<void> {
  const store = w.rawStore;
  const fail = (s: string) => w.violation(s);
  const orders = [];
  for (const id of orderIds) {
    const rec = await store.getOrder(id);
    if (!rec) continue;
    const tasks = await store.listTasks(id);
    orders.push({ rec, tasks });
    // every order ends; every terminal order ran its finalizers and holds no lock
    if (!isTerminal(rec.head.status)) fail(`${id} did not finish: ${rec.head.status}`);
    else if (rec.head.finalizedAt === undefined) fail(`${id} is ${rec.head.status} but its finalizers never completed`);
    for (const scope of rec.spec.scopes) {
      const holder = await store.getScope(scope);
      if (holder && isTerminal(rec.head.status) && holder.orderId === id) fail(`${scope} is still held by finished ${id}`);
    }
    // every status change has its audit event, ending with the final one
    const events = await store.listEvents(id);
    const changes = events.filter((e) => e.type === 'status');
    if (rec.head.startedAt !== undefined || isTerminal(rec.head.status)) {
      const last = changes.at(-1)?.status;
      if (last !== rec.head.status) fail(`${id}: last status event says ${last}, the order is ${rec.head.status}`);
    }
    for (let i = 1; i < events.length; i++) if (events[i].seq <= events[i - 1].seq) fail(`${id}: events out of order`);
    // no accepted command lost or applied twice: each command's events carry its nonce in their reason,
    // and no event type repeats for one nonce (an abort may also write 'rollbackRequested' and 'finished')
    const byNonce = new Map<string, string[]>();
    for (const e of events) {
      const n = /sim-\d+/.exec(e.reason)?.[0];
      if (n) byNonce.set(n, [...(byNonce.get(n) ?? []), e.type]);
    }
    for (const a of accepted.filter((x) => x.orderId === id)) if (!byNonce.has(a.nonce)) fail(`${id}: accepted command ${a.name} (${a.nonce}) left no audit event`);
    for (const [n, types] of byNonce) if (new Set(types).size !== types.length) fail(`${id}: command ${n} applied twice (${types.join(', ')})`);
    if (statuses.get(id) !== rec.head.status) fail(`${id}: last observed ${statuses.get(id)}, stored ${rec.head.status}`);
    // an order that prepared its services (ESS: suspended processes) finalized them once it ended
    if (w.hooks && isTerminal(rec.head.status)) {
      for (const item of rec.spec.items) {
        const k = `${id}/${item.serviceId}`;
        if (item.hooks?.order && w.hooked.prepared.has(k) && !w.hooked.finalized.has(k)) fail(`${id}: ${item.serviceId} was prepared but never finalized`);
        // a batch is released by its own finalizeBatch, or (an order that stopped mid-batch) by finalizeOrder
        const released = (b: number) => w.hooked.finalized.has(`${k}/${b}`) || (item.hooks?.order && w.hooked.finalized.has(k));
        for (let b = 0; b < item.batches.length; b++) if (w.hooked.prepared.has(`${k}/${b}`) && !released(b)) fail(`${id}: ${item.serviceId} batch ${b + 1} was prepared but never released`);
      }
    }
  }

  // no target changed twice for one attempt, nor by an attempt the orchestrator did not start
  for (const svc of await store.listServices()) {
    for (const t of await store.listTargets(svc.id)) {
      const keys = w.ledger.get(`${svc.id}/${t.id}`) ?? new Set();
      if (t.changeCount !== keys.size) fail(`${svc.id}/${t.id}: changeCount ${t.changeCount} but ${keys.size} attempts started`);
    }
  }

  // every target's final version agrees with the tasks that changed it
  const finalVersion = new Map<string, { at: number; version: string }>();
  for (const { rec, tasks } of orders) {
    for (const t of tasks as Task[]) {
      // a change that went through counts, even if its health check then failed it (and it was skipped or
      // cancelled), or a later attempt failed without touching the target again
      if (t.status !== 'SUCCEEDED' && !t.changed) continue;
      const svc = rec.spec.items[t.item].serviceId;
      const key = `${svc}/${t.targetId}`;
      const prev = finalVersion.get(key);
      if (t.toVersion !== undefined && (!prev || (t.finishedAt ?? 0) >= prev.at)) finalVersion.set(key, { at: t.finishedAt ?? 0, version: t.toVersion });
    }
  }
  for (const [key, want] of finalVersion) {
    const [svc, id] = key.split('/');
    const t = await store.getTarget(svc, id);
    if (!t) continue;
    const observed = (t.state as { inflight?: unknown }).inflight ? undefined : t.version;
    if (observed !== undefined && observed !== want.version) fail(`${key}: version ${observed}, but the last change that succeeded set ${want.version}`);
  }
  const deploy = orders.find((o) => o.rec.spec.type === 'deploy');
  if (deploy?.rec.head.status === 'SUCCEEDED' && !deploy.rec.head.rolledBackBy) {
    for (const t of deploy.tasks) if (t.status !== 'SUCCEEDED' && t.status !== 'SKIPPED') fail(`SUCCEEDED order has task ${t.key} ${t.status}`);
  }
}
