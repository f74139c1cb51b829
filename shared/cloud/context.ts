// What FC hands a Node.js handler: the event as a Buffer and a context with the role's STS credentials.

export interface FcCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface FcContext {
  requestId: string;
  credentials?: FcCredentials;
  function?: { name: string; handler?: string; memory?: number; timeout?: number };
  region?: string;
  accountId?: string;
  retryCount?: number;
  logger?: { info(...a: unknown[]): void; warn(...a: unknown[]): void; error(...a: unknown[]): void };
}

export function parseEvent(event: Buffer | string | object): unknown {
  if (Buffer.isBuffer(event)) return JSON.parse(event.toString('utf8') || '{}');
  if (typeof event === 'string') return JSON.parse(event || '{}');
  return event;
}

/** the role's credentials from the context, else from the variables FC sets; never from code */
export function credentialsOf(ctx: FcContext, env: NodeJS.ProcessEnv = process.env): FcCredentials {
  const c = ctx.credentials;
  if (c?.accessKeyId && c.accessKeySecret) return c;
  const id = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const secret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!id || !secret) throw new Error('no credentials: give the function a role (s.yaml `role`)');
  return { accessKeyId: id, accessKeySecret: secret, securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN };
}
