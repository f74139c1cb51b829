// Per-attempt progress of a cloud change, kept in the target's row of the fleet store and written by
// compare-and-set, so that a worker restarted between any two cloud calls finds where the attempt was:
// which step, what it claimed to call, what it started (an InvokeId, an ExecutionId) and how it ended.

import { ConflictError, type Store, type TargetRecord } from '../../store/store.ts';

export interface RunResult {
  ok: boolean;
  changed: boolean;
  message: string;
  from?: string;
  to?: string;
}

export interface Run {
  key: string;
  at: number;
  /** the executor's own step name (ecs-image: standby, stop, replace, start, exitStandby) */
  step?: string;
  /** what the target ran before this attempt changed it */
  from?: string;
  to?: string;
  /** the cloud's handle on the change: InvokeId, ExecutionId */
  ref?: string;
  /** call name → when this attempt claimed it: a call is made only by the worker whose claim was stored */
  claims?: Record<string, number>;
  result?: RunResult;
  /** executor-specific extras */
  data?: Record<string, unknown>;
}

interface CloudState {
  runs?: Record<string, Run>;
  /** set while an instance is in Standby because this order put it there */
  standby?: { orderId: string; at: number };
}

/** runs kept per target: the newest ones; older attempts are long settled */
const KEEP_RUNS = 8;

export const stateOf = (t: TargetRecord | undefined): CloudState => (t?.state ?? {}) as CloudState;
export const runOf = (t: TargetRecord | undefined, key: string): Run | undefined => stateOf(t).runs?.[key];

export async function loadTarget(fleet: Store, serviceId: string, targetId: string): Promise<TargetRecord> {
  const t = await fleet.getTarget(serviceId, targetId);
  if (t) return t;
  // a target found by discovery whose row was never written (or a service edited since): start one
  await fleet.putTargets(serviceId, [{ id: targetId, labels: [], version: '0', changeCount: 0, state: {} }]);
  const made = await fleet.getTarget(serviceId, targetId);
  if (!made) throw new Error(`could not record progress for target ${targetId} of service ${serviceId}`);
  return made;
}

export type Mutation = (t: TargetRecord, state: CloudState) => Partial<Pick<TargetRecord, 'version' | 'changeCount'>> & { state: CloudState } | undefined;

/** applies `mutate` by compare-and-set until it lands; returns the row as written (or as read when unchanged) */
export async function updateTarget(fleet: Store, serviceId: string, targetId: string, mutate: Mutation): Promise<TargetRecord> {
  for (;;) {
    const t = await loadTarget(fleet, serviceId, targetId);
    const next = mutate(t, stateOf(t));
    if (!next) return t;
    const row: TargetRecord = { ...t, ...next, state: next.state as Record<string, unknown> };
    try {
      row.rev = await fleet.updateTarget(row, t.rev);
      return row;
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
  }
}

/** writes one run (created by `make` when absent), keeping the newest KEEP_RUNS */
export function putRun(fleet: Store, serviceId: string, targetId: string, key: string, change: (run: Run | undefined) => Run | undefined, extra?: (t: TargetRecord) => Partial<Pick<TargetRecord, 'version' | 'changeCount'>>): Promise<TargetRecord> {
  return updateTarget(fleet, serviceId, targetId, (t, s) => {
    const run = change(s.runs?.[key]);
    if (!run) return undefined;
    const runs = Object.values({ ...(s.runs ?? {}), [key]: run })
      .sort((a, b) => b.at - a.at)
      .slice(0, KEEP_RUNS);
    if (!runs.some((r) => r.key === key)) runs.push(run);
    return { ...(extra ? extra(t) : {}), state: { ...s, runs: Object.fromEntries(runs.map((r) => [r.key, r])) } };
  });
}

/**
 * Claims a call for an attempt: true when this worker may make it now. A claim older than `staleMs` may
 * be taken again (its worker died before the call took effect; the caller checked the cloud's state).
 */
export async function claimCall(fleet: Store, serviceId: string, targetId: string, key: string, call: string, now: number, staleMs: number): Promise<boolean> {
  let won = false;
  await putRun(fleet, serviceId, targetId, key, (run) => {
    if (!run) return undefined;
    const at = run.claims?.[call];
    if (at !== undefined && now - at < staleMs) return undefined;
    won = true;
    return { ...run, claims: { ...(run.claims ?? {}), [call]: now } };
  });
  return won;
}

/** the final word on an attempt; the version and change count move with it when the target changed */
export function finishRun(fleet: Store, serviceId: string, targetId: string, key: string, result: RunResult): Promise<TargetRecord> {
  return putRun(
    fleet,
    serviceId,
    targetId,
    key,
    (run) => (run && !run.result ? { ...run, result } : undefined),
    (t) => (result.changed ? { version: result.to ?? t.version, changeCount: t.changeCount + 1 } : {}),
  );
}

/** gives a claim back: its call did not reach the cloud */
export async function releaseCall(fleet: Store, serviceId: string, targetId: string, key: string, call: string): Promise<void> {
  await putRun(fleet, serviceId, targetId, key, (run) => {
    if (!run?.claims?.[call]) return undefined;
    const { [call]: _gone, ...rest } = run.claims;
    return { ...run, claims: rest };
  });
}
