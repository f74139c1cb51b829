// Execution semantics (SPEC §5): priorities, batches, concurrency, maxErrors, gates, rollback sets.

import { describe, expect, it } from 'vitest';
import { decide } from '../../shared/engine/decide.ts';
import { rollbackItems, wasChanged } from '../../shared/engine/rollback.ts';
import { Harness, item, order, targets } from '../support/engine-harness.ts';

describe('priority groups', () => {
  it('run highest first; equal priorities at the same time', () => {
    const h = new Harness(
      order([item('low', targets('l', 2), { priority: 1 }), item('db', targets('d', 2), { priority: 3 }), item('cache', targets('c', 1), { priority: 3 })]),
    );
    h.tick();
    expect(h.running().map((t) => t.targetId).sort()).toEqual(['c-1', 'd-1', 'd-2']);
    h.complete({ only: ['d-1', 'd-2'] });
    expect(h.running('low')).toHaveLength(0); // cache (same priority) still running
    h.complete();
    expect(h.running('low').map((t) => t.targetId)).toEqual(['l-1', 'l-2']);
    h.runToRest();
    expect(h.status).toBe('SUCCEEDED');
  });

  it('a failed item stops the order after the running tasks of its group finish; lower groups never start', () => {
    const h = new Harness(order([item('a', targets('a', 2), { priority: 2 }), item('b', targets('b', 2), { priority: 2 }), item('c', targets('c', 2), { priority: 1 })]));
    h.tick();
    h.complete({ only: ['a-1'], fail: ['a-1'] });
    expect(h.status).toBe('RUNNING');
    h.runToRest();
    expect(h.status).toBe('FAILED');
    expect(h.tasks().filter((t) => t.targetId.startsWith('c'))).toHaveLength(0);
    expect(h.tasks().filter((t) => t.targetId.startsWith('b') && t.status === 'SUCCEEDED')).toHaveLength(2); // running ones finished
  });
});

describe('concurrency within a batch', () => {
  it('PARALLEL starts the whole batch; maxConcurrency caps it', () => {
    const all = new Harness(order([item('web', targets('t', 6))]));
    all.tick();
    expect(all.running()).toHaveLength(6);

    const capped = new Harness(order([item('web', targets('t', 6), { maxConcurrency: 2 })]));
    capped.tick();
    capped.runToRest();
    expect(capped.peak.get('web')).toBe(2);
    expect(capped.status).toBe('SUCCEEDED');
  });

  it('SEQUENTIAL changes one target at a time, in order', () => {
    const h = new Harness(order([item('web', targets('t', 4), { containerExecMethod: 'SEQUENTIAL' })]));
    h.tick();
    const order_: string[] = [];
    while (h.running().length) {
      order_.push(...h.running().map((t) => t.targetId));
      h.complete();
    }
    expect(h.peak.get('web')).toBe(1);
    expect(order_).toEqual(['t-1', 't-2', 't-3', 't-4']);
  });

  it('a batch starts only after the previous one is completely done', () => {
    const h = new Harness(order([item('web', targets('t', 2, 2))]));
    h.tick();
    h.complete({ only: ['t-1'] });
    expect(h.task('t-3')).toBeUndefined();
    h.complete();
    expect(h.running().map((t) => t.targetId)).toEqual(['t-3', 't-4']);
  });
});

describe('maxErrors', () => {
  const run = (maxErrors: number, fail: string[], onFailure: 'fail' | 'pause' = 'fail') => {
    const h = new Harness(order([item('web', targets('t', 2, 2), { maxErrors, onFailure })]));
    h.tick();
    h.runToRest(fail);
    return h;
  };
  it.each([
    [0, [], 'SUCCEEDED'],
    [0, ['t-1'], 'FAILED'],
    [1, ['t-1'], 'PARTIAL'],
    [1, ['t-1', 't-3'], 'FAILED'],
    [2, ['t-1', 't-3'], 'PARTIAL'],
    [2, ['t-1', 't-2', 't-3'], 'FAILED'],
    [0, ['t-4'], 'FAILED'],
  ] as const)('maxErrors %i with failures %j → %s', (max, fail, want) => {
    expect(run(max, [...fail]).status).toBe(want);
  });

  it('counts failures across batches of the item', () => {
    const h = run(1, ['t-2', 't-4']);
    expect(h.status).toBe('FAILED');
    expect(h.tasks().filter((t) => t.status === 'FAILED')).toHaveLength(2);
  });

  it('onFailure rollback fails the order and links a rollback of what it changed', () => {
    const h = new Harness(order([item('web', targets('t', 2, 2), { onFailure: 'rollback' })]));
    h.tick();
    h.complete();
    h.complete({ fail: ['t-3'] });
    expect(h.status).toBe('FAILED');
    expect(h.state.head.rolledBackBy).toBe('co-1-rollback');
    expect(h.effects().filter((e) => e.type === 'createRollback')).toHaveLength(1);
  });
});

describe('health-check gate', () => {
  it('a batch waits for every health check; an unhealthy target fails its task', () => {
    const hc = { type: 'http' as const, path: '/healthz', expectStatus: 200, timeoutSeconds: 5, retries: 0 };
    const h = new Harness(order([item('web', targets('t', 2, 2), { healthCheck: hc, maxErrors: 1 })]));
    h.tick();
    const d = h.complete();
    expect(d.effects.filter((e) => e.type === 'checkHealth')).toHaveLength(2);
    expect(h.task('t-3')).toBeUndefined(); // gate closed until the checks report
    h.send({ type: 'health', results: [{ key: '0/0/t-1', attempt: 1, healthy: true }] });
    expect(h.task('t-3')).toBeUndefined();
    h.send({ type: 'health', results: [{ key: '0/0/t-2', attempt: 1, healthy: false, message: 'HTTP 503' }] });
    expect(h.task('t-2')).toMatchObject({ status: 'FAILED', changed: true, message: 'health check failed: HTTP 503' });
    expect(h.running().map((t) => t.targetId)).toEqual(['t-3', 't-4']);
  });
});

describe('durability of decisions', () => {
  it('duplicated and stale outcomes change nothing', () => {
    const h = new Harness(order([item('web', targets('t', 2))]));
    h.tick();
    h.complete({ only: ['t-1'] });
    const again = h.send({ type: 'outcomes', outcomes: [{ key: '0/0/t-1', attempt: 1, state: 'failed', message: 'dup' }] });
    expect(again.changedTasks).toHaveLength(0);
    const stale = h.send({ type: 'outcomes', outcomes: [{ key: '0/0/t-2', attempt: 7, state: 'succeeded' }] });
    expect(stale.changedTasks).toHaveLength(0);
    expect(h.task('t-1')!.status).toBe('SUCCEEDED');
  });

  it('a tick at the stored deadline re-polls everything in flight; an earlier tick does not', () => {
    const h = new Harness(order([item('web', targets('t', 2))]));
    h.tick();
    expect(h.tick().effects.filter((e) => e.type === 'pollTask')).toHaveLength(0);
    h.now = h.state.head.dueAt!;
    expect(h.tick().effects.filter((e) => e.type === 'pollTask').map((e) => e.key)).toEqual(['0/0/t-1', '0/0/t-2']);
  });

  it('decide does not modify its input', () => {
    const h = new Harness(order([item('web', targets('t', 2, 2))]));
    const frozen = JSON.stringify(h.state);
    decide(h.state, { type: 'tick' }, 5);
    expect(JSON.stringify(h.state)).toBe(frozen);
  });
});

describe('rollback set', () => {
  it('exactly the targets the source changed, newest batch first, back to fromVersion', () => {
    const h = new Harness(order([item('web', targets('t', 2, 2, 2), { maxErrors: 3, priority: 5 }), item('api', targets('a', 1), { deployment: 'RESTART', priority: 1 })]));
    h.tick();
    h.complete({ fail: ['t-2'] }); // t-2 failed without changing
    h.complete({ fail: ['t-4'], changedOnFail: true }); // t-4 failed half-way: it was altered
    h.complete({ fail: ['t-6'] }); // t-5 succeeded, t-6 failed untouched
    h.runToRest(); // api restarted: nothing to undo
    expect(h.status).toBe('PARTIAL');
    const items = rollbackItems(h.state, {});
    expect(items).toHaveLength(1);
    expect(items[0].batches).toEqual([['t-5'], ['t-3', 't-4'], ['t-1']]);
    expect(items[0].rollbackTo).toEqual({
      't-1': { version: '1.0', action: 'ROLLBACK' },
      't-3': { version: '1.0', action: 'ROLLBACK' },
      't-4': { version: '1.0', action: 'ROLLBACK' },
      't-5': { version: '1.0', action: 'ROLLBACK' },
    });
    expect(items[0].priority).toBe(-5);
    expect(h.tasks().filter(wasChanged).map((t) => t.targetId).sort()).toEqual(['t-1', 't-3', 't-4', 't-5']);
    expect(rollbackItems(h.state, { batchNumber: 2 })[0].batches).toEqual([['t-5', 't-3'], ['t-4', 't-1']]);
  });

  it('a rollback order runs its targets back and records the versions', () => {
    const src = new Harness(order([item('web', targets('t', 2, 1))]));
    src.tick();
    src.complete();
    src.cmd({ name: 'abort', rollback: true });
    expect(src.status).toBe('STOPPING');
    src.complete(); // t-3 was running at abort time: it finishes, and is rolled back too
    expect(src.status).toBe('STOPPED');
    const rb = new Harness(order([], { id: 'co-1-rollback', type: 'rollback', sourceChangeOrderId: 'co-1' }));
    rb.tick();
    expect(rb.status).toBe('READY');
    rb.send({ type: 'rollbackResolved', items: rollbackItems(src.state, {}) });
    expect(rb.running().map((t) => [t.targetId, t.action, t.toVersion])).toEqual([['t-3', 'ROLLBACK', '1.0']]);
    rb.complete();
    expect(rb.running().map((t) => t.targetId)).toEqual(['t-1', 't-2']);
    rb.runToRest();
    expect(rb.status).toBe('SUCCEEDED');
  });
});
