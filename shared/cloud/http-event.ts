// FC 3.0 HTTP trigger events ⇄ web Request/Response, so the same Hono route table serves FC and the
// local server. (hono-alibaba-cloud-fc3-adapter crashes in plain Node; this is the whole adapter.)

export interface FcHttpEvent {
  version?: string;
  rawPath: string;
  body?: string;
  isBase64Encoded?: boolean;
  headers?: Record<string, string>;
  queryParameters?: Record<string, string>;
  requestContext?: { http?: { method?: string; path?: string; sourceIp?: string }; requestId?: string; domainName?: string; time?: string; timeEpoch?: string };
}

export interface FcHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

export function isHttpEvent(e: unknown): e is FcHttpEvent {
  return typeof e === 'object' && e !== null && typeof (e as FcHttpEvent).rawPath === 'string';
}

export function toRequest(e: FcHttpEvent): Request {
  const method = (e.requestContext?.http?.method ?? 'GET').toUpperCase();
  const host = e.headers?.host ?? e.headers?.Host ?? e.requestContext?.domainName ?? 'fc.invalid';
  // rawPath arrives URL-encoded; query parameters arrive decoded (repeated keys comma-joined)
  const url = new URL(`https://${host}${e.rawPath.startsWith('/') ? '' : '/'}${e.rawPath}`);
  for (const [k, v] of Object.entries(e.queryParameters ?? {})) url.searchParams.set(k, v);
  const headers = new Headers();
  for (const [k, v] of Object.entries(e.headers ?? {})) if (typeof v === 'string') headers.set(k, v);
  const hasBody = method !== 'GET' && method !== 'HEAD' && e.body !== undefined && e.body !== '';
  const body = hasBody ? (e.isBase64Encoded ? Buffer.from(e.body!, 'base64') : Buffer.from(e.body!, 'utf8')) : undefined;
  return new Request(url, { method, headers, body });
}

const TEXTUAL = /^(text\/|application\/(json|yaml|x-yaml|javascript|xml)|image\/svg)/;

export async function toFcResponse(res: Response): Promise<FcHttpResponse> {
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  const buf = Buffer.from(await res.arrayBuffer());
  const textual = TEXTUAL.test(headers['content-type'] ?? 'text/plain');
  return { statusCode: res.status, headers, body: textual ? buf.toString('utf8') : buf.toString('base64'), isBase64Encoded: !textual };
}
