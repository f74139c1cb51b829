// Errors that carry their HTTP meaning, raised by the runtime and mapped to JSON by the API.

export interface IssueLike {
  path: string;
  message: string;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: IssueLike[],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** executors and SDKs put signed URLs and keys in error messages: keep them out of logs and responses */
export function redact(message: string): string {
  return message
    .replace(/(AccessKeyId|SecurityToken|Signature|access_key_id|accessKeySecret|token|secret|password)=([^&\s"]+)/gi, '$1=***')
    .replace(/https?:\/\/[^\s"]*\?[^\s"]*/g, (url) => url.split('?')[0] + '?***')
    .slice(0, 2000);
}
