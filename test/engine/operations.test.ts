// Each operation in each state: it applies, is a harmless repeat, or is refused with the current status.

import { describe, expect, it } from 'vitest';
import type { Command } from '../../shared/engine/io.ts';
import { MAX_FAULTS } from '../../shared/engine/progress.ts';
import type { OrderStatus } from '../../shared/engine/types.ts';
import { Harness, item, order, targets } from '../support/engine-harness.ts';
import { reach } from '../support/engine-states.ts';

type Expect = 'applies' | 'repeat' | 409;
const OPS: Record<string, Command> = {
  pause: { name: 'pause' },
  resume: { name: 'resume' },
  continue: { name: 'continue' },
  abort: { name: 'abort' },
  abortRollback: { name: 'abort', rollback: true },
  rollback: { name: 'rollback' },
  retryFailed: { name: 'retry', targetId: 't-1' },
  skipFailed: { name: 'skip', targetId: 't-1' },
  cancelPending: { name: 'cancel', targetId: 't-4' },
};

// rows: status; columns: the operations above, in order
const TABLE: Record<OrderStatus, Expect[]> = {
  //                 pause      resume     continue   abort      abortRb    rollback   retry      skip       cancel
  READY: /*       */ ['applies', 409, /*   */ 409, /*   */ 'applies', 'applies', 'applies', 409, /*   */ 'applies', 'applies'],
  RUNNING: /*     */ ['applies', 409, /*   */ 409, /*   */ 'applies', 'applies', 'applies', 'applies', 'applies', 'applies'],
  SUCCEEDED: /*   */ [409, /*   */ 409, /*   */ 409, /*   */ 409, /*   */ 409, /*   */ 'applies', 409, /*   */ 409, /*   */ 409],
  FAILED: /*      */ [409, /*   */ 409, /*   */ 409, /*   */ 409, /*   */ 409, /*   */ 'applies', 409, /*   */ 409, /*   */ 409],
  STOPPED: /*     */ [409, /*   */ 409, /*   */ 409, /*   */ 409, /*   */ 409, /*   */ 'applies', 409, /*   */ 409, /*   */ 409],
  PARTIAL: /*     */ [409, /*   */ 409, /*   */ 409, /*   */ 409, /*   */ 409, /*   */ 'applies', 409, /*   */ 409, /*   */ 409],
  WAITING_MANUAL: [409, /*   */ 'applies', 'applies', 'applies', 'applies', 'applies', 'applies', 'applies', 'applies'],
  WAITING_AUTO: /**/ ['applies', 409, /*   */ 409, /*   */ 'applies', 'applies', 'applies', 'applies', 'applies', 'applies'],
  SYSTEM_ERROR: /**/ [409, /*   */ 'applies', 409, /*   */ 'applies', 'applies', 'applies', 'applies', 'applies', 'applies'],
  PAUSED: /*      */ ['repeat', 'applies', 409, /*   */ 'applies', 'applies', 'applies', 'applies', 'applies', 'applies'],
  FAILURE_PAUSED: [409, /*   */ 409, /*   */ 'applies', 'applies', 'applies', 'applies', 'applies', 'applies', 'applies'],
  PAUSING: /*     */ ['repeat', 'applies', 409, /*   */ 'applies', 'applies', 'applies', 'applies', 'applies', 'applies'],
  STOPPING: /*    */ [409, /*   */ 409, /*   */ 409, /*   */ 'repeat', 'applies', 'applies', 'applies', 'applies', 'applies'],
};

describe('operations in each state', () => {
  for (const [status, row] of Object.entries(TABLE) as [OrderStatus, Expect[]][]) {
    Object.entries(OPS).forEach(([label, command], col) => {
      const want = row[col];
      it(`${label} on ${status}: ${want}`, () => {
        const h = reach[status]();
        expect(h.status).toBe(status);
        const before = h.state;
        const d = h.cmd(command);
        if (want === 409) {
          expect(d.reply?.ok).toBe(false);
          expect(d.changed).toBe(false);
          expect(h.state).toEqual(before);
        } else {
          expect(d.reply).toMatchObject({ ok: true, applied: want === 'applies' });
        }
      });
    });
  }

  it('abort with rollback links exactly one rollback order, and repeating returns the same id', () => {
    const h = reach.RUNNING();
    const first = h.cmd({ name: 'abort', rollback: true });
    expect(first.reply).toMatchObject({ ok: true, rollbackChangeOrderId: 'co-1-rollback' });
    expect(first.effects.filter((e) => e.type === 'createRollback')).toHaveLength(1);
    const again = h.cmd({ name: 'rollback' });
    expect(again.reply).toMatchObject({ ok: true, applied: false, rollbackChangeOrderId: 'co-1-rollback' });
    expect(again.effects.filter((e) => e.type === 'createRollback')).toHaveLength(0);
  });

  it('a rollback order cannot be rolled back', () => {
    const h = new Harness(order([item('web', targets('t', 1))], { type: 'rollback', sourceChangeOrderId: 'co-0' }));
    expect(h.cmd({ name: 'rollback' }).reply).toMatchObject({ ok: false, error: 'RollbackNotAllowed' });
    expect(h.cmd({ name: 'abort', rollback: true }).reply).toMatchObject({ ok: false, error: 'RollbackNotAllowed' });
  });

  it('continue with a stale batch number releases nothing more', () => {
    const h = new Harness(order([item('web', targets('t', 1, 1, 1), { batchPauseOption: 'EveryBatchPause' })]));
    h.tick();
    h.complete();
    expect(h.cmd({ name: 'continue', batch: 3 }).reply).toMatchObject({ ok: false, error: 'BatchMismatch' });
    expect(h.cmd({ name: 'continue', batch: 2 }).reply).toMatchObject({ ok: true, applied: true });
    expect(h.cmd({ name: 'continue', batch: 2 }).reply).toMatchObject({ ok: true, applied: false }); // repeat while batch 2 runs
    h.complete();
    expect(h.status).toBe('WAITING_MANUAL');
    const stale = h.cmd({ name: 'continue', batch: 2 }); // a late duplicate of the first continue
    expect(stale.reply).toMatchObject({ ok: true, applied: false });
    expect(h.status).toBe('WAITING_MANUAL');
    expect(h.task('t-3')).toBeUndefined();
  });

  it('retry, skip and cancel refuse a running target and an unknown one', () => {
    const h = reach.RUNNING();
    expect(h.cmd({ name: 'skip', targetId: 't-2' }).reply).toMatchObject({ ok: false, error: 'TaskState' });
    expect(h.cmd({ name: 'retry', targetId: 'nope' }).reply).toMatchObject({ ok: false, error: 'TargetNotFound' });
  });

  it('retry in FAILURE_PAUSED runs the target again and moves on when it succeeds', () => {
    const h = reach.FAILURE_PAUSED();
    h.cmd({ name: 'retry', targetId: 't-1' });
    expect(h.status).toBe('RUNNING');
    expect(h.task('t-1')).toMatchObject({ status: 'RUNNING', attempt: 2 });
    h.runToRest();
    expect(h.status).toBe('SUCCEEDED');
  });

  it('continue from FAILURE_PAUSED accepts the failures and releases the rest', () => {
    const h = reach.FAILURE_PAUSED();
    h.cmd({ name: 'continue', batch: 1 });
    h.runToRest();
    expect(h.status).toBe('PARTIAL');
    expect(h.task('t-1')).toMatchObject({ status: 'FAILED', acked: true });
  });

  it('cancel of a pending target marks it CANCELLED and the rollout goes on without it', () => {
    const h = reach.RUNNING();
    h.cmd({ name: 'cancel', targetId: 't-4' });
    h.runToRest();
    expect(h.task('t-4')!.status).toBe('CANCELLED');
    expect(h.status).toBe('PARTIAL');
  });

  it('an alarm applies onAlarm once; OK alarms are recorded only', () => {
    const h = reach.RUNNING();
    expect(h.send({ type: 'alarm', alarmId: 'a0', alarmName: 'cpu', state: 'OK' }).reply).toMatchObject({ applied: false });
    expect(h.status).toBe('RUNNING');
    const d = h.send({ type: 'alarm', alarmId: 'a1', alarmName: 'cpu', state: 'ALARM' });
    expect(d.reply).toMatchObject({ ok: true, applied: true, rollbackChangeOrderId: 'co-1-rollback' });
    expect(h.status).toBe('STOPPING');
    expect(h.events().some((e) => e.actor === 'alarm' && e.type === 'abortRequested')).toBe(true);

    const dup = h.send({ type: 'alarm', alarmId: 'a1', alarmName: 'cpu', state: 'ALARM' });
    expect(dup.reply).toMatchObject({ ok: true, applied: false });
    expect(dup.effects.filter((e) => e.type === 'createRollback')).toHaveLength(0);

    const p = new Harness(order([item('web', targets('t', 2, 2))], { onAlarm: 'pause' }));
    p.tick();
    p.send({ type: 'alarm', alarmId: 'a1', alarmName: 'cpu', state: 'ALARM' });
    expect(p.status).toBe('PAUSING');
  });
});
