// One function derives a started, non-terminal order's status from its items, tasks and intents
// (Argo: phase follows from spec and status; nothing patches it elsewhere).

import type { Draft } from './draft.ts';
import { activeGroup, failurePaused, MAX_FAULTS } from './progress.ts';
import type { Tally } from './tally.ts';
import type { OrderStatus } from './types.ts';

export function deriveStatus(d: Draft, tallies: Map<number, Tally>): OrderStatus {
  const h = d.head;
  const busy = [...tallies.values()].some((t) => t.running > 0 || t.unchecked.length > 0);
  // an order that cannot reach its executor is stuck, also while stopping: SYSTEM_ERROR tells the
  // operator that `resume` is needed (it keeps the abort)
  if (h.faults >= MAX_FAULTS) return 'SYSTEM_ERROR';
  if (h.intent?.kind === 'abort') return 'STOPPING';
  if (h.intent?.kind === 'pause') return busy ? 'PAUSING' : 'PAUSED';
  if (h.failing) return 'RUNNING';
  for (const [i, t] of tallies) if (failurePaused(d, i, t)) return 'FAILURE_PAUSED';
  const group = activeGroup(d);
  // an item whose next batch waits for its rollout window is waiting, not running
  const phases = group.map((i) => (h.items[i].phase === 'tasks' && h.items[i].windowWait !== undefined ? 'window' : h.items[i].phase));
  if (phases.includes('tasks') || busy) return 'RUNNING';
  if (phases.includes('window')) return 'WAITING_AUTO';
  if (phases.includes('bake') || phases.includes('wait')) return 'WAITING_AUTO';
  if (phases.length > 0 && phases.every((p) => p === 'manual')) return 'WAITING_MANUAL';
  return 'RUNNING';
}
