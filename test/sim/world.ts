// The simulated world of one seed: a virtual clock, a store that can crash around any write, a queue of
// asynchronous invocations that are delayed, duplicated, reordered and lost, process-local timers that a
// crash drops, a second worker that races the first, flaky executors, and users pressing buttons.
// Everything random comes from one seeded generator, so a seed replays exactly.

import { ExecutorFault, type Executor, type TaskSpec } from '../../shared/executors/executor.ts';
import { ExecutorRegistry } from '../../shared/executors/registry.ts';
import type { Effect, Input, Reply } from '../../shared/engine/io.ts';
import type { Dispatcher, Runtime } from '../../shared/runtime/runtime.ts';
import { silentLogger } from '../../shared/runtime/runtime.ts';
import { drive, step } from '../../shared/runtime/worker.ts';
import type { Store } from '../../shared/store/store.ts';
import type { Rng } from './rng.ts';

export class SimCrash extends Error {
  override readonly name = 'SimCrash';
}

export interface Chaos {
  crash: number; // per store write, before or after it
  duplicate: number; // per async invocation
  drop: number; // per async invocation
  fault: number; // per executor call
  race: number; // a second worker runs the same order at once
}

export const CALM: Chaos = { crash: 0, duplicate: 0, drop: 0, fault: 0, race: 0 };

const WRITES = ['putService', 'deleteService', 'putTargets', 'updateTarget', 'createOrder', 'updateOrder', 'deleteOrder', 'putTasks', 'appendEvents', 'acquireScope', 'transferScope', 'releaseScope', 'claimIdempotencyKey'] as const;

/** the store as the orchestrator sees it: any write may be the last thing the process does */
export function crashingStore(inner: Store, world: { rng: Rng; chaos: Chaos; crashes: number }): Store {
  const wrapped = Object.create(inner) as Store;
  for (const name of WRITES) {
    const original = (inner[name] as (...a: unknown[]) => Promise<unknown>).bind(inner);
    (wrapped as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      if (world.chaos.crash > 0 && world.rng.chance(world.chaos.crash)) {
        world.crashes++;
        throw new SimCrash(`crash before ${name}`);
      }
      const r = await original(...args);
      if (world.chaos.crash > 0 && world.rng.chance(world.chaos.crash)) {
        world.crashes++;
        throw new SimCrash(`crash after ${name}`);
      }
      return r;
    };
  }
  return wrapped;
}

interface Message {
  seq: number;
  at: number;
  orderId: string;
  inputs: Input[];
  effects: Effect[];
  /** async invocations survive a crash (FC holds them); timers of a process do not */
  durable: boolean;
  attempt: number;
}

/** FC's async invocation queue and a process's timers, in virtual time */
export class SimDispatcher implements Dispatcher {
  queue: Message[] = [];
  private seq = 0;
  rt!: Runtime;
  delivered = 0;

  constructor(private readonly world: World) {}

  private push(m: Omit<Message, 'seq' | 'attempt'>, attempt = 0): void {
    const w = this.world;
    if (m.durable && w.chaos.drop > 0 && w.rng.chance(w.chaos.drop)) return w.note('dropped an invocation');
    this.queue.push({ ...m, seq: this.seq++, attempt });
    if (m.durable && w.chaos.duplicate > 0 && w.rng.chance(w.chaos.duplicate)) this.queue.push({ ...m, seq: this.seq++, at: m.at + w.rng.int(0, 3000), attempt });
  }

  submit(orderId: string, inputs: Input[] = [], effects: Effect[] = []): void {
    this.push({ at: this.world.now + this.world.rng.int(0, 200), orderId, inputs, effects, durable: true });
  }
  wakeAt(orderId: string, at: number): void {
    this.push({ at, orderId, inputs: [], effects: [], durable: false });
  }
  pollLater(orderId: string, key: string, attempt: number, ms: number): void {
    this.push({ at: this.world.now + ms, orderId, inputs: [], effects: [{ type: 'pollTask', key, attempt }], durable: false });
  }
  async call(orderId: string, inputs: Input[]): Promise<(Reply | undefined)[]> {
    const r = await step(this.rt, orderId, inputs);
    if (!r) return [];
    if (r.effects.length) this.submit(orderId, [], r.effects);
    return r.replies;
  }

  retry(m: Message): void {
    if (m.durable && m.attempt < 3) this.queue.push({ ...m, seq: this.seq++, at: this.world.now + 500 * 2 ** m.attempt, attempt: m.attempt + 1 });
  }

  /** a crash: the process's timers are gone; FC's queue is not */
  dropVolatile(): void {
    this.queue = this.queue.filter((m) => m.durable);
  }

  /** the next message due, chosen among the due ones at random (reordering) */
  takeDue(): Message | undefined {
    const due = this.queue.filter((m) => m.at <= this.world.now);
    if (!due.length) return undefined;
    const m = due.length > 1 && this.world.chaos.duplicate > 0 ? this.world.rng.pick(due) : due.reduce((a, b) => (a.at < b.at || (a.at === b.at && a.seq < b.seq) ? a : b));
    this.queue.splice(this.queue.indexOf(m), 1);
    return m;
  }

  nextAt(): number | undefined {
    return this.queue.length ? Math.min(...this.queue.map((m) => m.at)) : undefined;
  }
}

/** per target, the attempt keys that were allowed to change it */
export type Ledger = Map<string, Set<string>>;

/** executors that sometimes cannot be reached, and a ledger of which attempt changed which target */
function flakyExecutors(world: World, fleet: Store): ExecutorRegistry {
  const real = new ExecutorRegistry({ fleet, now: () => world.now });
  const made = new Map<string, Executor>();
  const registry = Object.create(real) as ExecutorRegistry;
  registry.get = (type: string) => {
    let e = made.get(type);
    if (e) return e;
    const inner = real.get(type);
    const flaky = (fn: (t: TaskSpec) => Promise<import('../../shared/executors/executor.ts').TaskReport>) => async (t: TaskSpec) => {
      if (world.chaos.fault > 0 && world.rng.chance(world.chaos.fault)) throw new ExecutorFault('simulated: connect ETIMEDOUT');
      return fn(t);
    };
    e = {
      ...inner,
      type,
      start: flaky(async (t) => {
        if (world.hooks) await checkPrepared(world, fleet, t);
        const target = await fleet.getTarget(t.service.id, t.targetId);
        const inflight = (target?.state as { inflight?: { key: string } } | undefined)?.inflight;
        if (inflight && inflight.key !== t.idempotencyKey) world.violation(`two attempts at once on ${t.targetId}: ${inflight.key} and ${t.idempotencyKey}`);
        const key = `${t.service.id}/${t.targetId}`;
        if (!world.ledger.has(key)) world.ledger.set(key, new Set());
        world.ledger.get(key)!.add(t.idempotencyKey);
        return inner.start(t);
      }),
      poll: flaky((t) => inner.poll(t)),
      checkHealth: inner.checkHealth?.bind(inner),
      ...(world.hooks ? hooksFor(world) : {}),
    };
    made.set(type, e);
    return e;
  };
  return registry;
}

/**
 * Order and batch hooks like those of ESS scaling groups (suspend processes, Standby in and out): they fail
 * like any executor call, and they record what was prepared and finalized so that a start can be checked
 * against them.
 */
function hooksFor(world: World): Pick<Executor, 'prepareOrder' | 'finalizeOrder' | 'prepareBatch' | 'finalizeBatch'> {
  const call = (what: string, record: () => void) => async () => {
    if (world.chaos.fault > 0 && world.rng.chance(world.chaos.fault)) throw new ExecutorFault(`simulated: ${what} ETIMEDOUT`);
    record();
  };
  return {
    prepareOrder: (order, item) => call('prepareOrder', () => world.hooked.prepared.add(`${order.id}/${item.serviceId}`))(),
    finalizeOrder: (order, item) => call('finalizeOrder', () => world.hooked.finalized.add(`${order.id}/${item.serviceId}`))(),
    prepareBatch: (order, item, batch) => call('prepareBatch', () => world.hooked.prepared.add(`${order.id}/${item.serviceId}/${batch}`))(),
    finalizeBatch: (order, item, batch) => call('finalizeBatch', () => world.hooked.finalized.add(`${order.id}/${item.serviceId}/${batch}`))(),
  };
}

/** a task of an item with hooks starts only after its order and its batch were prepared */
async function checkPrepared(world: World, store: Store, t: TaskSpec): Promise<void> {
  const rec = await store.getOrder(t.orderId);
  const [item, batch] = t.key.split('/').map(Number);
  const hooks = rec?.spec.items[item]?.hooks;
  const svc = t.service.id;
  if (hooks?.order && !world.hooked.prepared.has(`${t.orderId}/${svc}`)) world.violation(`${t.key} of ${t.orderId} started before its order was prepared`);
  if (hooks?.batch && !world.hooked.prepared.has(`${t.orderId}/${svc}/${batch}`)) world.violation(`${t.key} of ${t.orderId} started before batch ${batch + 1} was prepared`);
  if (hooks?.batch && world.hooked.finalized.has(`${t.orderId}/${svc}/${batch}`)) world.violation(`${t.key} of ${t.orderId} started after batch ${batch + 1} was finalized`);
}

export class World {
  now = Date.UTC(2026, 10, 23, 2, 0, 0); // Monday 10:00 in Shanghai
  chaos: Chaos;
  crashes = 0;
  readonly ledger: Ledger = new Map();
  /** executor hooks (when the seed has them): what was prepared and finalized, by order/service[/batch] */
  readonly hooked = { prepared: new Set<string>(), finalized: new Set<string>() };
  readonly violations: string[] = [];
  readonly log: string[] = [];
  readonly dispatcher: SimDispatcher;
  readonly rt: Runtime;
  /** a second process: its own cache, the same store and queue */
  readonly rt2: Runtime;

  constructor(
    readonly rng: Rng,
    readonly rawStore: Store,
    chaos: Chaos,
    readonly hooks = false,
    leaseMs = 5_000,
  ) {
    this.chaos = chaos;
    this.dispatcher = new SimDispatcher(this);
    const store = crashingStore(rawStore, this);
    const executors = flakyExecutors(this, rawStore);
    const newId = () => `sim-${this.rng.int(0, 2 ** 30).toString(16)}`;
    const base = { store, executors, now: () => this.now, dispatcher: this.dispatcher, log: silentLogger, engine: { leaseMs }, newId };
    this.rt = { ...base, cache: new Map() };
    this.rt2 = { ...base, cache: new Map() };
    this.dispatcher.rt = this.rt;
  }

  note(s: string): void {
    this.log.push(`${new Date(this.now).toISOString()} ${s}`);
    if (this.log.length > 400) this.log.shift();
  }

  violation(s: string): void {
    this.violations.push(s);
    this.note(`VIOLATION ${s}`);
  }

  /** the process died: what it held in memory is gone */
  restart(): void {
    this.rt.cache.clear();
    this.rt2.cache.clear();
    this.dispatcher.dropVolatile();
  }

  /** runs one due message (sometimes racing a second worker on the same order); false when none is due */
  async deliverOne(): Promise<boolean> {
    const m = this.dispatcher.takeDue();
    if (!m) return false;
    this.dispatcher.delivered++;
    const race = this.chaos.race > 0 && this.rng.chance(this.chaos.race) ? this.dispatcher.queue.find((o) => o.orderId === m.orderId && o.durable) : undefined;
    if (race) this.dispatcher.queue.splice(this.dispatcher.queue.indexOf(race), 1);
    const run = async (rt: Runtime, msg: Message) => {
      try {
        await drive(rt, msg.orderId, msg.inputs, { pending: msg.effects, maxRounds: 50 });
      } catch (e) {
        if (!(e instanceof SimCrash) && !/conflict/i.test(String((e as Error).message))) throw e;
        this.note(`worker ${msg.orderId}: ${(e as Error).message}`);
        this.dispatcher.retry(msg);
        if (e instanceof SimCrash) this.restart();
      }
    };
    await Promise.all([run(this.rt, m), race ? run(this.rt2, race) : Promise.resolve()]);
    return true;
  }
}
