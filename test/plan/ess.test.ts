// Seed 002: the six `aliyun oos StartExecution` calls, with --Parameters exactly as the shell hands them to
// the CLI (a JSON string; `\n` inside the scripts is a JSON escape).

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../shared/plan/issues.ts';
import { resolveEssRequest, serviceFromRegistration, type ServiceMap } from '../../shared/plan/resolve.ts';
import { validateSubmission, type EssRequest } from '../../shared/plan/schema.ts';
import { IMAGE_INVOKE, IMAGE_ROLLBACK, PACKAGE_INVOKE, PACKAGE_ROLLBACK, SCRIPT_INVOKE, SCRIPT_ROLLBACK } from '../support/seed002.ts';

const validate = (doc: unknown): { request: EssRequest; warnings: Issue[] } => {
  const r = validateSubmission(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  if (r.kind !== 'ess') throw new Error(`expected an ESS request, got ${r.kind}`);
  return { request: r.request, warnings: r.warnings };
};
const issuesOf = (doc: unknown): Issue[] => {
  const r = validateSubmission(doc);
  return r.ok ? [] : r.issues;
};
const withParameters = (base: { TemplateName: string; Parameters: string }, change: Record<string, unknown>) => ({
  TemplateName: base.TemplateName,
  Parameters: { ...JSON.parse(base.Parameters), ...change },
});
const ALL_PROCESSES = ['ScaleIn', 'ScaleOut', 'HealthCheck', 'AlarmNotification', 'ScheduledAction'];

const GROUP = 'asg-bp18p2yfxow2dloq';
function group(size: number): ServiceMap {
  const { service, targets } = serviceFromRegistration(
    GROUP,
    {
      executor: { type: 'simulated', latencyMs: 0, failTargets: [], failRate: 0, unhealthyTargets: [] },
      targets: Array.from({ length: size }, (_, i) => ({ id: `i-${i + 1}`, labels: [], version: 'centos_7_8_x64_20G_alibase_20200717.vhd' })),
    },
    0,
  );
  return new Map([[GROUP, { service, targets: targets.map((t) => ({ ...t, serviceId: GROUP, rev: 1 })) }]]);
}
/** The seed's masked scaling group id (`****`) is not a registrable service id; resolve against a clean one. */
const unmasked = (req: EssRequest): EssRequest => ({ ...req, Parameters: { ...req.Parameters, scalingGroupId: GROUP } });

describe('seed 002 requests validate verbatim', () => {
  it.each([
    ['image update', IMAGE_INVOKE],
    ['script run', SCRIPT_INVOKE],
    ['package install', PACKAGE_INVOKE],
    ['image rollback', IMAGE_ROLLBACK],
    ['script rollback', SCRIPT_ROLLBACK],
    ['package rollback', PACKAGE_ROLLBACK],
  ])('%s', (_name, doc) => {
    const { request, warnings } = validate(doc);
    expect(request.TemplateName).toBe(doc.TemplateName);
    expect(request.Parameters.scalingGroupId).toBe('asg-bp18p2yfxow2dloq****');
    expect(request.Parameters.OOSAssumeRole).toBe('');
    expect(request.Parameters.batchNumber).toBe(2);
    expect(warnings).toEqual([]);
  });

  it('reads the JSON-escaped script into a real newline', () => {
    expect(validate(SCRIPT_INVOKE).request.Parameters).toMatchObject({
      commandType: 'RunShellScript',
      invokeScript: 'df -h\nifconfig',
      rollbackScript: 'df -h\nifconfig',
      enterProcess: ALL_PROCESSES,
      exitProcess: ALL_PROCESSES,
    });
  });

  it('accepts Parameters as an object too, with the same result', () => {
    expect(validate({ TemplateName: IMAGE_INVOKE.TemplateName, Parameters: JSON.parse(IMAGE_INVOKE.Parameters) })).toEqual(validate(IMAGE_INVOKE));
  });

  it('defaults commandType to RunShellScript for the script template only', () => {
    const { commandType: _omit, ...rest } = JSON.parse(SCRIPT_INVOKE.Parameters);
    expect(validate({ TemplateName: SCRIPT_INVOKE.TemplateName, Parameters: rest }).request.Parameters.commandType).toBe('RunShellScript');
    expect(validate(IMAGE_INVOKE).request.Parameters.commandType).toBeUndefined();
  });
});

describe('ESS request problems', () => {
  it.each([
    ['an image update without imageId', withParameters(IMAGE_INVOKE, { imageId: undefined }), [
      { path: 'Parameters.imageId', message: 'required when invokeType is invoke with template ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup' },
    ]],
    ['a script run without invokeScript', withParameters(SCRIPT_INVOKE, { invokeScript: undefined }), [
      { path: 'Parameters.invokeScript', message: 'required when invokeType is invoke with template ACS-ESS-RollingUpdateByRunCommandInScalingGroup' },
    ]],
    ['a package install without action and version', withParameters(PACKAGE_INVOKE, { action: undefined, packageVersion: undefined }), [
      { path: 'Parameters.packageVersion', message: 'required when invokeType is invoke with template ACS-ESS-RollingUpdateByConfigureOOSPackage' },
      { path: 'Parameters.action', message: 'required when invokeType is invoke with template ACS-ESS-RollingUpdateByConfigureOOSPackage' },
    ]],
    ['a rollback without sourceExecutionId', withParameters(IMAGE_ROLLBACK, { sourceExecutionId: undefined }), [
      { path: 'Parameters.sourceExecutionId', message: 'required when invokeType is rollback: the execution (change order) to roll back' },
    ]],
    ['imageId on the package template', withParameters(PACKAGE_INVOKE, { imageId: 'aliyun_2_1903_x64_20G_alibase_20200529.vhd' }), [
      { path: 'Parameters.imageId', message: 'is not a parameter of template ACS-ESS-RollingUpdateByConfigureOOSPackage (it belongs to ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup)' },
    ]],
    ['invokeScript on the image template', withParameters(IMAGE_INVOKE, { invokeScript: 'reboot' }), [
      { path: 'Parameters.invokeScript', message: 'is not a parameter of template ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup (it belongs to ACS-ESS-RollingUpdateByRunCommandInScalingGroup)' },
    ]],
    ['a parameter no template has', withParameters(IMAGE_INVOKE, { imageID: 'x' }), [
      { path: 'Parameters.imageID', message: 'unknown key "imageID" (did you mean "imageId"?)' },
    ]],
    ['a scaling process listed twice', withParameters(IMAGE_INVOKE, { enterProcess: ['ScaleIn', 'ScaleOut', 'ScaleIn'] }), [
      { path: 'Parameters.enterProcess[2]', message: '"ScaleIn" is listed twice' },
    ]],
    ['an unknown scaling process', withParameters(IMAGE_INVOKE, { exitProcess: ['ScaleUp'] }), [
      { path: 'Parameters.exitProcess[0]', message: 'must be one of ScaleIn, ScaleOut, HealthCheck, AlarmNotification, ScheduledAction' },
    ]],
    ['a wrong invokeType and batchNumber', withParameters(IMAGE_INVOKE, { invokeType: 'update', batchNumber: 0 }), [
      { path: 'Parameters.invokeType', message: 'must be one of invoke, rollback' },
      { path: 'Parameters.batchNumber', message: 'must be at least 1' },
    ]],
    ['an unknown template', { TemplateName: 'ACS-ESS-RollingUpdate', Parameters: { invokeType: 'invoke', scalingGroupId: 'g' } }, [
      { path: 'TemplateName', message: 'must be one of ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup, ACS-ESS-RollingUpdateByRunCommandInScalingGroup, ACS-ESS-RollingUpdateByConfigureOOSPackage' },
    ]],
    ['Parameters that are not JSON', { TemplateName: IMAGE_INVOKE.TemplateName, Parameters: '{\n  "invokeType": invoke\n}' }, [
      { path: 'Parameters', message: 'is a string but not valid JSON at line 2, column 17: unexpected "i" where a value is expected (strings need double quotes)' },
    ]],
    ['Parameters as a JSON string with a problem inside', { TemplateName: IMAGE_INVOKE.TemplateName, Parameters: '{"invokeType": "invoke", "scalingGroupId": "g"}' }, [
      { path: 'Parameters.imageId', message: 'required when invokeType is invoke with template ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup' },
    ]],
    ['a key beside TemplateName and Parameters', { ...IMAGE_INVOKE, RegionId: 'cn-hangzhou' }, [
      { path: 'RegionId', message: 'unknown key "RegionId"' },
    ]],
  ])('%s', (_name, doc, expected) => {
    expect(issuesOf(doc)).toEqual(expected);
  });

  it('warns about parameters the invokeType ignores', () => {
    expect(validate(withParameters(IMAGE_INVOKE, { sourceExecutionId: 'exec-1' })).warnings).toEqual([
      { path: 'Parameters.sourceExecutionId', message: 'is only used when invokeType is rollback; ignored' },
    ]);
    expect(validate(withParameters(IMAGE_ROLLBACK, { imageId: 'img' })).warnings).toEqual([
      { path: 'Parameters.imageId', message: 'is not used by a rollback; ignored' },
    ]);
  });
});

describe('resolveEssRequest', () => {
  const ctx = { id: 'co-ess', now: 7000 };

  it('turns an image update into a one-item order on the scaling group', () => {
    const r = resolveEssRequest(unmasked(validate(IMAGE_INVOKE).request), group(5), ctx);
    if (!r.ok || r.kind !== 'order') throw new Error(JSON.stringify(r));
    expect(r.spec).toEqual({
      id: 'co-ess',
      type: 'deploy',
      createdAt: 7000,
      comment: `ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup on scaling group ${GROUP}`,
      origin: 'ess',
      onAlarm: 'rollback',
      scopes: [`service:${GROUP}`, `ess:${GROUP}`],
      items: [
        {
          serviceId: GROUP,
          priority: 0,
          deployment: 'HTTP_UPLOAD_DEPLOY',
          executor: 'simulated',
          containerExecMethod: 'PARALLEL',
          maxConcurrency: 0,
          batchPauseOption: 'Automatic',
          batchWaitSeconds: 0,
          maxErrors: 0,
          onFailure: 'pause',
          bakeSeconds: 0,
          version: 'aliyun_2_1903_x64_20G_alibase_20200529.vhd',
          artifact: {
            template: 'ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup',
            ...JSON.parse(IMAGE_INVOKE.Parameters),
            scalingGroupId: GROUP,
          },
          batches: [['i-1', 'i-2'], ['i-3', 'i-4', 'i-5']],
        },
      ],
    });
  });

  it.each([
    ['a script', SCRIPT_INVOKE, `script:${createHash('sha256').update('df -h\nifconfig').digest('hex').slice(0, 12)}`],
    ['a package install', PACKAGE_INVOKE, 'wordpress@v4'],
    ['a package uninstall', withParameters(PACKAGE_INVOKE, { action: 'uninstall' }), 'wordpress@uninstalled'],
  ])('labels the version of %s', (_name, doc, version) => {
    const r = resolveEssRequest(unmasked(validate(doc).request), group(2), ctx);
    expect(r.ok && r.kind === 'order' && r.spec.items[0].version).toBe(version);
  });

  it.each([
    ['image', IMAGE_ROLLBACK, 'exec-83dba59be77d430****'],
    ['script', SCRIPT_ROLLBACK, 'exec-40e2e17ef7e046****'],
    ['package', PACKAGE_ROLLBACK, 'exec-f4e61f2f21fe490****'],
  ])('hands a %s rollback to the runtime with its batch options', (_name, doc, source) => {
    expect(resolveEssRequest(validate(doc).request, new Map(), ctx)).toEqual({
      ok: true,
      kind: 'rollback',
      rollbackOf: source,
      options: { batchNumber: 2, batchPauseOption: 'Automatic' },
      warnings: [],
    });
  });

  it('names the scaling group when it is not registered', () => {
    expect(resolveEssRequest(validate(IMAGE_INVOKE).request, group(2), ctx)).toEqual({
      ok: false,
      issues: [
        {
          path: 'Parameters.scalingGroupId',
          message: 'scaling group "asg-bp18p2yfxow2dloq****" is not registered as a service (register it with PUT /v1/services/asg-bp18p2yfxow2dloq****)',
        },
      ],
    });
  });

  it('refuses a scaling group without instances', () => {
    expect(resolveEssRequest(unmasked(validate(IMAGE_INVOKE).request), group(0), ctx)).toEqual({
      ok: false,
      issues: [{ path: 'Parameters.scalingGroupId', message: `scaling group "${GROUP}": there are no targets to change` }],
    });
  });
});
