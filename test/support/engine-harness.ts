// Drives the pure engine by hand: no store, no executors, an injected clock. Tests say which tasks
// succeed or fail and when, and read back the decisions.

import { decide, initialHead } from '../../shared/engine/decide.ts';
import type { Command, Decision, Effect, Input } from '../../shared/engine/io.ts';
import type { ItemSpec, OrderSpec, OrderState, Task } from '../../shared/engine/types.ts';

export function item(serviceId: string, batches: string[][], over: Partial<ItemSpec> = {}): ItemSpec {
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
    version: '2.0',
    artifact: {},
    batches,
    ...over,
  };
}

/** ids t-1..t-n split into batches of the given sizes */
export function targets(prefix: string, ...sizes: number[]): string[][] {
  let n = 0;
  return sizes.map((s) => Array.from({ length: s }, () => `${prefix}-${++n}`));
}

export function order(items: ItemSpec[], over: Partial<OrderSpec> = {}): OrderSpec {
  return { id: 'co-1', type: 'deploy', createdAt: 0, comment: '', origin: 'plan', onAlarm: 'rollback', scopes: items.map((i) => `service:${i.serviceId}`), items, ...over };
}

export class Harness {
  state: OrderState;
  now = 1_000;
  /** every decision, for assertions on effects and events */
  readonly decisions: Decision[] = [];
  /** highest number of RUNNING tasks per service seen after any decision */
  readonly peak = new Map<string, number>();

  constructor(spec: OrderSpec) {
    this.state = { spec, head: initialHead(spec.items), version: 1, tasks: {} };
  }

  send(input: Input): Decision {
    const d = decide(this.state, input, this.now);
    this.decisions.push(d);
    this.state = { ...d.state, version: d.changed ? this.state.version + 1 : this.state.version };
    for (const [i, s] of this.state.spec.items.entries()) {
      const running = this.tasks().filter((t) => t.item === i && t.status === 'RUNNING').length;
      this.peak.set(s.serviceId, Math.max(this.peak.get(s.serviceId) ?? 0, running));
    }
    return d;
  }

  tick(sweep = false): Decision {
    return this.send({ type: 'tick', sweep });
  }

  cmd(command: Command, actor: 'user' | 'alarm' = 'user'): Decision {
    return this.send({ type: 'command', command, actor });
  }

  get status() {
    return this.state.head.status;
  }

  tasks(): Task[] {
    return Object.values(this.state.tasks);
  }

  running(serviceId?: string): Task[] {
    return this.tasks().filter((t) => t.status === 'RUNNING' && (serviceId === undefined || this.state.spec.items[t.item].serviceId === serviceId));
  }

  task(targetId: string): Task | undefined {
    return this.tasks().find((t) => t.targetId === targetId);
  }

  /** reports outcomes for running tasks: every one succeeds unless named in `fail` */
  complete(opts: { only?: string[]; fail?: string[]; changedOnFail?: boolean } = {}): Decision {
    const outcomes = this.running()
      .filter((t) => !opts.only || opts.only.includes(t.targetId))
      .map((t) => {
        const failed = opts.fail?.includes(t.targetId);
        return { key: t.key, attempt: t.attempt, state: failed ? ('failed' as const) : ('succeeded' as const), fromVersion: '1.0', toVersion: failed ? undefined : t.toVersion, changed: failed ? Boolean(opts.changedOnFail) : true, message: failed ? 'boom' : 'ok' };
      });
    return this.send({ type: 'outcomes', outcomes });
  }

  /** completes running tasks round after round until the order stops moving on its own */
  runToRest(fail: string[] = [], limit = 1000): void {
    for (let i = 0; i < limit && this.running().length > 0; i++) this.complete({ fail });
  }

  advance(ms: number): Decision {
    this.now += ms;
    return this.tick();
  }

  effects(): Effect[] {
    return this.decisions.flatMap((d) => d.effects);
  }

  events() {
    return this.decisions.flatMap((d) => d.events);
  }
}
