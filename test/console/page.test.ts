// The console's assets as the route table serves them: GET / and its script and stylesheet, with a strict
// content security policy, nothing from outside, a script that parses, and colours with enough contrast.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_ROUTES } from '../../shared/api/console/index.ts';
import { STATUS_COLORS, TASK_COLORS, THEME } from '../../shared/api/console/page.ts';
import { ORDER_STATUS, TASK_STATUS } from '../../shared/engine/types.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s.close());

const get = (path: string, headers: Record<string, string> = {}) => fetch(s.app.url + path, { headers });

/** WCAG 2 relative luminance and contrast ratio */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};

describe('console assets', () => {
  it('GET / serves the page; its script and stylesheet come from the same route table', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('src="console/app.js"');
    expect(html).toContain('href="console/app.css"');
    const js = await get('/console/app.js');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    const css = await get('/console/app.css');
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(CONSOLE_ROUTES.map((r) => r.path)).toEqual(['/', '/console/app.js', '/console/app.css']);
  });

  it('loads nothing from outside: a strict CSP, and no absolute URL in any asset', async () => {
    for (const { path } of CONSOLE_ROUTES) {
      const res = await get(path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const body = await res.text();
      expect(body.match(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/gi) ?? [], path).toEqual([]);
      expect(body).not.toMatch(/<script[^>]*>[^<]/); // no inline script
    }
  });

  it('the script parses, defines the no-op __name that name-keeping loaders call, and starts the app', async () => {
    const js = await (await get('/console/app.js')).text();
    expect(() => new Function(js)).not.toThrow();
    expect(js).toContain('var __name = function');
    expect(js).toMatch(/consoleApp\(availableActions\);\s*$/);
  });

  it('answers If-None-Match with 304', async () => {
    const first = await get('/console/app.js');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await get('/console/app.js', { 'if-none-match': etag });
    expect(again.status).toBe(304);
  });

  it('has a colour for every status, each with a contrast ratio of at least 4.5:1', () => {
    expect(Object.keys(STATUS_COLORS).sort()).toEqual(Object.keys(ORDER_STATUS).sort());
    expect(Object.keys(TASK_COLORS).sort()).toEqual([...TASK_STATUS].sort());
    for (const [name, c] of Object.entries({ ...STATUS_COLORS, ...Object.fromEntries(Object.entries(TASK_COLORS).map(([k, v]) => [`task ${k}`, v])) })) {
      expect(contrast(c.fg, c.bg), name).toBeGreaterThanOrEqual(4.5);
    }
    for (const fg of [THEME.text, THEME.muted, THEME.link, THEME.danger]) {
      expect(contrast(fg, THEME.page), fg).toBeGreaterThanOrEqual(4.5);
      expect(contrast(fg, THEME.surface), fg).toBeGreaterThanOrEqual(4.5);
    }
    expect(contrast('#ffffff', THEME.primary)).toBeGreaterThanOrEqual(4.5);
    // the focus ring is a non-text indicator: at least 3:1 against the page
    expect(contrast(THEME.focus, THEME.page)).toBeGreaterThanOrEqual(3);
  });
});
