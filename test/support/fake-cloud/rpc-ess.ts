// ESS 2014-08-28 as changeflow calls it: DescribeScalingInstances, EnterStandby, ExitStandby,
// DescribeScalingGroups, SuspendProcesses, ResumeProcesses.

import { ApiError, listParam, required, type Params } from './api-error.ts';
import type { Group, World } from './world.ts';

const PROCESSES = ['ScaleIn', 'ScaleOut', 'HealthCheck', 'AlarmNotification', 'ScheduledAction'];

function group(w: World, p: Params): Group {
  const id = required(p, 'ScalingGroupId');
  const g = w.groups.get(id);
  if (!g) throw new ApiError(404, 'InvalidScalingGroupId.NotFound', `The specified scaling group does not exist: ${id}`);
  return g;
}

function standby(w: World, p: Params, from: string, to: 'Standby' | 'InService') {
  const g = group(w, p);
  const ids = listParam(p, 'InstanceId');
  for (const id of ids) {
    const state = g.lifecycle.get(id);
    if (state === undefined) throw new ApiError(404, 'InvalidInstanceId.NotFound', `The instance ${id} is not in scaling group ${g.id}.`);
    if (state !== from) throw new ApiError(403, 'IncorrectInstanceStatus', `The instance ${id} is ${state}, not ${from}.`);
  }
  for (const id of ids) g.lifecycle.set(id, to);
  return { ScalingActivityId: w.nextId('asa') };
}

function processes(p: Params): string[] {
  const list = listParam(p, 'Process');
  for (const x of list) if (!PROCESSES.includes(x)) throw new ApiError(400, 'InvalidParameter.Process', `The specified process is not valid: ${x}`);
  return list;
}

export const essActions: Record<string, (w: World, p: Params) => unknown> = {
  DescribeScalingInstances(w, p) {
    const g = group(w, p);
    const only = listParam(p, 'InstanceId');
    const size = Number(p.PageSize ?? 10);
    const page = Number(p.PageNumber ?? 1);
    const all = [...g.lifecycle].filter(([id, s]) => (only.length === 0 || only.includes(id)) && (!p.LifecycleState || s === p.LifecycleState));
    const slice = all.slice((page - 1) * size, page * size);
    return {
      TotalCount: all.length,
      PageNumber: page,
      PageSize: size,
      ScalingInstances: { ScalingInstance: slice.map(([id, s]) => ({ InstanceId: id, ScalingGroupId: g.id, LifecycleState: s, HealthStatus: 'Healthy', CreationType: 'AutoCreated' })) },
    };
  },
  EnterStandby: (w, p) => standby(w, p, 'InService', 'Standby'),
  ExitStandby: (w, p) => standby(w, p, 'Standby', 'InService'),
  DescribeScalingGroups(w, p) {
    const ids = listParam(p, 'ScalingGroupId');
    const list = [...w.groups.values()].filter((g) => ids.length === 0 || ids.includes(g.id));
    return { TotalCount: list.length, ScalingGroups: { ScalingGroup: list.map((g) => ({ ScalingGroupId: g.id, RegionId: g.regionId, LifecycleState: 'Active', SuspendedProcesses: { SuspendedProcess: [...g.suspended] } })) } };
  },
  SuspendProcesses(w, p) {
    const g = group(w, p);
    for (const x of processes(p)) if (!g.suspended.includes(x)) g.suspended.push(x);
    return {};
  },
  ResumeProcesses(w, p) {
    const g = group(w, p);
    const list = processes(p);
    g.suspended = g.suspended.filter((x) => !list.includes(x));
    return {};
  },
};
