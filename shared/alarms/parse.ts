// Alarm notifications in the two shapes they arrive in, made one: the CloudMonitor threshold-alarm
// callback (JSON or form-encoded) and EventBridge CloudEvents carrying CloudMonitor alarms.

import { createHash } from 'node:crypto';

export type AlarmState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

export interface AlarmEvent {
  /** unique per notification: the CloudEvent id, or a digest of the callback's identifying fields */
  id: string;
  name: string;
  state: AlarmState;
  metricName?: string;
  namespace?: string;
  dimensions: Record<string, string>;
  at: number;
  source: 'cloudmonitor' | 'eventbridge';
}

export type AlarmParse = { ok: true; alarms: AlarmEvent[] } | { ok: false; message: string };

const STATES: Record<string, AlarmState> = { ALARM: 'ALARM', ALERT: 'ALARM', OK: 'OK', INSUFFICIENT_DATA: 'INSUFFICIENT_DATA', NODATA: 'INSUFFICIENT_DATA' };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined);

/** `{userId=1, instanceId=i-1}` (the callback's Java-style map), JSON, an object, or [{key, value}] */
export function parseDimensions(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const d of raw) if (d && typeof d === 'object' && str((d as { key?: unknown }).key)) out[str((d as { key: unknown }).key)!] = str((d as { value?: unknown }).value) ?? '';
    return out;
  }
  if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw)) if (str(v) !== undefined) out[k] = str(v)!;
    return out;
  }
  const text = str(raw);
  if (!text) return out;
  if (text.startsWith('[') || text.startsWith('{"')) {
    try {
      return parseDimensions(JSON.parse(text));
    } catch {
      /* fall through to the map form */
    }
  }
  for (const part of text.replace(/^\{|\}$/g, '').split(',')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function fromFields(f: Record<string, unknown>, source: AlarmEvent['source'], id?: string): AlarmEvent | string {
  const name = str(f.alertName) ?? str(f.alarmName) ?? str(f.ruleName) ?? str(f.name);
  const rawState = (str(f.alertState) ?? str(f.alarmState) ?? str(f.alertStatus) ?? str(f.state) ?? '').toUpperCase();
  const state = STATES[rawState];
  if (!name) return 'alertName is missing';
  if (!state) return `alertState must be ALARM, OK or INSUFFICIENT_DATA, not "${rawState}"`;
  const dimensions = parseDimensions(f.dimensions ?? f.dimension);
  const ts = Number(str(f.timestamp) ?? str(f.time) ?? NaN);
  const at = Number.isFinite(ts) ? ts : Date.parse(str(f.timestamp) ?? str(f.time) ?? '') || Date.now();
  const digest = createHash('sha256').update(JSON.stringify([name, rawState, str(f.timestamp) ?? '', dimensions, str(f.ruleId) ?? ''])).digest('hex').slice(0, 24);
  return { id: id ?? `cms-${digest}`, name, state, metricName: str(f.metricName), namespace: str(f.metricProject) ?? str(f.namespace), dimensions, at, source };
}

/** a body as the alarm route receives it: JSON (a callback, a CloudEvent, or a list of them) or a form */
export function parseAlarmBody(text: string, contentType = ''): AlarmParse {
  let value: unknown;
  if (/x-www-form-urlencoded/i.test(contentType) || (!text.trim().startsWith('{') && !text.trim().startsWith('[') && text.includes('='))) {
    value = Object.fromEntries(new URLSearchParams(text));
  } else {
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, message: 'the body is neither JSON nor a form' };
    }
  }
  return parseAlarmValue(value);
}

export function parseAlarmValue(value: unknown): AlarmParse {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.length > 100) return { ok: false, message: 'send 1 to 100 alarm notifications' };
  const alarms: AlarmEvent[] = [];
  for (const [i, v] of list.entries()) {
    if (!v || typeof v !== 'object') return { ok: false, message: `notification ${i} is not an object` };
    const o = v as Record<string, unknown>;
    // a CloudEvent: the alarm is in `data`, the id is the event's
    const r = o.specversion !== undefined ? fromFields(((typeof o.data === 'object' && o.data) || {}) as Record<string, unknown>, 'eventbridge', str(o.id)) : fromFields(o, 'cloudmonitor');
    if (typeof r === 'string') return { ok: false, message: list.length > 1 ? `notification ${i}: ${r}` : r };
    alarms.push(r);
  }
  return { ok: true, alarms };
}
