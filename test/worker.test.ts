// The worker's step over a real SQLite file: when it ends with the tick that sweeps. A step with inputs skips
// that tick only while the order's deadline lies ahead; a deadline that has come is swept in the same step,
// so no stream of inputs can postpone the sweep that finds lost work.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decide, initialHead } from '../shared/engine/decide.ts';
import { createRuntime } from '../shared/local/app.ts';
import { silentLogger } from '../shared/runtime/runtime.ts';
import { step } from '../shared/runtime/worker.ts';
import { item, order, targets } from './support/engine-harness.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** an order with two RUNNING tasks and a lease deadline, stored as a started step would leave it */
async function running() {
  const dir = mkdtempSync(join(tmpdir(), 'changeflow-worker-'));
  dirs.push(dir);
  const { rt } = createRuntime(dir, silentLogger);
  let now = 1_000;
  rt.now = () => now;
  const spec = order([item('web', targets('t', 2))]);
  const d = decide({ spec, head: initialHead(spec.items), version: 1, tasks: {} }, { type: 'tick' }, now, rt.engine);
  await rt.store.createOrder(spec, initialHead(spec.items));
  await rt.store.putTasks(spec.id, d.changedTasks);
  await rt.store.updateOrder(spec.id, { ...d.state.head, outbox: [] }, 1);
  const dueAt = d.state.head.dueAt!;
  return { rt, id: spec.id, dueAt, at: (t: number) => void (now = t), close: () => rt.store.close() };
}

const polls = (effects: { type: string }[]) => effects.filter((e) => e.type === 'pollTask').length;

describe('worker step: the trailing tick', () => {
  it('does not sweep in a step with inputs while the deadline lies ahead', async () => {
    const o = await running();
    o.at(o.dueAt - 1);
    const r = await step(o.rt, o.id, [{ type: 'outcomes', outcomes: [] }]);
    expect(polls(r!.effects)).toBe(0);
    expect(r!.state.head.dueAt).toBe(o.dueAt);
    await o.close();
  });

  it('sweeps in a step with inputs once the deadline has come: every running task is polled again', async () => {
    const o = await running();
    o.at(o.dueAt);
    const r = await step(o.rt, o.id, [{ type: 'outcomes', outcomes: [] }]);
    expect(polls(r!.effects)).toBe(2);
    expect(r!.state.head.dueAt).toBeGreaterThan(o.dueAt);
    await o.close();
  });
});
