// The local dispatcher: an in-process queue per order. Work for one order runs one drive at a time, and
// inputs that arrive meanwhile are coalesced into the next drive (one decision, one head write for all).

import type { Effect, Input, Reply } from '../engine/io.ts';
import type { Dispatcher, Runtime } from './runtime.ts';
import { drive } from './worker.ts';

interface Call {
  inputs: Input[];
  resolve: (replies: (Reply | undefined)[]) => void;
  reject: (e: unknown) => void;
}

interface Lane {
  inputs: Input[];
  effects: Effect[];
  calls: Call[];
  wanted: boolean;
  busy: boolean;
  timer?: NodeJS.Timeout;
  timerAt?: number;
}

export class LocalDispatcher implements Dispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly pollTimers = new Set<NodeJS.Timeout>();
  private rt?: Runtime;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  attach(rt: Runtime): void {
    this.rt = rt;
  }

  submit(orderId: string, inputs: Input[] = [], effects: Effect[] = []): void {
    const lane = this.lane(orderId);
    lane.inputs.push(...inputs);
    lane.effects.push(...effects);
    lane.wanted = true;
    void this.kick(orderId, lane);
  }

  /** runs inputs through the order's lane and resolves with their replies once they are stored */
  call(orderId: string, inputs: Input[]): Promise<(Reply | undefined)[]> {
    const lane = this.lane(orderId);
    return new Promise((resolve, reject) => {
      lane.calls.push({ inputs, resolve, reject });
      lane.wanted = true;
      void this.kick(orderId, lane);
    });
  }

  wakeAt(orderId: string, at: number): void {
    if (this.stopped) return;
    const lane = this.lane(orderId);
    if (lane.timer && lane.timerAt !== undefined && lane.timerAt <= at) return;
    if (lane.timer) clearTimeout(lane.timer);
    lane.timerAt = at;
    const delay = Math.max(0, at - this.runtime().now()) + 1;
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      lane.timerAt = undefined;
      this.submit(orderId);
    }, Math.min(delay, 2 ** 31 - 1));
    lane.timer.unref();
  }

  pollLater(orderId: string, key: string, attempt: number, ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.pollTimers.delete(t);
      this.submit(orderId, [], [{ type: 'pollTask', key, attempt }]);
    }, ms);
    this.pollTimers.add(t);
  }

  /** resolves when no lane has work (timers may still be set) */
  idle(): Promise<void> {
    if (this.quiet()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    for (const lane of this.lanes.values()) if (lane.timer) clearTimeout(lane.timer);
    for (const t of this.pollTimers) clearTimeout(t);
    this.pollTimers.clear();
  }

  private quiet(): boolean {
    return [...this.lanes.values()].every((l) => !l.busy && (this.stopped || !l.wanted));
  }

  private lane(orderId: string): Lane {
    let lane = this.lanes.get(orderId);
    if (!lane) {
      lane = { inputs: [], effects: [], calls: [], wanted: false, busy: false };
      this.lanes.set(orderId, lane);
    }
    return lane;
  }

  private runtime(): Runtime {
    if (!this.rt) throw new Error('LocalDispatcher used before attach()');
    return this.rt;
  }

  private async kick(orderId: string, lane: Lane): Promise<void> {
    if (lane.busy || this.stopped) return;
    lane.busy = true;
    try {
      while (lane.wanted && !this.stopped) {
        lane.wanted = false;
        const calls = lane.calls.splice(0);
        const inputs = [...calls.flatMap((c) => c.inputs), ...lane.inputs.splice(0)];
        const effects = lane.effects.splice(0);
        let answered = false;
        const answer = (replies: (Reply | undefined)[]) => {
          answered = true;
          let at = 0;
          for (const c of calls) {
            c.resolve(replies.slice(at, at + c.inputs.length));
            at += c.inputs.length;
          }
        };
        try {
          await drive(this.runtime(), orderId, inputs, { pending: effects, onStored: answer });
        } catch (e) {
          if (!answered) for (const c of calls) c.reject(e);
          this.runtime().log.error('worker step failed; retrying', { orderId, error: String((e as Error)?.message ?? e) });
          // the stored deadline still stands; look again soon
          this.wakeAt(orderId, this.runtime().now() + 1000);
        }
      }
    } finally {
      lane.busy = false;
      if (!lane.timer && !lane.wanted) this.lanes.delete(orderId);
      if (this.quiet()) for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
