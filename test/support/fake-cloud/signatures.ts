// Request signatures as the cloud checks them, so that the real SDKs are exercised end to end:
// - RPC (ECS, ESS, OOS via @alicloud/pop-core): signature v1.0, HMAC-SHA1 over
//   `METHOD&%2F&encode(sorted, encoded params)` with key `secret&` (platform-facts: pop-core);
// - FC 3.0 (@alicloud/fc20230330 via @alicloud/openapi-core): ACS3-HMAC-SHA256 over the canonical request
//   (method, path, sorted query, x-acs-*/host/content-type headers, signed header list, payload hash);
// - FC 2.0 (@alicloud/fc2): `FC <id>:<base64 HMAC-SHA256>` over method, content-md5, content-type, date,
//   x-fc-* headers and the path.
// Each was written from the SDK's own signing code in node_modules.

import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export type Verdict = { ok: true } | { ok: false; status: number; code: string; message: string };

/** pop-core's percent-encoding (RFC 3986 plus !'()*) */
export const popEncode = (s: string): string =>
  encodeURIComponent(s).replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\*/g, '%2A');

const noKey = (): Verdict => ({ ok: false, status: 404, code: 'InvalidAccessKeyId.NotFound', message: 'Specified access key is not found.' });

function tokenVerdict(creds: Credentials, token: string | undefined): Verdict | undefined {
  if (creds.securityToken && token !== creds.securityToken) return { ok: false, status: 400, code: 'InvalidSecurityToken.Mismatch', message: 'Specified SecurityToken mismatch with the AccessKey.' };
  return undefined;
}

export function verifyRpc(method: string, params: Record<string, string>, creds: Credentials, seenNonces: Set<string>): Verdict {
  if (params.AccessKeyId !== creds.accessKeyId) return noKey();
  const bad = tokenVerdict(creds, params.SecurityToken);
  if (bad) return bad;
  if (params.SignatureMethod !== 'HMAC-SHA1' || params.SignatureVersion !== '1.0') return { ok: false, status: 400, code: 'InvalidParameter.SignatureMethod', message: 'Specified signature method is not supported.' };
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${popEncode(k)}=${popEncode(params[k])}`)
    .join('&');
  const stringToSign = `${method}&${popEncode('/')}&${popEncode(canonical)}`;
  const expected = createHmac('sha1', `${creds.accessKeySecret}&`).update(stringToSign).digest('base64');
  if (params.Signature !== expected) {
    // the cloud's own wording, string to sign included (it carries the AccessKeyId: callers must scrub it)
    return { ok: false, status: 400, code: 'SignatureDoesNotMatch', message: `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}` };
  }
  if (seenNonces.has(params.SignatureNonce)) return { ok: false, status: 400, code: 'SignatureNonceUsed', message: 'Specified signature nonce was used already.' };
  seenNonces.add(params.SignatureNonce);
  return { ok: true };
}

const header = (h: IncomingHttpHeaders, name: string): string => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : (v ?? '');
};

export function verifyAcs3(method: string, rawPath: string, query: URLSearchParams, headers: IncomingHttpHeaders, body: Buffer, creds: Credentials): Verdict {
  const auth = header(headers, 'authorization');
  const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(auth);
  if (!m) return { ok: false, status: 400, code: 'MissingAuthorization', message: 'the Authorization header is missing or malformed' };
  if (m[1] !== creds.accessKeyId) return noKey();
  const bad = tokenVerdict(creds, headers['x-acs-security-token'] as string | undefined);
  if (bad) return bad;
  const payloadHash = createHash('sha256').update(body).digest('hex');
  if (header(headers, 'x-acs-content-sha256') !== payloadHash) return { ok: false, status: 400, code: 'ContentSHA256Mismatch', message: 'x-acs-content-sha256 does not match the body' };
  const signed = m[2].split(';');
  const canonicalQuery = [...query.keys()].sort().map((k) => `${k}=${popEncode(query.get(k) ?? '')}`).join('&');
  const canonicalHeaders = signed.map((h) => `${h}:${header(headers, h).trim()}\n`).join('');
  const canonicalRequest = `${method}\n${rawPath}\n${canonicalQuery}\n${canonicalHeaders}\n${signed.join(';')}\n${payloadHash}`;
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const expected = createHmac('sha256', creds.accessKeySecret).update(stringToSign).digest('hex');
  if (m[3] !== expected) return { ok: false, status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided.' };
  return { ok: true };
}

export function verifyFc2(method: string, rawPath: string, headers: IncomingHttpHeaders, creds: Credentials): Verdict {
  const m = /^FC ([^:]+):(.+)$/.exec(header(headers, 'authorization'));
  if (!m) return { ok: false, status: 401, code: 'MissingAuthorization', message: 'the Authorization header is missing or malformed' };
  if (m[1] !== creds.accessKeyId) return { ok: false, status: 403, code: 'InvalidAccessKeyID', message: `access key id ${m[1].slice(0, 4)}*** does not exist` };
  const fcHeaders = Object.keys(headers)
    .filter((k) => k.startsWith('x-fc-'))
    .sort()
    .map((k) => `${k}:${header(headers, k)}\n`)
    .join('');
  const stringToSign = `${method}\n${header(headers, 'content-md5')}\n${header(headers, 'content-type')}\n${header(headers, 'date')}\n${fcHeaders}${rawPath}`;
  const expected = createHmac('sha256', creds.accessKeySecret).update(stringToSign, 'utf8').digest('base64');
  if (m[2] !== expected) return { ok: false, status: 403, code: 'SignatureNotMatch', message: 'the request signature does not match' };
  return { ok: true };
}
