// The ESS rolling update request of seeds 002/003: an OOS `StartExecution` with one of three public
// templates and that template's own parameter names, verbatim, so that an existing `aliyun oos
// StartExecution --TemplateName … --Parameters "{…}"` call can be replayed against changeflow unchanged.

import { z } from 'zod';
import { PAUSE_OPTIONS } from '../engine/types.ts';
import { ALWAYS, int, oneOf, versionSchema } from './fields.ts';
import { isRecord, type Issue } from './issues.ts';
import { parseJson } from './parse.ts';

export const ESS_TEMPLATES = {
  replaceSystemDisk: 'ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup',
  runCommand: 'ACS-ESS-RollingUpdateByRunCommandInScalingGroup',
  oosPackage: 'ACS-ESS-RollingUpdateByConfigureOOSPackage',
} as const;
export type EssTemplate = (typeof ESS_TEMPLATES)[keyof typeof ESS_TEMPLATES];
const TEMPLATE_NAMES = Object.values(ESS_TEMPLATES) as [EssTemplate, ...EssTemplate[]];

/** The scaling processes ESS can suspend during the update (enterProcess) and resume after (exitProcess). */
export const SCALING_PROCESSES = ['ScaleIn', 'ScaleOut', 'HealthCheck', 'AlarmNotification', 'ScheduledAction'] as const;
export const COMMAND_TYPES = ['RunShellScript', 'RunBatScript', 'RunPowerShellScript'] as const;

const text = () => z.string().min(1);

const processList = z.array(oneOf(SCALING_PROCESSES)).superRefine((list: unknown, ctx) => {
  if (!Array.isArray(list)) return;
  const seen = new Set<unknown>();
  list.forEach((p, i) => {
    if (seen.has(p)) ctx.addIssue({ code: 'custom', path: [i], message: `${JSON.stringify(p)} is listed twice` });
    seen.add(p);
  });
}, ALWAYS);

const parameterShape = {
  invokeType: oneOf(['invoke', 'rollback']),
  scalingGroupId: z.string().min(1).max(128).regex(/^\S+$/, { error: 'must not contain spaces' }),
  scalingConfigurationId: text().optional(),
  imageId: text().optional(),
  sourceImageId: text().optional(),
  commandType: oneOf(COMMAND_TYPES).optional(),
  invokeScript: text().optional(),
  rollbackScript: text().optional(),
  packageName: text().optional(),
  packageVersion: versionSchema.optional(),
  action: oneOf(['install', 'uninstall']).optional(),
  enterProcess: processList.optional(),
  exitProcess: processList.optional(),
  batchNumber: int().min(1).optional(),
  batchPauseOption: oneOf(PAUSE_OPTIONS).optional(),
  sourceExecutionId: text().optional(),
  /** the RAM role OOS would assume; empty means the default (seed 002 passes "") */
  OOSAssumeRole: z.string().optional(),
  maxErrors: int().min(0).optional(),
};
type ParameterName = keyof typeof parameterShape;

const COMMON: ParameterName[] = [
  'invokeType', 'scalingGroupId', 'OOSAssumeRole', 'enterProcess', 'exitProcess',
  'batchNumber', 'batchPauseOption', 'sourceExecutionId', 'maxErrors',
];
/** Each template's parameter list (seed 002, tables 1–3). */
const TEMPLATE_PARAMETERS: Record<EssTemplate, ParameterName[]> = {
  [ESS_TEMPLATES.replaceSystemDisk]: [...COMMON, 'scalingConfigurationId', 'imageId', 'sourceImageId'],
  [ESS_TEMPLATES.runCommand]: [...COMMON, 'commandType', 'invokeScript', 'rollbackScript'],
  [ESS_TEMPLATES.oosPackage]: [...COMMON, 'packageName', 'packageVersion', 'action'],
};
/** What an update (invokeType: invoke) cannot do without. */
const REQUIRED_FOR_INVOKE: Record<EssTemplate, ParameterName[]> = {
  [ESS_TEMPLATES.replaceSystemDisk]: ['imageId'],
  [ESS_TEMPLATES.runCommand]: ['invokeScript'],
  [ESS_TEMPLATES.oosPackage]: ['packageName', 'packageVersion', 'action'],
};

const parametersSchema = z.strictObject(parameterShape);
export type EssParameters = z.output<typeof parametersSchema>;

// The CLI passes Parameters as a JSON string (`--Parameters "{…}"`); an API caller may send an object.
const parametersInput = z.preprocess((v, ctx) => {
  if (typeof v !== 'string') return v;
  const r = parseJson(v);
  if (r.ok) return r.value;
  ctx.addIssue({ code: 'custom', message: r.issues[0].message.replace(/^is not valid JSON/, 'is a string but not valid JSON') });
  return z.NEVER;
}, parametersSchema);

function templateRules(req: unknown, ctx: z.RefinementCtx): void {
  if (!isRecord(req) || !isRecord(req.Parameters)) return;
  const p = req.Parameters;
  const template = TEMPLATE_NAMES.find((t) => t === req.TemplateName);
  const add = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: ['Parameters', key], message });
  if (template) {
    for (const key of Object.keys(p)) {
      if (!(key in parameterShape) || TEMPLATE_PARAMETERS[template].includes(key as ParameterName)) continue;
      const owners = TEMPLATE_NAMES.filter((t) => TEMPLATE_PARAMETERS[t].includes(key as ParameterName));
      add(key, `is not a parameter of template ${template}${owners.length ? ` (it belongs to ${owners.join(', ')})` : ''}`);
    }
    if (p.invokeType === 'invoke') {
      for (const key of REQUIRED_FOR_INVOKE[template]) {
        if (p[key] === undefined) add(key, `required when invokeType is invoke with template ${template}`);
      }
    }
  }
  if (p.invokeType === 'rollback' && p.sourceExecutionId === undefined) {
    add('sourceExecutionId', 'required when invokeType is rollback: the execution (change order) to roll back');
  }
}

export const essRequestSchema = z
  .strictObject({ TemplateName: oneOf(TEMPLATE_NAMES), Parameters: parametersInput })
  .superRefine(templateRules, ALWAYS)
  .transform((req) =>
    // ESS's own default: the script is a shell script unless told otherwise.
    req.TemplateName === ESS_TEMPLATES.runCommand && req.Parameters.commandType === undefined
      ? { ...req, Parameters: { ...req.Parameters, commandType: 'RunShellScript' as const } }
      : req,
  );
export type EssRequest = z.output<typeof essRequestSchema>;

const INVOKE_ONLY: ParameterName[] = ['imageId', 'invokeScript', 'action'];

/** Parameters that are valid for the template but ignored for this invokeType. */
export function essWarnings(req: EssRequest): Issue[] {
  const p = req.Parameters;
  const warnings: Issue[] = [];
  if (p.invokeType === 'invoke' && p.sourceExecutionId !== undefined) {
    warnings.push({ path: 'Parameters.sourceExecutionId', message: 'is only used when invokeType is rollback; ignored' });
  }
  if (p.invokeType === 'rollback') {
    for (const key of INVOKE_ONLY) {
      if (p[key] !== undefined) warnings.push({ path: `Parameters.${key}`, message: 'is not used by a rollback; ignored' });
    }
  }
  return warnings;
}
