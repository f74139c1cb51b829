// The fake cloud's world: instances, scaling groups, Cloud Assistant invocations, OOS executions and
// packages, FC aliases and plain HTTP deploy targets. Operations that take time in the cloud (stop,
// start, disk replacement, commands, executions) complete `opsMs` after they were asked for; state is
// settled lazily whenever it is read.

export type InstanceStatus = 'Running' | 'Stopped' | 'Starting' | 'Stopping';
export type Lifecycle = 'InService' | 'Standby' | 'Pending' | 'Removing' | 'Protected';

export interface Instance {
  id: string;
  regionId: string;
  status: InstanceStatus;
  imageId: string;
  /** a transition under way: the status (and image) it reaches at `at` */
  pending?: { at: number; status: InstanceStatus; imageId?: string };
  /** OOS packages: name → version */
  packages: Record<string, string>;
}

export interface Group {
  id: string;
  regionId: string;
  suspended: string[];
  lifecycle: Map<string, Lifecycle>;
}

export interface Invocation {
  invokeId: string;
  commandId: string;
  instanceId: string;
  content: string;
  startedAt: number;
  doneAt: number;
  exitCode: number;
  output: string;
}

export interface Execution {
  id: string;
  templateName: string;
  parameters: Record<string, unknown>;
  doneAt: number;
  /** Success, or Failed with a message */
  outcome: { status: 'Success' | 'Failed'; message?: string };
  applied: boolean;
}

export interface Alias {
  versionId: string;
  weights: Record<string, number>;
}

export interface HttpDeployment {
  key: string;
  target: string;
  action: string;
  version?: string;
  doneAt: number;
  ok: boolean;
}

export interface CommandOutcome {
  exitCode: number;
  output: string;
}

export class World {
  readonly instances = new Map<string, Instance>();
  readonly groups = new Map<string, Group>();
  readonly images = new Set<string>();
  readonly invocations = new Map<string, Invocation>();
  readonly executions = new Map<string, Execution>();
  /** package name → versions OOS can install */
  readonly packageVersions = new Map<string, Set<string>>();
  /** FC 3.0 functions (and FC 2.0 services): name → published versions and aliases */
  readonly functions = new Map<string, { versions: Set<string>; aliases: Map<string, Alias> }>();
  readonly http = { deployments: new Map<string, HttpDeployment>(), versions: new Map<string, string>(), failing: new Set<string>(), unhealthy: new Set<string>() };
  /** per instance: what a command run there ends with (else parsed from the script) */
  readonly commandOutcomes = new Map<string, CommandOutcome>();
  /** per instance: package operations there fail with this message */
  readonly packageFailures = new Map<string, string>();
  /** (action, ClientToken) → the first answer: a repeated token is answered the same, and nothing is redone */
  readonly tokens = new Map<string, unknown>();
  private seq = 0;

  constructor(
    readonly now: () => number,
    public opsMs: number,
  ) {}

  nextId(prefix: string): string {
    return `${prefix}-${(++this.seq).toString(36).padStart(6, '0')}`;
  }

  addInstance(id: string, opts: Partial<Omit<Instance, 'id'>> = {}): Instance {
    const i: Instance = { id, regionId: 'cn-hangzhou', status: 'Running', imageId: 'centos_7_8', packages: {}, ...opts };
    this.images.add(i.imageId);
    this.instances.set(id, i);
    return i;
  }

  /** a scaling group of instances, all In Service unless said otherwise */
  addGroup(id: string, members: { id: string; lifecycle?: Lifecycle; imageId?: string }[], opts: { regionId?: string; suspended?: string[] } = {}): Group {
    const g: Group = { id, regionId: opts.regionId ?? 'cn-hangzhou', suspended: [...(opts.suspended ?? [])], lifecycle: new Map() };
    for (const m of members) {
      if (!this.instances.has(m.id)) this.addInstance(m.id, { regionId: g.regionId, ...(m.imageId ? { imageId: m.imageId } : {}) });
      g.lifecycle.set(m.id, m.lifecycle ?? 'InService');
    }
    this.groups.set(id, g);
    return g;
  }

  addFunction(name: string, versions: string[], aliases: Record<string, Alias> = {}): void {
    this.functions.set(name, { versions: new Set(versions), aliases: new Map(Object.entries(aliases)) });
  }

  instance(id: string): Instance | undefined {
    const i = this.instances.get(id);
    if (i?.pending && i.pending.at <= this.now()) {
      i.status = i.pending.status;
      if (i.pending.imageId) i.imageId = i.pending.imageId;
      i.pending = undefined;
    }
    return i;
  }

  execution(id: string): Execution | undefined {
    const x = this.executions.get(id);
    if (x && !x.applied && x.doneAt <= this.now()) {
      x.applied = true;
      if (x.outcome.status === 'Success') {
        const p = x.parameters as { packageName: string; packageVersion?: string; action: string; targets: { ResourceIds: string[] } };
        for (const id of p.targets.ResourceIds) {
          const inst = this.instances.get(id);
          if (!inst) continue;
          if (p.action === 'uninstall') delete inst.packages[p.packageName];
          else inst.packages[p.packageName] = p.packageVersion ?? '';
        }
      }
    }
    return x;
  }

  /** what running `script` on an instance ends with: an injected outcome, else `exit N` and `echo …` lines */
  outcomeOf(instanceId: string, script: string): CommandOutcome {
    const injected = this.commandOutcomes.get(instanceId);
    if (injected) return injected;
    const exit = [...script.matchAll(/^\s*exit\s+(\d+)/gm)].map((m) => Number(m[1]))[0] ?? 0;
    const output = [...script.matchAll(/^\s*echo\s+(.*)$/gm)].map((m) => m[1].replace(/^["']|["']$/g, '')).join('\n');
    return { exitCode: exit, output: output ? `${output}\n` : '' };
  }
}
