// Rollout windows with an injected clock: time zones, DST, deny inside allow, weekends, mid-batch closing.

import { describe, expect, it } from 'vitest';
import { windowState } from '../../shared/plan/window-eval.ts';
import { Harness, item, order, targets } from '../support/engine-harness.ts';

const t = (iso: string) => Date.parse(iso);

describe('windowState', () => {
  const shanghai = { timezone: 'Asia/Shanghai', allow: ['MON-FRI 10:00-17:00'], deny: ['2026-12-31 00:00-2027-01-02 00:00'] };

  it('opens and closes on Shanghai wall-clock time', () => {
    expect(windowState(shanghai, t('2026-11-24T02:00:00Z'))).toEqual({ open: true }); // Tue 10:00 CST
    expect(windowState(shanghai, t('2026-11-24T01:59:00Z'))).toEqual({ open: false, nextOpenAt: t('2026-11-24T02:00:00Z') });
    expect(windowState(shanghai, t('2026-11-24T09:00:00Z'))).toEqual({ open: false, nextOpenAt: t('2026-11-25T02:00:00Z') }); // 17:00 is closed
  });

  it('waits over the weekend for Monday', () => {
    expect(windowState(shanghai, t('2026-11-27T09:30:00Z'))).toEqual({ open: false, nextOpenAt: t('2026-11-30T02:00:00Z') }); // Fri 17:30 → Mon 10:00
  });

  it('deny wins inside allow, and the window reopens after it', () => {
    expect(windowState(shanghai, t('2026-12-31T03:00:00Z')).open).toBe(false); // Thu 11:00 but frozen
    expect(windowState(shanghai, t('2026-12-31T03:00:00Z')).nextOpenAt).toBe(t('2027-01-04T02:00:00Z')); // Fri 1/1 frozen, then weekend
    const lunch = { timezone: 'Asia/Shanghai', allow: ['MON-FRI 10:00-17:00'], deny: ['MON-FRI 12:00-13:00'] };
    expect(windowState(lunch, t('2026-11-24T04:30:00Z'))).toEqual({ open: false, nextOpenAt: t('2026-11-24T05:00:00Z') });
  });

  it('follows New York across the DST change', () => {
    const ny = { timezone: 'America/New_York', allow: ['09:00-17:00'], deny: [] };
    // EDT (UTC-4) on Saturday 31 Oct 2026, EST (UTC-5) from Sunday 1 Nov
    expect(windowState(ny, t('2026-10-31T12:59:00Z'))).toEqual({ open: false, nextOpenAt: t('2026-10-31T13:00:00Z') });
    expect(windowState(ny, t('2026-10-31T21:30:00Z'))).toEqual({ open: false, nextOpenAt: t('2026-11-01T14:00:00Z') });
    expect(windowState(ny, t('2026-11-01T13:30:00Z')).open).toBe(false); // 08:30 EST
    expect(windowState(ny, t('2026-11-01T14:00:00Z')).open).toBe(true);
    // spring forward: 8 March 2026
    expect(windowState(ny, t('2026-03-07T23:00:00Z'))).toEqual({ open: false, nextOpenAt: t('2026-03-08T13:00:00Z') });
  });

  it('overnight rules run past midnight', () => {
    const night = { timezone: 'Asia/Shanghai', allow: ['SAT 22:00-06:00'], deny: [] };
    expect(windowState(night, t('2026-11-28T20:00:00Z')).open).toBe(true); // Sun 04:00 CST, from Sat night
    expect(windowState(night, t('2026-11-29T20:00:00Z')).open).toBe(false); // Mon 04:00
  });
});

describe('windows in the engine', () => {
  const window = { timezone: 'Asia/Shanghai', allow: ['MON-FRI 10:00-17:00'], deny: [] };

  it('an order submitted on Saturday waits (WAITING_AUTO, nextWindowAt) and starts on Monday', () => {
    const h = new Harness(order([item('web', targets('t', 1, 1))], { window }));
    h.now = t('2026-11-28T04:00:00Z'); // Sat 12:00
    h.tick();
    expect(h.status).toBe('WAITING_AUTO');
    expect(h.state.head.dueAt).toBe(t('2026-11-30T02:00:00Z'));
    expect(h.running()).toHaveLength(0);
    h.now = t('2026-11-30T02:00:00Z');
    h.tick();
    expect(h.status).toBe('RUNNING');
    expect(h.running()).toHaveLength(1);
  });

  it('a window closing mid-batch lets the batch finish and holds the next one', () => {
    const h = new Harness(order([item('web', targets('t', 2, 2), { containerExecMethod: 'SEQUENTIAL' })], { window }));
    h.now = t('2026-11-24T08:59:00Z'); // Tue 16:59
    h.tick();
    expect(h.running().map((x) => x.targetId)).toEqual(['t-1']);
    h.now = t('2026-11-24T09:05:00Z'); // closed now
    h.complete();
    expect(h.running().map((x) => x.targetId)).toEqual(['t-2']); // the started batch goes on
    h.complete();
    expect(h.status).toBe('WAITING_AUTO');
    expect(h.task('t-3')).toBeUndefined();
    expect(h.state.head.dueAt).toBe(t('2026-11-25T02:00:00Z'));
    h.now = t('2026-11-25T02:00:00Z');
    h.tick();
    h.runToRest();
    expect(h.status).toBe('SUCCEEDED');
    expect(h.events().filter((e) => e.type === 'windowClosed')).toHaveLength(1);
  });
});
