// Every status of SPEC §3: how it is reached and how it is left, through the pure engine.

import { describe, expect, it } from 'vitest';
import { MAX_FAULTS } from '../../shared/engine/progress.ts';
import { isTerminal } from '../../shared/engine/types.ts';
import { Harness, item, order, targets } from '../support/engine-harness.ts';

const simple = (over = {}, orderOver = {}) => new Harness(order([item('web', targets('t', 2, 2), over)], orderOver));

describe('status model', () => {
  it('READY until startAt, then RUNNING', () => {
    const h = simple({}, { startAt: 5_000 });
    expect(h.tick().state.head.status).toBe('READY');
    expect(h.state.head.dueAt).toBe(5_000);
    expect(h.running()).toHaveLength(0);
    h.now = 5_000;
    h.tick();
    expect(h.status).toBe('RUNNING');
    expect(h.running().map((t) => t.targetId)).toEqual(['t-1', 't-2']);
  });

  it('RUNNING → SUCCEEDED when every target changed', () => {
    const h = simple();
    h.tick();
    h.runToRest();
    expect(h.status).toBe('SUCCEEDED');
    expect(h.tasks().every((t) => t.status === 'SUCCEEDED' && t.fromVersion === '1.0' && t.toVersion === '2.0')).toBe(true);
    expect(h.effects().filter((e) => e.type === 'finalize')).toHaveLength(1);
  });

  it('FAILED when failures pass maxErrors with onFailure fail, after running tasks finish', () => {
    const h = simple();
    h.tick();
    h.complete({ only: ['t-1'], fail: ['t-1'] });
    expect(h.status).toBe('RUNNING'); // t-2 still running: the order stops once it finishes
    expect(h.state.head.failing).toBeDefined();
    h.complete();
    expect(h.status).toBe('FAILED');
    expect(h.task('t-3')).toBeUndefined(); // the next batch never started
  });

  it('PARTIAL when a failure stays within maxErrors', () => {
    const h = simple({ maxErrors: 1 });
    h.tick();
    h.runToRest(['t-3']);
    expect(h.status).toBe('PARTIAL');
  });

  it('WAITING_MANUAL after the first batch with FirstBatchPause, left by continue, and only once', () => {
    const h = new Harness(order([item('web', targets('t', 1, 1, 1), { batchPauseOption: 'FirstBatchPause' })]));
    h.tick();
    h.complete();
    expect(h.status).toBe('WAITING_MANUAL');
    h.cmd({ name: 'continue', batch: 2 });
    expect(h.status).toBe('RUNNING');
    h.complete();
    expect(h.status).toBe('RUNNING'); // batch 3 started at once: FirstBatchPause pauses once
    h.complete();
    expect(h.status).toBe('SUCCEEDED');
  });

  it('WAITING_MANUAL after every batch with EveryBatchPause', () => {
    const h = new Harness(order([item('web', targets('t', 1, 1, 1), { batchPauseOption: 'EveryBatchPause' })]));
    h.tick();
    h.complete();
    expect(h.status).toBe('WAITING_MANUAL');
    h.cmd({ name: 'continue' });
    h.complete();
    expect(h.status).toBe('WAITING_MANUAL');
    h.cmd({ name: 'resume' }); // resume from WAITING_MANUAL continues too
    h.complete();
    expect(h.status).toBe('SUCCEEDED');
  });

  it('WAITING_AUTO for batchWaitSeconds, left when the stored deadline passes', () => {
    const h = simple({ batchWaitSeconds: 60 });
    h.tick();
    h.complete();
    expect(h.status).toBe('WAITING_AUTO');
    expect(h.state.head.dueAt).toBe(h.now + 60_000);
    h.advance(59_999);
    expect(h.status).toBe('WAITING_AUTO');
    h.advance(1);
    expect(h.status).toBe('RUNNING');
    expect(h.running().map((t) => t.targetId)).toEqual(['t-3', 't-4']);
  });

  it('WAITING_AUTO during bake time, after the last batch too', () => {
    const h = simple({ bakeSeconds: 30 });
    h.tick();
    h.complete();
    expect(h.status).toBe('WAITING_AUTO');
    h.advance(30_000);
    h.complete();
    expect(h.status).toBe('WAITING_AUTO');
    h.advance(30_000);
    expect(h.status).toBe('SUCCEEDED');
  });

  it('SYSTEM_ERROR after repeated executor faults; resume sweeps and continues', () => {
    const h = simple();
    h.tick();
    for (let i = 0; i < MAX_FAULTS; i++) h.send({ type: 'fault', message: 'connect ETIMEDOUT' });
    expect(h.status).toBe('SYSTEM_ERROR');
    expect(h.state.head.lastFault).toBe('connect ETIMEDOUT');
    h.cmd({ name: 'resume' });
    expect(h.status).toBe('RUNNING');
    const polls = h.decisions.at(-1)!.effects.filter((e) => e.type === 'pollTask');
    expect(polls.map((p) => p.key).sort()).toEqual(['0/0/t-1', '0/0/t-2']);
  });

  it('PAUSING while tasks run, PAUSED after, RUNNING on resume', () => {
    const h = simple();
    h.tick();
    h.cmd({ name: 'pause' });
    expect(h.status).toBe('PAUSING');
    h.complete();
    expect(h.status).toBe('PAUSED');
    expect(h.running()).toHaveLength(0); // batch 2 did not start
    h.cmd({ name: 'resume' });
    expect(h.status).toBe('RUNNING');
    expect(h.running()).toHaveLength(2);
  });

  it('a failure while PAUSING fails the order (seed 004), even with onFailure pause', () => {
    const h = simple({ onFailure: 'pause' });
    h.tick();
    h.cmd({ name: 'pause' });
    h.complete({ fail: ['t-1'] });
    expect(h.status).toBe('FAILED');
  });

  it('FAILURE_PAUSED with onFailure pause; skip moves on', () => {
    const h = simple({ onFailure: 'pause' });
    h.tick();
    h.complete({ fail: ['t-2'] });
    expect(h.status).toBe('FAILURE_PAUSED');
    expect(h.running()).toHaveLength(0);
    h.cmd({ name: 'skip', targetId: 't-2' });
    expect(h.status).toBe('RUNNING');
    h.runToRest();
    expect(h.status).toBe('PARTIAL');
    expect(h.task('t-2')!.status).toBe('SKIPPED');
  });

  it('STOPPING while tasks run, STOPPED after; updated targets stay updated', () => {
    const h = simple();
    h.tick();
    h.cmd({ name: 'abort' });
    expect(h.status).toBe('STOPPING');
    h.complete();
    expect(h.status).toBe('STOPPED');
    expect(h.tasks().filter((t) => t.status === 'SUCCEEDED')).toHaveLength(2);
    expect(h.state.head.rolledBackBy).toBeUndefined();
  });

  it('a target retried during the bake time reopens its batch: it runs before the order moves on', () => {
    const h = simple({ bakeSeconds: 60, maxErrors: 1 });
    h.tick();
    h.complete({ fail: ['t-1'] });
    expect(h.status).toBe('WAITING_AUTO');
    h.cmd({ name: 'retry', targetId: 't-1' });
    expect(h.task('t-1')).toMatchObject({ status: 'RUNNING', attempt: 2 });
    h.advance(120_000);
    expect(h.task('t-3')).toBeUndefined(); // batch 2 waits for the retry and a fresh bake
    h.complete();
    h.advance(60_000);
    h.runToRest();
    h.advance(60_000);
    expect(h.status).toBe('SUCCEEDED');
  });

  it('an order stopping while its executor is unreachable is SYSTEM_ERROR; resume lets it stop', () => {
    const h = simple();
    h.tick();
    h.cmd({ name: 'abort' });
    for (let i = 0; i < MAX_FAULTS; i++) h.send({ type: 'fault', message: 'ETIMEDOUT' });
    expect(h.status).toBe('SYSTEM_ERROR');
    h.cmd({ name: 'resume' });
    expect(h.status).toBe('STOPPING');
    h.complete();
    expect(h.status).toBe('STOPPED');
  });

  it('a terminal order never changes again', () => {
    const h = simple();
    h.tick();
    h.runToRest();
    const finished = h.state;
    for (const c of [{ name: 'pause' }, { name: 'resume' }, { name: 'continue' }, { name: 'abort' }, { name: 'retry', targetId: 't-1' }] as const) {
      const d = h.cmd(c);
      expect(d.reply).toMatchObject({ ok: false, error: 'InvalidState' });
      expect(d.changed).toBe(false);
    }
    h.send({ type: 'outcomes', outcomes: [{ key: '0/0/t-1', attempt: 1, state: 'failed', message: 'late' }] });
    h.send({ type: 'alarm', alarmId: 'a1', alarmName: 'cpu', state: 'ALARM' });
    h.advance(600_000);
    expect(h.status).toBe('SUCCEEDED');
    expect(h.state.tasks).toEqual(finished.tasks);
    expect(isTerminal(h.status)).toBe(true);
  });

  it('records an audit event for every status change, with actor and reason', () => {
    const h = simple({ batchPauseOption: 'FirstBatchPause' });
    h.tick();
    h.complete();
    h.cmd({ name: 'pause' });
    h.cmd({ name: 'continue' });
    h.cmd({ name: 'abort' });
    h.runToRest();
    const changes = h.events().filter((e) => e.type === 'status');
    const seen: string[] = ['READY'];
    for (const d of h.decisions) if (d.state.head.status !== seen.at(-1)) seen.push(d.state.head.status);
    expect(changes.map((e) => e.status)).toEqual(seen.slice(1));
    expect(changes.every((e) => e.at > 0 && e.actor && e.reason)).toBe(true);
  });
});
