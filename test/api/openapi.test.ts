// GET /v1/openapi.json: every route of the Hono app is documented and every documented operation exists;
// request schemas are the ones the API validates with; and real responses, read over HTTP from a running
// changeflow, match the documented response schemas exactly (no undocumented field, none of the wrong type).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiDocument } from '../../shared/api/openapi.ts';
import { commandBodies, createApi } from '../../shared/api/routes.ts';
import { edasView, orderSummary, orderView, reportView } from '../../shared/api/views.ts';
import { planItemSchema } from '../../shared/plan/schema.ts';
import { fleet, startTestServer, TERMINAL, type TestServer } from '../support/local-server.ts';

type Json = any;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

let s: TestServer;
let doc: Json;
beforeAll(async () => {
  s = await startTestServer();
  const r = await s.api('GET', '/v1/openapi.json');
  expect(r.status).toBe(200);
  doc = r.body;
});
afterAll(async () => s.close());

/** `/v1/change-orders/:id` → `/v1/change-orders/{id}` */
const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function resolve(schema: Json): Json {
  let out = schema;
  for (let i = 0; out?.$ref && i < 20; i++) {
    const [, , kind, name] = String(out.$ref).split('/');
    out = doc.components[kind][name];
    if (!out) throw new Error(`unresolved $ref ${schema.$ref}`);
  }
  return out;
}

/**
 * A small JSON Schema check for what this document uses (type, properties, required, items, enum, const,
 * anyOf/oneOf, $ref). Objects are closed: a field the document does not describe is a mismatch.
 */
function mismatches(value: unknown, schema: Json, at = '$'): string[] {
  const sch = resolve(schema);
  if (!sch || Object.keys(sch).length === 0) return [];
  const alternatives = sch.anyOf ?? sch.oneOf;
  if (alternatives) {
    const results = alternatives.map((alt: Json) => mismatches(value, alt, at));
    return results.some((r: string[]) => r.length === 0) ? [] : [`${at}: matches none of ${alternatives.length} alternatives (${results.map((r: string[]) => r[0]).join(' | ')})`];
  }
  if (sch.const !== undefined && value !== sch.const) return [`${at}: is ${JSON.stringify(value)}, not ${JSON.stringify(sch.const)}`];
  if (sch.enum && !sch.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${sch.enum.join(', ')}`];
  const types: string[] = sch.type === undefined ? [] : Array.isArray(sch.type) ? sch.type : [sch.type];
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' && Number.isInteger(value) ? 'integer' : typeof value;
  if (types.length && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return [`${at}: is ${actual}, documented as ${types.join('|')}`];
  const out: string[] = [];
  if (actual === 'object' && (sch.properties || types.includes('object'))) {
    const props = sch.properties ?? {};
    const obj = value as Record<string, unknown>;
    for (const k of sch.required ?? []) if (!(k in obj)) out.push(`${at}.${k}: required but missing`);
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) continue;
      if (props[k]) out.push(...mismatches(v, props[k], `${at}.${k}`));
      else if (sch.additionalProperties && typeof sch.additionalProperties === 'object') out.push(...mismatches(v, sch.additionalProperties, `${at}.${k}`));
      else if (sch.properties) out.push(`${at}.${k}: not documented`);
    }
  }
  if (actual === 'array' && sch.items) (value as unknown[]).forEach((v, i) => out.push(...mismatches(v, sch.items, `${at}[${i}]`)));
  return out;
}

/** the documented response schema of an operation for a status */
function responseSchema(method: string, path: string, status: number): Json {
  const op = doc.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`${method} ${path} is not documented`);
  let res = op.responses[String(status)];
  if (!res) throw new Error(`${method} ${path} does not document status ${status}`);
  if (res.$ref) res = doc.components.responses[res.$ref.split('/').pop()];
  return res.content?.['application/json']?.schema;
}

/** calls the API and checks the answer against the document */
async function checked(method: string, template: string, path: string, body?: unknown, headers?: Record<string, string>) {
  const r = await s.api(method, path, body, headers);
  if (r.body !== undefined) {
    const schema = responseSchema(method, template, r.status);
    expect(schema, `${method} ${template} ${r.status} has a JSON schema`).toBeDefined();
    expect(mismatches(r.body, schema), `${method} ${path} → ${r.status}`).toEqual([]);
  }
  return r;
}

describe('the OpenAPI document', () => {
  it('documents every route of the app, and every documented operation exists', () => {
    const app = createApi(s.app.rt);
    const registered = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`));
    const documented = new Set<string>();
    for (const [path, item] of Object.entries<Json>(doc.paths)) for (const m of METHODS) if (item[m]) documented.add(`${m.toUpperCase()} ${path}`);
    expect([...registered].filter((r) => !documented.has(r)), 'routes missing from the document').toEqual([]);
    expect([...documented].filter((d) => !registered.has(d)), 'documented operations with no route').toEqual([]);
    expect(registered.size).toBeGreaterThanOrEqual(25);
  });

  it('is well formed: OpenAPI 3.1, unique operation ids, path parameters declared, every $ref resolves', () => {
    expect(doc.openapi).toBe('3.1.0');
    const ids: string[] = [];
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const m of METHODS) {
        const op = item[m];
        if (!op) continue;
        ids.push(op.operationId);
        expect(op.responses, `${m} ${path}`).toBeDefined();
        const declared = (op.parameters ?? []).filter((p: Json) => p.in === 'path').map((p: Json) => p.name);
        expect(declared.sort(), `${m} ${path} path parameters`).toEqual([...params].sort());
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of new Set(refs)) expect(() => resolve({ $ref: r.slice(8, -1) }), r).not.toThrow();
  });

  it('uses the zod schemas the API validates with', () => {
    for (const [name, schema] of Object.entries(commandBodies)) {
      const component = `${name === 'target' ? 'TargetCommand' : name[0].toUpperCase() + name.slice(1)}Request`;
      const { $schema: _, ...expected } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Json;
      expect(doc.components.schemas[component], component).toEqual(expected);
    }
    const plan = doc.components.schemas.Plan;
    expect(Object.keys(plan.properties.deployPlanItems.items.properties).sort()).toEqual(Object.keys(planItemSchema.shape).sort());
    expect(plan.additionalProperties).toBe(false); // unknown keys are errors
    expect(plan.properties.deployPlanItems.items.properties.deployment.enum).toEqual(['START', 'STOP', 'RESTART', 'HTTP_UPLOAD_DEPLOY', 'COMPILE_DEPLOY']);
    const submit = doc.paths['/v1/change-orders'].post.requestBody.content;
    expect(Object.keys(submit).sort()).toEqual(['application/json', 'application/yaml']);
    expect(doc.components.schemas.EssRequest.properties.TemplateName.enum).toHaveLength(3);
    expect(doc.components.schemas.ServiceRegistration.properties.executor).toBeDefined();
    // the same object the route table serves
    expect(openApiDocument(commandBodies)).toEqual(doc);
  });

  it('the response check itself catches an undocumented field, a wrong type and a missing field', () => {
    const health = { $ref: '#/components/schemas/Health' };
    expect(mismatches({ ok: true, store: 'sqlite', time: 't' }, health)).toEqual([]);
    expect(mismatches({ ok: true, store: 'sqlite', time: 't', extra: 1 }, health)).toEqual(['$.extra: not documented']);
    expect(mismatches({ ok: 'yes', store: 'sqlite', time: 't' }, health)).toEqual(['$.ok: is string, documented as boolean']);
    expect(mismatches({ ok: true, time: 't' }, health)).toEqual(['$.store: required but missing']);
  });

  it('describes real responses exactly: services, submit, dry run, detail, EDAS, events, report, commands, errors', async () => {
    const register = await checked('PUT', '/v1/services/{serviceId}', '/v1/services/oa-web', { description: 'openapi', executor: { type: 'simulated', latencyMs: 5 }, targets: fleet('oa', 4, '1.0', (i) => [`zone=${i % 2 ? 'b' : 'a'}`]) });
    expect(register.status).toBe(201);
    await checked('GET', '/v1/services', '/v1/services');
    await checked('GET', '/v1/services/{serviceId}', '/v1/services/oa-web');
    await checked('GET', '/v1/services/{serviceId}/targets', '/v1/services/oa-web/targets');
    await checked('GET', '/v1/healthz', '/v1/healthz');

    const plan = (pause: string) =>
      `comment: openapi\ndeployPlanItems:\n  - serviceId: oa-web\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/a.zip\n    compileRepoPath: https://git.example.com/x\n    version: "2.0"\n    batchNumber: 2\n    batchPauseOption: ${pause}\nwindow:\n  timezone: Asia/Shanghai\n  allow: ["MON-SUN 00:00-23:59"]\n`;
    const dry = await checked('POST', '/v1/change-orders', '/v1/change-orders?dryRun=true', plan('FirstBatchPause'));
    expect(dry.status).toBe(200);
    expect(dry.body.warnings.length).toBeGreaterThan(0);
    const bad = await checked('POST', '/v1/change-orders', '/v1/change-orders', 'deployPlanItems:\n  - serviceId: oa-web\n    deployment: JUMP\n');
    expect(bad.status).toBe(400);

    const sub = await checked('POST', '/v1/change-orders', '/v1/change-orders', plan('FirstBatchPause'), { 'idempotency-key': 'oa-1' });
    expect(sub.status).toBe(201);
    const id = sub.body.changeOrderId;
    expect((await checked('POST', '/v1/change-orders', '/v1/change-orders', plan('FirstBatchPause'), { 'idempotency-key': 'oa-1' })).body.replayed).toBe(true);
    const locked = await checked('POST', '/v1/change-orders', '/v1/change-orders', plan('Automatic'));
    expect(locked.status).toBe(409);

    await s.waitFor(`/v1/change-orders/${id}`, (o) => o.status === 'WAITING_MANUAL');
    await checked('GET', '/v1/change-orders/{id}', `/v1/change-orders/${id}`);
    expect((await checked('POST', '/v1/change-orders/{id}/pause', `/v1/change-orders/${id}/pause`, {})).status).toBe(409);
    expect((await checked('POST', '/v1/change-orders/{id}/continue', `/v1/change-orders/${id}/continue`, { batch: 2, reason: 'looks good' })).status).toBe(200);
    expect((await checked('POST', '/v1/change-orders/{id}/continue', `/v1/change-orders/${id}/continue`, { batch: 2, extra: 1 })).status).toBe(400);
    await s.waitFor(`/v1/change-orders/${id}`, (o) => TERMINAL.includes(o.status) && o.finalized);
    await checked('GET', '/v1/change-orders/{id}', `/v1/change-orders/${id}`);
    await checked('GET', '/v1/change-orders/{id}', `/v1/change-orders/${id}?view=edas`);
    await checked('GET', '/v1/change-orders/{id}/events', `/v1/change-orders/${id}/events`);
    await checked('GET', '/v1/change-orders/{id}/report', `/v1/change-orders/${id}/report`);
    await checked('GET', '/v1/change-orders', '/v1/change-orders?limit=1');
    const rb = await checked('POST', '/v1/change-orders/{id}/rollback', `/v1/change-orders/${id}/rollback`, { batchNumber: 1 });
    expect(rb.body.rollbackChangeOrderId).toBeTruthy();
    await s.waitFor(`/v1/change-orders/${rb.body.rollbackChangeOrderId}`, (o) => TERMINAL.includes(o.status) && o.finalized);
    await checked('GET', '/v1/change-orders/{id}', `/v1/change-orders/${rb.body.rollbackChangeOrderId}`);
    expect((await checked('POST', '/v1/change-orders/{id}/targets/{targetId}/retry', `/v1/change-orders/${id}/targets/oa-1/retry`, {})).status).toBe(409);
    expect((await checked('POST', '/v1/change-orders/{id}/targets/{targetId}/skip', `/v1/change-orders/${id}/targets/oa-2/skip`, {})).status).toBe(409);
    expect((await checked('GET', '/v1/change-orders/{id}', '/v1/change-orders/co-missing')).status).toBe(404);
    expect((await checked('DELETE', '/v1/change-orders/{id}', `/v1/change-orders/${rb.body.rollbackChangeOrderId}`)).status).toBe(204);
    expect((await checked('POST', '/v1/alarms', '/v1/alarms', { not: 'an alarm' })).status).toBe(400);
  });

  it('response schemas cover every field the views produce (checked by the compiler)', () => {
    // an extra field in a view that the document does not describe fails type checking (npm test runs tsc)
    type Keys<T> = keyof NonNullable<T>;
    type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
    type V = ReturnType<typeof orderView>;
    type D = z.output<(typeof import('../../shared/api/openapi.ts'))['responseSchemas']['Order']>;
    const checks: true[] = [
      true as Same<Keys<V>, Keys<D>>,
      true as Same<Keys<V['services'][number]>, Keys<D['services'][number]>>,
      true as Same<Keys<V['services'][number]['batches'][number]>, Keys<D['services'][number]['batches'][number]>>,
      true as Same<Keys<V['services'][number]['batches'][number]['tasks'][number]>, Keys<D['services'][number]['batches'][number]['tasks'][number]>>,
      true as Same<Keys<ReturnType<typeof orderSummary>>, Keys<z.output<(typeof import('../../shared/api/openapi.ts'))['responseSchemas']['OrderSummary']>>>,
      true as Same<Keys<ReturnType<typeof reportView>>, Keys<z.output<(typeof import('../../shared/api/openapi.ts'))['responseSchemas']['Report']>>>,
      true as Same<Keys<ReturnType<typeof edasView>['changeOrderInfo']>, Keys<z.output<(typeof import('../../shared/api/openapi.ts'))['responseSchemas']['EdasOrder']>['changeOrderInfo']>>,
    ];
    expect(checks.every(Boolean)).toBe(true);
  });
});
