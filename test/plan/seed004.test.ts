// Seed 004 (EWS 编排发布) is the contract for the plan format: its example, copied byte for byte with its
// Chinese comments, tabs and trailing spaces, must keep working.

import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../shared/plan/parse.ts';
import { resolvePlan, serviceFromRegistration, type ServiceMap } from '../../shared/plan/resolve.ts';
import { validateSubmission } from '../../shared/plan/schema.ts';

// The YAML block of seed 004, verbatim (lines 19–36). Its last line, `...`, is the document's own
// ellipsis for "more items like these": an indented `...` is not a YAML document marker but a key
// without a value, so the text as published is not valid YAML.
const SEED_004 = `comment: 这是一个发布计划的注释		# 此次编排发布的备注,可以为空

deployPlanItems:   			# 发布计划的具体内容
 - serviceId: 111  			# !!必填项!! 服务id
   priority: 3					# 该服务在所有待发布服务序列中的优先级
   deployment: HTTP_UPLOAD_DEPLOY   # !!必填项!! 此次服务的发布方式    
   containerExecMethod: PARALLEL  # 容器部署的执行方式(串行或并行)   
   deployLabel: label1		# 此次服务发布支持的标签,多个标签以逗号(,)分隔
   httpSrcUri: http://exapmle.zip   # http上传部署的代码包地址
   compileRepoPath: http://git...   # 编译部署的git仓库地址   
   compileRepoBranch: master        # 编译部署git分支名称
   
 - serviceId: 222  	
   priority: 1					   
   deployment: STOP
   containerExecMethod: PARALLEL
   
   ...
`;

const WITHOUT_ELLIPSIS = SEED_004.split('\n').filter((line) => line.trim() !== '...').join('\n');

function services(...ids: string[]): ServiceMap {
  const map: ServiceMap = new Map();
  for (const id of ids) {
    const { service, targets } = serviceFromRegistration(
      id,
      {
        executor: { type: 'simulated', latencyMs: 0, failTargets: [], failRate: 0, unhealthyTargets: [] },
        targets: [
          { id: `${id}-a`, labels: ['label1'], version: '1' },
          { id: `${id}-b`, labels: ['label2'], version: '1' },
          { id: `${id}-c`, labels: ['label1', 'zone=a'], version: '1' },
        ],
      },
      1000,
    );
    map.set(id, { service, targets: targets.map((t) => ({ ...t, serviceId: id, rev: 1 })) });
  }
  return map;
}

describe('seed 004 deploy plan', () => {
  it('keeps the seed text intact (tabs, Chinese comments, the ellipsis line)', () => {
    expect(SEED_004).toContain('deployPlanItems:   \t\t\t# 发布计划的具体内容');
    expect(SEED_004).toContain(' - serviceId: 222  \t\n');
    expect(SEED_004.trimEnd().endsWith('...')).toBe(true);
  });

  it('as published, parses: the indented ellipsis line ("more items like these") is read as nothing', () => {
    expect(parseDocument(SEED_004)).toEqual(parseDocument(WITHOUT_ELLIPSIS));
  });

  it('an ellipsis line does not hide a real syntax error elsewhere', () => {
    const broken = SEED_004.replace('priority: 1', 'priority: [1');
    const r = parseDocument(broken);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues[0].message).toMatch(/^is not valid YAML at line \d+, column \d+/);
  });

  it('a `...` line inside a block scalar is kept when the document parses as written', () => {
    const r = parseDocument('comment: |\n  step one\n  ...\n  step two\ndeployPlanItems: []\n');
    expect(r.ok && (r.value as { comment: string }).comment).toBe('step one\n...\nstep two\n');
  });

  it('without the ellipsis line, parses with serviceId kept as written', () => {
    const parsed = parseDocument(WITHOUT_ELLIPSIS);
    expect(parsed).toEqual({
      ok: true,
      value: {
        comment: '这是一个发布计划的注释',
        deployPlanItems: [
          {
            serviceId: '111',
            priority: 3,
            deployment: 'HTTP_UPLOAD_DEPLOY',
            containerExecMethod: 'PARALLEL',
            deployLabel: 'label1',
            httpSrcUri: 'http://exapmle.zip',
            compileRepoPath: 'http://git...',
            compileRepoBranch: 'master',
          },
          { serviceId: '222', priority: 1, deployment: 'STOP', containerExecMethod: 'PARALLEL' },
        ],
      },
    });
  });

  it('validates, warning about the compile keys an HTTP upload does not use', () => {
    const parsed = parseDocument(WITHOUT_ELLIPSIS);
    if (!parsed.ok) throw new Error('seed did not parse');
    const v = validateSubmission(parsed.value);
    if (!v.ok || v.kind !== 'plan') throw new Error(JSON.stringify(v));
    expect(v.warnings).toEqual([
      { path: 'deployPlanItems[0].compileRepoPath', message: 'is not used when deployment is HTTP_UPLOAD_DEPLOY; ignored' },
      { path: 'deployPlanItems[0].compileRepoBranch', message: 'is not used when deployment is HTTP_UPLOAD_DEPLOY; ignored' },
    ]);
    expect(v.plan.comment).toBe('这是一个发布计划的注释');
    expect(v.plan.onAlarm).toBe('rollback');
  });

  it('validates when YAML gives serviceId as a number too (a JSON body), normalised to a string', () => {
    const v = validateSubmission({ deployPlanItems: [{ serviceId: 111, deployment: 'STOP' }] });
    expect(v.ok && v.kind === 'plan' && v.plan.deployPlanItems[0].serviceId).toBe('111');
  });

  it('resolves against services 111 and 222', () => {
    const parsed = parseDocument(WITHOUT_ELLIPSIS);
    if (!parsed.ok) throw new Error('seed did not parse');
    const v = validateSubmission(parsed.value);
    if (!v.ok || v.kind !== 'plan') throw new Error('seed did not validate');
    const r = resolvePlan(v.plan, services('111', '222'), { id: 'co-1', now: 5000 });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.warnings).toEqual([]);
    expect(r.spec).toEqual({
      id: 'co-1',
      type: 'deploy',
      createdAt: 5000,
      comment: '这是一个发布计划的注释',
      origin: 'plan',
      onAlarm: 'rollback',
      scopes: ['service:111', 'service:222'],
      items: [
        {
          serviceId: '111',
          priority: 3,
          deployment: 'HTTP_UPLOAD_DEPLOY',
          executor: 'simulated',
          containerExecMethod: 'PARALLEL',
          maxConcurrency: 0,
          batchPauseOption: 'Automatic',
          batchWaitSeconds: 0,
          maxErrors: 0,
          onFailure: 'fail',
          bakeSeconds: 0,
          version: 'http://exapmle.zip',
          artifact: { httpSrcUri: 'http://exapmle.zip' },
          // deployLabel: label1 → the two targets carrying it, in one batch
          batches: [['111-a', '111-c']],
        },
        {
          serviceId: '222',
          priority: 1,
          deployment: 'STOP',
          executor: 'simulated',
          containerExecMethod: 'PARALLEL',
          maxConcurrency: 0,
          batchPauseOption: 'Automatic',
          batchWaitSeconds: 0,
          maxErrors: 0,
          onFailure: 'fail',
          bakeSeconds: 0,
          artifact: {},
          batches: [['222-a', '222-b', '222-c']],
        },
      ],
    });
  });

  it('fails to resolve, naming the service, when 222 is not registered', () => {
    const parsed = parseDocument(WITHOUT_ELLIPSIS);
    if (!parsed.ok) throw new Error('seed did not parse');
    const v = validateSubmission(parsed.value);
    if (!v.ok || v.kind !== 'plan') throw new Error('seed did not validate');
    expect(resolvePlan(v.plan, services('111'), { id: 'co-1', now: 0 })).toEqual({
      ok: false,
      issues: [
        {
          path: 'deployPlanItems[1].serviceId',
          message: 'service "222" is not registered (register it with PUT /v1/services/222 or define it inline with service:)',
        },
      ],
    });
  });
});
