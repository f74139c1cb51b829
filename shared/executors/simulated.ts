// The simulated executor: a fleet kept in the store, whose targets take `latencyMs` to change and fail
// on request. It behaves like a remote machine: a change, once started, completes at its own time
// whether or not the orchestrator is alive, and a repeated start with the same attempt key is a no-op.

import { createHash } from 'node:crypto';
import type { HealthCheck } from '../engine/types.ts';
import { ConflictError, type TargetRecord } from '../store/store.ts';
import type { Executor, ExecutorDeps, TaskReport, TaskSpec } from './executor.ts';

export interface SimulatedConfig {
  type: 'simulated';
  latencyMs?: number;
  failTargets?: string[];
  failRate?: number;
  unhealthyTargets?: string[];
}

interface Change {
  key: string;
  from: string;
  to: string;
  running: boolean;
  completeAt: number;
  fail: boolean;
}

interface FleetState {
  /** false after a STOP */
  running?: boolean;
  inflight?: Change;
  last?: { key: string; from: string; to: string; ok: boolean; message: string };
  /** attempt keys applied before `last`: a late repeat of any of them changes nothing (like a ClientToken) */
  done?: string[];
}

const DONE_KEPT = 50;

/** deterministic per attempt: the same attempt always fails or always succeeds */
const chance = (key: string): number => createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;

export function simulatedExecutor({ fleet, now }: ExecutorDeps): Executor {
  const config = (task: TaskSpec) => task.service.executor as SimulatedConfig;

  /** a change whose time has come is applied to the target (one compare-and-set write) */
  async function observe(task: TaskSpec): Promise<TargetRecord | undefined> {
    for (;;) {
      const t = await fleet.getTarget(task.service.id, task.targetId);
      const c = (t?.state as FleetState | undefined)?.inflight;
      if (!t || !c || c.completeAt > now()) return t;
      const state = t.state as FleetState;
      const done = [...(state.done ?? []), ...(state.last ? [state.last.key] : [])].slice(-DONE_KEPT);
      const next: TargetRecord = c.fail
        ? { ...t, state: { ...state, done, inflight: undefined, last: { key: c.key, from: c.from, to: c.from, ok: false, message: `simulated failure of ${t.id}` } } }
        : { ...t, version: c.to, state: { ...state, done, running: c.running, inflight: undefined, last: { key: c.key, from: c.from, to: c.to, ok: true, message: `${t.id}: ${c.from} → ${c.to}` } } };
      try {
        next.rev = await fleet.updateTarget(next, t.rev);
        return next;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
    }
  }

  function report(t: TargetRecord, key: string): TaskReport {
    const s = t.state as FleetState;
    if (s.inflight?.key === key) return { state: 'running', pollAfterMs: Math.max(1, s.inflight.completeAt - now()) };
    if (s.last?.key === key) {
      return s.last.ok
        ? { state: 'succeeded', fromVersion: s.last.from, toVersion: s.last.to, changed: true, message: s.last.message }
        : { state: 'failed', fromVersion: s.last.from, changed: false, message: s.last.message };
    }
    return { state: 'unknown' };
  }

  return {
    type: 'simulated',
    async start(task) {
      for (;;) {
        const t = await observe(task);
        if (!t) return { state: 'failed', changed: false, message: `target ${task.targetId} is not registered with service ${task.service.id}` };
        const known = report(t, task.idempotencyKey);
        if (known.state !== 'unknown') return known;
        if ((t.state as FleetState).done?.includes(task.idempotencyKey)) return { state: 'failed', changed: false, message: `attempt ${task.idempotencyKey} already ran on ${t.id}; its outcome is no longer known` };
        const s = t.state as FleetState;
        if (s.inflight) return { state: 'failed', changed: false, message: `target ${t.id} is busy with another change (${s.inflight.key})` };
        const cfg = config(task);
        const wasRunning = s.running !== false;
        const to = task.action === 'HTTP_UPLOAD_DEPLOY' || task.action === 'COMPILE_DEPLOY' || task.action === 'ROLLBACK' ? (task.version ?? t.version) : t.version;
        const change: Change = {
          key: task.idempotencyKey,
          from: t.version,
          to,
          running: task.action === 'STOP' ? false : task.action === 'START' ? true : wasRunning,
          completeAt: now() + (cfg.latencyMs ?? 0),
          fail: (cfg.failTargets ?? []).includes(t.id) || chance(task.idempotencyKey) < (cfg.failRate ?? 0),
        };
        try {
          await fleet.updateTarget({ ...t, changeCount: t.changeCount + 1, state: { ...s, inflight: change } }, t.rev);
        } catch (e) {
          if (e instanceof ConflictError) continue;
          throw e;
        }
        if (change.completeAt <= now()) return this.poll(task);
        return { state: 'running', pollAfterMs: change.completeAt - now() };
      }
    },
    async poll(task) {
      const t = await observe(task);
      return t ? report(t, task.idempotencyKey) : { state: 'unknown' };
    },
    async checkHealth(task: TaskSpec, check: HealthCheck) {
      const bad = (config(task).unhealthyTargets ?? []).includes(task.targetId);
      return bad ? { healthy: false, message: `GET ${check.path} on ${task.targetId} did not return ${check.expectStatus}` } : { healthy: true };
    },
  };
}
