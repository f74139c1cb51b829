// One seed, start to end: a random fleet and plan, a chaotic phase (crashes, lost and duplicated
// invocations, racing workers, flaky executors, users and alarms at random moments, clock jumps), then a
// calm phase in which an operator answers whatever waits for a human, and finally the invariants.

import { handleAlarms } from '../../shared/alarms/handle.ts';
import type { Command, Reply } from '../../shared/engine/io.ts';
import { isTerminal, type OrderStatus } from '../../shared/engine/types.ts';
import { upsertService } from '../../shared/runtime/services.ts';
import { submit } from '../../shared/runtime/submit.ts';
import { tick } from '../../shared/runtime/ticker.ts';
import { load } from '../../shared/runtime/worker.ts';
import type { Store } from '../../shared/store/store.ts';
import { checkInvariants } from './invariants.ts';
import { openerFor } from './stores.ts';
import { Rng } from './rng.ts';
import { CALM, SimCrash, World, type Chaos } from './world.ts';

export interface SeedResult {
  seed: number;
  ok: boolean;
  violations: string[];
  orders: Record<string, OrderStatus>;
  crashes: number;
  delivered: number;
  /** executor hook calls that went through (prepare and finalize, order and batch), when the seed has hooks */
  hookCalls: number;
  log: string[];
}

export interface SeedOptions {
  openStore?: () => Promise<{ store: Store; close: () => Promise<void> }>;
  steps?: number;
  /** the fleet's executor has order and batch hooks, like an ESS scaling group's */
  hooks?: boolean;
}


export async function runSeed(seed: number, opts: SeedOptions = {}): Promise<SeedResult> {
  const rng = new Rng(seed);
  const { store, close } = await (opts.openStore ?? openerFor(seed))();
  const chaos: Chaos = {
    crash: rng.pick([0, 0.01, 0.03, 0.06]),
    duplicate: rng.pick([0, 0.1, 0.3]),
    drop: rng.pick([0, 0.05, 0.15]),
    fault: rng.pick([0, 0.02, 0.1]),
    race: rng.pick([0, 0.1, 0.3]),
  };
  const w = new World(rng, store, chaos, opts.hooks ?? false);
  const statuses = new Map<string, OrderStatus>();
  const accepted: { nonce: string; orderId: string; name: string }[] = [];
  let nonce = 0;
  try {
    const plan = await makeFleetAndPlan(w, rng);
    const orderId = await submitWithRetries(w, plan);
    w.note(`submitted ${orderId}: ${plan.replace(/\n/g, ' | ')}`);
    const orders = () => [orderId, `${orderId}-rollback`];

    const observe = async () => {
      for (const id of orders()) {
        const rec = await w.rawStore.getOrder(id);
        if (!rec) continue;
        const before = statuses.get(id);
        if (before && isTerminal(before) && rec.head.status !== before) w.violation(`${id} left terminal ${before} for ${rec.head.status}`);
        statuses.set(id, rec.head.status);
      }
    };

    const command = async (id: string, c: Command) => {
      const tag = `sim-${nonce++}`;
      try {
        const [reply] = await w.dispatcher.call(id, [{ type: 'command', command: c, actor: 'user', reason: tag }]);
        if (reply?.ok && reply.applied) accepted.push({ nonce: tag, orderId: id, name: c.name });
        w.note(`user ${c.name} ${JSON.stringify(c)} on ${id}: ${reply ? (reply.ok ? `applied=${reply.applied} ${reply.message}` : `${reply.error}: ${reply.message}`) : 'no reply'}`);
        return reply as Reply | undefined;
      } catch (e) {
        if (!(e instanceof SimCrash)) throw e;
        w.note(`user ${c.name} on ${id}: crashed (${e.message})`);
        w.restart();
      }
    };

    // chaos
    const steps = opts.steps ?? rng.int(60, 220);
    for (let i = 0; i < steps; i++) {
      const roll = rng.next();
      if (roll < 0.55) {
        if (!(await w.deliverOne())) w.now += rng.int(1, 2_000);
      } else if (roll < 0.7) {
        const id = rng.chance(0.85) ? orderId : `${orderId}-rollback`;
        const rec = await load(w.rt, id).catch(() => undefined);
        if (rec) await command(id, randomCommand(rng, rec.spec.items.flatMap((it) => it.batches.flat()), rec.head.status));
      } else if (roll < 0.75) {
        const state = rng.pick(['ALARM', 'OK', 'ALARM'] as const);
        const alarmId = `alarm-${rng.int(1, 4)}`; // repeats are deliveries of the same notification
        try {
          await handleAlarms(w.rt, [{ id: alarmId, name: 'sim-alarm', state, dimensions: { service: rng.pick(['svc-0', 'svc-1', 'other']) }, at: w.now, source: 'cloudmonitor' }]);
        } catch (e) {
          if (!(e instanceof SimCrash)) throw e;
          w.restart();
        }
      } else if (roll < 0.85) {
        try {
          await tick(w.rt);
        } catch (e) {
          if (!(e instanceof SimCrash)) throw e;
          w.restart();
        }
      } else if (roll < 0.97) w.now += rng.int(100, 10_000);
      else w.now += rng.int(60_000, 3 * 86_400_000); // a clock jump
      await observe();
    }

    // calm: no more faults; an operator answers what waits for a human until everything has finished
    w.chaos = { ...CALM };
    for (let round = 0; round < 400; round++) {
      while (await w.deliverOne()) await observe();
      await tick(w.rt);
      await observe();
      const recs = (await Promise.all(orders().map((id) => w.rawStore.getOrder(id)))).filter((r) => r !== undefined);
      // open: not finished, or finished with its finalizers still to run
      const open = recs.filter((r) => !isTerminal(r.head.status) || r.head.finalizedAt === undefined);
      if (open.length === 0 && w.dispatcher.queue.length === 0) break;
      for (const rec of open) {
        const s = rec.head.status;
        if (s === 'WAITING_MANUAL' || s === 'FAILURE_PAUSED') await command(rec.spec.id, { name: 'continue' });
        else if (s === 'PAUSED' || s === 'SYSTEM_ERROR') await command(rec.spec.id, { name: 'resume' });
      }
      // time moves on to whatever is next: a queued invocation or a stored deadline (a window may be days away)
      const deadlines = open.map((r) => r.head.dueAt).filter((t): t is number => t !== undefined);
      const next = Math.min(w.dispatcher.nextAt() ?? Infinity, ...deadlines);
      w.now = Math.max(w.now + 1_000, Number.isFinite(next) ? next : 0);
    }
    await observe();
    await checkInvariants(w, orders(), statuses, accepted);
  } catch (e) {
    w.violation(`the run threw: ${(e as Error).stack ?? e}`);
  } finally {
    await close();
  }
  return { seed, ok: w.violations.length === 0, violations: w.violations, orders: Object.fromEntries(statuses), crashes: w.crashes, delivered: w.dispatcher.delivered, hookCalls: w.hooked.prepared.size + w.hooked.finalized.size, log: w.log };
}

function randomCommand(rng: Rng, targets: string[], status: OrderStatus): Command {
  const targetId = targets.length ? rng.pick(targets) : 'none';
  const kinds: Command[] = [
    { name: 'pause' },
    { name: 'resume' },
    { name: 'continue' },
    { name: 'continue', batch: rng.int(1, 4) },
    { name: 'abort' },
    { name: 'abort', rollback: true },
    { name: 'rollback', options: rng.chance(0.5) ? { batchNumber: rng.int(1, 3) } : {} },
    { name: 'retry', targetId },
    { name: 'skip', targetId },
    { name: 'cancel', targetId },
  ];
  // aborts end the interesting part early: make them rarer than the rest
  const pick = rng.pick(kinds);
  return pick.name === 'abort' && status === 'RUNNING' && rng.chance(0.5) ? { name: 'pause' } : pick;
}

async function makeFleetAndPlan(w: World, rng: Rng): Promise<string> {
  const services = rng.int(1, 3);
  const items: string[] = [];
  for (let s = 0; s < services; s++) {
    const n = rng.int(1, 10);
    const targets = Array.from({ length: n }, (_, i) => ({ id: `s${s}-t${i}`, labels: [i === 0 ? 'zone=a' : rng.pick(['zone=a', 'zone=b']), ...(rng.chance(0.3) ? ['canary'] : [])], version: '1.0' }));
    const failTargets = rng.chance(0.2) ? [rng.pick(targets).id] : [];
    await upsertService({ ...w.rt, store: w.rawStore }, `svc-${s}`, {
      executor: { type: 'simulated', latencyMs: rng.pick([0, 0, 50, 500, 5_000]), failTargets, failRate: rng.pick([0, 0, 0.1, 0.3]), unhealthyTargets: rng.chance(0.15) ? [rng.pick(targets).id] : [] },
      targets,
    });
    const batching = rng.chance(0.5) ? `    batchNumber: ${rng.int(1, 4)}\n` : `    batches: [1, "${rng.pick([25, 50, 75])}%", "100%"]\n`;
    items.push(
      `  - serviceId: svc-${s}\n    priority: ${rng.int(0, 2)}\n    deployment: ${rng.pick(['HTTP_UPLOAD_DEPLOY', 'HTTP_UPLOAD_DEPLOY', 'STOP', 'RESTART'])}\n    httpSrcUri: https://example.com/svc-${s}-2.zip\n    version: "2.${s}"\n` +
        batching +
        `    containerExecMethod: ${rng.pick(['PARALLEL', 'SEQUENTIAL'])}\n` +
        (rng.chance(0.3) ? `    maxConcurrency: ${rng.int(1, 3)}\n` : '') +
        `    batchPauseOption: ${rng.pick(['Automatic', 'Automatic', 'FirstBatchPause', 'EveryBatchPause'])}\n` +
        (rng.chance(0.3) ? `    batchWaitSeconds: ${rng.int(1, 120)}\n` : '') +
        `    maxErrors: ${rng.int(0, 2)}\n    onFailure: ${rng.pick(['fail', 'pause', 'rollback'])}\n` +
        (rng.chance(0.2) ? `    bakeSeconds: ${rng.int(1, 60)}\n` : '') +
        (rng.chance(0.2) ? '    healthCheck: { type: http, path: /healthz }\n' : '') +
        (rng.chance(0.2) ? '    deployLabel: zone=a,canary\n' : ''),
    );
  }
  const window = rng.chance(0.2) ? 'window:\n  timezone: Asia/Shanghai\n  allow: ["MON-FRI 09:00-18:00"]\n  deny: ["12:00-13:00"]\n' : '';
  return `comment: sim\nonAlarm: ${rng.pick(['rollback', 'pause', 'ignore'])}\n${window}deployPlanItems:\n${items.join('')}`;
}

/** a client retrying its submission with the same Idempotency-Key until it gets an answer */
async function submitWithRetries(w: World, plan: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    try {
      const r = await submit(w.rt, plan, { idempotencyKey: 'sim-submit', contentType: 'application/yaml' });
      return r.body.changeOrderId as string;
    } catch (e) {
      if (e instanceof SimCrash) {
        w.restart();
        continue;
      }
      throw e;
    }
  }
  throw new Error('submission never succeeded');
}
