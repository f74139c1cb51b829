// The plan format (SPEC §2): the EWS deploy plan of seed 004, keys spelled and cased exactly as there,
// plus changeflow's extension keys; and the two entry points that validate what a user submits.
// Unknown keys are errors (a typo must not be silently ignored); keys the chosen deployment does not use are
// warnings, because seed 004's own example carries compileRepoPath on an HTTP_UPLOAD_DEPLOY item.

import { z } from 'zod';
import { ALARM_POLICIES, DEPLOYMENTS, type Deployment } from '../engine/types.ts';
import { essRequestSchema, essWarnings, type EssRequest } from './ess.ts';
import { ALWAYS, LABEL_HINT, LABEL_PATTERN, idSchema, int, oneOf, rolloutOptionShape, serviceIdSchema, versionSchema } from './fields.ts';
import { ROOT_PATH, formatPath, isRecord, joinPath, type Issue } from './issues.ts';
import { describeValue, runSchema } from './messages.ts';
import { serviceRegistrationSchema, type ServiceRegistration } from './service.ts';
import { parseWindowRule } from './window.ts';

export type { EssRequest } from './ess.ts';
export type { ServiceRegistration } from './service.ts';
export type { RolloutOptions } from './fields.ts';

// ---- item fields -------------------------------------------------------------------------------------

/** "25%": a share of the item's targets, rounded up. */
const PERCENT = /^(100|[1-9]\d?)%$/;
const BATCH_STEP_HINT = 'must be a whole number of targets (≥ 1) or a percentage from "1%" to "100%"';

// zod reports the member whose type matched, so each member carries the hint too.
const batchStep = z.union([int().min(1, { error: BATCH_STEP_HINT }), z.string().regex(PERCENT, { error: BATCH_STEP_HINT })], {
  error: (iss) => (iss.input === undefined ? 'required' : BATCH_STEP_HINT),
});

/** Cumulative sizes: each step must reach further than the last one of its kind. */
const batchesSchema = z
  .array(batchStep)
  .min(1)
  .superRefine((steps: unknown, ctx) => {
    if (!Array.isArray(steps)) return;
    let lastCount: number | undefined;
    let lastPercent: number | undefined;
    steps.forEach((s, i) => {
      if (typeof s === 'number' && Number.isInteger(s) && s >= 1) {
        if (lastCount !== undefined && s <= lastCount) {
          ctx.addIssue({ code: 'custom', path: [i], message: `must be more than the earlier ${lastCount}: batches are cumulative ([1, 5, "100%"] = 1, then 4 more, then the rest)` });
        }
        lastCount = Math.max(lastCount ?? 0, s);
      } else if (typeof s === 'string' && PERCENT.test(s)) {
        const p = Number(s.slice(0, -1));
        if (lastPercent !== undefined && p <= lastPercent) {
          ctx.addIssue({ code: 'custom', path: [i], message: `must be more than the earlier ${lastPercent}%: batches are cumulative` });
        }
        lastPercent = Math.max(lastPercent ?? 0, p);
      }
    });
  }, ALWAYS);

const deployLabelSchema = z.string().superRefine((value, ctx) => {
  const labels = value.split(',').map((l) => l.trim()).filter((l) => l !== '');
  if (labels.length === 0) ctx.addIssue({ code: 'custom', message: 'must name at least one label (comma-separated), or be left out' });
  for (const l of labels) {
    if (!LABEL_PATTERN.test(l)) ctx.addIssue({ code: 'custom', message: `label ${JSON.stringify(l)} ${LABEL_HINT}` });
  }
});

const httpUrl = z.url({
  protocol: /^https?$/,
  error: (iss) => (iss.input === undefined ? 'required' : typeof iss.input === 'string' ? 'must be an http:// or https:// URL' : `must be a URL string, not ${describeValue(iss.input)}`),
});

// ---- conditional requirements (seed 004) ---------------------------------------------------------------

/** Deployment inputs, and which deployment uses each. */
const ARTIFACT_KEYS = ['httpSrcUri', 'compileRepoPath', 'compileRepoBranch', 'version'] as const;
const USES: Record<Deployment, readonly string[]> = {
  START: [],
  STOP: [],
  RESTART: [],
  HTTP_UPLOAD_DEPLOY: ['httpSrcUri', 'version'],
  COMPILE_DEPLOY: ['compileRepoPath', 'compileRepoBranch', 'version'],
};
const REQUIRES: Partial<Record<Deployment, readonly string[]>> = {
  HTTP_UPLOAD_DEPLOY: ['httpSrcUri'],
  COMPILE_DEPLOY: ['compileRepoPath', 'compileRepoBranch'],
};

function itemRules(item: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(item)) return;
  const deployment = DEPLOYMENTS.find((d) => d === item.deployment);
  for (const key of (deployment && REQUIRES[deployment]) || []) {
    if (item[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required when deployment is ${deployment}` });
  }
  if (item.batchNumber !== undefined && item.batches !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['batches'], message: 'cannot be combined with batchNumber: give either batchNumber or batches' });
  }
}

export const planItemSchema = z
  .strictObject({
    serviceId: idSchema,
    priority: int().default(0),
    deployment: oneOf(DEPLOYMENTS),
    deployLabel: deployLabelSchema.optional(),
    httpSrcUri: httpUrl.optional(),
    compileRepoPath: z.string().min(1).optional(),
    compileRepoBranch: z.string().min(1).optional(),
    version: versionSchema.optional(),
    batches: batchesSchema.optional(),
    ...rolloutOptionShape,
    /** an inline service definition, used instead of a registered one */
    service: serviceRegistrationSchema.optional(),
    /** alarms that concern this service: names, or metric + dimension patterns (`*` wildcards) */
    alarms: z
      .array(
        z.union([
          z.string().min(1).max(256),
          z.strictObject({ name: z.string().min(1).max(256).optional(), metric: z.string().min(1).max(256).optional(), dimensions: z.record(z.string().max(128), z.string().max(256)).optional() }).refine((o) => o.name || o.metric || o.dimensions, { error: 'give a name, a metric or dimensions' }),
        ]),
      )
      .max(50)
      .optional(),
  })
  .superRefine(itemRules, ALWAYS);
export type PlanItem = z.output<typeof planItemSchema>;

// ---- plan-level fields --------------------------------------------------------------------------------

const windowRule = z.string().superRefine((rule, ctx) => {
  const r = parseWindowRule(rule);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message });
});

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Evaluating a window costs rules² (every rule's boundaries against every rule): the lists are bounded. */
export const MAX_WINDOW_RULES = 50;

const windowSchema = z.strictObject({
  timezone: z.string().refine(isTimeZone, { error: 'must be an IANA time zone such as Asia/Shanghai or UTC' }),
  // Leaving `allow` out means "any time" (a deny-only freeze); an explicit empty list would mean "never".
  allow: z.array(windowRule).min(1, { error: 'must list at least one window; leave allow out to allow any time' }).max(MAX_WINDOW_RULES).default(['00:00-24:00']),
  deny: z.array(windowRule).max(MAX_WINDOW_RULES).default([]),
});

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?\s*(Z|[+-]\d{2}:?\d{2})$/i;
const START_AT_HINT = 'must be an ISO 8601 time with a time zone, e.g. 2026-11-24T02:00:00Z or 2026-11-24T10:00:00+08:00';

/** Epoch ms of an ISO 8601 time that names its zone, or undefined (a zone-less time is ambiguous). */
function epochOf(s: string): number | undefined {
  const m = ISO_TIME.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 59) return undefined;
  const zone = m[7].toUpperCase() === 'Z' ? 'Z' : m[7].replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec ?? '00'}${s.match(/\.\d+/)?.[0] ?? ''}${zone}`);
  return Number.isNaN(t) ? undefined : t;
}

const startAtSchema = z
  .union([z.string(), z.date()], { error: (iss) => (iss.input === undefined ? 'required' : START_AT_HINT) })
  .transform((v, ctx) => {
    const t = typeof v === 'string' ? epochOf(v) : v.getTime();
    if (t === undefined || Number.isNaN(t)) {
      ctx.addIssue({ code: 'custom', message: START_AT_HINT });
      return z.NEVER;
    }
    return t;
  });

function planRules(plan: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(plan) || !Array.isArray(plan.deployPlanItems)) return;
  const first = new Map<string, number>();
  plan.deployPlanItems.forEach((item, i) => {
    if (!isRecord(item) || (typeof item.serviceId !== 'string' && typeof item.serviceId !== 'number')) return;
    const id = String(item.serviceId);
    const at = first.get(id);
    if (at === undefined) first.set(id, i);
    else {
      ctx.addIssue({
        code: 'custom',
        path: ['deployPlanItems', i, 'serviceId'],
        message: `service ${JSON.stringify(id)} is already in deployPlanItems[${at}]; list each service once`,
      });
    }
  });
}

export const planSchema = z
  .strictObject({
    /** EWS: "may be empty" — an empty YAML value is null */
    comment: z.string().max(4096).nullish().transform((v) => v ?? ''),
    deployPlanItems: z.array(planItemSchema).min(1, { error: 'must list at least one service to deploy' }),
    window: windowSchema.optional(),
    onAlarm: oneOf(ALARM_POLICIES).default('rollback'),
    /** epoch milliseconds after validation */
    startAt: startAtSchema.optional(),
  })
  .superRefine(planRules, ALWAYS);
export type Plan = z.output<typeof planSchema>;

// ---- warnings -----------------------------------------------------------------------------------------

export function planWarnings(plan: Plan): Issue[] {
  const warnings: Issue[] = [];
  plan.deployPlanItems.forEach((item, i) => {
    const at = formatPath(['deployPlanItems', i]);
    for (const key of ARTIFACT_KEYS) {
      if (item[key] !== undefined && !USES[item.deployment].includes(key)) {
        warnings.push({ path: joinPath(at, key), message: `is not used when deployment is ${item.deployment}; ignored` });
      }
    }
    if (item.maxConcurrency !== undefined && item.containerExecMethod === 'SEQUENTIAL') {
      warnings.push({ path: joinPath(at, 'maxConcurrency'), message: 'only applies when containerExecMethod is PARALLEL; ignored' });
    }
  });
  return warnings;
}

function registrationWarnings(reg: ServiceRegistration, base = ROOT_PATH): Issue[] {
  const ids = new Set((reg.targets ?? []).map((t) => t.id));
  const warnings: Issue[] = [];
  const executor = reg.executor;
  if (executor.type !== 'simulated') return warnings;
  for (const key of ['failTargets', 'unhealthyTargets'] as const) {
    executor[key].forEach((id, i) => {
      if (!ids.has(id)) warnings.push({ path: joinPath(base, 'executor', key, i), message: `names no target of this service (${JSON.stringify(id)})` });
    });
  }
  return warnings;
}

// ---- entry points -------------------------------------------------------------------------------------

export type SubmissionResult =
  | { ok: true; kind: 'plan'; plan: Plan; warnings: Issue[] }
  | { ok: true; kind: 'ess'; request: EssRequest; warnings: Issue[] }
  | { ok: false; issues: Issue[] };

const internal = (e: unknown): { ok: false; issues: Issue[] } => ({
  ok: false,
  issues: [{ path: ROOT_PATH, message: `could not be validated (${e instanceof Error ? e.name : 'error'}); please report this` }],
});

/** A parsed document → a plan, or an ESS request when it has `TemplateName`; every problem at once. */
export function validateSubmission(doc: unknown): SubmissionResult {
  try {
    if (!isRecord(doc)) {
      return { ok: false, issues: [{ path: ROOT_PATH, message: `must be a mapping (a plan or an ESS request), not ${describeValue(doc)}` }] };
    }
    if (Object.hasOwn(doc, 'TemplateName')) {
      const r = runSchema(essRequestSchema, doc);
      return r.ok ? { ok: true, kind: 'ess', request: r.value, warnings: essWarnings(r.value) } : r;
    }
    const r = runSchema(planSchema, doc);
    if (!r.ok) return r;
    const warnings = planWarnings(r.value);
    r.value.deployPlanItems.forEach((item, i) => {
      if (item.service) warnings.push(...registrationWarnings(item.service, formatPath(['deployPlanItems', i, 'service'])));
    });
    return { ok: true, kind: 'plan', plan: r.value, warnings };
  } catch (e) {
    return internal(e);
  }
}

export type RegistrationResult =
  | { ok: true; registration: ServiceRegistration; warnings: Issue[] }
  | { ok: false; issues: Issue[] };

/** The body of `PUT /v1/services/{serviceId}`. */
export function validateServiceRegistration(doc: unknown): RegistrationResult {
  try {
    if (!isRecord(doc)) {
      return { ok: false, issues: [{ path: ROOT_PATH, message: `must be a mapping (a service definition), not ${describeValue(doc)}` }] };
    }
    const r = runSchema(serviceRegistrationSchema, doc);
    return r.ok ? { ok: true, registration: r.value, warnings: registrationWarnings(r.value) } : r;
  } catch (e) {
    return internal(e);
  }
}

/** The `{serviceId}` of a URL, checked like a plan's serviceId; undefined when fine. */
export function checkServiceId(id: string): Issue | undefined {
  const r = runSchema(serviceIdSchema, id);
  return r.ok ? undefined : { path: 'serviceId', message: r.issues[0].message };
}
