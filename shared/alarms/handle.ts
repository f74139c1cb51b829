// An alarm notification acts on every active order it matches, through the engine (which applies the
// order's onAlarm once per notification id and records it in the audit log).

import type { Runtime } from '../runtime/runtime.ts';
import { matchOrders } from './match.ts';
import type { AlarmEvent } from './parse.ts';

export interface AlarmResult {
  id: string;
  name: string;
  state: string;
  orders: { changeOrderId: string; applied: boolean; message: string; rollbackChangeOrderId?: string }[];
}

export async function handleAlarms(rt: Runtime, alarms: AlarmEvent[]): Promise<AlarmResult[]> {
  const out: AlarmResult[] = [];
  for (const a of alarms) {
    const result: AlarmResult = { id: a.id, name: a.name, state: a.state, orders: [] };
    for (const orderId of await matchOrders(rt, a)) {
      const [reply] = await rt.dispatcher.call(orderId, [{ type: 'alarm', alarmId: a.id, alarmName: a.name, state: a.state }]);
      if (reply?.ok) result.orders.push({ changeOrderId: orderId, applied: reply.applied, message: reply.message, rollbackChangeOrderId: reply.rollbackChangeOrderId });
    }
    rt.log.info('alarm', { id: a.id, name: a.name, state: a.state, orders: result.orders.map((o) => o.changeOrderId) });
    out.push(result);
  }
  return out;
}
