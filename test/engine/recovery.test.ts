// Orders a process left half-written or half-done: the engine finds its way from what the store holds.
// Each case is a bug the deterministic simulation found (seeds 84207, 34391, 34680, 38673).

import { describe, expect, it } from 'vitest';
import { Harness, item, order, targets } from '../support/engine-harness.ts';

describe('recovering from what a dead process left behind', () => {
  it('a retry whose head write was lost reopens its finished batch instead of leaving the target PENDING', () => {
    const h = new Harness(order([item('web', targets('t', 2, 2), { maxErrors: 1, bakeSeconds: 600 })]));
    h.tick();
    h.complete({ fail: ['t-1'] });
    expect(h.state.head.items[0].phase).toBe('bake');
    // the retry's task row reached the store, the head that reopens the batch did not
    const failed = h.task('t-1')!;
    h.state = { ...h.state, tasks: { ...h.state.tasks, [failed.key]: { ...failed, status: 'PENDING', attempt: 2, message: 'retry requested' } } };

    const d = h.tick();
    expect(d.events.map((e) => e.type)).toContain('batchReopened');
    expect(h.state.head.items[0].phase).toBe('tasks');
    expect(h.task('t-1')).toMatchObject({ status: 'RUNNING', attempt: 2 });
    h.complete();
    h.advance(600_000); // batch 1 bakes again, then batch 2 runs and bakes
    h.runToRest();
    h.advance(600_000);
    expect(h.status).toBe('SUCCEEDED');
    expect(h.tasks().every((t) => t.status === 'SUCCEEDED')).toBe(true);
  });

  it('an attempt that changed the target keeps counting after a retry fails without touching it', () => {
    const h = new Harness(order([item('web', [['t-1']], { onFailure: 'pause' })]));
    h.tick();
    h.complete({ fail: ['t-1'], changedOnFail: true }); // changed 1.0 → 2.0, then failed (e.g. its health check)
    expect(h.status).toBe('FAILURE_PAUSED');
    h.cmd({ name: 'retry', targetId: 't-1' });
    const t = h.task('t-1')!;
    // the second attempt fails before changing anything; the target is still at 2.0
    h.send({ type: 'outcomes', outcomes: [{ key: t.key, attempt: 2, state: 'failed', fromVersion: '2.0', changed: false, message: 'connect refused' }] });
    // a rollback must include it, back to the version before the first attempt
    expect(h.task('t-1')).toMatchObject({ status: 'FAILED', attempt: 2, changed: true, fromVersion: '1.0' });
  });

  it('a sweep that finds nothing in flight clears a fault backoff: a baking order sleeps until the bake ends', () => {
    const h = new Harness(order([item('web', targets('t', 1, 1), { bakeSeconds: 3600 })]));
    h.tick();
    h.complete();
    const bakeEnds = h.state.head.items[0].waitUntil!;
    h.send({ type: 'fault', message: 'connect ETIMEDOUT' });
    expect(h.state.head.faults).toBe(1);
    h.advance(h.state.head.dueAt! - h.now); // the backoff's sweep
    expect(h.state.head.faults).toBe(0);
    expect(h.state.head.dueAt).toBe(bakeEnds);
  });

  it('a finished order whose linked rollback was never created asks for it on every sweep until it is', () => {
    const h = new Harness(order([item('web', targets('t', 2, 2))]));
    h.tick();
    h.cmd({ name: 'abort', rollback: true });
    h.runToRest();
    expect(h.status).toBe('STOPPED');
    h.send({ type: 'finalized' }); // the finalizer went through; the createRollback effect was lost
    expect(h.state.head.dueAt).toBeDefined();
    const d = h.advance(h.state.head.dueAt! - h.now);
    expect(d.effects).toContainEqual(expect.objectContaining({ type: 'createRollback', rollbackId: 'co-1-rollback' }));
    expect(d.effects.some((e) => e.type === 'finalize')).toBe(false);
    h.send({ type: 'rollbackCreated' });
    expect(h.state.head.dueAt).toBeUndefined();
    expect(h.status).toBe('STOPPED');
  });
});
