// Helpers for the security suites: raw HTTP requests with a hard timeout (bytes in, text out, nothing
// re-encoded on the way), the check every answer must pass, and snapshots of what a refused request must
// not change.

import { expect } from 'vitest';
import type { TestServer } from '../support/local-server.ts';

export interface RawReply {
  status: number;
  text: string;
  /** the parsed body; undefined when empty; the text itself when it is not JSON */
  json: any;
  ms: number;
}

/** One request, as bytes. A request that takes longer than `timeoutMs` fails the test ("never a hang"). */
export async function send(
  base: string,
  method: string,
  path: string,
  body?: string | Uint8Array,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<RawReply> {
  const t0 = performance.now();
  let res: Response;
  try {
    res = await fetch(base + path, { method, body: body as BodyInit | undefined, headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new Error(`${method} ${path.slice(0, 120)}: no answer within ${timeoutMs} ms (${(e as Error).name}: ${(e as Error).message})`);
  }
  const text = await res.text();
  let json: any = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
  }
  return { status: res.status, text, json, ms: performance.now() - t0 };
}

/**
 * What every answer must be: a 2xx with a JSON body (or an empty 204), or a 4xx whose body is
 * `{error: {code, message, issues?: [{path, message}]}}` with a non-empty code and message. Never a 5xx.
 * Returns what is wrong, or undefined.
 */
export function problemWith(r: RawReply): string | undefined {
  const show = `${r.status} ${r.text.slice(0, 300)}`;
  if (r.status >= 500) return `server error: ${show}`;
  if (r.status >= 200 && r.status < 300) {
    if (r.status === 204) return r.text === '' ? undefined : `204 with a body: ${show}`;
    return typeof r.json === 'object' && r.json !== null ? undefined : `2xx without a JSON body: ${show}`;
  }
  if (r.status < 400) return `unexpected status: ${show}`;
  const e = r.json?.error;
  if (typeof r.json !== 'object' || r.json === null || typeof e !== 'object' || e === null) return `4xx without {error}: ${show}`;
  if (typeof e.code !== 'string' || e.code === '') return `4xx without error.code: ${show}`;
  if (typeof e.message !== 'string' || e.message.trim() === '') return `4xx without error.message: ${show}`;
  if (e.issues !== undefined) {
    if (!Array.isArray(e.issues)) return `error.issues is not a list: ${show}`;
    for (const i of e.issues) {
      if (typeof i !== 'object' || i === null || typeof i.path !== 'string' || typeof i.message !== 'string' || i.message === '') {
        return `an issue without path/message strings: ${JSON.stringify(i).slice(0, 200)}`;
      }
    }
  }
  return undefined;
}

export function expectWellFormed(r: RawReply, what: string): void {
  const p = problemWith(r);
  if (p) throw new Error(`${what}: ${p}`);
}

// ---- prototype pollution --------------------------------------------------------------------------------

const PROTOTYPES = { Object: Object.prototype, Array: Array.prototype, Function: Function.prototype, String: String.prototype };

export function prototypeSnapshot(): Record<string, string[]> {
  return Object.fromEntries(Object.entries(PROTOTYPES).map(([k, p]) => [k, Reflect.ownKeys(p).map(String).sort()]));
}

/** the server runs in this process: a polluted prototype would show here */
export function expectUnpolluted(before: Record<string, string[]>): void {
  expect(prototypeSnapshot()).toEqual(before);
  const probe: Record<string, unknown> = {};
  for (const key of ['polluted', 'isAdmin', 'batch', 'rollback', 'status', 'executor', 'type']) {
    if (probe[key] !== undefined) throw new Error(`Object.prototype.${key} is set: ${String(probe[key])}`);
  }
}

// ---- what a refused request must not change ----------------------------------------------------------

export interface StoreView {
  /** the ids of the newest orders (a new order would show first) */
  orders: string[];
  services: string[];
  scopes: Record<string, string | undefined>;
}

export async function storeView(s: TestServer, scopes: string[], limit = 200): Promise<StoreView> {
  const orders = await s.api('GET', `/v1/change-orders?limit=${limit}`);
  // services and locks straight from the store: GET /v1/services returns every executor configuration in
  // full, which a fuzzed (valid) inline service can make large
  const services = (await s.app.rt.store.listServices()).map((x) => x.id).sort();
  const held: Record<string, string | undefined> = {};
  for (const scope of scopes) held[scope] = (await s.app.rt.store.getScope(scope))?.orderId;
  return { orders: orders.body.changeOrders.map((o: { changeOrderId: string }) => o.changeOrderId), services, scopes: held };
}

// ---- bytes ---------------------------------------------------------------------------------------------

export const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/** byte sequences that are not UTF-8: a lone continuation, overlong forms, surrogates, 0xFE/0xFF, truncations */
export const INVALID_UTF8: number[][] = [
  [0x80],
  [0xbf],
  [0xc3, 0x28],
  [0xa0, 0xa1],
  [0xe2, 0x28, 0xa1],
  [0xe2, 0x82, 0x28],
  [0xf0, 0x28, 0x8c, 0xbc],
  [0xf0, 0x90, 0x28, 0xbc],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
  [0xe4, 0xb8],
  [0xf0, 0x9f, 0x98],
];

export function splice(bytes: Uint8Array, at: number, insert: number[], remove = 0): Uint8Array {
  const i = Math.min(at, bytes.length);
  const out = new Uint8Array(bytes.length - Math.min(remove, bytes.length - i) + insert.length);
  out.set(bytes.subarray(0, i), 0);
  out.set(insert, i);
  out.set(bytes.subarray(Math.min(bytes.length, i + remove)), i + insert.length);
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
