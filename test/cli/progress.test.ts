// watch's progress view without a terminal: the pure mapping of an order to bar values, and the cli-progress
// MultiBar drawing into a fake TTY stream.

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { logLine, progressBars, TtyProgress } from '../../shared/cli/progress.ts';
import type { OrderView, TaskView } from '../../shared/cli/render.ts';

const tasks = (...statuses: string[]): TaskView[] => statuses.map((status, i) => ({ targetId: `t-${i + 1}`, status }));

function order(status: string, web: { status: string; currentBatch: number; b1: TaskView[]; b2: TaskView[] }, over: Partial<OrderView> = {}): OrderView {
  return {
    changeOrderId: 'co-7',
    status,
    statusCode: status === 'RUNNING' ? 1 : undefined,
    comment: 'roll out 2.0',
    services: [
      {
        serviceId: 'web',
        status: web.status,
        currentBatch: web.currentBatch,
        batches: [
          { batch: 1, status: web.currentBatch > 1 ? 'SUCCEEDED' : web.status, tasks: web.b1 },
          { batch: 2, status: web.currentBatch === 2 ? web.status : 'READY', tasks: web.b2 },
        ],
      },
      { serviceId: 'search-api', status: 'READY', currentBatch: 0, batches: [{ batch: 1, status: 'READY', tasks: tasks('PENDING') }] },
    ],
    ...over,
  };
}

const running = order('RUNNING', { status: 'RUNNING', currentBatch: 1, b1: tasks('SUCCEEDED', 'FAILED', 'RUNNING'), b2: tasks('PENDING', 'PENDING') });

describe('progressBars', () => {
  it('maps an order to one bar for the order, and per service one for the service and one for its current batch', () => {
    const bars = progressBars(running);
    expect(bars.map((b) => [b.key, b.value, b.total])).toEqual([
      ['order', 2, 6],
      ['service:web', 2, 5],
      ['batch:web', 2, 3],
      ['service:search-api', 0, 1],
      // not started: its first batch, empty
      ['batch:search-api', 0, 1],
    ]);
    expect(bars.map((b) => [b.payload.label.trimEnd(), b.payload.status.trimEnd(), b.payload.detail])).toEqual([
      ['co-7', 'RUNNING (1)', 'roll out 2.0'],
      ['  web', 'RUNNING', 'batch 1/2  1/5 ok, 1 failed, 1 running'],
      ['    batch 1/2', 'RUNNING', '1/3 ok, 1 failed, 1 running'],
      ['  search-api', 'READY', '1 batch  0/1 ok'],
      ['    batch 1/1', 'READY', '0/1 ok'],
    ]);
  });

  it('pads labels and statuses to a common width so the bars line up', () => {
    const bars = progressBars(running);
    expect(new Set(bars.map((b) => b.payload.label.length))).toEqual(new Set(['    batch 1/2'.length]));
    expect(new Set(bars.map((b) => b.payload.status.length))).toEqual(new Set(['RUNNING (1)'.length]));
  });

  it('follows the current batch as it advances and ends full', () => {
    const second = progressBars(order('RUNNING', { status: 'RUNNING', currentBatch: 2, b1: tasks('SUCCEEDED', 'SUCCEEDED'), b2: tasks('RUNNING', 'PENDING') }));
    expect(second.find((b) => b.key === 'batch:web')).toMatchObject({ value: 0, total: 2, payload: { label: expect.stringContaining('batch 2/2') } });
    expect(second.find((b) => b.key === 'service:web')).toMatchObject({ value: 2, total: 4, payload: { detail: 'batch 2/2  2/4 ok, 1 running' } });

    const done = progressBars(order('SUCCEEDED', { status: 'SUCCEEDED', currentBatch: 2, b1: tasks('SUCCEEDED', 'SUCCEEDED'), b2: tasks('SUCCEEDED', 'SKIPPED') }));
    expect(done.find((b) => b.key === 'service:web')).toMatchObject({ value: 4, total: 4 });
    expect(done.find((b) => b.key === 'batch:web')).toMatchObject({ value: 2, total: 2, payload: { detail: '1/2 ok, 1 skipped' } });
  });

  it('an order without services still has its own (empty) bar', () => {
    expect(progressBars({ changeOrderId: 'co-0', status: 'READY', services: [] })).toEqual([{ key: 'order', value: 0, total: 0, payload: { label: 'co-0', status: 'READY', detail: '' } }]);
  });
});

describe('logLine', () => {
  it('names the current batch of every started service with its counts', () => {
    expect(logLine(running)).toBe('RUNNING  web: batch 1/2 RUNNING 1/3 ok, 1 failed, 1 running');
  });
});

describe('TtyProgress', () => {
  function fakeTty() {
    const out = { text: '' };
    const stream = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          out.text += chunk.toString();
          cb();
        },
      }),
      { isTTY: true, columns: 100 },
    );
    return { stream, out };
  }
  const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

  it('draws a bar per service and per current batch, logs above them, and restores the cursor on stop', () => {
    const { stream, out } = fakeTty();
    const p = new TtyProgress(stream);
    p.update(running);
    p.log('waiting before batch 2: changeflow continue co-7 --batch 2');
    p.update(order('SUCCEEDED', { status: 'SUCCEEDED', currentBatch: 2, b1: tasks('SUCCEEDED', 'SUCCEEDED'), b2: tasks('SUCCEEDED', 'SUCCEEDED') }));
    p.stop();
    p.stop();

    const text = plain(out.text);
    expect(text).toMatch(/ {2}web +RUNNING +█{8}░{12} 2\/5 done {2}batch 1\/2 {2}1\/5 ok, 1 failed, 1 running/);
    expect(text).toMatch(/ {4}batch 1\/2 +RUNNING +█{13}░{7} 2\/3 done/);
    expect(text).toContain('waiting before batch 2: changeflow continue co-7 --batch 2\n');
    // the final frame: full bars for web, the second batch current
    expect(text).toMatch(/ {2}web +SUCCEEDED +█{20} 4\/4 done {2}batch 2\/2 {2}4\/4 ok/);
    expect(text).toMatch(/ {4}batch 2\/2 +SUCCEEDED +█{20} 2\/2 done/);
    // the cursor is hidden while drawing and shown again, once, after stop; line wrapping likewise
    expect(out.text.startsWith('\x1b[?25l')).toBe(true);
    expect(out.text.split('\x1b[?25h')).toHaveLength(2);
    expect(out.text).toContain('\x1b[?7h');
    expect(out.text.endsWith('\n')).toBe(true);
  });
});
