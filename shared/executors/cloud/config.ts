// Where a cloud executor finds its region, endpoints and credentials. Credentials come only from the
// runtime (the function's role in FC, ALIBABA_CLOUD_ACCESS_KEY_* locally), never from a plan or a service.

import { createHash } from 'node:crypto';
import type { ServiceRecord } from '../../store/store.ts';
import type { CloudCredentials, CloudProduct, ExecutorDeps } from '../executor.ts';

/** The fields every cloud executor's service configuration may carry (see plan/service.ts). */
export interface CloudServiceConfig {
  type: string;
  regionId?: string;
  /** one endpoint for every product (a fake cloud), or per product */
  endpoint?: string;
  endpoints?: Partial<Record<CloudProduct, string>>;
  /** how often a running change is polled */
  pollMs?: number;
}

export const DEFAULT_REGION = 'cn-hangzhou';

export const regionOf = (config: CloudServiceConfig, env: NodeJS.ProcessEnv = process.env): string =>
  config.regionId ?? (env.CHANGEFLOW_REGION || DEFAULT_REGION);

/** The vendor's public endpoints. OOS's regional host is unverified; FC needs the account id. */
function defaultEndpoint(product: CloudProduct, region: string, accountId?: string): string {
  switch (product) {
    case 'ecs':
      return `https://ecs.${region}.aliyuncs.com`;
    case 'ess':
      return 'https://ess.aliyuncs.com';
    case 'oos':
      return `https://oos.${region}.aliyuncs.com`;
    case 'fc':
      if (!accountId) throw new Error('fc-alias needs accountId in the service configuration (or ALIBABA_CLOUD_ACCOUNT_ID) to reach FC');
      return `https://${accountId}.${region}.fc.aliyuncs.com`;
  }
}

/** service config per product, then one endpoint for all, then the runtime's overrides, then the environment, then the vendor's */
export function endpointOf(product: CloudProduct, config: CloudServiceConfig & { accountId?: string }, deps: ExecutorDeps, env: NodeJS.ProcessEnv = process.env): string {
  return (
    config.endpoints?.[product] ??
    config.endpoint ??
    deps.endpoints?.[product] ??
    (env[`CHANGEFLOW_${product.toUpperCase()}_ENDPOINT`] || env.CHANGEFLOW_CLOUD_ENDPOINT || undefined) ??
    defaultEndpoint(product, regionOf(config, env), config.accountId ?? (env.ALIBABA_CLOUD_ACCOUNT_ID || undefined))
  );
}

export function credentialsOf(deps: ExecutorDeps, env: NodeJS.ProcessEnv = process.env): CloudCredentials {
  const c = deps.credentials?.();
  if (c?.accessKeyId && c.accessKeySecret) return c;
  const id = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const secret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!id || !secret) throw new Error('no cloud credentials: run with a role (FC) or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET');
  return { accessKeyId: id, accessKeySecret: secret, securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN || undefined };
}

/** production default 3 s; CHANGEFLOW_CLOUD_POLL_MS for a fast fake cloud */
export const pollMsOf = (config: CloudServiceConfig, env: NodeJS.ProcessEnv = process.env): number =>
  config.pollMs ?? (Number(env.CHANGEFLOW_CLOUD_POLL_MS) || 3000);

export const cloudConfig = (service: ServiceRecord): CloudServiceConfig => service.executor as CloudServiceConfig;

/** a ClientToken (ASCII, ≤ 64 characters) derived from an attempt key: the same attempt, the same token */
export const clientToken = (key: string, call = ''): string => createHash('sha256').update(`${key}#${call}`).digest('hex').slice(0, 40);
