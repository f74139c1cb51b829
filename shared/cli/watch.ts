// `changeflow watch`: poll an order until it is terminal and turn its outcome into an exit code, so a CI
// step can gate on a rollout. On a terminal it draws progress bars (progress.ts); in a log it prints a line
// only when something changed, so a long bake time does not fill the log with identical lines.

import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, ConnectionError, type Client } from './client.ts';
import { logLine, TtyProgress } from './progress.ts';
import { continueHint, isTerminal, statusText, type OrderView } from './render.ts';

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
  const bars = !opts.json && out.isTTY === true ? new TtyProgress(out) : undefined;
  // Ctrl-C while the bars are drawn: leave them on screen and give the cursor back, then exit as a signal would
  const interrupted = (signal: NodeJS.Signals) => {
    bars?.stop();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  if (bars) process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    return await poll(client, id, opts, bars);
  } finally {
    bars?.stop();
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
}

async function poll(client: Client, id: string, opts: WatchOptions, bars: TtyProgress | undefined): Promise<number> {
  const out = process.stdout;
  // a line written to stderr while the bars are drawn on the same screen would tear them: print it above them
  const warn = (line: string) => (bars && process.stderr.isTTY ? bars.log(line) : process.stderr.write(`${line}\n`));
  let last = '';
  let lastHint = '';
  let lastMessage = '';
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
      warn(`${why}; retry ${failures}/${RETRIES}`);
      await sleep(500 * 2 ** (failures - 1));
      continue;
    }

    const done = isTerminal(order.status);
    const hint = continueHint(order) ?? '';
    const message = order.message ?? '';
    if (bars) {
      bars.update(order);
      // the final message is part of the summary below
      if (message && message !== lastMessage && !done) bars.log(message);
      if (hint && hint !== lastHint) bars.log(hint);
    } else if (opts.json) {
      // stdout stays one JSON document; the hint is for the person running it, so it goes to stderr
      if (hint && hint !== lastHint) process.stderr.write(`${hint}\n`);
    } else {
      const line = logLine(order);
      if (line !== last) out.write(`${new Date().toISOString().slice(11, 19)} ${line}\n${hint && hint !== lastHint ? `${hint}\n` : ''}`);
      last = line;
    }
    lastHint = hint;
    lastMessage = message;

    if (done) {
      bars?.stop();
      if (opts.json) out.write(`${JSON.stringify(order, null, 2)}\n`);
      else out.write(`${order.changeOrderId} finished ${statusText(order.status, order.statusCode)}${message ? `: ${message}` : ''}\n`);
      return WATCH_EXIT[order.status] ?? 1;
    }
    await sleep(opts.intervalMs);
  }
}
