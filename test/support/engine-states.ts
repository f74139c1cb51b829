// Orders in every status of SPEC §3, built through the pure engine: the states the operations table
// (test/engine/operations.test.ts) and the console's actions test share.

import { MAX_FAULTS } from '../../shared/engine/progress.ts';
import type { OrderStatus } from '../../shared/engine/types.ts';
import { Harness, item, order, targets } from './engine-harness.ts';

/** builds an order in the named status */
export const reach: Record<OrderStatus, () => Harness> = {
  READY: () => {
    const h = new Harness(order([item('web', targets('t', 2, 2))], { startAt: 10_000_000 }));
    h.tick();
    return h;
  },
  RUNNING: () => {
    const h = new Harness(order([item('web', targets('t', 2, 2), { maxErrors: 1 })]));
    h.tick();
    h.complete({ only: ['t-1'], fail: ['t-1'] }); // a failed target within maxErrors, t-2 still running
    return h;
  },
  SUCCEEDED: () => {
    const h = new Harness(order([item('web', targets('t', 2, 2))]));
    h.tick();
    h.runToRest();
    return h;
  },
  FAILED: () => {
    const h = new Harness(order([item('web', targets('t', 2, 2))]));
    h.tick();
    h.runToRest(['t-1']);
    return h;
  },
  STOPPED: () => {
    const h = reach.RUNNING();
    h.cmd({ name: 'abort' });
    h.runToRest();
    return h;
  },
  PARTIAL: () => {
    const h = new Harness(order([item('web', targets('t', 2, 2), { maxErrors: 1 })]));
    h.tick();
    h.runToRest(['t-1']);
    return h;
  },
  WAITING_MANUAL: () => {
    const h = new Harness(order([item('web', targets('t', 2, 2), { batchPauseOption: 'FirstBatchPause', maxErrors: 1 })]));
    h.tick();
    h.complete({ fail: ['t-1'] });
    return h;
  },
  WAITING_AUTO: () => {
    const h = new Harness(order([item('web', targets('t', 2, 2), { batchWaitSeconds: 60, maxErrors: 1 })]));
    h.tick();
    h.complete({ fail: ['t-1'] });
    return h;
  },
  SYSTEM_ERROR: () => {
    const h = reach.RUNNING();
    for (let i = 0; i < MAX_FAULTS; i++) h.send({ type: 'fault', message: 'ECONNRESET' });
    return h;
  },
  PAUSED: () => {
    const h = reach.RUNNING();
    h.cmd({ name: 'pause' });
    h.complete();
    return h;
  },
  FAILURE_PAUSED: () => {
    const h = new Harness(order([item('web', targets('t', 2, 2), { onFailure: 'pause' })]));
    h.tick();
    h.complete({ fail: ['t-1'] });
    return h;
  },
  PAUSING: () => {
    const h = reach.RUNNING();
    h.cmd({ name: 'pause' });
    return h;
  },
  STOPPING: () => {
    const h = reach.RUNNING();
    h.cmd({ name: 'abort' });
    return h;
  },
};

