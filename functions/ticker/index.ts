// Timer trigger ({triggerTime, triggerName, payload}): hands every order whose stored deadline passed to
// a worker. Bounded per run, so it never outlasts its timeout; the next tick takes the rest.

import { parseEvent, type FcContext } from '../../shared/cloud/context.ts';
import { cloudRuntime } from '../../shared/cloud/runtime.ts';
import { tick, TICK_BATCH } from '../../shared/runtime/ticker.ts';

export const handler = async (event: Buffer, context: FcContext): Promise<{ due: number; invoked: number }> => {
  const e = parseEvent(event) as { triggerTime?: string; triggerName?: string };
  const { rt, dispatcher } = await cloudRuntime(context);
  const due = await tick(rt, TICK_BATCH);
  const invoked = await dispatcher.flush();
  context.logger?.info?.(`ticker ${e.triggerName ?? ''} at ${e.triggerTime ?? new Date().toISOString()}: ${due} due, ${invoked} invocations`);
  return { due, invoked };
};
