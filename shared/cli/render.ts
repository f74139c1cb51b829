// Human views of API responses: plain text, no colours, so the output reads the same in a terminal, a CI
// log or a pipe to grep. Every function returns lines; the caller decides where they go.

import { TERMINAL_STATUSES } from '../engine/types.ts';

/** the parts of GET /v1/change-orders/{id} the CLI reads (the response carries more) */
export interface TaskView {
  targetId: string;
  status: string;
  attempt?: number;
  message?: string;
}
export interface BatchView {
  batch: number;
  status: string;
  tasks: TaskView[];
}
export interface ServiceView {
  serviceId: string;
  priority?: number;
  deployment?: string;
  version?: string;
  status: string;
  statusCode?: number;
  currentBatch: number;
  waitUntil?: string;
  batches: BatchView[];
}
export interface OrderView {
  changeOrderId: string;
  type?: string;
  status: string;
  statusCode?: number;
  comment?: string;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  rolledBackBy?: string;
  sourceChangeOrderId?: string;
  message?: string;
  nextBatch?: number;
  services: ServiceView[];
}

/** statuses arrive as plain strings from the wire, so compare as strings */
export const isTerminal = (status: string) => (TERMINAL_STATUSES as readonly string[]).includes(status);
const SETTLED = ['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED'];

/** aligned columns; the last column is not padded so long descriptions do not create trailing blanks */
export function table(headers: string[], rows: unknown[][]): string[] {
  const cells = [headers, ...rows.map((r) => r.map(cell))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells.map((r) => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]))).join('  ').trimEnd());
}

function cell(v: unknown): string {
  if (v === undefined || v === null || v === '') return '-';
  return String(v);
}

/** ISO timestamps without the T and the milliseconds: 2024-05-01 10:00:00Z */
export const time = (iso?: string) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

export const statusText = (status: string, code?: number) => (code === undefined ? status : `${status} (${code})`);

/** "a, b, c, … +12 more": a batch of 200 targets must still fit on one line */
export function truncateList(items: string[], max = 5): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')}, … +${items.length - max} more`;
}

/** one cell per target up to 20, so small batches read as a count at a glance */
export function bar(filled: number, total: number): string {
  const width = Math.min(20, Math.max(5, total));
  const n = total === 0 ? 0 : Math.round((filled / total) * width);
  return '█'.repeat(n) + '░'.repeat(width - n);
}

export function countTasks(tasks: TaskView[]) {
  const count = (s: string) => tasks.filter((t) => t.status === s).length;
  return {
    total: tasks.length,
    done: tasks.filter((t) => SETTLED.includes(t.status)).length,
    ok: count('SUCCEEDED'),
    failed: count('FAILED'),
    skipped: count('SKIPPED'),
    cancelled: count('CANCELLED'),
    running: count('RUNNING'),
  };
}

/** "3/5 ok, 1 failed": only the non-zero extras, so a clean batch stays short */
export function countText(tasks: TaskView[]): string {
  const c = countTasks(tasks);
  const extras = (['failed', 'skipped', 'cancelled', 'running'] as const).filter((k) => c[k] > 0).map((k) => `${c[k]} ${k}`);
  return [`${c.ok}/${c.total} ok`, ...extras].join(', ');
}

/** `batch 2/3 RUNNING  ███░░ 3/5 ok, 1 failed` */
export function batchLine(b: BatchView, of: number, statusWidth = 0): string {
  const c = countTasks(b.tasks);
  return `batch ${b.batch}/${of} ${b.status.padEnd(statusWidth)}  ${bar(c.ok, c.total)} ${countText(b.tasks)}`;
}

/** batch lines of one service, statuses aligned, each failed target with its message below its batch */
export function batchLines(s: ServiceView, indent = '  '): string[] {
  const width = Math.max(...s.batches.map((b) => b.status.length));
  return s.batches.flatMap((b) => [
    indent + batchLine(b, s.batches.length, width),
    ...b.tasks
      .filter((t) => t.status === 'FAILED' || t.status === 'CANCELLED')
      .map((t) => `${indent}    ✗ ${t.targetId} ${t.status}${t.attempt && t.attempt > 1 ? ` (attempt ${t.attempt})` : ''}${t.message ? `: ${t.message}` : ''}`),
  ]);
}

/** the service line of `get` and `watch`: a bar of settled targets over all its targets */
export function serviceLine(s: ServiceView): string {
  const tasks = s.batches.flatMap((b) => b.tasks);
  const c = countTasks(tasks);
  const where = s.currentBatch > 0 ? `batch ${s.currentBatch}/${s.batches.length}` : `${s.batches.length} batches`;
  return `${s.serviceId}  ${s.status}  ${bar(c.done, c.total)} ${c.done}/${c.total} done (${countText(tasks)})  ${where}`;
}

/** the continue hint shown while an order waits for a person */
export function continueHint(o: OrderView): string | undefined {
  if (o.status !== 'WAITING_MANUAL') return undefined;
  const waiting = o.services.find((s) => s.status === 'WAITING_MANUAL');
  const next = o.nextBatch ?? (waiting ? waiting.currentBatch + 1 : undefined);
  return next === undefined ? `waiting: changeflow continue ${o.changeOrderId}` : `waiting before batch ${next}: changeflow continue ${o.changeOrderId} --batch ${next}`;
}

export function orderLines(o: OrderView): string[] {
  const field = (name: string, value: unknown) => (value === undefined || value === null || value === '' ? [] : [`${name.padEnd(15)}${value}`]);
  const lines = [
    ...field('change order', o.changeOrderId),
    ...field('type', o.type),
    ...field('status', statusText(o.status, o.statusCode)),
    ...field('comment', o.comment),
    ...field('created', o.createdAt && time(o.createdAt)),
    ...field('started', o.startedAt && time(o.startedAt)),
    ...field('finished', o.finishedAt && time(o.finishedAt)),
    ...field('rolled back by', o.rolledBackBy),
    ...field('rollback of', o.sourceChangeOrderId),
    ...field('message', o.message),
    // a finished order has no next batch, whatever the raw view still carries
    ...field('next batch', isTerminal(o.status) ? undefined : o.nextBatch),
  ];
  const hint = continueHint(o);
  if (hint) lines.push(hint);
  for (const s of o.services) {
    const meta = [s.priority !== undefined && `priority ${s.priority}`, s.deployment, s.version && `version ${s.version}`, s.waitUntil && `until ${time(s.waitUntil)}`].filter(Boolean).join(', ');
    lines.push('', `${serviceLine(s)}${meta ? `  [${meta}]` : ''}`, ...batchLines(s));
  }
  return lines;
}

export interface OrderSummary {
  changeOrderId: string;
  type?: string;
  status: string;
  services?: string[];
  targets?: number;
  createdAt?: string;
  finishedAt?: string;
  rolledBackBy?: string;
  sourceChangeOrderId?: string;
}

export function listLines(orders: OrderSummary[]): string[] {
  // the server pages newest first already; sorting again keeps the promise whatever the server does
  const sorted = [...orders].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  const link = (o: OrderSummary) => (o.rolledBackBy ? `rolled back by ${o.rolledBackBy}` : o.sourceChangeOrderId ? `rollback of ${o.sourceChangeOrderId}` : '');
  return table(
    ['CHANGE ORDER', 'TYPE', 'STATUS', 'SERVICES', 'TARGETS', 'CREATED', 'FINISHED', 'ROLLBACK'],
    sorted.map((o) => [o.changeOrderId, o.type, o.status, truncateList(o.services ?? [], 3), o.targets, time(o.createdAt), o.finishedAt && time(o.finishedAt), link(o)]),
  );
}

export interface Report {
  changeOrderId: string;
  status: string;
  statusCode?: number;
  comment?: string;
  startedAt?: string;
  finishedAt?: string;
  services: {
    serviceId: string;
    status: string;
    startedAt?: string;
    finishedAt?: string;
    batches: number;
    targets: Record<'total' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'pending' | 'running', number>;
    messages?: string[];
  }[];
}

export function reportLines(r: Report): string[] {
  const lines = [`change order ${r.changeOrderId}  ${statusText(r.status, r.statusCode)}`];
  if (r.comment) lines.push(`comment  ${r.comment}`);
  lines.push(`started  ${time(r.startedAt)}  finished  ${time(r.finishedAt)}`, '');
  lines.push(
    ...table(
      ['SERVICE', 'STATUS', 'STARTED', 'FINISHED', 'BATCHES', 'TARGETS', 'OK', 'FAILED', 'SKIPPED', 'CANCELLED', 'PENDING', 'RUNNING'],
      r.services.map((s) => {
        const t = s.targets;
        return [s.serviceId, s.status, time(s.startedAt), time(s.finishedAt), s.batches, t.total, t.succeeded, t.failed, t.skipped, t.cancelled, t.pending, t.running];
      }),
    ),
  );
  for (const s of r.services.filter((s) => s.messages?.length)) lines.push('', `${s.serviceId}:`, ...s.messages!.map((m) => `  ${m}`));
  return lines;
}

export interface EventView {
  at: string;
  actor: string;
  type: string;
  reason?: string;
}

export function eventLines(events: EventView[]): string[] {
  const actor = Math.max(0, ...events.map((e) => e.actor.length));
  const type = Math.max(0, ...events.map((e) => e.type.length));
  return events.map((e) => `${time(e.at)}  ${e.actor.padEnd(actor)}  ${e.type.padEnd(type)}  ${e.reason ?? ''}`.trimEnd());
}

export function servicesLines(services: { serviceId: string; executor?: { type?: string }; targets?: number; description?: string }[]): string[] {
  return table(['SERVICE', 'EXECUTOR', 'TARGETS', 'DESCRIPTION'], services.map((s) => [s.serviceId, s.executor?.type, s.targets, s.description]));
}

export function targetsLines(targets: { id: string; labels?: string[] | Record<string, string>; version?: string; changeCount?: number }[]): string[] {
  // labels are a list in the store; a map is accepted too so the CLI does not break if the API grows
  const labels = (l: string[] | Record<string, string> | undefined) => (Array.isArray(l) ? l.join(',') : l ? Object.entries(l).map(([k, v]) => `${k}=${v}`).join(',') : '');
  return table(['TARGET', 'LABELS', 'VERSION', 'CHANGES'], targets.map((t) => [t.id, labels(t.labels), t.version, t.changeCount]));
}

export interface DryRun {
  startsAt?: string;
  window?: { timezone: string; allow: string[]; deny: string[]; openAtStart?: boolean; nextOpenAt?: string };
  services?: { serviceId: string; priority?: number; deployment?: string; version?: string; batches: { batch: number; size: number; targets: string[] }[] }[];
  rollbackOf?: string;
}

/** per service its batches: the part of a dry run a person checks before submitting for real */
export function dryRunLines(d: DryRun): string[] {
  if (d.rollbackOf) return [`dry run: would roll back change order ${d.rollbackOf}`];
  const lines = ['dry run: nothing was changed'];
  if (d.startsAt) lines.push(`would start  ${time(d.startsAt)}`);
  if (d.window) {
    const w = d.window;
    const state = w.openAtStart === false ? `closed at the start; opens ${time(w.nextOpenAt)}` : 'open at the start';
    lines.push(`window       ${w.timezone}: allow ${w.allow.join(', ') || 'always'}${w.deny.length ? `; deny ${w.deny.join(', ')}` : ''} (${state})`);
  }
  for (const s of d.services ?? []) {
    const meta = [s.priority !== undefined && `priority ${s.priority}`, s.deployment, s.version && `version ${s.version}`].filter(Boolean).join(', ');
    lines.push('', `${s.serviceId}${meta ? `  [${meta}]` : ''}`);
    lines.push(...table(['BATCH', 'SIZE', 'TARGETS'], s.batches.map((b) => [`${b.batch}/${s.batches.length}`, b.size, truncateList(b.targets, 8)])).map((l) => `  ${l}`));
  }
  return lines;
}
