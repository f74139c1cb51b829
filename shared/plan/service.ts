// The body of `PUT /v1/services/{serviceId}`, also accepted inline in a plan item (`service:`): how a
// service's changes are applied (its executor), its targets, and its default rollout options.

import { z } from 'zod';
import { ALWAYS, idSchema, int, labelSchema, rolloutOptionsSchema, versionSchema } from './fields.ts';
import { COMMAND_TYPES, SCALING_PROCESSES } from './ess.ts';
import { isRecord } from './issues.ts';

/** The in-process fleet used for demos and tests (SPEC §7 `simulated`). */
const simulatedExecutor = z.strictObject({
  type: z.literal('simulated'),
  /** how long a change takes on one target */
  latencyMs: int().min(0).max(3_600_000).default(0),
  /** targets whose change always fails */
  failTargets: z.array(z.string()).default([]),
  /** probability that any change fails */
  failRate: z.number().min(0).max(1).default(0),
  /** targets that change fine but then fail the health check */
  unhealthyTargets: z.array(z.string()).default([]),
});

const url = () => z.string().regex(/^https?:\/\/\S+$/, { error: 'must be an http(s) URL' });
const urlTemplate = () => z.string().regex(/^https?:\/\/\S+$/, { error: 'must be an http(s) URL ({target} and {key} are filled in)' });

/** Where a cloud executor calls. Credentials are never configured here: they come from the runtime's role. */
const cloudFields = {
  /** default: CHANGEFLOW_REGION, else cn-hangzhou */
  regionId: z.string().regex(/^[a-z]+-[a-z0-9-]+$/, { error: 'must be a region id such as cn-hangzhou' }).optional(),
  /** one endpoint for every product this executor calls (a fake cloud, a proxy) */
  endpoint: url().optional(),
  /** per product; wins over `endpoint` */
  endpoints: z.strictObject({ ecs: url().optional(), ess: url().optional(), oos: url().optional(), fc: url().optional() }).optional(),
  /** how often a running change is polled (default 3000, or CHANGEFLOW_CLOUD_POLL_MS) */
  pollMs: int().min(10).max(600_000).optional(),
  /** where a plan's healthCheck asks each target, e.g. http://{target}.svc.internal:8080 ({path} optional) */
  healthUrl: urlTemplate().optional(),
};

const processList = z.array(z.enum(SCALING_PROCESSES, { error: `must be one of ${SCALING_PROCESSES.join(', ')}` }));

/** Targets can be the In Service instances of a scaling group (found at submission), with ESS semantics. */
const essFields = {
  scalingGroupId: z.string().min(1).max(128).optional(),
  /** suspended before the first batch (default: all five) and resumed at the end (default: those suspended) */
  enterProcess: processList.optional(),
  exitProcess: processList.optional(),
};

/** ECS Cloud Assistant (SPEC §7 `ecs-command`). */
const ecsCommandExecutor = z.strictObject({
  type: z.literal('ecs-command'),
  ...cloudFields,
  ...essFields,
  commandType: z.enum(COMMAND_TYPES).optional(),
  /** the script plan items run; {{action}} {{version}} {{httpSrcUri}} {{compileRepoPath}} {{compileRepoBranch}} are filled in */
  script: z.string().min(1).max(16_000).optional(),
  rollbackScript: z.string().min(1).max(16_000).optional(),
  timeoutSeconds: int().min(10).max(86_400).optional(),
  workingDir: z.string().max(200).optional(),
  username: z.string().max(64).optional(),
});

/** System disk replacement (SPEC §7 `ecs-image`): the version a plan deploys is the image id. */
const ecsImageExecutor = z.strictObject({
  type: z.literal('ecs-image'),
  ...cloudFields,
  ...essFields,
  sourceImageId: z.string().min(1).max(256).optional(),
});

/** OOS packages (SPEC §7 `oos-package`): the version a plan deploys is the package version. */
const oosPackageExecutor = z.strictObject({
  type: z.literal('oos-package'),
  ...cloudFields,
  ...essFields,
  packageName: z.string().min(1).max(200).optional(),
  templateName: z.string().min(1).max(200).optional(),
  assumeRole: z.string().max(200).optional(),
});

/** FC alias traffic shifting (SPEC §7 `fc-alias`): the version a plan deploys is the function version. */
const fcAliasExecutor = z.strictObject({
  type: z.literal('fc-alias'),
  ...cloudFields,
  functionName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/, { error: 'must be an FC function (or FC 2.0 service) name' }).optional(),
  aliasName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/, { error: 'must be an alias name' }).optional(),
  weights: z.array(int().min(1).max(100)).min(1).max(20).optional(),
  accountId: z.string().regex(/^\d+$/, { error: 'must be the numeric account id' }).optional(),
  apiVersion: z.enum(['3.0', '2.0']).optional(),
});

/** A deploy endpoint per target (SPEC §7 `http`). */
const httpExecutor = z.strictObject({
  type: z.literal('http'),
  deployUrl: urlTemplate(),
  statusUrl: urlTemplate().optional(),
  healthUrl: urlTemplate().optional(),
  /** the name of an environment variable holding a bearer token (never the token itself) */
  tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'must be an environment variable name' }).optional(),
  timeoutMs: int().min(100).max(120_000).optional(),
  pollMs: int().min(10).max(600_000).optional(),
});

// One entry per executor type; adding an executor adds a member here and nothing else in this file.
const executorOptions = [simulatedExecutor, httpExecutor, ecsCommandExecutor, ecsImageExecutor, oosPackageExecutor, fcAliasExecutor] as const;
export const EXECUTOR_TYPES = executorOptions.map((o) => o.shape.type.value);

export const executorSchema = z.discriminatedUnion('type', executorOptions, {
  error: (iss) => {
    if (iss.code !== 'invalid_union') return undefined; // not an object at all: the generic message
    const supported = `supported types: ${EXECUTOR_TYPES.join(', ')}`;
    const given = isRecord(iss.input) ? iss.input.type : undefined;
    if (given === undefined) return `required; ${supported}`;
    return typeof given === 'string' ? `unknown executor type ${JSON.stringify(given)}; ${supported}` : `must be a string; ${supported}`;
  },
});
export type ExecutorConfig = z.output<typeof executorSchema>;

export const targetSchema = z.strictObject({
  id: idSchema,
  labels: z.array(labelSchema).default([]),
  version: versionSchema.default('0'),
});

const targetsSchema = z.array(targetSchema).superRefine((targets: unknown, ctx) => {
  if (!Array.isArray(targets)) return;
  const first = new Map<string, number>();
  targets.forEach((t, i) => {
    if (!isRecord(t) || (typeof t.id !== 'string' && typeof t.id !== 'number')) return;
    const id = String(t.id);
    const at = first.get(id);
    if (at === undefined) first.set(id, i);
    else ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate target id ${JSON.stringify(id)} (also targets[${at}])` });
  });
}, ALWAYS);

export const serviceRegistrationSchema = z.strictObject({
  description: z.string().max(1024).optional(),
  executor: executorSchema,
  targets: targetsSchema.optional(),
  defaults: rolloutOptionsSchema.optional(),
});
export type ServiceRegistration = z.output<typeof serviceRegistrationSchema>;
