// Auto Scaling (ESS 2014-08-28) as a rolling update needs it: the In Service instances of a group,
// Standby in and out, and the scaling processes suspended around the run.

import type { ExecutorDeps } from '../executor.ts';
import { credentialsOf, endpointOf, type CloudServiceConfig } from './config.ts';
import { API_VERSIONS, rpcClient, type Rpc } from './rpc.ts';

export const SCALING_PROCESSES = ['ScaleIn', 'ScaleOut', 'HealthCheck', 'AlarmNotification', 'ScheduledAction'];

/** the ESS lifecycle states a rolling update cares about */
export type Lifecycle = 'InService' | 'Standby' | 'EnteringStandby' | 'Pending' | 'Removing' | 'Protected' | string;

export interface Ess {
  /** LifecycleState per instance (all of the group's, or those named) */
  lifecycle(groupId: string, instanceIds?: string[]): Promise<Map<string, Lifecycle>>;
  enterStandby(groupId: string, instanceIds: string[]): Promise<void>;
  exitStandby(groupId: string, instanceIds: string[]): Promise<void>;
  suspendedProcesses(groupId: string): Promise<string[]>;
  suspend(groupId: string, processes: string[], token: string): Promise<void>;
  resume(groupId: string, processes: string[], token: string): Promise<void>;
}

const chunks = <T>(list: T[], n: number): T[][] => Array.from({ length: Math.ceil(list.length / n) }, (_, i) => list.slice(i * n, i * n + n));

export function essApi(config: CloudServiceConfig, region: string, deps: ExecutorDeps): Ess {
  const rpc: Rpc = rpcClient(endpointOf('ess', config, deps), API_VERSIONS.ess, credentialsOf(deps));
  return {
    async lifecycle(groupId, instanceIds) {
      const out = new Map<string, Lifecycle>();
      // InstanceId.N takes at most 20 ids; without ids, page through the whole group (50 a page)
      const pages = instanceIds ? chunks(instanceIds, 20).map((ids) => ({ ids })) : [{ ids: undefined }];
      for (const { ids } of pages) {
        for (let page = 1; ; page++) {
          const r = await rpc('DescribeScalingInstances', { RegionId: region, ScalingGroupId: groupId, InstanceId: ids, PageSize: 50, PageNumber: page });
          const list: { InstanceId: string; LifecycleState: string }[] = r.ScalingInstances?.ScalingInstance ?? [];
          for (const i of list) out.set(i.InstanceId, i.LifecycleState);
          if (list.length < 50 || page * 50 >= (r.TotalCount ?? 0)) break;
        }
      }
      return out;
    },
    async enterStandby(groupId, ids) {
      for (const part of chunks(ids, 20)) await rpc('EnterStandby', { RegionId: region, ScalingGroupId: groupId, InstanceId: part });
    },
    async exitStandby(groupId, ids) {
      for (const part of chunks(ids, 20)) await rpc('ExitStandby', { RegionId: region, ScalingGroupId: groupId, InstanceId: part });
    },
    async suspendedProcesses(groupId) {
      const r = await rpc('DescribeScalingGroups', { RegionId: region, ScalingGroupId: [groupId] });
      const group = r.ScalingGroups?.ScalingGroup?.[0];
      if (!group) throw new Error(`scaling group ${groupId} does not exist in ${region}`);
      return group.SuspendedProcesses?.SuspendedProcess ?? [];
    },
    async suspend(groupId, processes, token) {
      if (processes.length) await rpc('SuspendProcesses', { RegionId: region, ScalingGroupId: groupId, Process: processes, ClientToken: token });
    },
    async resume(groupId, processes, token) {
      if (processes.length) await rpc('ResumeProcesses', { RegionId: region, ScalingGroupId: groupId, Process: processes, ClientToken: token });
    },
  };
}
