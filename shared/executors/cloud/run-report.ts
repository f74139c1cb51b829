// A finished run as the engine hears it.

import type { ExecutorDeps, TaskReport, TaskSpec } from '../executor.ts';
import { finishRun, runOf, type Run, type RunResult } from './progress.ts';

export function reportOf(run: Run): TaskReport | undefined {
  const r = run.result;
  if (!r) return undefined;
  return r.ok
    ? { state: 'succeeded', fromVersion: r.from ?? run.from, toVersion: r.to ?? run.to, changed: r.changed, message: r.message }
    : { state: 'failed', fromVersion: r.from ?? run.from, changed: r.changed, message: r.message };
}

/** records the run's outcome (the first one recorded wins) and reports it */
export async function settleRun(deps: ExecutorDeps, task: TaskSpec, run: Run, result: RunResult): Promise<TaskReport> {
  const row = await finishRun(deps.fleet, task.service.id, task.targetId, task.idempotencyKey, result);
  return reportOf(runOf(row, task.idempotencyKey) ?? { ...run, result }) ?? reportOf({ ...run, result })!;
}
