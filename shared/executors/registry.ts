// Executor types by name: one file each.

import { ecsCommandExecutor } from './ecs-command.ts';
import { ecsImageExecutor } from './ecs-image.ts';
import type { Executor, ExecutorDeps, ExecutorFactory } from './executor.ts';
import { fcAliasExecutor } from './fc-alias.ts';
import { httpExecutor } from './http.ts';
import { oosPackageExecutor } from './oos-package.ts';
import { simulatedExecutor } from './simulated.ts';

const FACTORIES: Record<string, ExecutorFactory> = {
  simulated: simulatedExecutor,
  http: httpExecutor,
  'ecs-command': ecsCommandExecutor,
  'ecs-image': ecsImageExecutor,
  'oos-package': oosPackageExecutor,
  'fc-alias': fcAliasExecutor,
};

export const EXECUTOR_TYPES = Object.keys(FACTORIES);

export class ExecutorRegistry {
  private readonly made = new Map<string, Executor>();
  constructor(private readonly deps: ExecutorDeps) {}

  get(type: string): Executor {
    let e = this.made.get(type);
    if (!e) {
      const factory = FACTORIES[type];
      if (!factory) throw new Error(`unknown executor type "${type}"; supported: ${EXECUTOR_TYPES.join(', ')}`);
      e = factory(this.deps);
      this.made.set(type, e);
    }
    return e;
  }
}
