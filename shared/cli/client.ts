// A tiny fetch wrapper for the changeflow API. It only knows HTTP: JSON in, JSON out, and the API's error
// shape (SPEC §4) turned into an ApiError, so commands never look at status codes themselves.

export interface Issue {
  path: string;
  message: string;
}

/** the server answered with an error body: `{"error": {"code", "message", "issues"?}}` */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
  }
}

/** the server could not be reached (refused, reset, DNS, timeout): worth retrying, unlike an ApiError */
export class ConnectionError extends Error {}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** a value to send as JSON */
  json?: unknown;
  /** raw text to send as is, with its content type (plans and service definitions: YAML or JSON) */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Reply<T> {
  status: number;
  /** undefined for an empty body (204) */
  body: T;
}

export type Client = <T = unknown>(method: string, path: string, opts?: RequestOptions) => Promise<Reply<T>>;

// A hung server must not hang a script forever; 30 s is far beyond any API call's normal latency.
const TIMEOUT_MS = 30_000;

export function createClient(baseUrl: string, token?: string): Client {
  const base = baseUrl.replace(/\/+$/, '');
  return async (method, path, opts = {}) => {
    const url = new URL(base + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] = 'application/json';
    } else if (opts.text !== undefined) {
      body = opts.text;
      headers['content-type'] = opts.contentType ?? 'application/yaml';
    }

    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (e) {
      // fetch hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`; the URL is shown without any userinfo
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = (e as Error).name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000}s` : (cause?.code ?? cause?.message ?? (e as Error).message);
      throw new ConnectionError(`cannot reach ${url.origin}: ${why}`);
    }

    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // a proxy or load balancer may answer with HTML; keep the start of it for the message
        if (!res.ok) throw new ApiError(res.status, `HTTP${res.status}`, text.slice(0, 200).trim() || res.statusText);
        throw new ApiError(res.status, 'InvalidResponse', `the server answered ${method} ${path} with a body that is not JSON`);
      }
    }
    if (!res.ok) {
      const err = (parsed as { error?: { code?: string; message?: string; issues?: Issue[] } } | undefined)?.error;
      throw new ApiError(res.status, err?.code ?? `HTTP${res.status}`, err?.message ?? res.statusText, Array.isArray(err?.issues) ? err.issues : []);
    }
    return { status: res.status, body: parsed as never };
  };
}

/** the stderr lines for an API error: `error <code>: <message>` then one line per issue */
export function describeApiError(err: ApiError): string[] {
  return [`error ${err.code}: ${err.message}`, ...err.issues.map((i) => `  ${i.path}: ${i.message}`)];
}
