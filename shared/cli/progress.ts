// What `watch` shows of an order's progress. `progressBars` maps an order to bar values and labels (pure, so
// it is tested without a terminal); `TtyProgress` draws them with a cli-progress MultiBar on a terminal;
// `logLine` is the plain one-line form for logs and pipes.

import { MultiBar, type SingleBar } from 'cli-progress';
import { countTasks, countText, statusText, type OrderView } from './render.ts';

/** one bar: its value and total, and the payload of FORMAT; label and status are padded to align the bars */
export interface Bar {
  key: string;
  value: number;
  total: number;
  payload: { label: string; status: string; detail: string };
}

const FORMAT = '{label}  {status}  {bar} {value}/{total} done  {detail}';

/** the order's bar first, then per service its bar (settled targets of all batches) and its current batch's */
export function progressBars(o: OrderView): Bar[] {
  const all = countTasks(o.services.flatMap((s) => s.batches.flatMap((b) => b.tasks)));
  const bars: Bar[] = [
    { key: 'order', value: all.done, total: all.total, payload: { label: o.changeOrderId, status: statusText(o.status, o.statusCode), detail: o.comment ?? '' } },
  ];
  for (const s of o.services) {
    const tasks = s.batches.flatMap((b) => b.tasks);
    const c = countTasks(tasks);
    const of = s.batches.length;
    const where = s.currentBatch > 0 ? `batch ${s.currentBatch}/${of}` : `${of} batch${of === 1 ? '' : 'es'}`;
    bars.push({ key: `service:${s.serviceId}`, value: c.done, total: c.total, payload: { label: `  ${s.serviceId}`, status: s.status, detail: `${where}  ${countText(tasks)}` } });
    // before the service starts its "current" batch is the first one, shown empty
    const b = s.batches[Math.max(1, s.currentBatch) - 1];
    if (!b) continue;
    const bc = countTasks(b.tasks);
    bars.push({ key: `batch:${s.serviceId}`, value: bc.done, total: bc.total, payload: { label: `    batch ${b.batch}/${of}`, status: b.status, detail: countText(b.tasks) } });
  }
  const label = Math.max(...bars.map((b) => b.payload.label.length));
  const status = Math.max(...bars.map((b) => b.payload.status.length));
  return bars.map((b) => ({ ...b, payload: { ...b.payload, label: b.payload.label.padEnd(label), status: b.payload.status.padEnd(status) } }));
}

/** one log line: the order status and the current batch of every started service */
export function logLine(o: OrderView): string {
  const parts = o.services
    .filter((s) => s.currentBatch > 0)
    .map((s) => {
      const b = s.batches[s.currentBatch - 1];
      return b ? `${s.serviceId}: batch ${b.batch}/${s.batches.length} ${b.status} ${countText(b.tasks)}` : `${s.serviceId}: ${s.status}`;
    });
  return [o.status, ...parts].join('  ');
}

/** the bars on a terminal; lines passed to `log` are printed above them. Call `stop` before printing anything else. */
export class TtyProgress {
  private readonly multi: MultiBar;
  private readonly bars = new Map<string, SingleBar>();
  private stopped = false;

  constructor(stream: NodeJS.WritableStream) {
    // linewrap stays off (the default) while drawing, so a long line cannot shift the bars' positions.
    // forceRedraw: a logged line takes the top row, so every bar must be drawn again one row lower, changed or
    // not; the bars change only when `update` is called, so the timer's own redraws can be rare (fps).
    this.multi = new MultiBar({ stream, format: FORMAT, barsize: 20, barCompleteChar: '█', barIncompleteChar: '░', hideCursor: true, emptyOnZero: true, forceRedraw: true, fps: 1 });
  }

  update(o: OrderView): void {
    for (const b of progressBars(o)) {
      const bar = this.bars.get(b.key);
      if (bar) {
        bar.setTotal(b.total);
        bar.update(b.value, b.payload);
      } else this.bars.set(b.key, this.multi.create(b.total, b.value, b.payload));
    }
    this.multi.update();
  }

  log(line: string): void {
    this.multi.log(`${line}\n`);
    this.multi.update();
  }

  /** draws the last state once more, leaves it on screen and restores the cursor; a second call does nothing */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.multi.stop();
  }
}
