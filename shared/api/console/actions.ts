// The actions the console offers on a change order: exactly the ones the engine applies in the order's
// current state (shared/engine/commands.ts applyCommand; shared/runtime/control.ts deleteOrder), derived
// from the order's JSON view (GET /v1/change-orders/{id}). An action that would be refused (409) or be a
// harmless repeat (`applied: false`) is not offered. test/console/actions.test.ts checks this against the
// engine itself, state by state.
//
// Self-contained on purpose: page.ts sends this function's source to the browser, so it must not refer to
// anything outside its own body (no imports, no module-level helpers).

/** the parts of the order view this reads */
export interface ActionOrderView {
  type?: string;
  status: string;
  nextBatch?: number;
  intent?: { kind: string };
  rolledBackBy?: string;
  finalized?: boolean;
  services: { serviceId: string; status: string; batches: { batch: number; tasks: { targetId: string; status: string }[] }[] }[];
}

export type OrderActionName = 'continue' | 'pause' | 'resume' | 'abort' | 'abortRollback' | 'rollback' | 'delete';
export type TargetActionName = 'retry' | 'skip' | 'cancel';

export type ConsoleAction =
  | { name: 'continue'; batch: number }
  | { name: Exclude<OrderActionName, 'continue'> }
  | { name: TargetActionName; serviceId: string; targetId: string };

export function availableActions(order: ActionOrderView): ConsoleAction[] {
  const out: ConsoleAction[] = [];
  const terminal = order.status === 'SUCCEEDED' || order.status === 'FAILED' || order.status === 'STOPPED' || order.status === 'PARTIAL';
  // a rollback change order cannot itself be rolled back (RollbackNotAllowed)
  const deploy = order.type !== 'rollback';
  if (terminal) {
    // a finished order never changes again; only a rollback (once) and, after its finalizers, delete
    if (deploy && !order.rolledBackBy) out.push({ name: 'rollback' });
    if (order.finalized) out.push({ name: 'delete' });
    return out;
  }
  const intent = order.intent ? order.intent.kind : undefined;
  // continue releases the batch the engine expects next (nextBatch), and only while no pause or abort is pending
  if (intent === undefined && order.nextBatch !== undefined) out.push({ name: 'continue', batch: order.nextBatch });
  if (intent === undefined && (order.status === 'READY' || order.status === 'RUNNING' || order.status === 'WAITING_AUTO')) out.push({ name: 'pause' });
  // resume: from PAUSING/PAUSED (a pause intent), SYSTEM_ERROR, and WAITING_MANUAL (where it is a continue)
  if (order.status === 'SYSTEM_ERROR' || intent === 'pause' || (order.status === 'WAITING_MANUAL' && intent === undefined && order.nextBatch !== undefined)) {
    out.push({ name: 'resume' });
  }
  if (intent !== 'abort') out.push({ name: 'abort' });
  // while stopping, abort-and-roll-back still applies if it links a rollback that is not linked yet
  if (deploy && !(intent === 'abort' && order.rolledBackBy)) out.push({ name: 'abortRollback' });
  if (deploy && !order.rolledBackBy) out.push({ name: 'rollback' });
  // a service that is FAILED while the order is still active is failing: no retry until it has stopped
  const failing = order.services.some((s) => s.status === 'FAILED');
  for (const s of order.services) {
    for (const b of s.batches) {
      for (const t of b.tasks) {
        if (!failing && (t.status === 'FAILED' || t.status === 'CANCELLED')) out.push({ name: 'retry', serviceId: s.serviceId, targetId: t.targetId });
        if (t.status === 'FAILED' || t.status === 'PENDING') {
          out.push({ name: 'skip', serviceId: s.serviceId, targetId: t.targetId });
          out.push({ name: 'cancel', serviceId: s.serviceId, targetId: t.targetId });
        }
      }
    }
  }
  return out;
}
