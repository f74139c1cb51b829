// A working copy of an order for one decision. decide() is pure: it never touches its argument; it
// copies the head, copies the task map only when a task changes, and records what changed so the
// runtime writes exactly those rows.

import type { Effect, Reply } from './io.ts';
import type { Actor, AuditEvent, ItemSpec, OrderSpec, OrderState, Task } from './types.ts';
import { taskKey } from './types.ts';

/** runtime-chosen settings of the engine (the engine itself stays pure: these are inputs) */
export interface EngineConfig {
  /** how long work in flight may go unobserved before a sweep re-polls it */
  leaseMs: number;
}
export const DEFAULT_CONFIG: EngineConfig = { leaseMs: 30_000 };

export class Draft {
  spec: OrderSpec;
  head: OrderState['head'];
  readonly version: number;
  tasks: Record<string, Task>;
  readonly effects: Effect[] = [];
  readonly events: AuditEvent[] = [];
  readonly changedKeys = new Set<string>();
  specChanged = false;
  /** a command asked for everything in flight to be re-polled in this decision */
  sweep = false;
  /** a batch hook is owed and not yet acknowledged: a sweep must come to ask again if it was lost */
  hookOwed = false;
  reply?: Reply;
  private tasksCopied = false;
  private byItem?: Map<number, Task[]>;
  /** where each indexed task sits in its item's list: replacing one is O(1), not a scan */
  private slot?: Map<string, number>;

  constructor(
    state: OrderState,
    readonly now: number,
    readonly config: EngineConfig = DEFAULT_CONFIG,
  ) {
    this.spec = state.spec;
    this.head = structuredClone(state.head);
    this.head.outbox = [];
    this.version = state.version;
    this.tasks = state.tasks;
  }

  task(key: string): Task | undefined {
    return this.tasks[key];
  }

  /** the task of a target in a batch, PENDING when it has no record yet */
  taskAt(item: number, batch: number, targetId: string): Task {
    const key = taskKey(item, batch, targetId);
    return (
      this.tasks[key] ?? {
        key,
        item,
        batch,
        targetId,
        status: 'PENDING',
        attempt: 1,
        action: this.actionFor(this.spec.items[item], targetId),
      }
    );
  }

  putTask(task: Task): void {
    if (!this.tasksCopied) {
      this.tasks = { ...this.tasks };
      this.tasksCopied = true;
    }
    this.tasks[task.key] = task;
    this.changedKeys.add(task.key);
    if (this.byItem && this.slot) {
      let list = this.byItem.get(task.item);
      if (!list) this.byItem.set(task.item, (list = []));
      const at = this.slot.get(task.key);
      if (at !== undefined) list[at] = task;
      else {
        this.slot.set(task.key, list.length);
        list.push(task);
      }
    }
  }

  /** every task of an item's batch, PENDING ones included, in the batch's target order */
  batchTasks(item: number, batch: number): Task[] {
    const ids = this.spec.items[item].batches[batch] ?? [];
    return ids.map((id) => this.taskAt(item, batch, id));
  }

  /** stored tasks of an item (started, retried, skipped or cancelled ones) */
  storedTasks(item: number): Task[] {
    if (!this.byItem) {
      // indexed once per decision: rules ask for an item's tasks many times over
      this.byItem = new Map();
      this.slot = new Map();
      for (const t of Object.values(this.tasks)) {
        let list = this.byItem.get(t.item);
        if (!list) this.byItem.set(t.item, (list = []));
        this.slot.set(t.key, list.length);
        list.push(t);
      }
    }
    return this.byItem.get(item) ?? [];
  }

  event(actor: Actor, type: string, reason: string, extra: Partial<AuditEvent> = {}): void {
    this.events.push({ at: this.now, actor, type, reason, ...extra });
  }

  emit(effect: Effect): void {
    this.effects.push(effect);
  }

  private actionFor(item: ItemSpec, targetId: string) {
    return item.rollbackTo?.[targetId]?.action ?? item.deployment;
  }
}
