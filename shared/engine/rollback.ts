// What a rollback order undoes: exactly the targets its source changed, back to each one's recorded
// fromVersion, newest batch first, lower priorities first (the reverse of the rollout).

import { splitBatches } from '../plan/batches.ts';
import type { ItemSpec, OrderState, RollbackOptions, Task, TaskAction } from './types.ts';

/** a restart changes nothing that can be undone; a start is undone by a stop and the reverse */
const INVERSE: Record<TaskAction, TaskAction | undefined> = {
  START: 'STOP',
  STOP: 'START',
  RESTART: undefined,
  HTTP_UPLOAD_DEPLOY: 'ROLLBACK',
  COMPILE_DEPLOY: 'ROLLBACK',
  ROLLBACK: 'ROLLBACK',
};

export const wasChanged = (t: Task): boolean =>
  INVERSE[t.action] !== undefined && (t.status === 'SUCCEEDED' ? t.changed !== false : t.changed === true);

export function rollbackItems(source: OrderState, options: RollbackOptions): ItemSpec[] {
  const items: ItemSpec[] = [];
  source.spec.items.forEach((item, index) => {
    const changed = Object.values(source.tasks).filter((t) => t.item === index && wasChanged(t));
    if (changed.length === 0) return;
    const byBatch = new Map<number, Task[]>();
    for (const t of changed) byBatch.set(t.batch, [...(byBatch.get(t.batch) ?? []), t]);
    const order = (ids: string[], b: number) => ids.filter((id) => changed.some((t) => t.batch === b && t.targetId === id));
    const mirrored = [...byBatch.keys()].sort((a, b) => b - a).map((b) => order(item.batches[b], b));
    const split = options.batchNumber ? splitBatches(mirrored.flat(), { batchNumber: options.batchNumber }) : undefined;
    const rollbackTo: NonNullable<ItemSpec['rollbackTo']> = {};
    for (const t of changed) rollbackTo[t.targetId] = { version: t.fromVersion, action: INVERSE[t.action]! };
    items.push({
      ...item,
      priority: -item.priority,
      version: undefined,
      containerExecMethod: options.containerExecMethod ?? item.containerExecMethod,
      maxConcurrency: options.maxConcurrency ?? item.maxConcurrency,
      batchPauseOption: options.batchPauseOption ?? 'Automatic',
      batchWaitSeconds: options.batchWaitSeconds ?? 0,
      maxErrors: 0,
      onFailure: 'pause',
      bakeSeconds: 0,
      batches: split && split.ok ? split.batches : mirrored,
      rollbackTo,
    });
  });
  return items;
}
