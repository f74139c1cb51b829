import { describe, expect, it } from 'vitest';
import type { ItemSpec } from '../../shared/engine/types.ts';
import { BUILTIN_DEFAULTS, resolvePlan, serviceFromRegistration, type ServiceMap } from '../../shared/plan/resolve.ts';
import { validateSubmission, type Plan, type ServiceRegistration } from '../../shared/plan/schema.ts';

const SIMULATED = { type: 'simulated' as const, latencyMs: 0, failTargets: [], failRate: 0, unhealthyTargets: [] };

function fleet(entries: Record<string, { labels?: string[][]; defaults?: Record<string, unknown>; size?: number }>): ServiceMap {
  const map: ServiceMap = new Map();
  for (const [id, e] of Object.entries(entries)) {
    const reg: ServiceRegistration = {
      executor: SIMULATED,
      targets: Array.from({ length: e.size ?? e.labels?.length ?? 0 }, (_, i) => ({ id: `${id}-${i + 1}`, labels: e.labels?.[i] ?? [], version: '1.0' })),
    };
    const { service, targets } = serviceFromRegistration(id, reg, 100);
    map.set(id, { service: { ...service, defaults: e.defaults ?? {} }, targets: targets.map((t) => ({ ...t, serviceId: id, rev: 1 })) });
  }
  return map;
}

function planOf(doc: unknown): Plan {
  const r = validateSubmission(doc);
  if (!r.ok || r.kind !== 'plan') throw new Error(JSON.stringify(r));
  return r.plan;
}
const ctx = { id: 'co-1', now: 9000 };
const itemOf = (doc: unknown, services: ServiceMap): ItemSpec => {
  const r = resolvePlan(planOf(doc), services, ctx);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec.items[0];
};

describe('resolvePlan', () => {
  it('takes options from the item, then the service defaults, then the built-ins', () => {
    const services = fleet({ web: { size: 6, defaults: { batchNumber: 3, onFailure: 'pause', maxErrors: 1, healthCheck: { type: 'http', path: '/h' } } } });
    const fromDefaults = itemOf({ deployPlanItems: [{ serviceId: 'web', deployment: 'RESTART' }] }, services);
    expect(fromDefaults).toMatchObject({
      onFailure: 'pause',
      maxErrors: 1,
      healthCheck: { type: 'http', path: '/h', expectStatus: 200, timeoutSeconds: 5, retries: 3 },
      containerExecMethod: BUILTIN_DEFAULTS.containerExecMethod,
      maxConcurrency: 0,
      batchPauseOption: 'Automatic',
      batchWaitSeconds: 0,
      bakeSeconds: 0,
      batches: [['web-1', 'web-2'], ['web-3', 'web-4'], ['web-5', 'web-6']],
    });
    const fromItem = itemOf(
      { deployPlanItems: [{ serviceId: 'web', deployment: 'RESTART', onFailure: 'rollback', batches: [1, '100%'], containerExecMethod: 'SEQUENTIAL', bakeSeconds: 30 }] },
      services,
    );
    expect(fromItem).toMatchObject({ onFailure: 'rollback', maxErrors: 1, containerExecMethod: 'SEQUENTIAL', bakeSeconds: 30 });
    expect(fromItem.batches).toEqual([['web-1'], ['web-2', 'web-3', 'web-4', 'web-5', 'web-6']]);
  });

  it('has no health check unless one is asked for', () => {
    expect(itemOf({ deployPlanItems: [{ serviceId: 'web', deployment: 'START' }] }, fleet({ web: { size: 1 } }))).not.toHaveProperty('healthCheck');
  });

  it.each([
    ['HTTP_UPLOAD_DEPLOY', { httpSrcUri: 'https://example.com/a-2.4.zip' }, 'https://example.com/a-2.4.zip', { httpSrcUri: 'https://example.com/a-2.4.zip' }],
    ['HTTP_UPLOAD_DEPLOY', { httpSrcUri: 'https://example.com/a.zip', version: '2.4.0' }, '2.4.0', { httpSrcUri: 'https://example.com/a.zip' }],
    [
      'HTTP_UPLOAD_DEPLOY',
      { httpSrcUri: 'https://user:pw@bucket.oss.example.com/a.zip?OSSAccessKeyId=AK&Signature=SIG' },
      'https://bucket.oss.example.com/a.zip',
      { httpSrcUri: 'https://user:pw@bucket.oss.example.com/a.zip?OSSAccessKeyId=AK&Signature=SIG' },
    ],
    ['COMPILE_DEPLOY', { compileRepoPath: 'https://git.example.com/a', compileRepoBranch: 'main', httpSrcUri: 'https://x.example.com/unused' }, 'https://git.example.com/a#main', { compileRepoPath: 'https://git.example.com/a', compileRepoBranch: 'main' }],
    ['STOP', { httpSrcUri: 'https://example.com/unused.zip', version: '9' }, undefined, {}],
    ['RESTART', {}, undefined, {}],
  ])('%s %j → version %j and only the used artifact keys', (deployment, fields, version, artifact) => {
    const item = itemOf({ deployPlanItems: [{ serviceId: 'web', deployment, ...fields }] }, fleet({ web: { size: 1 } }));
    expect(item.version).toBe(version);
    expect('version' in item).toBe(version !== undefined);
    expect(item.artifact).toEqual(artifact);
  });

  it('builds the whole order: scopes, items in plan order, window, startAt', () => {
    const services = fleet({ db: { size: 1 }, web: { size: 2 } });
    const r = resolvePlan(
      planOf({
        comment: 'two services',
        deployPlanItems: [
          { serviceId: 'web', priority: 1, deployment: 'RESTART' },
          { serviceId: 'db', priority: 5, deployment: 'RESTART' },
        ],
        window: { timezone: 'Asia/Shanghai', allow: ['MON-FRI 10:00-17:00'] },
        onAlarm: 'pause',
        startAt: '2026-11-24T02:00:00Z',
      }),
      services,
      ctx,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.spec).toMatchObject({
      id: 'co-1',
      type: 'deploy',
      origin: 'plan',
      createdAt: 9000,
      comment: 'two services',
      onAlarm: 'pause',
      startAt: Date.UTC(2026, 10, 24, 2),
      window: { timezone: 'Asia/Shanghai', allow: ['MON-FRI 10:00-17:00'], deny: [] },
      scopes: ['service:web', 'service:db'],
    });
    expect(r.spec.items.map((i) => [i.serviceId, i.priority])).toEqual([
      ['web', 1],
      ['db', 5],
    ]);
  });

  it('filters targets by deployLabel before batching', () => {
    const services = fleet({ web: { labels: [['zone=a'], ['zone=b'], ['zone=a', 'canary'], ['canary']] } });
    expect(itemOf({ deployPlanItems: [{ serviceId: 'web', deployment: 'START', deployLabel: 'zone=a' }] }, services).batches).toEqual([['web-1', 'web-3']]);
    expect(itemOf({ deployPlanItems: [{ serviceId: 'web', deployment: 'START', deployLabel: 'canary,zone=b', batchNumber: 3 }] }, services).batches).toEqual([
      ['web-2'],
      ['web-3'],
      ['web-4'],
    ]);
  });

  it('uses an inline service definition, warning when it replaces a registered one', () => {
    const inline = { executor: { type: 'simulated' }, targets: [{ id: 'i-1' }, { id: 'i-2', labels: ['x'] }], defaults: { maxErrors: 2 } };
    const doc = { deployPlanItems: [{ serviceId: 'web', deployment: 'START', service: inline }] };
    const alone = resolvePlan(planOf(doc), new Map(), ctx);
    if (!alone.ok) throw new Error(JSON.stringify(alone.issues));
    expect(alone.spec.items[0]).toMatchObject({ executor: 'simulated', maxErrors: 2, batches: [['i-1', 'i-2']] });
    expect(alone.warnings).toEqual([]);
    const shadowing = resolvePlan(planOf(doc), fleet({ web: { size: 5 } }), ctx);
    if (!shadowing.ok) throw new Error(JSON.stringify(shadowing.issues));
    expect(shadowing.spec.items[0].batches).toEqual([['i-1', 'i-2']]);
    expect(shadowing.warnings).toEqual([{ path: 'deployPlanItems[0].service', message: 'replaces the registered service "web" for this order' }]);
  });

  it('reports every problem of every item at once', () => {
    const services = fleet({
      empty: { size: 0 },
      labelled: { labels: [['zone=a']] },
      small: { size: 3 },
      broken: { size: 1, defaults: { batchNumber: 0 } },
    });
    const plan = planOf({
      deployPlanItems: [
        { serviceId: 'ghost', deployment: 'START' },
        { serviceId: 'empty', deployment: 'START' },
        { serviceId: 'labelled', deployment: 'START', deployLabel: 'zone=b, canary' },
        { serviceId: 'small', deployment: 'START', batches: [1, 2] },
        { serviceId: 'broken', deployment: 'START' },
        { serviceId: 'fine', deployment: 'START', service: { executor: { type: 'simulated' }, targets: [{ id: 'f' }] } },
      ],
    });
    expect(resolvePlan(plan, services, ctx)).toEqual({
      ok: false,
      issues: [
        { path: 'deployPlanItems[0].serviceId', message: 'service "ghost" is not registered (register it with PUT /v1/services/ghost or define it inline with service:)' },
        { path: 'deployPlanItems[1].serviceId', message: 'service "empty" has no targets' },
        { path: 'deployPlanItems[2].deployLabel', message: 'no target of service "labelled" carries any of the labels zone=b, canary' },
        { path: 'deployPlanItems[3].batches', message: 'the batches cover 2 of 3 targets; end them with "100%" so every target is changed' },
        { path: 'deployPlanItems[4].serviceId', message: 'service "broken" has invalid default options (batchNumber: must be at least 1); fix its registration' },
      ],
    });
  });
});

describe('serviceFromRegistration', () => {
  it('builds the records the store keeps', () => {
    expect(
      serviceFromRegistration('web', { description: 'front', executor: SIMULATED, targets: [{ id: 'a', labels: ['x'], version: '3' }], defaults: { batchNumber: 2 } }, 55),
    ).toEqual({
      service: { id: 'web', description: 'front', executor: SIMULATED, defaults: { batchNumber: 2 }, createdAt: 55, updatedAt: 55 },
      targets: [{ id: 'a', labels: ['x'], version: '3', changeCount: 0, state: {} }],
    });
  });
});
