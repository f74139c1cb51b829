// Whether a rollout window is open at an instant, and when it next opens. Wall-clock rules are read in
// the window's time zone with luxon, so DST changes move the instants, not the local times.

import { DateTime } from 'luxon';
import type { RolloutWindow } from '../engine/types.ts';
import { parseWindowRule, type WindowRule } from './window.ts';

/** how far ahead the next opening is looked for */
const HORIZON_DAYS = 400;

export interface WindowState {
  open: boolean;
  /** when closed: the next instant it opens (undefined: not within the horizon) */
  nextOpenAt?: number;
}

const rulesOf = (list: string[]): WindowRule[] => list.flatMap((r) => {
  const p = parseWindowRule(r);
  return p.ok ? [p.rule] : [];
});

const at = (day: DateTime, minute: number): DateTime =>
  minute >= 1440 ? day.plus({ days: 1 }).startOf('day') : day.set({ hour: Math.floor(minute / 60), minute: minute % 60, second: 0, millisecond: 0 });

function absolute(rule: Extract<WindowRule, { kind: 'absolute' }>, zone: string): [number, number] {
  const start = at(DateTime.fromISO(rule.start.date, { zone }), rule.start.minute).toMillis();
  const end = at(DateTime.fromISO(rule.end.date, { zone }), rule.end.minute).toMillis();
  return [start, end];
}

function contains(rule: WindowRule, t: number, zone: string): boolean {
  if (rule.kind === 'absolute') {
    const [s, e] = absolute(rule, zone);
    return s <= t && t < e;
  }
  const local = DateTime.fromMillis(t, { zone });
  const m = local.hour * 60 + local.minute;
  const wd = local.weekday % 7;
  if (rule.startMinute < rule.endMinute) return rule.days.includes(wd) && m >= rule.startMinute && m < rule.endMinute;
  // overnight: the part after the start on a listed day, and the part before the end on the day after
  return (rule.days.includes(wd) && m >= rule.startMinute) || (rule.days.includes((wd + 6) % 7) && m < rule.endMinute);
}

/** every instant at which some rule starts or ends, from `t` on */
function boundaries(rules: WindowRule[], t: number, zone: string): number[] {
  const out: number[] = [];
  const first = DateTime.fromMillis(t, { zone }).startOf('day').minus({ days: 1 });
  for (const rule of rules) {
    if (rule.kind === 'absolute') out.push(...absolute(rule, zone));
    else
      for (let k = 0; k <= Math.min(HORIZON_DAYS, 15); k++) {
        const day = first.plus({ days: k });
        if (!rule.days.includes(day.weekday % 7)) continue;
        out.push(at(day, rule.startMinute).toMillis());
        const endDay = rule.endMinute <= rule.startMinute ? day.plus({ days: 1 }) : day;
        out.push(at(endDay, rule.endMinute).toMillis());
      }
  }
  return out.filter((x) => x > t).sort((a, b) => a - b);
}

export function windowState(window: RolloutWindow, t: number): WindowState {
  const zone = window.timezone;
  const allow = rulesOf(window.allow.length ? window.allow : ['00:00-24:00']);
  const deny = rulesOf(window.deny);
  const isOpen = (x: number) => allow.some((r) => contains(r, x, zone)) && !deny.some((r) => contains(r, x, zone));
  if (isOpen(t)) return { open: true };
  const horizon = t + HORIZON_DAYS * 86_400_000;
  // recurring rules repeat weekly, so two weeks of boundaries (plus the absolute ones) find any opening
  // unless a long one-off deny covers them: then look again from its end
  let from = t;
  for (let guard = 0; guard < 60 && from < horizon; guard++) {
    const cands = boundaries([...allow, ...deny], from, zone);
    const next = cands.find(isOpen);
    if (next !== undefined) return { open: false, nextOpenAt: next };
    const last = cands.at(-1);
    if (last === undefined || last <= from) break;
    from = last;
  }
  return { open: false };
}
