// GET /v1/openapi.json: an OpenAPI 3.1 document of the route table. Request bodies are generated from the
// zod schemas the API validates with (the plan, the ESS request, service registration, the control-command
// bodies of routes.ts); responses from the zod descriptions below of what views.ts and the runtime return.
// test/api/openapi.test.ts checks that every route of the Hono app is documented, that every documented
// path exists, and that real responses have no field the document does not describe.

import { z } from 'zod';
import { ORDER_STATUS, TASK_STATUS } from '../engine/types.ts';
import { essRequestSchema } from '../plan/ess.ts';
import { planSchema } from '../plan/schema.ts';
import { executorSchema, serviceRegistrationSchema } from '../plan/service.ts';
import { rolloutOptionsSchema } from '../plan/fields.ts';

/** the control-command bodies, as routes.ts validates them (passed in: routes.ts imports this module) */
export interface CommandBodies {
  continue: z.ZodType;
  pause: z.ZodType;
  resume: z.ZodType;
  abort: z.ZodType;
  rollback: z.ZodType;
  target: z.ZodType;
}

// ---- response shapes ---------------------------------------------------------------------------------

const orderStatus = z.enum(Object.keys(ORDER_STATUS) as [keyof typeof ORDER_STATUS, ...(keyof typeof ORDER_STATUS)[]]).describe('change order, service or batch status (SPEC §3)');
const statusCode = z.number().int().describe('the EDAS status code of `status`');
const time = z.string().describe('ISO 8601 time, UTC');
const issue = z.object({ path: z.string().describe('where, e.g. deployPlanItems[1].httpSrcUri'), message: z.string() });

const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('InvalidPlan, InvalidRequest, InvalidService, NotFound, InvalidState, BatchMismatch, TaskState, RollbackNotAllowed, ScopeLocked, IdempotencyKeyReused, PayloadTooLarge, Unauthorized, InternalError, …'),
      message: z.string(),
      issues: z.array(issue).optional().describe('every problem, with its path'),
      status: orderStatus.optional().describe('409 on a command: the order’s current status'),
      holder: z.string().optional().describe('409 ScopeLocked: the active change order holding the scope'),
      scope: z.string().optional().describe('409 ScopeLocked: the scope, e.g. service:checkout'),
    }),
  })
  .describe('every error (SPEC §4)');
const Health = z.object({ ok: z.boolean(), store: z.string().describe('sqlite or tablestore'), time });
const Issue = issue;
const OrderSummary = z.object({
  changeOrderId: z.string(),
  type: z.enum(['deploy', 'rollback']),
  status: orderStatus,
  statusCode,
  comment: z.string(),
  services: z.array(z.string()).describe('service ids, in plan order'),
  targets: z.number().int().describe('targets in the order'),
  createdAt: time,
  startedAt: time.optional(),
  finishedAt: time.optional(),
  sourceChangeOrderId: z.string().optional().describe('rollback orders: the order they undo'),
  rolledBackBy: z.string().optional().describe('the rollback order linked to this one'),
});
const OrderList = z.object({ changeOrders: z.array(OrderSummary), nextCursor: z.string().optional().describe('pass as ?cursor= for the next page') });
const Task = z.object({
  targetId: z.string(),
  status: z.enum(TASK_STATUS),
  attempt: z.number().int(),
  action: z.string().describe('the deployment, or ROLLBACK'),
  fromVersion: z.string().optional(),
  toVersion: z.string().optional(),
  message: z.string().optional(),
  healthy: z.boolean().optional(),
  startedAt: time.optional(),
  finishedAt: time.optional(),
});
const Batch = z.object({ batch: z.number().int().describe('1-based'), status: orderStatus, statusCode, startedAt: time.optional(), finishedAt: time.optional(), tasks: z.array(Task) });
const OrderService = z.object({
  serviceId: z.string(),
  priority: z.number().int(),
  deployment: z.string(),
  executor: z.string(),
  version: z.string().optional(),
  containerExecMethod: z.enum(['PARALLEL', 'SEQUENTIAL']),
  batchPauseOption: z.enum(['Automatic', 'FirstBatchPause', 'EveryBatchPause']),
  maxErrors: z.number().int(),
  onFailure: z.enum(['fail', 'pause', 'rollback']),
  status: orderStatus,
  statusCode,
  currentBatch: z.number().int().describe('1-based; 0 before the service starts'),
  waitUntil: time.optional(),
  startedAt: time.optional(),
  finishedAt: time.optional(),
  batches: z.array(Batch),
});
const Order = OrderSummary.extend({
  origin: z.enum(['plan', 'ess']),
  onAlarm: z.enum(['rollback', 'pause', 'ignore']),
  startAt: time.optional(),
  nextBatch: z.number().int().optional().describe('the batch `continue` releases now'),
  nextWindowAt: time.optional().describe('when the rollout window opens for the next batch'),
  window: z.object({ timezone: z.string(), allow: z.array(z.string()), deny: z.array(z.string()) }).optional(),
  message: z.string().optional(),
  intent: z.object({ kind: z.enum(['pause', 'abort']), actor: z.string(), at: z.number(), reason: z.string() }).optional().describe('a pause or abort waiting for running tasks'),
  finalized: z.boolean().describe('finalizers have run (a finished order can be deleted)'),
  services: z.array(OrderService),
});
const EdasOrder = z.object({
  Code: z.number().int(),
  Message: z.string(),
  changeOrderInfo: z.object({
    ChangeOrderId: z.string(),
    Status: z.number().int(),
    Desc: z.string(),
    CreateTime: time,
    BatchCount: z.number().int(),
    PipelineInfoList: z.object({
      PipelineInfo: z.array(z.object({ PipelineId: z.string(), PipelineName: z.string(), PipelineStatus: z.number().int(), StartTime: time.optional(), UpdateTime: time.optional(), TaskMessage: z.string() })),
    }),
  }),
  }).describe('EDAS GetChangeOrderInfo');
const Report = z.object({
  changeOrderId: z.string(),
  type: z.enum(['deploy', 'rollback']),
  status: orderStatus,
  statusCode,
  comment: z.string(),
  startedAt: time.optional(),
  finishedAt: time.optional(),
  rolledBackBy: z.string().optional(),
  sourceChangeOrderId: z.string().optional(),
  services: z.array(
    z.object({
      serviceId: z.string(),
      status: orderStatus,
      statusCode,
      startedAt: time.optional(),
      finishedAt: time.optional(),
      batches: z.number().int(),
      targets: z.object({ total: z.number().int(), succeeded: z.number().int(), failed: z.number().int(), skipped: z.number().int(), cancelled: z.number().int(), pending: z.number().int(), running: z.number().int() }),
      messages: z.array(z.string()),
    }),
  ),
  }).describe('EWS execution report');
const Events = z.object({
  events: z.array(
    z.object({
      seq: z.string().describe('sortable; pass as ?after= to read on'),
      at: time,
      actor: z.enum(['user', 'alarm', 'timer', 'system']),
      type: z.string(),
      status: orderStatus.optional().describe('the status after the event, when it changed'),
      serviceId: z.string().optional(),
      batch: z.number().int().optional(),
      targetId: z.string().optional(),
      reason: z.string(),
    }),
  ),
});
const Submitted = z.object({
  changeOrderId: z.string(),
  status: orderStatus.optional(),
  replayed: z.boolean().optional().describe('this Idempotency-Key was used before: the same order'),
  rollbackOf: z.string().optional().describe('ESS invokeType rollback: the order being rolled back'),
  warnings: z.array(issue),
});
const DryRun = z.object({
  dryRun: z.literal(true),
  startsAt: time.optional().describe('when the first batch would start (startAt, rollout window)'),
  window: z.object({ timezone: z.string(), allow: z.array(z.string()), deny: z.array(z.string()), openAtStart: z.boolean(), nextOpenAt: time.optional() }).optional(),
  rollbackOf: z.string().optional(),
  services: z
    .array(
      z.object({
        serviceId: z.string(),
        priority: z.number().int(),
        deployment: z.string(),
        version: z.string().optional(),
        containerExecMethod: z.enum(['PARALLEL', 'SEQUENTIAL']),
        batchPauseOption: z.enum(['Automatic', 'FirstBatchPause', 'EveryBatchPause']),
        batches: z.array(z.object({ batch: z.number().int(), size: z.number().int(), targets: z.array(z.string()) })),
      }),
    )
    .optional(),
  warnings: z.array(issue),
});
const CommandReply = z.object({
  ok: z.literal(true),
  applied: z.boolean().describe('false: a harmless repeat that changed nothing'),
  message: z.string(),
  rollbackChangeOrderId: z.string().optional(),
  status: orderStatus.optional().describe('the order’s status after the command'),
  changeOrderId: z.string(),
});
const Service = z.object({
  serviceId: z.string(),
  description: z.string().optional(),
  executor: executorSchema,
  defaults: rolloutOptionsSchema.optional(),
  targets: z.number().int().describe('how many targets'),
  createdAt: time,
  updatedAt: time,
});
const ServiceList = z.object({ services: z.array(Service) });
const Target = z.object({ id: z.string(), labels: z.array(z.string()), version: z.string(), changeCount: z.number().int().describe('changes applied to this target'), running: z.boolean() });
const AlarmResults = z.object({
  alarms: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      state: z.string(),
      orders: z.array(z.object({ changeOrderId: z.string(), applied: z.boolean(), message: z.string(), rollbackChangeOrderId: z.string().optional() })),
    }),
  ),
  });

export const responseSchemas = { Error: ErrorBody, Health, Issue, OrderSummary, OrderList, Task, Batch, OrderService, Order, EdasOrder, Report, Events, Submitted, DryRun, CommandReply, Service, ServiceList, Target, AlarmResults };

// ---- the document ------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), { $ref: `#/components/responses/E${c}` }]));
const ERROR_TEXT: Record<number, string> = {
  400: 'the request is invalid; `issues` lists every problem with its path',
  401: 'a token is required (when the deployment is configured with one)',
  404: 'no such change order, service or target',
  409: 'the command does not apply in the current state (`status`), or the scope is locked by another active order',
  413: 'the body is too large',
  422: 'the Idempotency-Key was used with a different body',
};
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
const query = (name: string, schema: Json, description: string) => ({ name, in: 'query', required: false, schema, description });
const ID = pathParam('id', 'the change order id');
const SERVICE = pathParam('serviceId', 'the service id');
const TARGET = pathParam('targetId', 'the target id');
const jsonBody = (schema: Json, required = false) => ({ required, content: { 'application/json': { schema } } });
const text = (type: string, description: string) => ({ description, content: { [type]: { schema: { type: 'string' } } } });

function strip(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

function componentsFrom(entries: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(entries)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, { io, target: 'draft-2020-12', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(out.schemas).map(([id, s]) => [id, strip(s as Json)]));
}

let cached: { bodies: CommandBodies; doc: Json } | undefined;

export function openApiDocument(bodies: CommandBodies): Json {
  if (cached?.bodies === bodies) return cached.doc;
  const requests = componentsFrom(
    {
      Plan: planSchema,
      EssRequest: essRequestSchema,
      ServiceRegistration: serviceRegistrationSchema,
      ContinueRequest: bodies.continue,
      PauseRequest: bodies.pause,
      ResumeRequest: bodies.resume,
      AbortRequest: bodies.abort,
      RollbackRequest: bodies.rollback,
      TargetCommandRequest: bodies.target,
    },
    'input',
  );
  const responses = componentsFrom(responseSchemas, 'output');

  const submission = { oneOf: [ref('Plan'), ref('EssRequest')] };
  const control = (name: string, summary: string, body: string, description: string) => ({
    post: {
      tags: ['control'],
      operationId: `${name}ChangeOrder`,
      summary,
      description,
      parameters: [ID],
      requestBody: jsonBody(ref(body)),
      responses: { '200': json(ref('CommandReply')), ...errors(400, 401, 404, 409) },
    },
  });
  const target = (name: string, description: string) => ({
    post: {
      tags: ['control'],
      operationId: `${name}Target`,
      summary: `${name[0].toUpperCase()}${name.slice(1)} a target`,
      description,
      parameters: [ID, TARGET, query('serviceId', { type: 'string' }, 'the service, when the target belongs to several services of the order')],
      requestBody: jsonBody(ref('TargetCommandRequest')),
      responses: { '200': json(ref('CommandReply')), ...errors(400, 401, 404, 409) },
    },
  });

  const paths: Record<string, Json> = {
    '/': { get: { tags: ['console'], operationId: 'console', summary: 'The web console', responses: { '200': text('text/html', 'the console page') } } },
    '/console/app.js': { get: { tags: ['console'], operationId: 'consoleScript', summary: 'The web console’s script', responses: { '200': text('text/javascript', 'the script') } } },
    '/console/app.css': { get: { tags: ['console'], operationId: 'consoleStyles', summary: 'The web console’s stylesheet', responses: { '200': text('text/css', 'the stylesheet') } } },
    '/v1/openapi.json': { get: { tags: ['meta'], operationId: 'openapi', summary: 'This document', responses: { '200': json({ type: 'object' }, 'the OpenAPI document') } } },
    '/v1/healthz': { get: { tags: ['meta'], operationId: 'health', summary: 'Health', responses: { '200': json(ref('Health')) } } },
    '/v1/alarms': {
      post: {
        tags: ['alarms'],
        operationId: 'alarm',
        summary: 'A CloudMonitor alarm callback or an EventBridge CloudEvent',
        description: 'Matches active orders by service, target or scaling group and applies each order’s onAlarm once per notification. When CHANGEFLOW_ALARM_TOKEN is set the sender presents it as the x-changeflow-token header or ?token=.',
        security: [{}, { alarmToken: [] }, { alarmTokenQuery: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { type: 'object', description: 'CloudMonitor callback (JSON) or an EventBridge CloudEvent' } },
            'application/cloudevents+json': { schema: { type: 'object' } },
            'application/x-www-form-urlencoded': { schema: { type: 'object', description: 'CloudMonitor callback (form)' } },
          },
        },
        responses: { '200': json(ref('AlarmResults')), ...errors(400, 401, 413) },
      },
    },
    '/v1/services': { get: { tags: ['services'], operationId: 'listServices', summary: 'List registered services', responses: { '200': json(ref('ServiceList')), ...errors(401) } } },
    '/v1/services/{serviceId}': {
      put: {
        tags: ['services'],
        operationId: 'registerService',
        summary: 'Register or replace a service',
        description: 'Re-registering keeps each known target’s live version and changeCount.',
        parameters: [SERVICE],
        requestBody: { required: true, content: { 'application/json': { schema: ref('ServiceRegistration') }, 'application/yaml': { schema: ref('ServiceRegistration') } } },
        responses: { '200': json(ref('Service'), 'replaced'), '201': json(ref('Service'), 'registered'), ...errors(400, 401, 413) },
      },
      get: { tags: ['services'], operationId: 'getService', summary: 'Get a service', parameters: [SERVICE], responses: { '200': json(ref('Service')), ...errors(400, 401, 404) } },
      delete: { tags: ['services'], operationId: 'deleteService', summary: 'Delete a service no active order uses', parameters: [SERVICE], responses: { '204': { description: 'deleted' }, ...errors(400, 401, 404, 409) } },
    },
    '/v1/services/{serviceId}/targets': {
      get: { tags: ['services'], operationId: 'listTargets', summary: 'A service’s targets with their current versions', parameters: [SERVICE], responses: { '200': json({ type: 'array', items: ref('Target') }), ...errors(400, 401, 404) } },
    },
    '/v1/change-orders': {
      post: {
        tags: ['change orders'],
        operationId: 'submit',
        summary: 'Submit a plan or an ESS rolling-update request',
        description: 'YAML or JSON. With ?dryRun=true the batches per service are computed and nothing changes. 400 lists every problem with its path; 409 ScopeLocked names the active order holding a target.',
        parameters: [
          query('dryRun', { type: 'boolean' }, 'compute the batches; change nothing'),
          { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 }, description: 'a retried submission with the same key returns the same order' },
        ],
        requestBody: { required: true, content: { 'application/yaml': { schema: submission }, 'application/json': { schema: submission } } },
        responses: {
          '200': json({ oneOf: [ref('DryRun'), ref('Submitted')] }, 'a dry run, or a replayed submission (Idempotency-Key)'),
          '201': json(ref('Submitted'), 'the change order was created'),
          ...errors(400, 401, 409, 413, 422),
        },
      },
      get: {
        tags: ['change orders'],
        operationId: 'listChangeOrders',
        summary: 'Recent change orders, newest first',
        parameters: [
          query('status', { type: 'string', enum: Object.keys(ORDER_STATUS) }, 'only orders in this status'),
          query('serviceId', { type: 'string' }, 'only orders that change this service'),
          query('limit', { type: 'integer', minimum: 1, maximum: 200, default: 20 }, 'page size'),
          query('cursor', { type: 'string' }, 'nextCursor of the previous page'),
        ],
        responses: { '200': json(ref('OrderList')), ...errors(400, 401) },
      },
    },
    '/v1/change-orders/{id}': {
      get: {
        tags: ['change orders'],
        operationId: 'getChangeOrder',
        summary: 'A change order: services, batches, tasks',
        parameters: [ID, query('view', { type: 'string', enum: ['edas'] }, 'edas: the EDAS GetChangeOrderInfo shape')],
        responses: { '200': json({ oneOf: [ref('Order'), ref('EdasOrder')] }, 'the order (or, with ?view=edas, the EDAS shape)'), ...errors(400, 401, 404) },
      },
      delete: { tags: ['change orders'], operationId: 'deleteChangeOrder', summary: 'Delete a finished change order', parameters: [ID], responses: { '204': { description: 'deleted' }, ...errors(401, 404, 409) } },
    },
    '/v1/change-orders/{id}/events': {
      get: {
        tags: ['change orders'],
        operationId: 'listEvents',
        summary: 'The audit log',
        parameters: [ID, query('after', { type: 'string' }, 'only events after this seq'), query('limit', { type: 'integer', minimum: 1, maximum: 5000, default: 1000 }, 'at most this many')],
        responses: { '200': json(ref('Events')), ...errors(401, 404) },
      },
    },
    '/v1/change-orders/{id}/report': { get: { tags: ['change orders'], operationId: 'getReport', summary: 'The EWS execution report', parameters: [ID], responses: { '200': json(ref('Report')), ...errors(401, 404) } } },
    '/v1/change-orders/{id}/continue': control('continue', 'Release the next batch', 'ContinueRequest', 'From WAITING_MANUAL or FAILURE_PAUSED. `batch` names the batch expected next, so a repeated continue cannot release two batches.'),
    '/v1/change-orders/{id}/pause': control('pause', 'Pause', 'PauseRequest', 'PAUSING, then PAUSED once running tasks finish.'),
    '/v1/change-orders/{id}/resume': control('resume', 'Resume', 'ResumeRequest', 'From PAUSED, PAUSING, SYSTEM_ERROR or WAITING_MANUAL.'),
    '/v1/change-orders/{id}/abort': control('abort', 'Abort (and roll back)', 'AbortRequest', 'STOPPING, then STOPPED; updated targets are not rolled back unless `rollback: true`, which links a rollback order (rollbackChangeOrderId).'),
    '/v1/change-orders/{id}/rollback': control('rollback', 'Roll back', 'RollbackRequest', 'A new rollback order for exactly the targets the source changed; an active source is aborted first.'),
    '/v1/change-orders/{id}/targets/{targetId}/retry': target('retry', 'Runs a FAILED or CANCELLED target again.'),
    '/v1/change-orders/{id}/targets/{targetId}/skip': target('skip', 'Marks a FAILED or PENDING target SKIPPED (counted as success) and moves on.'),
    '/v1/change-orders/{id}/targets/{targetId}/cancel': target('cancel', 'Marks a FAILED or PENDING target CANCELLED and moves on.'),
  };

  const doc: Json = {
    openapi: '3.1.0',
    info: {
      title: 'changeflow',
      version: '1',
      description: 'A crash-proof rollout orchestrator: EWS deploy plans, EDAS change orders and status codes, ESS rolling updates. Errors are `{"error": {"code", "message", "issues"?}}`.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    // the API itself may run behind a bearer token (the console asks for one on 401)
    security: [{}, { bearerAuth: [] }],
    tags: [
      { name: 'change orders' },
      { name: 'control', description: 'idempotent commands: a repeat answers applied: false; one that does not apply answers 409 with the current status' },
      { name: 'services' },
      { name: 'alarms' },
      { name: 'console' },
      { name: 'meta' },
    ],
    paths,
    components: {
      schemas: { ...requests, ...responses },
      responses: Object.fromEntries(Object.entries(ERROR_TEXT).map(([c, d]) => [`E${c}`, json(ref('Error'), d)])),
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        alarmToken: { type: 'apiKey', in: 'header', name: 'x-changeflow-token' },
        alarmTokenQuery: { type: 'apiKey', in: 'query', name: 'token' },
      },
    },
  };
  cached = { bodies, doc };
  return doc;
}
