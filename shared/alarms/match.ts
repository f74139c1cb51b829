// Which active change orders an alarm is about: by its dimensions. A service or application tag names a
// service, a scaling group names an ESS rolling update, an instance id names the service it belongs to.
// The active order of each is the holder of that scope's lock.

import type { AlarmSelector, OrderStatus } from '../engine/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { AlarmEvent } from './parse.ts';

const SERVICE_KEYS = ['serviceId', 'service', 'application', 'applicationId', 'app', 'appId'];
const GROUP_KEYS = ['scalingGroupId', 'scalingGroup', 'groupId'];
const INSTANCE_KEYS = ['instanceId', 'instance', 'targetId'];

const values = (d: Record<string, string>, keys: string[]) => keys.map((k) => (Object.hasOwn(d, k) ? d[k] : undefined)).filter((v): v is string => Boolean(v));

/**
 * `*` matches any run of characters (none included); every other character matches itself. Greedy, and on
 * a mismatch only the last `*` takes one more character: O(pattern × value) at worst. (A backtracking
 * RegExp built from the pattern was exponential in the number of stars: one alarm could hang the server.)
 */
export function wildcardMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1; // the last `*` seen, and where in the value its run of characters ends
  let runEnd = 0;
  while (v < value.length) {
    if (pattern[p] === '*') {
      star = p++;
      runEnd = v;
    } else if (p < pattern.length && pattern[p] === value[v]) {
      p++;
      v++;
    } else if (star >= 0) {
      p = star + 1;
      v = ++runEnd;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

const glob = (pattern: string, value: string | undefined) => value !== undefined && wildcardMatch(pattern, value);

/** an alarm dimension by name: own keys only, so `__proto__` or `constructor` never finds Object.prototype's */
const dimension = (alarm: AlarmEvent, key: string) => (Object.hasOwn(alarm.dimensions, key) ? alarm.dimensions[key] : undefined);

export function selects(s: AlarmSelector, alarm: AlarmEvent): boolean {
  if (s.name !== undefined && !glob(s.name, alarm.name)) return false;
  if (s.metric !== undefined && !glob(s.metric, alarm.metricName)) return false;
  for (const [k, v] of Object.entries(s.dimensions ?? {})) if (!glob(v, dimension(alarm, k))) return false;
  return true;
}

/** the orders still running (every status a rollout can be in before it ends) */
const ACTIVE: OrderStatus[] = ['READY', 'RUNNING', 'WAITING_MANUAL', 'WAITING_AUTO', 'SYSTEM_ERROR', 'PAUSED', 'FAILURE_PAUSED', 'PAUSING', 'STOPPING'];

export async function matchOrders(rt: Runtime, alarm: AlarmEvent): Promise<string[]> {
  const scopes = new Set<string>();
  for (const s of values(alarm.dimensions, SERVICE_KEYS)) scopes.add(`service:${s}`);
  for (const g of values(alarm.dimensions, GROUP_KEYS)) {
    scopes.add(`ess:${g}`);
    scopes.add(`service:${g}`);
  }
  const instances = values(alarm.dimensions, INSTANCE_KEYS);
  if (instances.length) {
    for (const svc of await rt.store.listServices()) {
      for (const id of instances) if (await rt.store.getTarget(svc.id, id)) scopes.add(`service:${svc.id}`);
    }
  }
  const orders = new Set<string>();
  for (const scope of scopes) {
    const holder = await rt.store.getScope(scope);
    if (holder) orders.add(holder.orderId);
  }
  // the services' own selectors: active orders whose items name this alarm
  for (const status of ACTIVE) {
    let cursor: string | undefined;
    do {
      const page = await rt.store.listOrders({ status, limit: 100, cursor });
      for (const o of page.orders) if (o.spec.items.some((i) => i.alarms?.some((s) => selects(s, alarm)))) orders.add(o.spec.id);
      cursor = page.nextCursor;
    } while (cursor);
  }
  return [...orders];
}
