// Invoked asynchronously with {orderId, inputs?, effects?}: runs the order's engine steps until it waits,
// within the function's time budget, and hands any further work on by asynchronous invocation. A retry
// of the same event (FC retries failed async invocations) repeats only idempotent work.

import { parseEvent, type FcContext } from '../../shared/cloud/context.ts';
import type { WorkerPayload } from '../../shared/cloud/fc-dispatcher.ts';
import { cloudRuntime } from '../../shared/cloud/runtime.ts';
import { drive } from '../../shared/runtime/worker.ts';

/** time kept in reserve to store the last decision and flush hand-offs */
const RESERVE_MS = 15_000;

export const handler = async (event: Buffer, context: FcContext): Promise<{ orderId: string; handedOn: number }> => {
  const payload = parseEvent(event) as Partial<WorkerPayload>;
  if (typeof payload?.orderId !== 'string' || payload.orderId.length === 0 || payload.orderId.length > 200) {
    // a malformed event can never succeed: drop it rather than let FC retry it for hours
    context.logger?.error?.('worker: event without a valid orderId; dropped');
    return { orderId: '', handedOn: 0 };
  }
  const { rt, dispatcher } = await cloudRuntime(context);
  const timeoutMs = (context.function?.timeout ?? 60) * 1000;
  await drive(rt, payload.orderId, Array.isArray(payload.inputs) ? payload.inputs : [], {
    pending: Array.isArray(payload.effects) ? payload.effects : [],
    until: Date.now() + Math.max(1_000, timeoutMs - RESERVE_MS),
  });
  return { orderId: payload.orderId, handedOn: await dispatcher.flush() };
};
