// ECS (2014-05-26) calls the executors use: instance status and image, stop/start, system disk
// replacement, and Cloud Assistant commands.

import type { ExecutorDeps } from '../executor.ts';
import { credentialsOf, endpointOf, type CloudServiceConfig } from './config.ts';
import { API_VERSIONS, rpcClient, type Rpc } from './rpc.ts';

export interface InstanceView {
  id: string;
  /** Pending | Running | Starting | Stopping | Stopped */
  status: string;
  imageId: string;
}

export interface InvocationView {
  /** Cloud Assistant InvokeRecordStatus: Pending, Running, Finished, Failed, Stopped, Stopping, ... */
  status: string;
  exitCode?: number;
  output: string;
  errorCode?: string;
  errorInfo?: string;
}

export interface Ecs {
  rpc: Rpc;
  region: string;
  instances(ids: string[]): Promise<Map<string, InstanceView>>;
  invocation(invokeId: string, instanceId: string): Promise<InvocationView | undefined>;
}

export function ecsApi(config: CloudServiceConfig, region: string, deps: ExecutorDeps): Ecs {
  const rpc = rpcClient(endpointOf('ecs', config, deps), API_VERSIONS.ecs, credentialsOf(deps));
  return {
    rpc,
    region,
    async instances(ids) {
      const out = new Map<string, InstanceView>();
      for (let i = 0; i < ids.length; i += 100) {
        const r = await rpc('DescribeInstances', { RegionId: region, InstanceIds: JSON.stringify(ids.slice(i, i + 100)), PageSize: 100 });
        for (const x of r.Instances?.Instance ?? []) out.set(x.InstanceId, { id: x.InstanceId, status: x.Status, imageId: x.ImageId });
      }
      return out;
    },
    async invocation(invokeId, instanceId) {
      const r = await rpc('DescribeInvocationResults', { RegionId: region, InvokeId: invokeId, InstanceId: instanceId });
      const x = (r.Invocation?.InvocationResults?.InvocationResult ?? [])[0];
      if (!x) return undefined;
      return {
        status: x.InvokeRecordStatus,
        exitCode: x.ExitCode,
        output: x.Output ? Buffer.from(x.Output, 'base64').toString('utf8') : '',
        errorCode: x.ErrorCode || undefined,
        errorInfo: x.ErrorInfo || undefined,
      };
    },
  };
}

/** the last lines of a command's output, for a task message */
export const tail = (output: string, max = 400): string => {
  const t = output.trim();
  return t.length <= max ? t : `…${t.slice(-max)}`;
};
