// The HTTP API (SPEC §4): one route table, served by the local server and (later) by the FC api function.

import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Command } from '../engine/io.ts';
import { ORDER_STATUS, type OrderStatus } from '../engine/types.ts';
import { MAX_PLAN_BYTES } from '../plan/parse.ts';
import { checkServiceId } from '../plan/schema.ts';
import { AppError } from '../runtime/errors.ts';
import { command, deleteOrder } from '../runtime/control.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { deleteService, getService, listServices, listTargets, registerService } from '../runtime/services.ts';
import { submit } from '../runtime/submit.ts';
import { load } from '../runtime/worker.ts';
import { handleAlarms } from '../alarms/handle.ts';
import { authMiddleware, sameSecret } from './auth.ts';
import { parseAlarmBody } from '../alarms/parse.ts';
import { registerConsole } from './console/index.ts';
import { errorResponse } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { edasView, orderSummary, orderView, reportView } from './views.ts';

const pauseOption = z.enum(['Automatic', 'FirstBatchPause', 'EveryBatchPause']);
const rollbackOptions = {
  batchNumber: z.number().int().min(1).max(10_000).optional(),
  batchPauseOption: pauseOption.optional(),
  batchWaitSeconds: z.number().int().min(0).max(86_400).optional(),
  containerExecMethod: z.enum(['PARALLEL', 'SEQUENTIAL']).optional(),
  maxConcurrency: z.number().int().min(1).optional(),
};
const bodies = {
  continue: z.strictObject({ batch: z.number().int().min(1).optional(), reason: z.string().max(500).optional() }),
  pause: z.strictObject({ reason: z.string().max(500).optional() }),
  resume: z.strictObject({ reason: z.string().max(500).optional() }),
  abort: z.strictObject({ rollback: z.boolean().optional(), reason: z.string().max(500).optional(), ...rollbackOptions }),
  rollback: z.strictObject({ reason: z.string().max(500).optional(), ...rollbackOptions }),
  target: z.strictObject({ reason: z.string().max(500).optional() }),
};
/** the JSON bodies of the control commands, as validated here; the OpenAPI document is generated from them */
export const commandBodies = bodies;

/**
 * The body as text, at most `limit` bytes. A declared Content-Length over the limit is refused before a
 * byte is read; a body without one (chunked) is read as it arrives and refused as soon as it passes the
 * limit, so an endless upload costs at most `limit` bytes of memory.
 */
async function readText(c: Context, limit = MAX_PLAN_BYTES): Promise<string> {
  const declared = Number(c.req.header('content-length') ?? 0);
  if (declared > limit) throw new AppError(413, 'PayloadTooLarge', `the body is ${declared} bytes; the limit is ${limit}`);
  const body = c.req.raw.body;
  if (!body) return '';
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    read += value.byteLength;
    if (read > limit) {
      // stop reading; the server answers now instead of after the rest of the upload
      reader.cancel().catch(() => {});
      throw new AppError(413, 'PayloadTooLarge', `the body is more than ${limit} bytes (stopped reading at ${read}); the limit is ${limit}`);
    }
    text += decoder.decode(value, { stream: true });
  }
}

async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = (await readText(c, 64 * 1024)).trim();
  let value: unknown = {};
  if (text) {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new AppError(400, 'InvalidRequest', `the body is not valid JSON: ${(e as Error).message}`, [{ path: '(body)', message: 'not valid JSON' }]);
    }
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: i.path.length ? i.path.join('.') : '(body)', message: i.message }));
    throw new AppError(400, 'InvalidRequest', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  }
  return r.data;
}

function serviceIdParam(c: Context): string {
  const id = c.req.param('serviceId')!;
  const bad = checkServiceId(id);
  if (bad) throw new AppError(400, 'InvalidRequest', `serviceId: ${bad.message}`, [{ path: 'serviceId', message: bad.message }]);
  return id;
}

export function createApi(rt: Runtime): Hono {
  const app = new Hono();
  app.onError((err, c) => errorResponse(rt, c, err));
  app.use(authMiddleware(rt));
  app.notFound((c) => c.json({ error: { code: 'NotFound', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));

  registerConsole(app);
  app.get('/v1/openapi.json', (c) => c.json(openApiDocument(commandBodies)));
  app.get('/v1/healthz', async (c) => c.json({ ok: true, store: rt.store.kind, time: new Date(rt.now()).toISOString() }));

  // alarms: CloudMonitor callbacks (JSON or form) and EventBridge CloudEvents
  app.post('/v1/alarms', async (c) => {
    if (rt.alarmToken === undefined && rt.requireAuth) throw new AppError(401, 'Unauthorized', 'no alarm token is configured (CHANGEFLOW_ALARM_TOKEN); alarm callbacks are refused');
    if (rt.alarmToken !== undefined && !sameSecret(rt.alarmToken, c.req.header('x-changeflow-token') ?? c.req.query('token'))) {
      throw new AppError(401, 'Unauthorized', 'the alarm sender did not present the configured token (header x-changeflow-token or ?token=)');
    }
    const parsed = parseAlarmBody(await readText(c, 256 * 1024), c.req.header('content-type'));
    if (!parsed.ok) throw new AppError(400, 'InvalidAlarm', parsed.message, [{ path: '(body)', message: parsed.message }]);
    return c.json({ alarms: await handleAlarms(rt, parsed.alarms) });
  });

  // services
  app.put('/v1/services/:serviceId', async (c) => {
    const id = serviceIdParam(c);
    const text = await readText(c);
    const { created, service } = await registerService(rt, id, text, c.req.header('content-type'));
    return c.json(service, created ? 201 : 200);
  });
  app.get('/v1/services', async (c) => c.json({ services: await listServices(rt) }));
  app.get('/v1/services/:serviceId', async (c) => c.json(await getService(rt, serviceIdParam(c))));
  app.delete('/v1/services/:serviceId', async (c) => {
    await deleteService(rt, serviceIdParam(c));
    return c.body(null, 204);
  });
  app.get('/v1/services/:serviceId/targets', async (c) => c.json(await listTargets(rt, serviceIdParam(c))));

  // change orders
  app.post('/v1/change-orders', async (c) => {
    const text = await readText(c);
    const key = c.req.header('idempotency-key');
    if (key !== undefined && (key.length === 0 || key.length > 200)) throw new AppError(400, 'InvalidRequest', 'Idempotency-Key must be 1 to 200 characters');
    const dryRun = ['true', '1'].includes(c.req.query('dryRun') ?? '');
    const r = await submit(rt, text, { contentType: c.req.header('content-type'), idempotencyKey: key, dryRun });
    return c.json(r.body, r.status);
  });
  app.get('/v1/change-orders', async (c) => {
    const status = c.req.query('status');
    if (status !== undefined && !(status in ORDER_STATUS)) throw new AppError(400, 'InvalidRequest', `status must be one of ${Object.keys(ORDER_STATUS).join(', ')}`, [{ path: 'status', message: 'unknown status' }]);
    const limit = Number(c.req.query('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new AppError(400, 'InvalidRequest', 'limit must be an integer from 1 to 200', [{ path: 'limit', message: 'out of range' }]);
    let page;
    try {
      page = await rt.store.listOrders({ status: status as OrderStatus | undefined, serviceId: c.req.query('serviceId') || undefined, limit, cursor: c.req.query('cursor') || undefined });
    } catch (e) {
      if (/cursor/i.test(String((e as Error).message))) throw new AppError(400, 'InvalidRequest', 'cursor is not valid; use nextCursor from a previous page', [{ path: 'cursor', message: 'invalid' }]);
      throw e;
    }
    return c.json({ changeOrders: page.orders.map(orderSummary), nextCursor: page.nextCursor });
  });
  app.get('/v1/change-orders/:id', async (c) => {
    const state = await mustLoad(rt, c.req.param('id'));
    const view = c.req.query('view');
    if (view !== undefined && view !== 'edas') throw new AppError(400, 'InvalidRequest', 'view must be "edas" or absent', [{ path: 'view', message: 'unknown view' }]);
    return c.json(view === 'edas' ? edasView(state) : orderView(state));
  });
  app.get('/v1/change-orders/:id/events', async (c) => {
    const id = c.req.param('id');
    await mustLoad(rt, id);
    const limit = Number(c.req.query('limit') ?? 1000);
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000) throw new AppError(400, 'InvalidRequest', 'limit must be an integer from 1 to 5000', [{ path: 'limit', message: 'out of range' }]);
    const events = await rt.store.listEvents(id, c.req.query('after') || undefined, limit);
    return c.json({ events: events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) });
  });
  app.get('/v1/change-orders/:id/report', async (c) => c.json(reportView(await mustLoad(rt, c.req.param('id')))));
  app.delete('/v1/change-orders/:id', async (c) => {
    await deleteOrder(rt, c.req.param('id'));
    return c.body(null, 204);
  });

  const control = (name: 'continue' | 'pause' | 'resume' | 'abort' | 'rollback') =>
    app.post(`/v1/change-orders/:id/${name}`, async (c) => {
      const body = (await readJson(c, bodies[name])) as Record<string, unknown>;
      const { reason, batch, rollback, ...options } = body as { reason?: string; batch?: number; rollback?: boolean };
      const cmd: Command =
        name === 'continue' ? { name, batch } : name === 'abort' ? { name, rollback, options } : name === 'rollback' ? { name, options } : { name };
      const reply = await command(rt, c.req.param('id'), { type: 'command', command: cmd, actor: 'user', reason });
      const state = await load(rt, c.req.param('id'));
      return c.json({ ...reply, status: state?.head.status, changeOrderId: c.req.param('id') });
    });
  (['continue', 'pause', 'resume', 'abort', 'rollback'] as const).forEach(control);

  for (const name of ['retry', 'skip', 'cancel'] as const) {
    app.post(`/v1/change-orders/:id/targets/:targetId/${name}`, async (c) => {
      const { reason } = await readJson(c, bodies.target);
      const serviceId = c.req.query('serviceId') || undefined;
      const reply = await command(rt, c.req.param('id'), { type: 'command', command: { name, targetId: c.req.param('targetId')!, serviceId }, actor: 'user', reason });
      const state = await load(rt, c.req.param('id'));
      return c.json({ ...reply, status: state?.head.status, changeOrderId: c.req.param('id') });
    });
  }
  return app;
}

async function mustLoad(rt: Runtime, id: string) {
  const state = await load(rt, id);
  if (!state) throw new AppError(404, 'NotFound', `change order ${id} does not exist`);
  return state;
}
