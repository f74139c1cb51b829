// OOS 2019-06-01 as changeflow calls it: StartExecution of the package template, ListExecutions,
// ListInstancePackageStates.

import { ApiError, jsonParam, required, type Params } from './api-error.ts';
import type { World } from './world.ts';

export const PACKAGE_TEMPLATE = 'ACS-ECS-BulkyConfigureOOSPackageWithTemporaryURL';

interface PackageParameters {
  packageName: string;
  packageVersion?: string;
  action?: string;
  targets: { Type: string; ResourceIds: string[] };
}

export const oosActions: Record<string, (w: World, p: Params) => unknown> = {
  StartExecution(w, p) {
    const templateName = required(p, 'TemplateName');
    const run = () => {
      if (templateName !== PACKAGE_TEMPLATE) throw new ApiError(404, 'EntityNotExists.Template', `The template ${templateName} does not exist.`);
      const parameters = jsonParam<PackageParameters>(p, 'Parameters');
      if (!parameters?.packageName || !parameters.targets?.ResourceIds?.length) throw new ApiError(400, 'InvalidParameter.Parameters', 'packageName and targets.ResourceIds are required.');
      const action = parameters.action ?? 'install';
      let outcome: { status: 'Success' | 'Failed'; message?: string } = { status: 'Success' };
      const known = w.packageVersions.get(parameters.packageName);
      if (!known) outcome = { status: 'Failed', message: `package ${parameters.packageName} does not exist` };
      else if (action === 'install' && !known.has(parameters.packageVersion ?? '')) outcome = { status: 'Failed', message: `package ${parameters.packageName} has no version ${parameters.packageVersion}` };
      for (const id of parameters.targets.ResourceIds) {
        if (!w.instances.has(id)) outcome = { status: 'Failed', message: `instance ${id} does not exist` };
        const f = w.packageFailures.get(id);
        if (f) outcome = { status: 'Failed', message: f };
      }
      const id = w.nextId('exec');
      w.executions.set(id, { id, templateName, parameters: { ...parameters, action }, doneAt: w.now() + w.opsMs, outcome, applied: false });
      return { Execution: { ExecutionId: id, TemplateName: templateName, Status: 'Started', Mode: p.Mode ?? 'Automatic' } };
    };
    const token = p.ClientToken;
    if (!token) return run();
    const k = `StartExecution:${token}`;
    if (!w.tokens.has(k)) w.tokens.set(k, run());
    return w.tokens.get(k);
  },
  ListExecutions(w, p) {
    const ids = p.ExecutionId ? [p.ExecutionId] : [...w.executions.keys()];
    const list = ids.map((id) => w.execution(id)).filter((x) => x !== undefined);
    return {
      Executions: list.map((x) => {
        const done = x.doneAt <= w.now();
        return { ExecutionId: x.id, TemplateName: x.templateName, Status: done ? x.outcome.status : 'Running', StatusMessage: done ? (x.outcome.message ?? '') : '', Parameters: x.parameters };
      }),
    };
  },
  ListInstancePackageStates(w, p) {
    const id = required(p, 'InstanceId');
    for (const x of w.executions.keys()) w.execution(x); // settle what has finished
    const inst = w.instances.get(id);
    if (!inst) throw new ApiError(404, 'EntityNotExists.Instance', `The instance ${id} does not exist.`);
    const names = jsonParam<string[]>(p, 'TemplateNames');
    const states = Object.entries(inst.packages).filter(([name]) => !names || names.includes(name));
    return { PackageStates: states.map(([name, version]) => ({ TemplateName: name, TemplateVersion: version, TemplateCategory: 'Package' })) };
  },
};
