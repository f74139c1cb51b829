// A rollback order starts once its source has stopped: then the runtime reads the source's tasks, takes
// the scope locks, and hands the engine the items that undo exactly what the source changed.

import type { Input } from '../engine/io.ts';
import { rollbackItems } from '../engine/rollback.ts';
import { isTerminal, type OrderState } from '../engine/types.ts';
import type { Runtime } from './runtime.ts';
import { load } from './worker.ts';

export async function resolveRollbackInput(rt: Runtime, state: OrderState): Promise<Input | undefined> {
  const { spec, head } = state;
  // a paused rollback is still resolved (it then waits, PAUSED, with its targets known); an aborted one is not
  if (spec.type !== 'rollback' || head.rollbackResolved || head.intent?.kind === 'abort' || isTerminal(head.status) || !spec.sourceChangeOrderId) return undefined;
  const source = await load(rt, spec.sourceChangeOrderId);
  if (!source) return { type: 'rollbackBlocked', reason: `source change order ${spec.sourceChangeOrderId} no longer exists` };
  if (!isTerminal(source.head.status)) return { type: 'rollbackBlocked', reason: `waiting for ${source.spec.id} to stop (${source.head.status})` };
  for (const scope of spec.scopes) {
    const got = await rt.store.acquireScope(scope, spec.id, rt.now());
    if (!got.ok) return { type: 'rollbackBlocked', reason: `waiting for ${scope}, held by ${got.holder.orderId}` };
  }
  return { type: 'rollbackResolved', items: rollbackItems(source, spec.rollbackOptions ?? {}) };
}
