// FC HTTP trigger → the API's route table → the trigger's response. Nothing else happens here.

import type { Hono } from 'hono';
import { createApi } from '../../shared/api/routes.ts';
import { parseEvent, type FcContext } from '../../shared/cloud/context.ts';
import { isHttpEvent, toFcResponse, toRequest, type FcHttpResponse } from '../../shared/cloud/http-event.ts';
import { cloudRuntime } from '../../shared/cloud/runtime.ts';
import type { Runtime } from '../../shared/runtime/runtime.ts';

const apps = new WeakMap<Runtime, Hono>();

export const handler = async (event: Buffer, context: FcContext): Promise<FcHttpResponse> => {
  const e = parseEvent(event);
  if (!isHttpEvent(e)) return { statusCode: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'InvalidRequest', message: 'not an HTTP trigger event' } }), isBase64Encoded: false };
  const { rt, dispatcher } = await cloudRuntime(context);
  let app = apps.get(rt);
  if (!app) apps.set(rt, (app = createApi(rt)));
  const res = await app.fetch(toRequest(e));
  await dispatcher.flush();
  return toFcResponse(res);
};
