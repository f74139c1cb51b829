import { describe, expect, it } from 'vitest';
import type { Issue } from '../../shared/plan/issues.ts';
import { formatPath } from '../../shared/plan/issues.ts';
import { validateServiceRegistration, validateSubmission } from '../../shared/plan/schema.ts';

const plan = (...items: object[]) => ({ deployPlanItems: items });
const issuesOf = (doc: unknown): Issue[] => {
  const r = validateSubmission(doc);
  return r.ok ? [] : r.issues;
};
const warningsOf = (doc: unknown): Issue[] => {
  const r = validateSubmission(doc);
  if (!r.ok) throw new Error(`expected valid, got ${JSON.stringify(r.issues)}`);
  return r.warnings;
};

describe('formatPath', () => {
  it.each([
    [['deployPlanItems', 1, 'httpSrcUri'], 'deployPlanItems[1].httpSrcUri'],
    [['comment'], 'comment'],
    [[], '(root)'],
    [['window', 'allow', 0], 'window.allow[0]'],
    [['deployPlanItems', 0, 'a key'], 'deployPlanItems[0]["a key"]'],
  ] as const)('%j → %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe('conditional requirements (seed 004)', () => {
  it.each([
    ['HTTP_UPLOAD_DEPLOY without httpSrcUri', { deployment: 'HTTP_UPLOAD_DEPLOY' }, [
      { path: 'deployPlanItems[0].httpSrcUri', message: 'required when deployment is HTTP_UPLOAD_DEPLOY' },
    ]],
    ['COMPILE_DEPLOY without repo and branch', { deployment: 'COMPILE_DEPLOY' }, [
      { path: 'deployPlanItems[0].compileRepoPath', message: 'required when deployment is COMPILE_DEPLOY' },
      { path: 'deployPlanItems[0].compileRepoBranch', message: 'required when deployment is COMPILE_DEPLOY' },
    ]],
    ['COMPILE_DEPLOY without branch', { deployment: 'COMPILE_DEPLOY', compileRepoPath: 'https://git.example.com/x' }, [
      { path: 'deployPlanItems[0].compileRepoBranch', message: 'required when deployment is COMPILE_DEPLOY' },
    ]],
    ['batchNumber with batches', { deployment: 'RESTART', batchNumber: 2, batches: [1, '100%'] }, [
      { path: 'deployPlanItems[0].batches', message: 'cannot be combined with batchNumber: give either batchNumber or batches' },
    ]],
    ['HTTP_UPLOAD_DEPLOY with httpSrcUri', { deployment: 'HTTP_UPLOAD_DEPLOY', httpSrcUri: 'https://example.com/a.zip' }, []],
    ['COMPILE_DEPLOY with both', { deployment: 'COMPILE_DEPLOY', compileRepoPath: 'git@example.com:x.git', compileRepoBranch: 'main' }, []],
    ['START with nothing else', { deployment: 'START' }, []],
  ])('%s', (_name, item, expected) => {
    expect(issuesOf(plan({ serviceId: 'svc', ...item }))).toEqual(expected);
  });

  it('reports the same serviceId twice at the second item, even when one is a number', () => {
    expect(issuesOf(plan({ serviceId: 111, deployment: 'STOP' }, { serviceId: 'b', deployment: 'STOP' }, { serviceId: '111', deployment: 'START' }))).toEqual([
      { path: 'deployPlanItems[2].serviceId', message: 'service "111" is already in deployPlanItems[0]; list each service once' },
    ]);
  });

  it('runs the conditional rules even when the item has other errors', () => {
    expect(issuesOf(plan({ serviceId: 'a', deployment: 'HTTP_UPLOAD_DEPLOY', priority: 'high' }))).toEqual([
      { path: 'deployPlanItems[0].priority', message: 'must be a whole number, not a string' },
      { path: 'deployPlanItems[0].httpSrcUri', message: 'required when deployment is HTTP_UPLOAD_DEPLOY' },
    ]);
  });
});

describe('keys a deployment does not use are warnings', () => {
  it.each([
    ['httpSrcUri on START', { deployment: 'START', httpSrcUri: 'https://example.com/a.zip' }, [
      { path: 'deployPlanItems[0].httpSrcUri', message: 'is not used when deployment is START; ignored' },
    ]],
    ['compile keys on HTTP_UPLOAD_DEPLOY', { deployment: 'HTTP_UPLOAD_DEPLOY', httpSrcUri: 'https://e.com/a', compileRepoPath: 'x', compileRepoBranch: 'y' }, [
      { path: 'deployPlanItems[0].compileRepoPath', message: 'is not used when deployment is HTTP_UPLOAD_DEPLOY; ignored' },
      { path: 'deployPlanItems[0].compileRepoBranch', message: 'is not used when deployment is HTTP_UPLOAD_DEPLOY; ignored' },
    ]],
    ['httpSrcUri on COMPILE_DEPLOY', { deployment: 'COMPILE_DEPLOY', compileRepoPath: 'x', compileRepoBranch: 'y', httpSrcUri: 'https://e.com/a' }, [
      { path: 'deployPlanItems[0].httpSrcUri', message: 'is not used when deployment is COMPILE_DEPLOY; ignored' },
    ]],
    ['a version on STOP (a stop changes no version)', { deployment: 'STOP', version: '2' }, [
      { path: 'deployPlanItems[0].version', message: 'is not used when deployment is STOP; ignored' },
    ]],
    ['maxConcurrency with SEQUENTIAL', { deployment: 'RESTART', containerExecMethod: 'SEQUENTIAL', maxConcurrency: 3 }, [
      { path: 'deployPlanItems[0].maxConcurrency', message: 'only applies when containerExecMethod is PARALLEL; ignored' },
    ]],
    ['nothing unused', { deployment: 'HTTP_UPLOAD_DEPLOY', httpSrcUri: 'https://e.com/a', version: '2' }, []],
  ])('%s', (_name, item, expected) => {
    expect(warningsOf(plan({ serviceId: 'svc', ...item }))).toEqual(expected);
  });
});

describe('unknown keys are errors at every depth', () => {
  it.each([
    ['the plan', { ...plan({ serviceId: 'a', deployment: 'STOP' }), comments: 'x' }, 'comments', 'unknown key "comments" (did you mean "comment"?)'],
    ['an item', plan({ serviceId: 'a', deployment: 'STOP', batchNumbr: 2 }), 'deployPlanItems[0].batchNumbr', 'unknown key "batchNumbr" (did you mean "batchNumber"?)'],
    ['an item, case slip', plan({ serviceid: 'a', serviceId: 'a', deployment: 'STOP' }), 'deployPlanItems[0].serviceid', 'unknown key "serviceid" (did you mean "serviceId"?)'],
    ['a health check', plan({ serviceId: 'a', deployment: 'STOP', healthCheck: { type: 'http', path: '/h', expectedStatus: 204 } }), 'deployPlanItems[0].healthCheck.expectedStatus', 'unknown key "expectedStatus" (did you mean "expectStatus"?)'],
    ['the window', { ...plan({ serviceId: 'a', deployment: 'STOP' }), window: { timezone: 'UTC', alow: ['10:00-11:00'] } }, 'window.alow', 'unknown key "alow" (did you mean "allow"?)'],
    ['an inline executor', plan({ serviceId: 'a', deployment: 'STOP', service: { executor: { type: 'simulated', latency: 5 } } }), 'deployPlanItems[0].service.executor.latency', 'unknown key "latency" (did you mean "latencyMs"?)'],
    ['an inline target', plan({ serviceId: 'a', deployment: 'STOP', service: { executor: { type: 'simulated' }, targets: [{ id: 't', zone: 'a' }] } }), 'deployPlanItems[0].service.targets[0].zone', 'unknown key "zone"'],
  ])('in %s', (_name, doc, path, message) => {
    expect(issuesOf(doc)).toEqual([{ path, message }]);
  });
});

describe('wrong types and ranges', () => {
  it.each([
    [{ priority: 'high' }, 'priority', 'must be a whole number, not a string'],
    [{ priority: 1.5 }, 'priority', 'must be a whole number'],
    [{ containerExecMethod: 'parallel' }, 'containerExecMethod', 'must be one of PARALLEL, SEQUENTIAL'],
    [{ deployment: 'DEPLOY' }, 'deployment', 'must be one of START, STOP, RESTART, HTTP_UPLOAD_DEPLOY, COMPILE_DEPLOY'],
    [{ batchPauseOption: 'Manual' }, 'batchPauseOption', 'must be one of Automatic, FirstBatchPause, EveryBatchPause'],
    [{ onFailure: 'retry' }, 'onFailure', 'must be one of fail, pause, rollback'],
    [{ batchNumber: 0 }, 'batchNumber', 'must be at least 1'],
    [{ batchNumber: '3' }, 'batchNumber', 'must be a whole number, not a string'],
    [{ batchWaitSeconds: 86_401 }, 'batchWaitSeconds', 'must be at most 86400'],
    [{ maxConcurrency: 0 }, 'maxConcurrency', 'must be at least 1'],
    [{ maxErrors: -1 }, 'maxErrors', 'must be at least 0'],
    [{ bakeSeconds: -5 }, 'bakeSeconds', 'must be at least 0'],
    [{ serviceId: '' }, 'serviceId', 'must not be empty'],
    [{ serviceId: 'a b' }, 'serviceId', 'may contain only letters, digits and . _ : -'],
    [{ serviceId: 'x'.repeat(129) }, 'serviceId', 'must be at most 128 characters'],
    [{ serviceId: true }, 'serviceId', 'must be a string (or a number)'],
    [{ version: '' }, 'version', 'must not be empty'],
    [{ deployLabel: ['a'] }, 'deployLabel', 'must be a string, not a list'],
    [{ deployLabel: ' , ' }, 'deployLabel', 'must name at least one label (comma-separated), or be left out'],
    [{ deployLabel: 'a b,c' }, 'deployLabel', 'label "a b" must be a bare tag (label1) or key=value (zone=a), without spaces or commas'],
    [{ batches: [] }, 'batches', 'must list at least one entry'],
    [{ batches: '1,2' }, 'batches', 'must be a list, not a string'],
    [{ batches: [0] }, 'batches[0]', 'must be a whole number of targets (≥ 1) or a percentage from "1%" to "100%"'],
    [{ batches: ['150%'] }, 'batches[0]', 'must be a whole number of targets (≥ 1) or a percentage from "1%" to "100%"'],
    [{ batches: [2, 2, '100%'] }, 'batches[1]', 'must be more than the earlier 2: batches are cumulative ([1, 5, "100%"] = 1, then 4 more, then the rest)'],
    [{ batches: ['50%', 3, '50%'] }, 'batches[2]', 'must be more than the earlier 50%: batches are cumulative'],
    [{ healthCheck: 'yes' }, 'healthCheck', 'must be a mapping (key: value), not a string'],
    [{ healthCheck: { type: 'tcp', path: '/h' } }, 'healthCheck.type', 'must be "http" (the only health check type so far)'],
    [{ healthCheck: { type: 'http', path: 'healthz' } }, 'healthCheck.path', 'must start with "/"'],
    [{ healthCheck: { type: 'http', path: '/h', expectStatus: 99 } }, 'healthCheck.expectStatus', 'must be at least 100'],
    [{ healthCheck: { type: 'http', path: '/h', timeoutSeconds: 301 } }, 'healthCheck.timeoutSeconds', 'must be at most 300'],
    [{ healthCheck: { type: 'http', path: '/h', retries: 21 } }, 'healthCheck.retries', 'must be at most 20'],
    [{ deployment: 'HTTP_UPLOAD_DEPLOY', httpSrcUri: 'ftp://example.com/a.zip' }, 'httpSrcUri', 'must be an http:// or https:// URL'],
    [{ deployment: 'HTTP_UPLOAD_DEPLOY', httpSrcUri: 'not a url' }, 'httpSrcUri', 'must be an http:// or https:// URL'],
    [{ deployment: 'HTTP_UPLOAD_DEPLOY', httpSrcUri: 5 }, 'httpSrcUri', 'must be a URL string, not a whole number'],
  ])('%j', (fields, key, message) => {
    expect(issuesOf(plan({ serviceId: 'svc', deployment: 'RESTART', ...fields }))).toEqual([{ path: `deployPlanItems[0].${key}`, message }]);
  });

  it.each([
    [{ comment: 5 }, 'comment', 'must be a string, not a whole number'],
    [{ deployPlanItems: [] }, 'deployPlanItems', 'must list at least one service to deploy'],
    [{ deployPlanItems: {} }, 'deployPlanItems', 'must be a list, not a mapping'],
    [{ deployPlanItems: [null] }, 'deployPlanItems[0]', 'must be a mapping (key: value), not null'],
    [{ onAlarm: 'panic' }, 'onAlarm', 'must be one of rollback, pause, ignore'],
    [{ startAt: '2026-11-24T10:00:00' }, 'startAt', 'must be an ISO 8601 time with a time zone, e.g. 2026-11-24T02:00:00Z or 2026-11-24T10:00:00+08:00'],
    [{ startAt: '2026-02-30T10:00:00Z' }, 'startAt', 'must be an ISO 8601 time with a time zone, e.g. 2026-11-24T02:00:00Z or 2026-11-24T10:00:00+08:00'],
    [{ startAt: 1_795_485_600_000 }, 'startAt', 'must be an ISO 8601 time with a time zone, e.g. 2026-11-24T02:00:00Z or 2026-11-24T10:00:00+08:00'],
    [{ window: { timezone: 'Mars/Olympus', allow: ['10:00-11:00'] } }, 'window.timezone', 'must be an IANA time zone such as Asia/Shanghai or UTC'],
    [{ window: { timezone: 'UTC', allow: [] } }, 'window.allow', 'must list at least one window; leave allow out to allow any time'],
    [{ window: { timezone: 'UTC', allow: ['MON-FRI 10:00-1700'] } }, 'window.allow[0]', 'must look like "MON-FRI 10:00-17:00", "22:00-06:00" or "2026-12-31 00:00-2027-01-02 00:00"'],
    [{ window: { timezone: 'UTC', deny: ['XMAS 00:00-24:00'] } }, 'window.deny[0]', 'has unknown days: use SUN, MON, TUE, WED, THU, FRI, SAT, ranges (MON-FRI) and lists (SAT,SUN)'],
    [{ window: { timezone: 'UTC', deny: ['2027-01-02 00:00-2026-12-31 00:00'] } }, 'window.deny[0]', 'must end after it starts'],
    [{ window: { timezone: 'UTC', deny: ['10:00-10:00'] } }, 'window.deny[0]', 'is empty: it starts and ends at the same time'],
  ])('plan-level %j', (fields, path, message) => {
    expect(issuesOf({ ...plan({ serviceId: 'svc', deployment: 'STOP' }), ...fields })).toEqual([{ path, message }]);
  });
});

describe('plan-level values', () => {
  it('turns startAt into epoch ms, with any offset, and accepts a Date', () => {
    const at = (startAt: unknown) => {
      const r = validateSubmission({ ...plan({ serviceId: 'a', deployment: 'STOP' }), startAt });
      return r.ok && r.kind === 'plan' ? r.plan.startAt : undefined;
    };
    expect(at('2026-11-24T02:00:00Z')).toBe(Date.UTC(2026, 10, 24, 2));
    expect(at('2026-11-24T10:00:00+08:00')).toBe(Date.UTC(2026, 10, 24, 2));
    expect(at('2026-11-24T02:00:00.250Z')).toBe(Date.UTC(2026, 10, 24, 2, 0, 0, 250));
    expect(at(new Date(Date.UTC(2026, 10, 24, 2)))).toBe(Date.UTC(2026, 10, 24, 2));
  });

  it('fills defaults: comment "", onAlarm rollback, priority 0, window deny [], health check defaults', () => {
    const r = validateSubmission({
      comment: null,
      deployPlanItems: [{ serviceId: 'a', deployment: 'STOP', healthCheck: { type: 'http', path: '/healthz' } }],
      window: { timezone: 'Asia/Shanghai', allow: ['MON-FRI 10:00-17:00'] },
    });
    if (!r.ok || r.kind !== 'plan') throw new Error(JSON.stringify(r));
    expect(r.plan).toEqual({
      comment: '',
      deployPlanItems: [{ serviceId: 'a', priority: 0, deployment: 'STOP', healthCheck: { type: 'http', path: '/healthz', expectStatus: 200, timeoutSeconds: 5, retries: 3 } }],
      window: { timezone: 'Asia/Shanghai', allow: ['MON-FRI 10:00-17:00'], deny: [] },
      onAlarm: 'rollback',
    });
  });

  it('reads a deny-only window as "any time except"', () => {
    const r = validateSubmission({ ...plan({ serviceId: 'a', deployment: 'STOP' }), window: { timezone: 'UTC', deny: ['SAT,SUN 00:00-24:00'] } });
    expect(r.ok && r.kind === 'plan' && r.plan.window).toEqual({ timezone: 'UTC', allow: ['00:00-24:00'], deny: ['SAT,SUN 00:00-24:00'] });
  });
});

describe('every problem at once', () => {
  it('reports all 5 problems of a plan with their paths', () => {
    const doc = {
      comment: 'five mistakes',
      deployPlanItems: [
        { serviceId: 'checkout', deployment: 'HTTP_UPLOAD_DEPLOY', containerExecMethod: 'PARALEL' },
        { serviceId: 'cart', deployment: 'COMPILE_DEPLOY', compileRepoPath: 'https://git.example.com/cart', batchNumbr: 2 },
        { serviceId: 'search', deployment: 'START' },
      ],
      onAlarm: 'explode',
    };
    expect(issuesOf(doc)).toEqual([
      { path: 'deployPlanItems[0].containerExecMethod', message: 'must be one of PARALLEL, SEQUENTIAL' },
      { path: 'deployPlanItems[0].httpSrcUri', message: 'required when deployment is HTTP_UPLOAD_DEPLOY' },
      { path: 'deployPlanItems[1].batchNumbr', message: 'unknown key "batchNumbr" (did you mean "batchNumber"?)' },
      { path: 'deployPlanItems[1].compileRepoBranch', message: 'required when deployment is COMPILE_DEPLOY' },
      { path: 'onAlarm', message: 'must be one of rollback, pause, ignore' },
    ]);
  });

  it('caps a flood of problems and says how many were left out', () => {
    const items = Array.from({ length: 300 }, () => ({ deployment: 'STOP' }));
    const issues = issuesOf(plan(...items));
    expect(issues).toHaveLength(201);
    expect(issues[200]).toEqual({ path: '(root)', message: 'and 100 more problems not listed' });
  });
});

describe('never throws', () => {
  // A small deterministic fuzzer: random documents built from the plan's own keys and odd values.
  const keys = ['comment', 'deployPlanItems', 'serviceId', 'deployment', 'batches', 'batchNumber', 'healthCheck', 'service', 'executor', 'targets', 'window', 'allow', 'startAt', 'TemplateName', 'Parameters', 'type', 'id', '__proto__'];
  const leaves: unknown[] = [null, undefined, 0, -1, 1.5, 1e308, NaN, '', 'STOP', 'HTTP_UPLOAD_DEPLOY', '25%', 'simulated', '{', '{"invokeType":"invoke"}', true, new Date(NaN), [], {}];
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const gen = (depth: number): unknown => {
    const r = rand(10);
    if (depth > 4 || r < 4) return leaves[rand(leaves.length)];
    if (r < 6) return Array.from({ length: rand(4) }, () => gen(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = rand(5); i > 0; i--) Object.defineProperty(o, keys[rand(keys.length)], { value: gen(depth + 1), enumerable: true, writable: true, configurable: true });
    return o;
  };

  it('on 2000 random documents', () => {
    for (let i = 0; i < 2000; i++) {
      const doc = rand(3) === 0 ? { deployPlanItems: [gen(0), gen(0)] } : gen(0);
      const r = validateSubmission(doc);
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) for (const issue of r.issues) expect(issue.message).not.toMatch(/please report this/);
      validateServiceRegistration(doc);
    }
  });
});

describe('ServiceRegistration', () => {
  const ok = (doc: unknown) => {
    const r = validateServiceRegistration(doc);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r;
  };

  it('fills executor and target defaults', () => {
    expect(ok({ executor: { type: 'simulated' }, targets: [{ id: 'i-1' }, { id: 7, labels: ['zone=a'], version: 3 }] }).registration).toEqual({
      executor: { type: 'simulated', latencyMs: 0, failTargets: [], failRate: 0, unhealthyTargets: [] },
      targets: [
        { id: 'i-1', labels: [], version: '0' },
        { id: '7', labels: ['zone=a'], version: '3' },
      ],
    });
  });

  it('accepts default rollout options, and rejects unknown ones', () => {
    expect(ok({ executor: { type: 'simulated' }, defaults: { batchNumber: 3, onFailure: 'pause' } }).registration.defaults).toEqual({ batchNumber: 3, onFailure: 'pause' });
    expect(validateServiceRegistration({ executor: { type: 'simulated' }, defaults: { batches: [1] } })).toEqual({
      ok: false,
      issues: [{ path: 'defaults.batches', message: 'unknown key "batches"' }],
    });
  });

  it.each([
    [{ executor: { type: 'teleport' } }, 'executor.type', 'unknown executor type "teleport"; supported types: simulated, http, ecs-command, ecs-image, oos-package, fc-alias'],
    [{ executor: {} }, 'executor.type', 'required; supported types: simulated, http, ecs-command, ecs-image, oos-package, fc-alias'],
    [{ executor: { type: 5 } }, 'executor.type', 'must be a string; supported types: simulated, http, ecs-command, ecs-image, oos-package, fc-alias'],
    [{ executor: { type: 'ecs-command', secret: 'x' } }, 'executor.secret', 'unknown key "secret"'],
    [{ executor: 'simulated' }, 'executor', 'must be a mapping (key: value), not a string'],
    [{}, 'executor', 'required'],
    [{ executor: { type: 'simulated', failRate: 2 } }, 'executor.failRate', 'must be at most 1'],
    [{ executor: { type: 'simulated', latencyMs: -1 } }, 'executor.latencyMs', 'must be at least 0'],
    [{ executor: { type: 'simulated' }, targets: [{ id: 'a b' }] }, 'targets[0].id', 'may contain only letters, digits and . _ : -'],
    [{ executor: { type: 'simulated' }, targets: [{ id: 'a', labels: ['zone = a'] }] }, 'targets[0].labels[0]', 'must be a bare tag (label1) or key=value (zone=a), without spaces or commas'],
  ])('%j', (doc, path, message) => {
    expect(validateServiceRegistration(doc)).toEqual({ ok: false, issues: [{ path, message }] });
  });

  it('reports a duplicate target id on the duplicate', () => {
    expect(validateServiceRegistration({ executor: { type: 'simulated' }, targets: [{ id: 'a' }, { id: 'b' }, { id: 'a' }] })).toEqual({
      ok: false,
      issues: [{ path: 'targets[2].id', message: 'duplicate target id "a" (also targets[0])' }],
    });
  });

  it('warns about failure injection naming no target', () => {
    expect(ok({ executor: { type: 'simulated', failTargets: ['ghost'] }, targets: [{ id: 'a' }] }).warnings).toEqual([
      { path: 'executor.failTargets[0]', message: 'names no target of this service ("ghost")' },
    ]);
  });
});
