// An error the fake cloud answers with, in the cloud's shape.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Params = Record<string, string>;

/** `Key.1`, `Key.2`, … (pop-core's flattening of an array), or a plain `Key` */
export function listParam(p: Params, key: string): string[] {
  const out: string[] = [];
  for (let i = 1; p[`${key}.${i}`] !== undefined; i++) out.push(p[`${key}.${i}`]);
  if (out.length === 0 && p[key] !== undefined) out.push(p[key]);
  return out;
}

export function jsonParam<T>(p: Params, key: string): T | undefined {
  if (p[key] === undefined) return undefined;
  try {
    return JSON.parse(p[key]) as T;
  } catch {
    throw new ApiError(400, `InvalidParameter.${key}`, `The specified parameter "${key}" is not valid JSON.`);
  }
}

export const required = (p: Params, key: string): string => {
  const v = p[key];
  if (v === undefined || v === '') throw new ApiError(400, `MissingParameter.${key}`, `The input parameter "${key}" that is mandatory for processing this request is not supplied.`);
  return v;
};
