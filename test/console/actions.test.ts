// The console offers exactly the actions the engine applies: for each state of the engine's operations table
// (test/engine/operations.test.ts) and for every state of many random runs, an action is offered if and only
// if sending it to the engine is accepted and applied (not refused, not a harmless repeat).

import { describe, expect, it } from 'vitest';
import { orderView } from '../../shared/api/views.ts';
import { availableActions, type ConsoleAction } from '../../shared/api/console/actions.ts';
import type { Command } from '../../shared/engine/io.ts';
import { MAX_FAULTS } from '../../shared/engine/progress.ts';
import type { OrderStatus } from '../../shared/engine/types.ts';
import { Harness, item, order, targets } from '../support/engine-harness.ts';
import { reach } from '../support/engine-states.ts';

const label = (a: ConsoleAction) => ('targetId' in a ? `${a.name} ${a.targetId}` : a.name === 'continue' ? `continue ${a.batch}` : a.name);

/** what the console shows for the order in this harness */
const offered = (h: Harness) => availableActions(orderView(h.state)).map(label).sort();

/** every command the console could send, as the console would send it */
function candidates(h: Harness): { label: string; command: Command }[] {
  const view = orderView(h.state);
  const out: { label: string; command: Command }[] = [
    { label: `continue ${view.nextBatch ?? 1}`, command: { name: 'continue', batch: view.nextBatch ?? 1 } },
    { label: 'pause', command: { name: 'pause' } },
    { label: 'resume', command: { name: 'resume' } },
    { label: 'abort', command: { name: 'abort' } },
    { label: 'abortRollback', command: { name: 'abort', rollback: true } },
    { label: 'rollback', command: { name: 'rollback' } },
  ];
  for (const s of view.services) {
    for (const b of s.batches) {
      for (const t of b.tasks) {
        for (const name of ['retry', 'skip', 'cancel'] as const) out.push({ label: `${name} ${t.targetId}`, command: { name, targetId: t.targetId, serviceId: s.serviceId } });
      }
    }
  }
  return out;
}

/** the commands the engine accepts and applies in this harness's state, each tried on a copy */
function applied(h: Harness): string[] {
  const out: string[] = [];
  for (const c of candidates(h)) {
    const copy = new Harness(h.state.spec);
    copy.state = structuredClone(h.state);
    copy.now = h.now;
    const reply = copy.cmd(c.command).reply;
    if (reply?.ok && reply.applied) out.push(c.label);
  }
  return out.sort();
}

// what an operator sees in each state of the engine's table (targets t-1..t-4; t-1 failed where it ran)
const EXPECTED: Record<OrderStatus, string[]> = {
  READY: ['pause', 'abort', 'abortRollback', 'rollback', 'skip t-1', 'cancel t-1', 'skip t-2', 'cancel t-2', 'skip t-3', 'cancel t-3', 'skip t-4', 'cancel t-4'],
  RUNNING: ['pause', 'abort', 'abortRollback', 'rollback', 'retry t-1', 'skip t-1', 'cancel t-1', 'skip t-3', 'cancel t-3', 'skip t-4', 'cancel t-4'],
  SUCCEEDED: ['rollback'],
  FAILED: ['rollback'],
  STOPPED: ['rollback'],
  PARTIAL: ['rollback'],
  WAITING_MANUAL: ['continue 2', 'resume', 'abort', 'abortRollback', 'rollback', 'retry t-1', 'skip t-1', 'cancel t-1', 'skip t-3', 'cancel t-3', 'skip t-4', 'cancel t-4'],
  WAITING_AUTO: ['pause', 'abort', 'abortRollback', 'rollback', 'retry t-1', 'skip t-1', 'cancel t-1', 'skip t-3', 'cancel t-3', 'skip t-4', 'cancel t-4'],
  SYSTEM_ERROR: ['resume', 'abort', 'abortRollback', 'rollback', 'retry t-1', 'skip t-1', 'cancel t-1', 'skip t-3', 'cancel t-3', 'skip t-4', 'cancel t-4'],
  PAUSED: ['resume', 'abort', 'abortRollback', 'rollback', 'retry t-1', 'skip t-1', 'cancel t-1', 'skip t-3', 'cancel t-3', 'skip t-4', 'cancel t-4'],
  FAILURE_PAUSED: ['continue 1', 'abort', 'abortRollback', 'rollback', 'retry t-1', 'skip t-1', 'cancel t-1', 'skip t-3', 'cancel t-3', 'skip t-4', 'cancel t-4'],
  PAUSING: ['resume', 'abort', 'abortRollback', 'rollback', 'retry t-1', 'skip t-1', 'cancel t-1', 'skip t-3', 'cancel t-3', 'skip t-4', 'cancel t-4'],
  STOPPING: ['abortRollback', 'rollback', 'retry t-1', 'skip t-1', 'cancel t-1', 'skip t-3', 'cancel t-3', 'skip t-4', 'cancel t-4'],
};

describe('availableActions', () => {
  for (const status of Object.keys(reach) as OrderStatus[]) {
    it(`${status}: offers exactly what the engine applies`, () => {
      const h = reach[status]();
      expect(h.status).toBe(status);
      expect(offered(h)).toEqual(applied(h));
      expect(offered(h)).toEqual([...EXPECTED[status]].sort());
    });
  }

  it('offers delete only once a finished order has run its finalizers', () => {
    const h = reach.SUCCEEDED();
    expect(offered(h)).not.toContain('delete');
    h.send({ type: 'finalized' });
    expect(offered(h)).toEqual(['delete', 'rollback']);
    h.cmd({ name: 'rollback' });
    expect(offered(h)).toEqual(['delete']);
  });

  it('offers no rollback on a rollback order, and no retry while a failing order drains', () => {
    const rb = new Harness(order([item('web', targets('t', 2))], { type: 'rollback', sourceChangeOrderId: 'co-0' }));
    rb.tick();
    expect(offered(rb)).not.toContain('rollback');
    expect(offered(rb)).not.toContain('abortRollback');
    expect(offered(rb)).toEqual(applied(rb));

    const failing = new Harness(order([item('web', targets('t', 3))]));
    failing.tick();
    failing.complete({ only: ['t-1'], fail: ['t-1'] }); // maxErrors 0 passed; t-2, t-3 still running
    expect(failing.status).toBe('RUNNING');
    expect(orderView(failing.state).services[0].status).toBe('FAILED');
    expect(offered(failing)).not.toContain('retry t-1');
    expect(offered(failing)).toEqual(applied(failing));
  });

  it('agrees with the engine in every state of random runs', () => {
    // a small deterministic PRNG so a failure reproduces
    let seed = 20240501;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const specs = [
      () => order([item('web', targets('t', 1, 2, 2), { batchPauseOption: 'EveryBatchPause', maxErrors: 1 })]),
      () => order([item('web', targets('t', 2, 2), { onFailure: 'pause' }), item('api', targets('a', 1, 1), { priority: 1, batchPauseOption: 'FirstBatchPause' })]),
      () => order([item('web', targets('t', 2, 1), { batchWaitSeconds: 30, maxErrors: 1 })], { startAt: 5_000 }),
      () => order([item('web', targets('t', 3), { onFailure: 'rollback' })]),
    ];
    const seen = new Set<string>();
    for (let run = 0; run < 40; run++) {
      const h = new Harness(specs[run % specs.length]());
      h.tick();
      for (let step = 0; step < 25; step++) {
        expect(offered(h), `run ${run} step ${step} ${h.status}`).toEqual(applied(h));
        seen.add(h.status);
        const running = h.running().map((t) => t.targetId);
        const choice = rand(10);
        if (choice < 4 && running.length) h.complete({ only: [running[rand(running.length)]], fail: rand(3) === 0 ? running : [] });
        else if (choice < 5) h.advance(40_000);
        else if (choice < 6) h.send({ type: 'fault', message: 'ECONNRESET' });
        else {
          const c = candidates(h);
          h.cmd(c[rand(c.length)].command);
        }
      }
    }
    // the walks reach most statuses, not just the happy path
    expect(seen.size, [...seen].join(' ')).toBeGreaterThanOrEqual(10);
  });
});
