// ECS 2014-05-26 as changeflow calls it: DescribeInstances, StopInstance, StartInstance, ReplaceSystemDisk,
// RunCommand, DescribeInvocationResults (parameter and field names per the vendor's API reference).

import { ApiError, jsonParam, listParam, required, type Params } from './api-error.ts';
import type { World } from './world.ts';

const notFound = (id: string) => new ApiError(404, 'InvalidInstanceId.NotFound', `The specified InstanceId does not exist: ${id}`);
const wrongStatus = (id: string, status: string, want: string) => new ApiError(403, 'IncorrectInstanceStatus', `The current status of the resource does not support this operation (${id} is ${status}, needs ${want}).`);

/** ClientToken: the first answer for a token is the answer for every repeat, and nothing is redone */
function once<T>(w: World, action: string, p: Params, make: () => T): T {
  const token = p.ClientToken;
  if (!token) return make();
  const k = `${action}:${token}`;
  if (!w.tokens.has(k)) w.tokens.set(k, make());
  return w.tokens.get(k) as T;
}

export const ecsActions: Record<string, (w: World, p: Params) => unknown> = {
  DescribeInstances(w, p) {
    const ids = jsonParam<string[]>(p, 'InstanceIds') ?? [...w.instances.keys()];
    const found = ids.map((id) => w.instance(id)).filter((i) => i !== undefined);
    return { Instances: { Instance: found.map((i) => ({ InstanceId: i.id, Status: i.status, ImageId: i.imageId, RegionId: i.regionId })) }, TotalCount: found.length, PageNumber: 1, PageSize: Number(p.PageSize ?? 10) };
  },
  StopInstance(w, p) {
    const id = required(p, 'InstanceId');
    const i = w.instance(id) ?? (() => { throw notFound(id); })();
    if (i.status !== 'Running') throw wrongStatus(id, i.status, 'Running');
    i.status = 'Stopping';
    i.pending = { at: w.now() + w.opsMs, status: 'Stopped' };
    return {};
  },
  StartInstance(w, p) {
    const id = required(p, 'InstanceId');
    const i = w.instance(id) ?? (() => { throw notFound(id); })();
    if (i.status !== 'Stopped' || i.pending) throw wrongStatus(id, i.pending ? 'replacing its system disk' : i.status, 'Stopped');
    i.status = 'Starting';
    i.pending = { at: w.now() + w.opsMs, status: 'Running' };
    return {};
  },
  ReplaceSystemDisk(w, p) {
    const id = required(p, 'InstanceId');
    const image = required(p, 'ImageId');
    return once(w, 'ReplaceSystemDisk', p, () => {
      const i = w.instance(id) ?? (() => { throw notFound(id); })();
      if (!w.images.has(image)) throw new ApiError(404, 'InvalidImageId.NotFound', `The specified ImageId does not exist: ${image}`);
      if (i.status !== 'Stopped' || i.pending) throw wrongStatus(id, i.status, 'Stopped');
      i.pending = { at: w.now() + w.opsMs, status: 'Stopped', imageId: image };
      return { DiskId: w.nextId('d') };
    });
  },
  RunCommand(w, p) {
    const ids = listParam(p, 'InstanceId');
    if (ids.length === 0) throw new ApiError(400, 'MissingParameter.InstanceIds', 'The input parameter "InstanceId" that is mandatory for processing this request is not supplied.');
    return once(w, 'RunCommand', p, () => {
      let content = p.ContentEncoding === 'Base64' ? Buffer.from(required(p, 'CommandContent'), 'base64').toString('utf8') : required(p, 'CommandContent');
      if (p.EnableParameter === 'true') {
        const values = jsonParam<Record<string, string>>(p, 'Parameters') ?? {};
        content = content.replace(/\{\{\s*([A-Za-z0-9_-]+)\s*\}\}/g, (_m, k: string) => {
          if (!(k in values)) throw new ApiError(400, 'InvalidParameter.Parameters', `The parameter ${k} is not supplied.`);
          return values[k];
        });
      }
      for (const id of ids) {
        const i = w.instance(id) ?? (() => { throw notFound(id); })();
        if (i.status !== 'Running') throw new ApiError(403, 'InstanceNotRunning', `The instance ${id} is not running.`);
      }
      const commandId = w.nextId('c');
      const invokeId = w.nextId('t');
      for (const id of ids) {
        const o = w.outcomeOf(id, content);
        w.invocations.set(`${invokeId}/${id}`, { invokeId, commandId, instanceId: id, content, startedAt: w.now(), doneAt: w.now() + w.opsMs, exitCode: o.exitCode, output: o.output });
      }
      return { CommandId: commandId, InvokeId: invokeId };
    });
  },
  DescribeInvocationResults(w, p) {
    const invokeId = required(p, 'InvokeId');
    const results = [...w.invocations.values()].filter((x) => x.invokeId === invokeId && (!p.InstanceId || x.instanceId === p.InstanceId));
    return {
      Invocation: {
        InvocationResults: {
          InvocationResult: results.map((x) => {
            const done = x.doneAt <= w.now();
            return {
              InvokeId: x.invokeId,
              CommandId: x.commandId,
              InstanceId: x.instanceId,
              InvokeRecordStatus: !done ? 'Running' : x.exitCode === 0 ? 'Finished' : 'Failed',
              ExitCode: done ? x.exitCode : null,
              Output: done ? Buffer.from(x.output).toString('base64') : '',
              ErrorCode: done && x.exitCode !== 0 ? 'NonZeroExitCode' : '',
              ErrorInfo: done && x.exitCode !== 0 ? `the command exited with code ${x.exitCode}` : '',
            };
          }),
        },
        TotalCount: results.length,
      },
    };
  },
};
