// The console's three assets — the HTML shell, the stylesheet and the script — as strings built in memory,
// so the route table serves them wherever it runs (npm start, the FC api function's single-file bundle)
// with no files to ship, no build step and nothing fetched from outside.
//
// The script is the TypeScript of client.ts and actions.ts, sent as the source the loader (tsx, vitest or
// esbuild) produced for those functions: Function.prototype.toString. Those functions are self-contained;
// loaders that keep function names insert calls to a `__name` helper, defined here as a no-op.

import { availableActions } from './actions.ts';
import { consoleApp } from './client.ts';

/** a background and a text colour; every pair has a WCAG contrast ratio of at least 4.5 (tested) */
export interface Swatch {
  bg: string;
  fg: string;
}

/** change order, service and batch statuses (badges): light fills, dark text */
export const STATUS_COLORS: Record<string, Swatch> = {
  READY: { bg: '#eceef3', fg: '#343a46' },
  RUNNING: { bg: '#dbe7ff', fg: '#153e8a' },
  SUCCEEDED: { bg: '#d3f2dc', fg: '#0d5226' },
  FAILED: { bg: '#fcd9d6', fg: '#8c1a10' },
  STOPPED: { bg: '#e3e3e8', fg: '#2b2b33' },
  PARTIAL: { bg: '#fdebc4', fg: '#6e4400' },
  WAITING_MANUAL: { bg: '#efdfff', fg: '#5a1d86' },
  WAITING_AUTO: { bg: '#d9f1f5', fg: '#0d5260' },
  SYSTEM_ERROR: { bg: '#ffdcc7', fg: '#7a2c00' },
  PAUSED: { bg: '#fff1a8', fg: '#574500' },
  FAILURE_PAUSED: { bg: '#ffd0d0', fg: '#7d0f0f' },
  PAUSING: { bg: '#fff1a8', fg: '#574500' },
  STOPPING: { bg: '#e3e3e8', fg: '#2b2b33' },
};

/** task statuses (the target grid): strong fills with white text, PENDING outlined */
export const TASK_COLORS: Record<string, Swatch> = {
  PENDING: { bg: '#ffffff', fg: '#4a4a55' },
  RUNNING: { bg: '#1f4fd1', fg: '#ffffff' },
  SUCCEEDED: { bg: '#1c7339', fg: '#ffffff' },
  FAILED: { bg: '#b3261e', fg: '#ffffff' },
  SKIPPED: { bg: '#875400', fg: '#ffffff' },
  CANCELLED: { bg: '#55555f', fg: '#ffffff' },
};

/** the page's own colours: text, muted text, links and focus ring on the page background */
export const THEME = {
  page: '#f7f8fa',
  surface: '#ffffff',
  text: '#1b1e24',
  muted: '#535a66',
  link: '#1745b0',
  focus: '#b45309',
  border: '#c9ced8',
  primary: '#1745b0',
  danger: '#a3201a',
};

const css = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
html { font-size: 15px; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif;
  background: ${THEME.page}; color: ${THEME.text}; line-height: 1.45; }
a { color: ${THEME.link}; }
code, pre, textarea, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.93em; }
:focus-visible { outline: 3px solid ${THEME.focus}; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: ${THEME.surface}; padding: 0.5rem 1rem; z-index: 10; }
.skip:focus { left: 0.5rem; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
header.top { display: flex; align-items: center; gap: 1.5rem; padding: 0.6rem 1.5rem; background: #1b2433; color: #ffffff; flex-wrap: wrap; }
header.top .brand { font-weight: 700; font-size: 1.15rem; letter-spacing: 0.02em; }
header.top nav ul { display: flex; gap: 0.25rem; list-style: none; margin: 0; padding: 0; flex-wrap: wrap; }
header.top nav a { color: #ffffff; text-decoration: none; padding: 0.35rem 0.75rem; border-radius: 4px; display: inline-block; }
header.top nav a:hover { background: #2e3b52; }
header.top nav a[aria-current="page"] { background: #3b4c6b; text-decoration: underline; text-underline-offset: 4px; }
header.top :focus-visible { outline-color: #fbbf24; }
header.top .auth { margin-left: auto; display: flex; gap: 0.5rem; align-items: center; font-size: 0.9rem; }
header.top .auth button { background: transparent; color: #ffffff; border-color: #8b97ab; }
main { max-width: 1280px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
main:focus { outline: none; }
h1 { font-size: 1.45rem; margin: 0.6rem 0 0.8rem; display: flex; align-items: center; gap: 0.75rem; flex-wrap: wrap; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 0.6rem; }
h3 { font-size: 1.02rem; margin: 0; display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; }
h4 { font-size: 0.95rem; margin: 0; font-weight: 600; }
.muted { color: ${THEME.muted}; }
.flash { max-width: 1280px; margin: 0.5rem auto 0; padding: 0 1.5rem; min-height: 0; }
.flash p { margin: 0; padding: 0.5rem 0.75rem; background: #e4f3e8; border: 1px solid #86c49a; border-radius: 4px; color: #0d4420; }
.error { margin: 0.75rem 0; padding: 0.6rem 0.85rem; background: #fdeceb; border: 1px solid #e39a95; border-left: 5px solid ${THEME.danger}; border-radius: 4px; color: #5c110c; }
.error p { margin: 0.15rem 0; }
.warn { margin: 0.75rem 0; padding: 0.6rem 0.85rem; background: #fff7df; border: 1px solid #e2c46b; border-radius: 4px; color: #4d3800; }
button, .button { font: inherit; font-size: 0.92rem; padding: 0.38rem 0.85rem; border-radius: 4px; border: 1px solid ${THEME.border}; background: ${THEME.surface}; color: ${THEME.text}; cursor: pointer; }
button:hover { background: #eef1f6; }
button.primary { background: ${THEME.primary}; border-color: ${THEME.primary}; color: #ffffff; }
button.primary:hover { background: #123a94; }
button.danger { background: ${THEME.surface}; border-color: ${THEME.danger}; color: ${THEME.danger}; }
button.danger:hover { background: #fdeceb; }
button[disabled] { opacity: 0.6; cursor: default; }
.toolbar { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; margin: 0.5rem 0; }
.card { background: ${THEME.surface}; border: 1px solid ${THEME.border}; border-radius: 6px; padding: 0.85rem 1rem; margin: 0.75rem 0; }
table { border-collapse: collapse; width: 100%; background: ${THEME.surface}; }
th, td { text-align: left; padding: 0.42rem 0.6rem; border-bottom: 1px solid #e1e4ea; vertical-align: top; }
th { font-size: 0.85rem; color: ${THEME.muted}; font-weight: 600; background: #f1f3f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0.08rem 0.5rem; border-radius: 999px; font-size: 0.8rem; font-weight: 600; white-space: nowrap; border: 1px solid rgba(0,0,0,0.12); }
${Object.entries(STATUS_COLORS).map(([s, c]) => `.badge.s-${s} { background: ${c.bg}; color: ${c.fg}; }`).join('\n')}
.filters { display: flex; gap: 1rem; flex-wrap: wrap; align-items: flex-end; margin: 0.5rem 0 1rem; }
label { font-size: 0.88rem; font-weight: 600; display: block; margin-bottom: 0.2rem; }
select, input[type="text"], input[type="password"], textarea { font: inherit; font-size: 0.93rem; padding: 0.35rem 0.5rem; border: 1px solid #8a93a3; border-radius: 4px; background: #ffffff; color: ${THEME.text}; }
textarea { width: 100%; min-height: 22rem; line-height: 1.4; tab-size: 2; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", "Noto Sans Mono CJK SC", monospace; }
h1 .muted, h3 .muted { font-weight: 400; font-size: 0.9rem; }
.card > h2:first-child { margin-top: 0.2rem; }
.dry th:first-child { width: 8rem; } .dry th.num { width: 5rem; }
textarea[aria-invalid="true"] { border-color: ${THEME.danger}; }
.field { margin: 0.6rem 0; }
.hint { font-size: 0.85rem; color: ${THEME.muted}; margin: 0.2rem 0 0; }
table.orders td:nth-child(n+4) { white-space: nowrap; }
progress { width: 6rem; height: 0.8rem; vertical-align: middle; accent-color: #1c7339; }
.pager { display: flex; gap: 0.5rem; margin-top: 0.75rem; align-items: center; }
dl.facts { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 0.3rem 1rem; margin: 0.25rem 0; }
dl.facts dt { color: ${THEME.muted}; font-size: 0.88rem; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.group { border-left: 4px solid #9aa5b8; padding-left: 0.9rem; margin: 1rem 0; }
.group > h3 { color: ${THEME.muted}; font-size: 0.95rem; margin-bottom: 0.2rem; }
.services { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 0.75rem; }
.services .card { margin: 0.35rem 0; }
.meta { font-size: 0.86rem; color: ${THEME.muted}; margin: 0.25rem 0 0.5rem; }
.batch { margin: 0.55rem 0; }
.batch-head { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; font-size: 0.9rem; }
.grid { display: flex; flex-wrap: wrap; gap: 4px; margin: 0.35rem 0; padding: 0; list-style: none; }
.grid li { margin: 0; }
.cell { min-width: 4.6rem; padding: 0.2rem 0.4rem; border-radius: 3px; font-size: 0.78rem; line-height: 1.2; text-align: left; border: 2px solid transparent; }
.cell .glyph { font-weight: 700; margin-right: 0.25rem; }
${Object.entries(TASK_COLORS).map(([s, c]) => `.cell.t-${s}, .legend .t-${s} { background: ${c.bg}; color: ${c.fg}; }`).join('\n')}
.cell.t-PENDING, .legend .t-PENDING { border: 2px dashed #8a93a3; }
.cell[aria-pressed="true"] { border-color: #111111; box-shadow: 0 0 0 2px #fbbf24; }
.cell:hover { filter: brightness(1.08); }
.legend { display: flex; gap: 0.6rem; flex-wrap: wrap; font-size: 0.8rem; margin: 0.2rem 0 0.6rem; padding: 0; list-style: none; }
.legend li span { display: inline-block; padding: 0.05rem 0.4rem; border-radius: 3px; border: 2px solid transparent; }
.target-panel { border: 2px solid #1b2433; border-radius: 6px; padding: 0.6rem 0.8rem; margin: 0.4rem 0; background: #fbfcfe; }
.target-panel h4 { margin-bottom: 0.3rem; }
.problems td:first-child { white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; }
.live { font-size: 0.8rem; font-weight: 600; color: #0d5226; border: 1px solid #86c49a; background: #e4f3e8; border-radius: 999px; padding: 0.05rem 0.5rem; }
@media (max-width: 1000px) { dl.facts { grid-template-columns: max-content 1fr; } .services { grid-template-columns: 1fr; } }
.timeline td:first-child { white-space: nowrap; }
details.service { background: ${THEME.surface}; border: 1px solid ${THEME.border}; border-radius: 6px; margin: 0.5rem 0; }
details.service > summary { padding: 0.55rem 0.8rem; cursor: pointer; }
details.service > div { padding: 0 0.8rem 0.7rem; }
dialog { border: 1px solid ${THEME.border}; border-radius: 8px; padding: 1.1rem 1.25rem; max-width: 32rem; width: calc(100% - 2rem); color: ${THEME.text}; }
dialog::backdrop { background: rgba(15, 20, 30, 0.45); }
dialog h2 { margin-top: 0; }
dialog input[type="text"], dialog input[type="password"] { width: 100%; }
.empty { padding: 1rem; color: ${THEME.muted}; background: ${THEME.surface}; border: 1px dashed ${THEME.border}; border-radius: 6px; }
`;

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>changeflow console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="console/app.css">
<script src="console/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main" id="skip">Skip to content</a>
<header class="top">
  <span class="brand">changeflow</span>
  <nav aria-label="Main">
    <ul>
      <li><a href="#/orders" data-nav="orders">Change orders</a></li>
      <li><a href="#/submit" data-nav="submit">Submit a plan</a></li>
      <li><a href="#/services" data-nav="services">Services</a></li>
    </ul>
  </nav>
  <div id="auth" class="auth"></div>
</header>
<div id="flash" class="flash" role="status" aria-live="polite"></div>
<main id="main" tabindex="-1"><p>Loading the console…</p></main>
<noscript><p>The changeflow console needs JavaScript. The API is described at <a href="v1/openapi.json">v1/openapi.json</a>.</p></noscript>
</body>
</html>
`;

let script: string | undefined;

/** the browser script: the action rules and the app, then a call that starts it */
function buildScript(): string {
  return [
    '// changeflow console (generated from shared/api/console/client.ts and actions.ts)',
    '"use strict";',
    'var __name = function (target) { return target; };',
    `var availableActions = ${availableActions.toString()};`,
    `var consoleApp = ${consoleApp.toString()};`,
    'consoleApp(availableActions);',
    '',
  ].join('\n');
}

export const consoleAssets = {
  html: () => html,
  css: () => css,
  script: () => (script ??= buildScript()),
};

/** headers for every console asset: nothing from outside may load, and the page cannot be framed */
export const CONSOLE_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};
