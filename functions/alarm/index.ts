// EventBridge trigger: CloudEvents carrying CloudMonitor alarms (one event, or a batch) → the alarm
// handling of the API's /v1/alarms route. A notification that cannot be read is logged and dropped.

import { handleAlarms, type AlarmResult } from '../../shared/alarms/handle.ts';
import { parseAlarmValue } from '../../shared/alarms/parse.ts';
import { parseEvent, type FcContext } from '../../shared/cloud/context.ts';
import { cloudRuntime } from '../../shared/cloud/runtime.ts';

export const handler = async (event: Buffer, context: FcContext): Promise<{ alarms: AlarmResult[] } | { error: string }> => {
  const parsed = parseAlarmValue(parseEvent(event));
  if (!parsed.ok) {
    context.logger?.warn?.(`alarm: unreadable notification dropped: ${parsed.message}`);
    return { error: parsed.message };
  }
  const { rt, dispatcher } = await cloudRuntime(context);
  const alarms = await handleAlarms(rt, parsed.alarms);
  await dispatcher.flush();
  return { alarms };
};
