// The cloud dispatcher: work is handed on by asynchronous invocations of the worker function. Calls made
// during an invocation are buffered and flushed at its end, merged per order and delay, so an order costs
// O(batches + polls) invocations, not O(targets).

import type { Effect, Input, Reply } from '../engine/io.ts';
import type { Dispatcher, Runtime } from '../runtime/runtime.ts';
import { step } from '../runtime/worker.ts';
import type { Invoker } from './fc-invoker.ts';

/** the worker's event: which order, and what to feed it */
export interface WorkerPayload {
  orderId: string;
  inputs?: Input[];
  effects?: Effect[];
}

/** FC async payloads are limited to 128 KB */
const MAX_PAYLOAD = 120 * 1024;
/** x-fc-async-delay accepts up to an hour; later timers are left to the ticker */
const MAX_DELAY_S = 3600;

interface Pending {
  orderId: string;
  delay: number;
  inputs: Input[];
  effects: Effect[];
}

export class FcDispatcher implements Dispatcher {
  private pending: Pending[] = [];
  private rt?: Runtime;

  constructor(
    private readonly invoker: Invoker,
    private readonly workerFunction: string,
    private readonly now: () => number = Date.now,
  ) {}

  attach(rt: Runtime): void {
    this.rt = rt;
  }

  submit(orderId: string, inputs: Input[] = [], effects: Effect[] = []): void {
    this.pending.push({ orderId, delay: 0, inputs, effects });
  }

  wakeAt(orderId: string, at: number): void {
    const delay = Math.max(0, Math.ceil((at - this.now()) / 1000));
    if (delay <= MAX_DELAY_S) this.pending.push({ orderId, delay, inputs: [], effects: [] });
  }

  pollLater(orderId: string, key: string, attempt: number, ms: number): void {
    this.pending.push({ orderId, delay: Math.min(MAX_DELAY_S, Math.ceil(ms / 1000)), inputs: [], effects: [{ type: 'pollTask', key, attempt }] });
  }

  /** in the API function: store the decision now, hand its effects to a worker */
  async call(orderId: string, inputs: Input[]): Promise<(Reply | undefined)[]> {
    if (!this.rt) throw new Error('FcDispatcher used before attach()');
    const r = await step(this.rt, orderId, inputs);
    if (!r) return [];
    if (r.effects.length) this.submit(orderId, [], r.effects);
    await this.flush();
    return r.replies;
  }

  /** sends what was buffered; call at the end of every invocation */
  async flush(): Promise<number> {
    const groups = new Map<string, Pending>();
    for (const p of this.pending.splice(0)) {
      const key = `${p.orderId} ${p.delay}`;
      const g = groups.get(key);
      if (g) {
        g.inputs.push(...p.inputs);
        g.effects.push(...p.effects);
      } else groups.set(key, { ...p, inputs: [...p.inputs], effects: [...p.effects] });
    }
    // a bare wake-up is redundant when the same order is invoked no later anyway
    const sends = [...groups.values()].filter((g) => g.inputs.length || g.effects.length || ![...groups.values()].some((o) => o !== g && o.orderId === g.orderId && o.delay <= g.delay));
    let sent = 0;
    for (const g of sends) {
      for (const payload of chunk(g)) {
        await this.invoker.invokeAsync(this.workerFunction, JSON.stringify(payload), g.delay);
        sent++;
      }
    }
    return sent;
  }
}

function chunk(g: Pending): WorkerPayload[] {
  const whole: WorkerPayload = { orderId: g.orderId, inputs: g.inputs, effects: dedupe(g.effects) };
  if (JSON.stringify(whole).length <= MAX_PAYLOAD) return [whole];
  const out: WorkerPayload[] = [{ orderId: g.orderId, inputs: g.inputs, effects: [] }];
  for (const e of whole.effects!) {
    const last = out[out.length - 1];
    if (JSON.stringify(last).length + JSON.stringify(e).length > MAX_PAYLOAD) out.push({ orderId: g.orderId, effects: [e] });
    else last.effects!.push(e);
  }
  return out;
}

const dedupe = (effects: Effect[]) => [...new Map(effects.map((e) => [JSON.stringify(e), e])).values()];
