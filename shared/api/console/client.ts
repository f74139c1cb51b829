// The console in the browser: plain DOM, no framework. page.ts sends `consoleApp`'s source to the browser,
// so everything it uses lives inside its body (types are erased and may come from outside); the action rules
// are passed in as `actionsOf` (actions.ts), the same function the unit tests check against the engine.
//
// Views (hash routes): #/orders (list, filters, paging), #/orders/{id} (detail: services by priority,
// batches as target grids, actions, report, timeline; polled while active), #/submit (paste or upload a
// plan, dry run, submit), #/services (registered services and their targets). Every API error is shown as
// the API's JSON error; a 401 asks for a token, kept in sessionStorage and sent as a bearer token.

import type { availableActions, ConsoleAction } from './actions.ts';

interface TaskView {
  targetId: string;
  status: string;
  attempt: number;
  action: string;
  fromVersion?: string;
  toVersion?: string;
  message?: string;
  healthy?: boolean;
  startedAt?: string;
  finishedAt?: string;
}
interface BatchView {
  batch: number;
  status: string;
  statusCode: number;
  startedAt?: string;
  finishedAt?: string;
  tasks: TaskView[];
}
interface ServiceView {
  serviceId: string;
  priority: number;
  deployment: string;
  executor: string;
  version?: string;
  containerExecMethod: string;
  batchPauseOption: string;
  maxErrors: number;
  onFailure: string;
  status: string;
  statusCode: number;
  currentBatch: number;
  waitUntil?: string;
  startedAt?: string;
  finishedAt?: string;
  batches: BatchView[];
}
interface OrderSummary {
  changeOrderId: string;
  type: string;
  status: string;
  statusCode: number;
  comment: string;
  services: string[];
  targets: number;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  sourceChangeOrderId?: string;
  rolledBackBy?: string;
}
interface OrderDetail extends Omit<OrderSummary, 'services'> {
  origin: string;
  onAlarm: string;
  startAt?: string;
  nextBatch?: number;
  nextWindowAt?: string;
  window?: { timezone: string; allow: string[]; deny: string[] };
  message?: string;
  intent?: { kind: string; actor: string; reason: string };
  finalized: boolean;
  services: ServiceView[];
}
interface EventView {
  seq: string;
  at: string;
  actor: string;
  type: string;
  status?: string;
  serviceId?: string;
  batch?: number;
  targetId?: string;
  reason: string;
}
interface ReportView {
  status: string;
  statusCode: number;
  services: {
    serviceId: string;
    status: string;
    statusCode: number;
    startedAt?: string;
    finishedAt?: string;
    batches: number;
    targets: Record<string, number>;
    messages: string[];
  }[];
}
interface Issue {
  path: string;
  message: string;
}
interface DryRunView {
  dryRun: true;
  startsAt?: string;
  rollbackOf?: string;
  window?: { timezone: string; allow: string[]; deny: string[]; openAtStart: boolean; nextOpenAt?: string };
  services?: { serviceId: string; priority: number; deployment: string; version?: string; containerExecMethod: string; batchPauseOption: string; batches: { batch: number; size: number; targets: string[] }[] }[];
  warnings?: Issue[];
}

type Child = Node | string | number | null | undefined | false | Child[];
type Props = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

export function consoleApp(actionsOf: typeof availableActions): void {
  const TOKEN_KEY = 'changeflow.token';
  const TERMINAL = ['SUCCEEDED', 'FAILED', 'STOPPED', 'PARTIAL'];
  const STATUSES = ['READY', 'RUNNING', 'SUCCEEDED', 'FAILED', 'STOPPED', 'PARTIAL', 'WAITING_MANUAL', 'WAITING_AUTO', 'SYSTEM_ERROR', 'PAUSED', 'FAILURE_PAUSED', 'PAUSING', 'STOPPING'];
  const CODES: Record<string, number> = { READY: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 3, STOPPED: 6, PARTIAL: 7, WAITING_MANUAL: 8, WAITING_AUTO: 9, SYSTEM_ERROR: 10, PAUSED: 11, FAILURE_PAUSED: 12, PAUSING: 13, STOPPING: 14 };
  const TASK_GLYPH: Record<string, string> = { PENDING: '·', RUNNING: '↻', SUCCEEDED: '✓', FAILED: '✗', SKIPPED: '↷', CANCELLED: '⊘' };
  const SETTLED = ['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED'];
  const POLL_MS = 1000;
  const LIST_POLL_MS = 3000;
  const PAGE_SIZE = 20;

  const main = document.getElementById('main') as HTMLElement;
  const flashBox = document.getElementById('flash') as HTMLElement;
  const authBox = document.getElementById('auth') as HTMLElement;

  // ---- small DOM helpers: every value from the API goes in as text, never as markup ----

  function h(tag: string, props?: Props | null, ...children: Child[]): HTMLElement {
    const el = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === false) continue;
        if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
        else if (k === 'class') el.className = String(v);
        else if (k === 'text') el.textContent = String(v);
        else if (k === 'value') (el as HTMLInputElement).value = String(v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    append(el, children);
    return el;
  }
  function append(el: Node, children: Child[]): void {
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) append(el, c);
      else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
  }
  const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
  function fmtTime(iso?: string): string {
    if (!iso) return '–';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function timeEl(iso?: string): HTMLElement {
    if (!iso) return h('span', { class: 'muted', text: '–' });
    return h('time', { datetime: iso, title: iso, text: fmtTime(iso) });
  }
  function duration(from?: string, to?: string): string {
    if (!from || !to) return '';
    const s = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
    return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  }
  function badge(status: string, code?: number, extra?: Props): HTMLElement {
    const c = code ?? CODES[status];
    return h('span', { class: `badge s-${status}`, 'data-status': status, ...extra }, c === undefined ? status : `${status} (${c})`);
  }
  function progressOf(o: { services: ServiceView[] }): { done: number; total: number } {
    let done = 0;
    let total = 0;
    for (const s of o.services) for (const b of s.batches) for (const t of b.tasks) {
      total++;
      if (SETTLED.indexOf(t.status) >= 0) done++;
    }
    return { done, total };
  }
  function progressEl(p: { done: number; total: number }, label: string): HTMLElement {
    return h('span', null, h('progress', { max: Math.max(1, p.total), value: p.done, 'aria-label': label }), ` ${p.done}/${p.total}`);
  }
  const orderHref = (id: string) => `#/orders/${encodeURIComponent(id)}`;

  function flash(message: string): void {
    flashBox.replaceChildren(h('p', null, message));
    const mine = flashBox.firstChild;
    window.setTimeout(() => {
      if (flashBox.firstChild === mine) flashBox.replaceChildren();
    }, 8000);
  }

  // ---- the API: JSON errors, 401 → token, bearer token from sessionStorage ----

  class ApiFailure extends Error {
    constructor(
      readonly status: number,
      readonly code: string,
      message: string,
      readonly issues: Issue[] = [],
      readonly current?: string,
    ) {
      super(message);
    }
  }

  function token(): string | null {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  }
  function renderAuth(): void {
    const t = token();
    authBox.replaceChildren(
      t
        ? h('span', null, 'Signed in with a token ', h('button', { type: 'button', onclick: () => {
            window.sessionStorage.removeItem(TOKEN_KEY);
            renderAuth();
            flash('The token was forgotten.');
          } }, 'Forget token'))
        : '',
    );
  }

  let tokenPrompt: Promise<boolean> | null = null;
  /** asks for a token once, however many requests were refused at the same time */
  function askToken(message: string): Promise<boolean> {
    if (tokenPrompt) return tokenPrompt;
    tokenPrompt = new Promise<boolean>((resolve) => {
      const input = h('input', { type: 'password', id: 'token-input', autocomplete: 'off', required: true, 'aria-describedby': 'token-help' }) as HTMLInputElement;
      const dialog = h(
        'dialog',
        { 'aria-labelledby': 'token-title' },
        h(
          'form',
          { method: 'dialog' },
          h('h2', { id: 'token-title' }, 'Sign in'),
          h('p', { id: 'token-help' }, `The API answered 401 Unauthorized: ${message} Enter an API token; it is kept in this tab's session storage only and sent as "Authorization: Bearer".`),
          h('div', { class: 'field' }, h('label', { for: 'token-input' }, 'API token'), input),
          h('div', { class: 'toolbar' }, h('button', { type: 'submit', class: 'primary', value: 'save' }, 'Sign in'), h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel')),
        ),
      ) as HTMLDialogElement;
      dialog.addEventListener('close', () => {
        const ok = dialog.returnValue === 'save' && input.value.trim() !== '';
        if (ok) window.sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        dialog.remove();
        tokenPrompt = null;
        renderAuth();
        resolve(ok);
      });
      document.body.appendChild(dialog);
      dialog.showModal();
      input.focus();
    });
    return tokenPrompt;
  }

  async function api<T>(method: string, path: string, opts: { body?: string; contentType?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T }> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
      if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
      const t = token();
      if (t) headers.authorization = `Bearer ${t}`;
      let res: Response;
      try {
        res = await fetch(new URL(path.replace(/^\//, ''), document.baseURI).toString(), { method, headers, body: opts.body, cache: 'no-store' });
      } catch (e) {
        throw new ApiFailure(0, 'Unreachable', `the changeflow API could not be reached (${(e as Error).message})`);
      }
      const text = await res.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      if (res.ok) return { status: res.status, body: body as T };
      const err = (body as { error?: { code?: string; message?: string; issues?: Issue[]; status?: string } } | undefined)?.error;
      if (res.status === 401 && attempt < 3) {
        if (await askToken(err?.message ?? 'a token is required.')) continue;
      }
      throw new ApiFailure(res.status, err?.code ?? `HTTP${res.status}`, err?.message ?? (text.slice(0, 300) || res.statusText), err?.issues ?? [], err?.status);
    }
  }

  function errorBox(e: unknown, title?: string): HTMLElement {
    const f = e instanceof ApiFailure ? e : new ApiFailure(0, 'Error', String((e as Error)?.message ?? e));
    return h(
      'div',
      { class: 'error', role: 'alert' },
      // with issues, the message repeats them: the table below says it better
      h('p', null, h('strong', null, title ?? 'Error'), ` — ${f.code}${f.status ? ` (HTTP ${f.status})` : ''}: ${f.issues.length ? `${f.issues.length} problem${f.issues.length === 1 ? '' : 's'}, each with its path:` : f.message}`),
      f.current ? h('p', null, `The change order is ${f.current}.`) : null,
      f.issues.length ? issuesTable(f.issues, 'Problems') : null,
    );
  }
  function issuesTable(issues: Issue[], caption: string): HTMLElement {
    return h(
      'table',
      { class: 'problems' },
      h('caption', { class: 'sr-only' }, caption),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Path'), h('th', { scope: 'col' }, 'Problem'))),
      h('tbody', null, issues.map((i) => h('tr', null, h('td', null, h('code', null, i.path)), h('td', null, i.message)))),
    );
  }

  // ---- dialogs ----

  /** a modal confirmation with an optional reason; resolves to the reason, or null when cancelled */
  function confirmAction(title: string, text: string, confirmLabel: string, danger: boolean): Promise<string | null> {
    return new Promise((resolve) => {
      const reason = h('input', { type: 'text', id: 'confirm-reason', maxlength: 500, autocomplete: 'off' }) as HTMLInputElement;
      const dialog = h(
        'dialog',
        { 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' },
        h(
          'form',
          { method: 'dialog' },
          h('h2', { id: 'confirm-title' }, title),
          h('p', { id: 'confirm-text' }, text),
          h('div', { class: 'field' }, h('label', { for: 'confirm-reason' }, 'Reason (optional, recorded in the audit log)'), reason),
          h('div', { class: 'toolbar' }, h('button', { type: 'submit', value: 'ok', class: danger ? 'danger' : 'primary' }, confirmLabel), h('button', { type: 'submit', value: 'cancel', autofocus: true }, 'Cancel')),
        ),
      ) as HTMLDialogElement;
      // the view may redraw while the dialog is open: focus returns to the opener or its redrawn twin
      const opener = document.activeElement as HTMLElement | null;
      const openerKey = opener?.dataset.key;
      dialog.addEventListener('close', () => {
        dialog.remove();
        resolve(dialog.returnValue === 'ok' ? reason.value.trim() : null);
        const back = opener && opener.isConnected ? opener : openerKey ? document.querySelector<HTMLElement>(`[data-key="${CSS.escape(openerKey)}"]`) : null;
        if (back) back.focus();
      });
      document.body.appendChild(dialog);
      dialog.showModal();
    });
  }

  // ---- routing ----

  let viewSeq = 0;
  let firstRoute = true;
  let lastKind = '';
  const current = () => viewSeq;

  function setNav(name: string): void {
    document.querySelectorAll<HTMLAnchorElement>('[data-nav]').forEach((a) => {
      if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
  }

  function route(): void {
    const seq = ++viewSeq;
    const focusedKey = (document.activeElement as HTMLElement | null)?.dataset.key;
    const hash = window.location.hash || '#/orders';
    const [path, query] = hash.slice(1).split('?');
    const params = new URLSearchParams(query ?? '');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    let title = 'changeflow';
    if (parts[0] === 'orders' && parts[1]) {
      setNav('orders');
      title = `${parts[1]} · changeflow`;
      void detailView(seq, parts[1]);
    } else if (parts[0] === 'submit') {
      setNav('submit');
      title = 'Submit a plan · changeflow';
      submitView();
    } else if (parts[0] === 'services') {
      setNav('services');
      title = 'Services · changeflow';
      void servicesView(seq);
    } else {
      setNav('orders');
      title = 'Change orders · changeflow';
      void listView(seq, params);
    }
    document.title = title;
    // a new view: focus moves to its content (screen readers read it); a filter or page change within
    // the list keeps focus on the control that made it
    const kind = parts[0] === 'orders' && parts[1] ? 'detail' : parts[0] || 'orders';
    const keep = kind === lastKind && kind === 'orders' ? focusedKey : undefined;
    if (!firstRoute) {
      const again = keep ? main.querySelector<HTMLElement>(`[data-key="${CSS.escape(keep)}"]`) : null;
      if (again) again.focus();
      else main.focus({ preventScroll: false });
    }
    firstRoute = false;
    lastKind = kind;
  }

  /** replaces the view, keeping keyboard focus on the element with the same data-key if it still exists */
  function swap(container: HTMLElement, content: Child[]): void {
    const active = document.activeElement as HTMLElement | null;
    const key = active && container.contains(active) ? active.dataset.key : undefined;
    container.replaceChildren();
    append(container, content);
    if (key) {
      const again = container.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`);
      if (again) again.focus({ preventScroll: true });
    }
  }

  // ---- change order list ----

  const cursorStack: string[] = [];
  const progressCache = new Map<string, { done: number; total: number }>();
  let serviceNames: string[] | null = null;

  async function loadServiceNames(): Promise<string[]> {
    if (serviceNames) return serviceNames;
    const r = await api<{ services: { serviceId: string }[] }>('GET', '/v1/services');
    serviceNames = r.body.services.map((s) => s.serviceId);
    return serviceNames;
  }

  async function listView(seq: number, params: URLSearchParams): Promise<void> {
    const status = params.get('status') ?? '';
    const service = params.get('serviceId') ?? '';
    const cursor = params.get('cursor') ?? '';
    const limit = Math.min(200, Math.max(1, Number(params.get('limit')) || PAGE_SIZE));
    const go = (next: { status?: string; serviceId?: string; cursor?: string }) => {
      const q = new URLSearchParams();
      const st = next.status ?? status;
      const sv = next.serviceId ?? service;
      if (st) q.set('status', st);
      if (sv) q.set('serviceId', sv);
      if (limit !== PAGE_SIZE) q.set('limit', String(limit));
      if (next.cursor) q.set('cursor', next.cursor);
      window.location.hash = `#/orders${q.toString() ? `?${q}` : ''}`;
    };
    const statusSel = h(
      'select',
      { id: 'filter-status', 'data-key': 'filter-status', onchange: (e) => { cursorStack.length = 0; go({ status: (e.target as HTMLSelectElement).value }); } },
      h('option', { value: '' }, 'All statuses'),
      STATUSES.map((s) => h('option', { value: s, selected: s === status }, `${s} (${CODES[s]})`)),
    );
    const serviceSel = h('select', { id: 'filter-service', 'data-key': 'filter-service', onchange: (e) => { cursorStack.length = 0; go({ serviceId: (e.target as HTMLSelectElement).value }); } }, h('option', { value: '' }, 'All services'));
    const body = h('div', { id: 'order-list' }, h('p', { class: 'muted' }, 'Loading change orders…'));
    main.replaceChildren(
      h('h1', null, 'Change orders'),
      h(
        'form',
        { class: 'filters', role: 'search', 'aria-label': 'Filter change orders', onsubmit: (e) => e.preventDefault() },
        h('div', null, h('label', { for: 'filter-status' }, 'Status'), statusSel),
        h('div', null, h('label', { for: 'filter-service' }, 'Service'), serviceSel),
        h('div', null, h('a', { class: 'button', href: '#/submit' }, 'Submit a plan…')),
      ),
      body,
    );
    loadServiceNames()
      .then((names) => {
        if (seq !== current()) return;
        const all = service && names.indexOf(service) < 0 ? [...names, service] : names;
        append(serviceSel, all.map((n) => h('option', { value: n, selected: n === service }, n)));
      })
      .catch(() => undefined);

    let lastJson = '';
    const refresh = async (): Promise<void> => {
      if (seq !== current()) return;
      let page: { changeOrders: OrderSummary[]; nextCursor?: string };
      try {
        const q = new URLSearchParams({ limit: String(limit) });
        if (status) q.set('status', status);
        if (service) q.set('serviceId', service);
        if (cursor) q.set('cursor', cursor);
        page = (await api<{ changeOrders: OrderSummary[]; nextCursor?: string }>('GET', `/v1/change-orders?${q}`)).body;
      } catch (e) {
        if (seq === current()) swap(body, [errorBox(e, 'Could not list change orders')]);
        return;
      }
      // progress needs the tasks: read each order's detail (finished orders once)
      await Promise.all(
        page.changeOrders.map(async (o) => {
          if (progressCache.has(o.changeOrderId) && TERMINAL.indexOf(o.status) >= 0) return;
          try {
            const d = (await api<OrderDetail>('GET', `/v1/change-orders/${encodeURIComponent(o.changeOrderId)}`)).body;
            progressCache.set(o.changeOrderId, progressOf(d));
          } catch {
            /* shown without progress */
          }
        }),
      );
      if (seq !== current()) return;
      const json = JSON.stringify([page, page.changeOrders.map((o) => progressCache.get(o.changeOrderId))]);
      if (json !== lastJson) {
        lastJson = json;
        swap(body, renderList(page, cursor, go));
      }
      if (page.changeOrders.some((o) => TERMINAL.indexOf(o.status) < 0)) window.setTimeout(() => void refresh(), LIST_POLL_MS);
    };
    await refresh();
  }

  function renderList(page: { changeOrders: OrderSummary[]; nextCursor?: string }, cursor: string, go: (n: { cursor?: string }) => void): Child[] {
    if (page.changeOrders.length === 0) return [h('p', { class: 'empty' }, cursor ? 'No more change orders.' : 'No change orders match. Submit a plan to start one.')];
    const rows = page.changeOrders.map((o) => {
      const p = progressCache.get(o.changeOrderId);
      return h(
        'tr',
        { 'data-order': o.changeOrderId },
        h(
          'td',
          null,
          h('a', { href: orderHref(o.changeOrderId), class: 'mono', 'data-key': `order-${o.changeOrderId}` }, o.changeOrderId),
          o.type === 'rollback' ? h('span', { class: 'muted' }, ' · rollback') : null,
          o.comment ? h('div', { class: 'muted' }, o.comment) : null,
        ),
        h('td', null, badge(o.status, o.statusCode)),
        h('td', null, o.services.join(', ')),
        h('td', null, p ? progressEl(p, `progress of ${o.changeOrderId}`) : h('span', { class: 'muted' }, `${o.targets} targets`)),
        h('td', null, timeEl(o.startedAt)),
        h('td', null, timeEl(o.finishedAt), o.finishedAt ? h('div', { class: 'muted' }, duration(o.startedAt, o.finishedAt)) : null),
      );
    });
    return [
      scroll(h(
        'table',
        { class: 'orders' },
        h('caption', { class: 'sr-only' }, 'Change orders, newest first'),
        h('thead', null, h('tr', null, ['Change order', 'Status', 'Services', 'Progress', 'Started', 'Finished'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows),
      )),
      h(
        'nav',
        { class: 'pager', 'aria-label': 'Pages' },
        cursor ? h('button', { type: 'button', 'data-key': 'first-page', onclick: () => { cursorStack.length = 0; go({ cursor: '' }); } }, 'First page') : null,
        cursor ? h('button', { type: 'button', 'data-key': 'prev-page', onclick: () => { cursorStack.pop(); go({ cursor: cursorStack[cursorStack.length - 1] ?? '' }); } }, 'Previous page') : null,
        page.nextCursor
          ? h('button', { type: 'button', 'data-key': 'next-page', onclick: () => { cursorStack.push(page.nextCursor!); go({ cursor: page.nextCursor }); } }, 'Next page')
          : h('span', { class: 'muted' }, 'End of the list.'),
      ),
    ];
  }

  // ---- change order detail ----

  let selectedTarget: { orderId: string; serviceId: string; targetId: string } | null = null;

  const ACTION_TEXT: Record<string, { label: string; confirm?: string; danger?: boolean }> = {
    continue: { label: 'Continue' },
    pause: { label: 'Pause' },
    resume: { label: 'Resume' },
    abort: { label: 'Abort', confirm: 'Abort stops the change order once running tasks finish. Targets already updated are not rolled back.', danger: true },
    abortRollback: { label: 'Abort and roll back', confirm: 'Abort, then start a rollback change order that returns every target this order changed to its previous version, newest batch first.', danger: true },
    rollback: { label: 'Roll back', confirm: 'Start a rollback change order for exactly the targets this order changed, back to their recorded versions. An active order is aborted first.', danger: true },
    delete: { label: 'Delete', confirm: 'Delete this finished change order and its audit log. This cannot be undone.', danger: true },
    retry: { label: 'Retry' },
    skip: { label: 'Skip', confirm: 'Skip marks the target SKIPPED (counted as success) without changing it, and the rollout moves on.', danger: true },
    cancel: { label: 'Cancel target', confirm: 'Cancel marks the target CANCELLED (a failure that no longer counts against maxErrors) without changing it, and the rollout moves on.', danger: true },
  };

  function actionLabel(a: ConsoleAction): string {
    if (a.name === 'continue') return `Continue (release batch ${a.batch})`;
    return ACTION_TEXT[a.name].label;
  }

  async function runAction(orderId: string, a: ConsoleAction, refresh: () => Promise<void>): Promise<void> {
    const text = ACTION_TEXT[a.name];
    let reason: string | null = '';
    if (text.confirm) {
      const what = 'targetId' in a ? `${actionLabel(a)} ${a.targetId}?` : `${actionLabel(a)} ${orderId}?`;
      reason = await confirmAction(what, text.confirm, 'targetId' in a ? `${text.label} ${a.targetId}` : text.label, Boolean(text.danger));
      if (reason === null) return;
    }
    const base = `/v1/change-orders/${encodeURIComponent(orderId)}`;
    const body: Record<string, unknown> = reason ? { reason } : {};
    const box = document.getElementById('action-result');
    try {
      if (a.name === 'delete') {
        await api('DELETE', base);
        progressCache.delete(orderId);
        flash(`Change order ${orderId} was deleted.`);
        window.location.hash = '#/orders';
        return;
      }
      let path: string;
      if ('targetId' in a) path = `${base}/targets/${encodeURIComponent(a.targetId)}/${a.name}?serviceId=${encodeURIComponent(a.serviceId)}`;
      else if (a.name === 'abortRollback') {
        path = `${base}/abort`;
        body.rollback = true;
      } else {
        path = `${base}/${a.name}`;
        if (a.name === 'continue') body.batch = a.batch;
      }
      const r = await api<{ applied: boolean; message: string; status?: string; rollbackChangeOrderId?: string }>('POST', path, { body: JSON.stringify(body) });
      if (box) box.replaceChildren();
      flash(`${r.body.message}${r.body.status ? ` — the order is ${r.body.status}` : ''}${r.body.rollbackChangeOrderId ? `; rollback order ${r.body.rollbackChangeOrderId}` : ''}.`);
    } catch (e) {
      if (box) box.replaceChildren(errorBox(e, `${actionLabel(a)} was refused`));
    }
    await refresh();
  }

  async function detailView(seq: number, id: string): Promise<void> {
    const content = h('div', { id: 'order-detail' }, h('p', { class: 'muted' }, `Loading change order ${id}…`));
    const live = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite', id: 'order-live' });
    main.replaceChildren(content, live);
    if (selectedTarget && selectedTarget.orderId !== id) selectedTarget = null;
    let last = '';
    let lastStatus = '';
    let pollTimer = 0;
    let data: { order: OrderDetail; events: EventView[]; report: ReportView | null } | null = null;

    const redraw = () => {
      if (data) swap(content, renderDetail(data.order, data.events, data.report, refresh, redraw));
    };
    const refresh = async (): Promise<void> => {
      if (seq !== current()) return;
      window.clearTimeout(pollTimer);
      const path = `/v1/change-orders/${encodeURIComponent(id)}`;
      try {
        const [order, events, report] = await Promise.all([
          api<OrderDetail>('GET', path),
          api<{ events: EventView[] }>('GET', `${path}/events`),
          api<ReportView>('GET', `${path}/report`).catch(() => null),
        ]);
        if (seq !== current()) return;
        data = { order: order.body, events: events.body.events, report: report ? report.body : null };
      } catch (e) {
        if (seq !== current()) return;
        if (!data || (e instanceof ApiFailure && e.status === 404)) {
          swap(content, [h('h1', null, `Change order ${id}`), errorBox(e, 'Could not load the change order'), h('p', null, h('a', { href: '#/orders' }, 'Back to the change orders'))]);
          return;
        }
        // a transient failure while watching: keep the last view and try again
        pollTimer = window.setTimeout(() => void refresh(), POLL_MS * 3);
        return;
      }
      const json = JSON.stringify(data);
      if (json !== last) {
        last = json;
        redraw();
        if (lastStatus && lastStatus !== data.order.status) live.textContent = `Status changed to ${data.order.status}.`;
        lastStatus = data.order.status;
      }
      const active = TERMINAL.indexOf(data.order.status) < 0 || !data.order.finalized;
      if (active) pollTimer = window.setTimeout(() => void refresh(), POLL_MS);
    };
    await refresh();
  }

  function renderDetail(o: OrderDetail, events: EventView[], report: ReportView | null, refresh: () => Promise<void>, redraw: () => void): Child[] {
    const actions = actionsOf(o);
    const orderActions = actions.filter((a) => !('targetId' in a));
    // resume in WAITING_MANUAL is the same command as continue: offer it once, as continue
    const shown = orderActions.filter((a) => !(a.name === 'resume' && o.status === 'WAITING_MANUAL' && orderActions.some((b) => b.name === 'continue')));
    const targetActions = (serviceId: string, targetId: string) => actions.filter((a) => 'targetId' in a && a.serviceId === serviceId && a.targetId === targetId);
    const prog = progressOf(o);
    const terminal = TERMINAL.indexOf(o.status) >= 0;

    const facts: [string, Child][] = [
      ['Type', o.type === 'rollback' ? 'rollback' : `deploy (${o.origin === 'ess' ? 'ESS rolling update' : 'plan'})`],
      ['Progress', progressEl(prog, 'targets processed')],
      ['Created', timeEl(o.createdAt)],
      ['Started', timeEl(o.startedAt)],
      ['Finished', o.finishedAt ? h('span', null, timeEl(o.finishedAt), ` (${duration(o.startedAt, o.finishedAt)})`) : timeEl()],
      ['On alarm', o.onAlarm],
    ];
    if (o.startAt) facts.push(['Scheduled start', timeEl(o.startAt)]);
    if (o.nextBatch !== undefined && !terminal) facts.push(['Waiting before', `batch ${o.nextBatch}`]);
    if (o.nextWindowAt) facts.push(['Window opens', timeEl(o.nextWindowAt)]);
    if (o.window) facts.push(['Rollout window', `${o.window.timezone}: allow ${o.window.allow.join(', ') || 'always'}${o.window.deny.length ? `; deny ${o.window.deny.join(', ')}` : ''}`]);
    if (o.intent && !terminal) facts.push(['Requested', `${o.intent.kind} by ${o.intent.actor}: ${o.intent.reason}`]);
    if (o.sourceChangeOrderId) facts.push(['Rolls back', h('a', { href: orderHref(o.sourceChangeOrderId), class: 'mono', id: 'source-order' }, o.sourceChangeOrderId)]);
    if (o.rolledBackBy) facts.push(['Rolled back by', h('a', { href: orderHref(o.rolledBackBy), class: 'mono', id: 'rolled-back-by' }, o.rolledBackBy)]);
    if (o.message) facts.push(['Message', o.message]);

    const header = [
      h('p', { class: 'muted' }, h('a', { href: '#/orders' }, '← Change orders')),
      h('h1', null, h('span', { class: 'mono' }, o.changeOrderId), badge(o.status, o.statusCode, { id: 'order-status' }), !terminal ? h('span', { class: 'live', title: 'updated every second while the order is active' }, 'live') : null),
      o.comment ? h('p', null, o.comment) : null,
      h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
    ];

    const actionBar = h(
      'section',
      { 'aria-labelledby': 'actions-title', class: 'card' },
      h('h2', { id: 'actions-title', class: 'sr-only' }, 'Actions'),
      h(
        'div',
        { class: 'toolbar', role: 'toolbar', 'aria-label': 'Actions on this change order' },
        shown.length
          ? shown.map((a) =>
              h('button', { type: 'button', class: a.name === 'continue' || a.name === 'resume' ? 'primary' : ACTION_TEXT[a.name].danger ? 'danger' : '', 'data-key': `action-${a.name}`, onclick: () => void runAction(o.changeOrderId, a, refresh) }, actionLabel(a)),
            )
          : h('span', { class: 'muted' }, `No action applies to a ${o.status} ${o.type === 'rollback' ? 'rollback ' : ''}change order${terminal && !o.finalized ? ' (its finalizers are still running)' : ''}.`),
      ),
      h('div', { id: 'action-result' }),
    );

    // services by priority group, highest first: equal priorities run at the same time
    const priorities = Array.from(new Set(o.services.map((s) => s.priority))).sort((a, b) => b - a);
    const groups = priorities.map((p, gi) => {
      const members = o.services.filter((s) => s.priority === p);
      return h(
        'section',
        { class: 'group', 'aria-label': `Priority ${p}` },
        h('h3', null, `Priority ${p}`, h('span', { class: 'muted' }, gi === 0 ? (priorities.length > 1 ? '· runs first' : '') : '· after the group above', members.length > 1 ? ' · these services run at the same time' : '')),
        h('div', { class: 'services' }, members.map((s) => serviceCard(o, s, targetActions, refresh, redraw))),
      );
    });

    const legend = h('ul', { class: 'legend', 'aria-label': 'Target status colours' }, Object.keys(TASK_GLYPH).map((s) => h('li', null, h('span', { class: `t-${s}` }, `${TASK_GLYPH[s]} ${s}`))));

    return [
      ...header,
      actionBar,
      h('h2', null, 'Services and batches'),
      legend,
      ...groups,
      h('section', { 'aria-labelledby': 'report-title' }, h('h2', { id: 'report-title' }, 'Execution report'), reportEl(report)),
      h('section', { 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, 'Timeline'), timeline(events)),
    ];
  }

  function serviceCard(o: OrderDetail, s: ServiceView, targetActions: (serviceId: string, targetId: string) => ConsoleAction[], refresh: () => Promise<void>, redraw: () => void): HTMLElement {
    const meta = [s.deployment, s.version ? `version ${s.version}` : null, `executor ${s.executor}`, s.containerExecMethod, s.batchPauseOption, `maxErrors ${s.maxErrors}`, `onFailure ${s.onFailure}`].filter(Boolean).join(' · ');
    return h(
      'article',
      { class: 'card', 'aria-labelledby': `svc-${s.serviceId}`, 'data-service': s.serviceId },
      h('h3', { id: `svc-${s.serviceId}` }, s.serviceId, badge(s.status, s.statusCode)),
      h('p', { class: 'meta' }, meta, h('br'), `batch ${Math.max(s.currentBatch, 0)} of ${s.batches.length} · started `, timeEl(s.startedAt), ' · finished ', timeEl(s.finishedAt), s.waitUntil && TERMINAL.indexOf(o.status) < 0 ? h('span', null, ' · waits until ', timeEl(s.waitUntil)) : null),
      s.batches.map((b) => batchEl(o, s, b, targetActions, refresh, redraw)),
    );
  }

  function taskSummary(t: TaskView): string {
    const versions = t.fromVersion || t.toVersion ? `, ${t.fromVersion ?? '?'} → ${t.toVersion ?? '?'}` : '';
    return `${t.targetId}: ${t.status}${versions}${t.attempt > 1 ? `, attempt ${t.attempt}` : ''}${t.message ? ` — ${t.message}` : ''}`;
  }

  function batchEl(o: OrderDetail, s: ServiceView, b: BatchView, targetActions: (serviceId: string, targetId: string) => ConsoleAction[], refresh: () => Promise<void>, redraw: () => void): HTMLElement {
    const gridId = `grid-${s.serviceId}-${b.batch}`;
    const sel = selectedTarget && selectedTarget.orderId === o.changeOrderId && selectedTarget.serviceId === s.serviceId ? selectedTarget.targetId : null;
    const selectedHere = sel ? b.tasks.find((t) => t.targetId === sel) : undefined;
    // roving tabindex: one cell of the grid is in the tab order, arrow keys move within it
    const tabbable = selectedHere ? selectedHere.targetId : b.tasks[0]?.targetId;
    const onKey = (e: KeyboardEvent) => {
      const cells = Array.from((e.currentTarget as HTMLElement).querySelectorAll<HTMLButtonElement>('button.cell'));
      const at = cells.indexOf(document.activeElement as HTMLButtonElement);
      if (at < 0) return;
      const perRow = Math.max(1, cells.filter((c) => c.offsetTop === cells[0].offsetTop).length);
      const moves: Record<string, number> = { ArrowRight: at + 1, ArrowLeft: at - 1, ArrowDown: at + perRow, ArrowUp: at - perRow, Home: 0, End: cells.length - 1 };
      const to = moves[e.key];
      if (to === undefined) {
        if (e.key === 'Escape' && selectedTarget) {
          selectedTarget = null;
          redraw();
        }
        return;
      }
      e.preventDefault();
      const next = cells[Math.min(cells.length - 1, Math.max(0, to))];
      cells.forEach((c) => (c.tabIndex = c === next ? 0 : -1));
      next.focus();
    };
    return h(
      'div',
      { class: 'batch', 'data-batch': b.batch },
      h('div', { class: 'batch-head' }, h('h4', { id: `${gridId}-title` }, `Batch ${b.batch} of ${s.batches.length}`), badge(b.status, b.statusCode), h('span', { class: 'muted' }, `${b.tasks.length} target${b.tasks.length === 1 ? '' : 's'}`), b.startedAt ? h('span', { class: 'muted' }, '· ', timeEl(b.startedAt), b.finishedAt ? ` → ${fmtTime(b.finishedAt)}` : '') : null),
      h(
        'ul',
        { class: 'grid', 'aria-labelledby': `${gridId}-title`, onkeydown: onKey as (e: Event) => void },
        b.tasks.map((t) =>
          h(
            'li',
            null,
            h(
              'button',
              {
                type: 'button',
                class: `cell t-${t.status}`,
                title: taskSummary(t),
                'aria-label': taskSummary(t),
                'aria-pressed': sel === t.targetId ? 'true' : 'false',
                'data-target': t.targetId,
                'data-status': t.status,
                'data-key': `cell-${s.serviceId}-${t.targetId}`,
                tabindex: t.targetId === tabbable ? 0 : -1,
                onclick: () => {
                  selectedTarget = sel === t.targetId ? null : { orderId: o.changeOrderId, serviceId: s.serviceId, targetId: t.targetId };
                  redraw();
                },
              },
              h('span', { class: 'glyph', 'aria-hidden': 'true' }, TASK_GLYPH[t.status] ?? '?'),
              t.targetId,
            ),
          ),
        ),
      ),
      selectedHere ? targetPanel(o, s, selectedHere, targetActions(s.serviceId, selectedHere.targetId), refresh, redraw) : null,
    );
  }

  function targetPanel(o: OrderDetail, s: ServiceView, t: TaskView, actions: ConsoleAction[], refresh: () => Promise<void>, redraw: () => void): HTMLElement {
    const rows: [string, Child][] = [
      ['Status', h('span', { class: `cell t-${t.status}` }, `${TASK_GLYPH[t.status] ?? ''} ${t.status}`)],
      ['From → to', `${t.fromVersion ?? '–'} → ${t.toVersion ?? '–'}`],
      ['Action', t.action],
      ['Attempt', String(t.attempt)],
      ['Started', timeEl(t.startedAt)],
      ['Finished', timeEl(t.finishedAt)],
      ['Health check', t.healthy === undefined ? '–' : t.healthy ? 'passed' : 'failed'],
      ['Message', t.message ?? '–'],
    ];
    const close = () => {
      selectedTarget = null;
      redraw();
      document.querySelector<HTMLElement>(`[data-key="${CSS.escape(`cell-${s.serviceId}-${t.targetId}`)}"]`)?.focus();
    };
    return h(
      'section',
      { class: 'target-panel', 'aria-label': `Target ${t.targetId}`, id: 'target-panel', onkeydown: (e) => (e as KeyboardEvent).key === 'Escape' && close() },
      h('h4', null, `Target ${t.targetId} of ${s.serviceId}`),
      h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
      h(
        'div',
        { class: 'toolbar' },
        actions.map((a) => h('button', { type: 'button', class: a.name === 'retry' ? 'primary' : 'danger', 'data-key': `target-${a.name}`, onclick: () => void runAction(o.changeOrderId, a, refresh) }, `${ACTION_TEXT[a.name].label} ${t.targetId}`)),
        actions.length ? null : h('span', { class: 'muted' }, 'No target action applies now.'),
        h('button', { type: 'button', 'data-key': 'target-close', onclick: close }, 'Close'),
      ),
    );
  }

  function timeline(events: EventView[]): HTMLElement {
    if (events.length === 0) return h('p', { class: 'empty' }, 'No events yet.');
    return scroll(h(
      'table',
      { class: 'timeline' },
      h('caption', { class: 'sr-only' }, 'Audit events, oldest first'),
      h('thead', null, h('tr', null, ['Time', 'Actor', 'Event', 'Where', 'Reason'].map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        null,
        events.map((e) =>
          h(
            'tr',
            null,
            h('td', null, timeEl(e.at)),
            h('td', null, e.actor),
            h('td', null, e.type, e.status ? [' ', badge(e.status)] : null),
            h('td', null, [e.serviceId, e.batch !== undefined ? `batch ${e.batch}` : null, e.targetId].filter(Boolean).join(' · ')),
            h('td', null, e.reason),
          ),
        ),
      ),
    ));
  }

  /** a wide table scrolls on its own instead of widening the page */
  function scroll(table: HTMLElement): HTMLElement {
    return h('div', { class: 'scroll' }, table);
  }

  function reportEl(r: ReportView | null): HTMLElement {
    if (!r) return h('p', { class: 'empty' }, 'No report.');
    const cols = ['succeeded', 'failed', 'skipped', 'cancelled', 'pending', 'running'];
    return h(
      'div',
      null,
      scroll(h(
        'table',
        { class: 'report' },
        h('caption', { class: 'sr-only' }, 'Execution report per service'),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Service'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Started'), h('th', { scope: 'col' }, 'Took'), cols.map((c) => h('th', { scope: 'col', class: 'num' }, c)))),
        h(
          'tbody',
          null,
          r.services.map((s) =>
            h('tr', null, h('td', null, s.serviceId), h('td', null, badge(s.status, s.statusCode)), h('td', null, timeEl(s.startedAt)), h('td', null, s.finishedAt ? duration(s.startedAt, s.finishedAt) : '–'), cols.map((c) => h('td', { class: 'num' }, String(s.targets[c] ?? 0)))),
          ),
        ),
      )),
      r.services
        .filter((s) => s.messages.length)
        .map((s) => h('div', { class: 'card' }, h('h4', null, `${s.serviceId}: messages`), h('ul', null, s.messages.map((m) => h('li', null, m))))),
    );
  }

  // ---- submit a plan ----

  let draft = '';
  let draftKey = '';

  function submitView(): void {
    const editor = h('textarea', { id: 'plan-text', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', 'aria-describedby': 'plan-help', 'data-key': 'plan-text' }) as HTMLTextAreaElement;
    editor.value = draft;
    editor.addEventListener('input', () => {
      draft = editor.value;
      editor.removeAttribute('aria-invalid');
    });
    const file = h('input', { type: 'file', id: 'plan-file', accept: '.yaml,.yml,.json,application/json,application/yaml,text/yaml,text/plain' }) as HTMLInputElement;
    file.addEventListener('change', async () => {
      const f = file.files?.[0];
      if (!f) return;
      editor.value = draft = await f.text();
      result.replaceChildren(h('p', { class: 'muted' }, `Loaded ${f.name} (${f.size} bytes). Run a dry run to check it.`));
    });
    const keyInput = h('input', { type: 'text', id: 'plan-key', autocomplete: 'off', maxlength: 200, 'aria-describedby': 'plan-key-help', value: draftKey }) as HTMLInputElement;
    keyInput.addEventListener('input', () => (draftKey = keyInput.value));
    const result = h('div', { id: 'plan-result' });

    const send = async (dryRun: boolean, button: HTMLButtonElement) => {
      const text = editor.value;
      if (!text.trim()) {
        result.replaceChildren(h('div', { class: 'error', role: 'alert' }, h('p', null, 'The plan is empty: paste a plan or load a file.')));
        editor.focus();
        return;
      }
      const json = /^\s*[[{]/.test(text);
      const headers: Record<string, string> = {};
      if (!dryRun && keyInput.value.trim()) headers['idempotency-key'] = keyInput.value.trim();
      button.disabled = true;
      result.replaceChildren(h('p', { class: 'muted' }, dryRun ? 'Checking…' : 'Submitting…'));
      try {
        const r = await api<DryRunView & { changeOrderId?: string; status?: string; replayed?: boolean }>('POST', `/v1/change-orders${dryRun ? '?dryRun=true' : ''}`, { body: text, contentType: json ? 'application/json' : 'application/yaml', headers });
        editor.removeAttribute('aria-invalid');
        if (dryRun) {
          result.replaceChildren();
          append(result, dryRunEl(r.body));
        } else {
          flash(`Submitted change order ${r.body.changeOrderId}${r.body.replayed ? ' (replayed: this Idempotency-Key was used before)' : ''}.`);
          window.location.hash = orderHref(r.body.changeOrderId ?? '');
        }
      } catch (e) {
        if (e instanceof ApiFailure && e.issues.length) editor.setAttribute('aria-invalid', 'true');
        result.replaceChildren(errorBox(e, dryRun ? 'The plan has problems' : 'The plan was not submitted'));
      } finally {
        button.disabled = false;
      }
    };
    const dryBtn = h('button', { type: 'button', class: 'primary', id: 'plan-dry-run', onclick: () => void send(true, dryBtn as HTMLButtonElement) }, 'Dry run');
    const submitBtn = h('button', { type: 'button', id: 'plan-submit', onclick: () => void send(false, submitBtn as HTMLButtonElement) }, 'Submit');
    main.replaceChildren(
      h('h1', null, 'Submit a plan'),
      h(
        'p',
        { id: 'plan-help', class: 'hint' },
        'An EWS deploy plan (deployPlanItems) or an ESS rolling-update request (TemplateName, Parameters), as YAML or JSON. ',
        'A dry run validates it, lists every problem with its path, and shows the batches each service would run and when the rollout would start; it changes nothing.',
      ),
      h('div', { class: 'field' }, h('label', { for: 'plan-file' }, 'Load a file (YAML or JSON)'), file),
      h('div', { class: 'field' }, h('label', { for: 'plan-text' }, 'Plan (YAML or JSON)'), editor),
      h('div', { class: 'field' }, h('label', { for: 'plan-key' }, 'Idempotency-Key (optional)'), keyInput, h('p', { id: 'plan-key-help', class: 'hint' }, 'Submitting again with the same key returns the same change order instead of starting a second one.')),
      h('div', { class: 'toolbar' }, dryBtn, submitBtn),
      result,
    );
  }

  function dryRunEl(d: DryRunView): Child[] {
    const out: Child[] = [];
    if (d.warnings && d.warnings.length) out.push(h('div', { class: 'warn', role: 'status' }, h('p', null, h('strong', null, 'Warnings'), ' — accepted, but worth a look:'), issuesTable(d.warnings, 'Warnings')));
    if (d.rollbackOf) {
      out.push(h('div', { class: 'card' }, h('h2', null, 'Dry run: nothing was changed'), h('p', null, 'Submitting would roll back change order ', h('a', { href: orderHref(d.rollbackOf), class: 'mono' }, d.rollbackOf), '.')));
      return out;
    }
    const services = d.services ?? [];
    const batches = services.reduce((n, s) => n + s.batches.length, 0);
    const targets = services.reduce((n, s) => n + s.batches.reduce((m, b) => m + b.size, 0), 0);
    out.push(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'dry-title', id: 'dry-run' },
        h('h2', { id: 'dry-title' }, 'Dry run: nothing was changed'),
        h('p', null, `${services.length} service${services.length === 1 ? '' : 's'}, ${batches} batch${batches === 1 ? '' : 'es'}, ${targets} target${targets === 1 ? '' : 's'}. The rollout would start `, timeEl(d.startsAt), '.'),
        d.window
          ? h('p', null, `Rollout window (${d.window.timezone}): allow ${d.window.allow.join(', ') || 'always'}${d.window.deny.length ? `; deny ${d.window.deny.join(', ')}` : ''}. `, d.window.openAtStart ? 'The window is open now.' : ['The window is closed now; it opens ', timeEl(d.window.nextOpenAt), '.'])
          : null,
        services
          .slice()
          .sort((a, b) => b.priority - a.priority)
          .map((s) =>
            h(
              'div',
              { class: 'batch' },
              h('h3', null, s.serviceId, h('span', { class: 'muted' }, `priority ${s.priority} · ${s.deployment}${s.version ? ` · version ${s.version}` : ''} · ${s.containerExecMethod} · ${s.batchPauseOption}`)),
              h(
                'table',
                { class: 'dry' },
                h('caption', { class: 'sr-only' }, `Batches of ${s.serviceId}`),
                h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Batch'), h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col' }, 'Targets'))),
                h('tbody', null, s.batches.map((b) => h('tr', null, h('td', null, `${b.batch} of ${s.batches.length}`), h('td', { class: 'num' }, String(b.size)), h('td', { class: 'mono' }, b.targets.join(', '))))),
              ),
            ),
          ),
        h('p', { class: 'hint' }, 'Submit to start it.'),
      ),
    );
    return out;
  }

  // ---- services ----

  async function servicesView(seq: number): Promise<void> {
    const body = h('div', { id: 'service-list' }, h('p', { class: 'muted' }, 'Loading services…'));
    main.replaceChildren(h('h1', null, 'Services', h('button', { type: 'button', onclick: () => { serviceNames = null; route(); } }, 'Refresh')), body);
    try {
      const list = (await api<{ services: { serviceId: string; description?: string; executor: { type: string }; targets: number; updatedAt?: string }[] }>('GET', '/v1/services')).body.services;
      serviceNames = list.map((s) => s.serviceId);
      const targets = await Promise.all(list.map((s) => api<{ id: string; labels: string[]; version?: string; changeCount: number; running: boolean }[]>('GET', `/v1/services/${encodeURIComponent(s.serviceId)}/targets`).then((r) => r.body).catch(() => null)));
      if (seq !== current()) return;
      if (list.length === 0) {
        body.replaceChildren(h('p', { class: 'empty' }, 'No services are registered. Register one with PUT /v1/services/{serviceId} or define it inline in a plan (service:).'));
        return;
      }
      body.replaceChildren(
        ...list.map((s, i) => {
          const ts = targets[i];
          const versions = ts ? Array.from(new Set(ts.map((t) => t.version ?? '–'))) : [];
          return h(
            'details',
            { class: 'service', open: list.length <= 6, 'data-service': s.serviceId },
            h('summary', null, h('strong', null, s.serviceId), ` — ${s.targets} target${s.targets === 1 ? '' : 's'} · executor ${s.executor.type}${versions.length ? ` · version${versions.length > 1 ? 's' : ''} ${versions.join(', ')}` : ''}${s.description ? ` · ${s.description}` : ''}`),
            h(
              'div',
              null,
              ts
                ? h(
                    'table',
                    null,
                    h('caption', { class: 'sr-only' }, `Targets of ${s.serviceId}`),
                    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Target'), h('th', { scope: 'col' }, 'Labels'), h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col', class: 'num' }, 'Changes'), h('th', { scope: 'col' }, 'Running'))),
                    h('tbody', null, ts.map((t) => h('tr', null, h('td', { class: 'mono' }, t.id), h('td', null, t.labels.join(', ') || '–'), h('td', null, t.version ?? '–'), h('td', { class: 'num' }, String(t.changeCount)), h('td', null, t.running ? 'yes' : 'no')))),
                  )
                : h('p', { class: 'muted' }, 'The targets could not be read.'),
              h('p', { class: 'hint' }, h('a', { href: `#/orders?serviceId=${encodeURIComponent(s.serviceId)}` }, `Change orders of ${s.serviceId}`)),
            ),
          );
        }),
      );
    } catch (e) {
      if (seq === current()) body.replaceChildren(errorBox(e, 'Could not list services'));
    }
  }

  // ---- start ----

  document.getElementById('skip')?.addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  });
  window.addEventListener('hashchange', route);
  renderAuth();
  route();
}
