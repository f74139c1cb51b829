// `changeflow watch`: poll an order until it is terminal and turn its outcome into an exit code, so a CI
// step can gate on a rollout. On a terminal the view redraws in place; in a log it prints a line only when
// something changed, so a long bake time does not fill the log with identical lines.

import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, ConnectionError, type Client } from './client.ts';
import { batchLine, continueHint, countText, isTerminal, serviceLine, statusText, type OrderView } from './render.ts';

/** the exit code of a finished order; documented in `changeflow --help` */
export const WATCH_EXIT: Record<string, number> = { SUCCEEDED: 0, PARTIAL: 2, FAILED: 3, STOPPED: 4 };

export interface WatchOptions {
  intervalMs: number;
  json: boolean;
}

// a restarting server or a flaky network should not fail a pipeline: back off 0.5, 1, 2, 4 s, then give up
const RETRIES = 4;
const transient = (e: unknown) => e instanceof ConnectionError || (e instanceof ApiError && e.status >= 500);

export async function watch(client: Client, id: string, opts: WatchOptions): Promise<number> {
  const out = process.stdout;
  const tty = !opts.json && out.isTTY === true;
  let drawn = 0;
  let last = '';
  let lastHint = '';
  let failures = 0;

  for (;;) {
    let order: OrderView;
    try {
      order = (await client<OrderView>('GET', `/v1/change-orders/${encodeURIComponent(id)}`)).body;
      failures = 0;
    } catch (e) {
      if (!transient(e) || failures >= RETRIES) throw e;
      failures++;
      const why = e instanceof ApiError ? `error ${e.code}: ${e.message}` : `error ConnectionFailed: ${(e as Error).message}`;
      process.stderr.write(`${why}; retry ${failures}/${RETRIES}\n`);
      await sleep(500 * 2 ** (failures - 1));
      continue;
    }

    const hint = continueHint(order) ?? '';
    if (tty) {
      drawn = redraw(out, frame(order), drawn);
    } else if (opts.json) {
      // stdout stays one JSON document; the hint is for the person running it, so it goes to stderr
      if (hint && hint !== lastHint) process.stderr.write(`${hint}\n`);
    } else {
      const line = logLine(order);
      if (line !== last) out.write(`${new Date().toISOString().slice(11, 19)} ${line}\n${hint && hint !== lastHint ? `${hint}\n` : ''}`);
      last = line;
    }
    lastHint = hint;

    if (isTerminal(order.status)) {
      if (opts.json) out.write(`${JSON.stringify(order, null, 2)}\n`);
      else out.write(`${order.changeOrderId} finished ${statusText(order.status, order.statusCode)}${order.message ? `: ${order.message}` : ''}\n`);
      return WATCH_EXIT[order.status] ?? 1;
    }
    await sleep(opts.intervalMs);
  }
}

/** services that are doing something now get a line per batch; the final frame shows every started one */
const active = (o: OrderView) =>
  isTerminal(o.status) ? o.services.filter((s) => s.currentBatch > 0) : o.services.filter((s) => s.status !== 'READY' && !isTerminal(s.status));

function frame(o: OrderView): string[] {
  const lines = [`${o.changeOrderId}  ${statusText(o.status, o.statusCode)}${o.comment ? `  ${o.comment}` : ''}`];
  const current = active(o);
  for (const s of o.services) {
    lines.push(serviceLine(s));
    if (current.includes(s)) {
      const width = Math.max(...s.batches.map((b) => b.status.length));
      lines.push(...s.batches.map((b) => `  ${batchLine(b, s.batches.length, width)}`));
    }
  }
  if (o.message) lines.push(o.message);
  const hint = continueHint(o);
  if (hint) lines.push(hint);
  return lines;
}

/** one log line: the order status and the current batch of every started service */
function logLine(o: OrderView): string {
  const parts = o.services
    .filter((s) => s.currentBatch > 0)
    .map((s) => {
      const b = s.batches[s.currentBatch - 1];
      return b ? `${s.serviceId}: batch ${b.batch}/${s.batches.length} ${b.status} ${countText(b.tasks)}` : `${s.serviceId}: ${s.status}`;
    });
  return [o.status, ...parts].join('  ');
}

/** move back over the previous frame and clear it; lines are cut to the width so wrapping cannot skew the count */
function redraw(out: NodeJS.WriteStream, lines: string[], drawn: number): number {
  // a pseudo-terminal may report 0 columns; assume a common width then
  const width = Math.max(20, (out.columns || 120) - 1);
  const clip = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
  out.write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[0J` : ''}${clip.join('\n')}\n`);
  return clip.length;
}
