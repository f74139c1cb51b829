// Configuration of the local runtime, from the environment.

import { resolve } from 'node:path';

export interface LocalConfig {
  dataDir: string;
  host: string;
  port: number;
  tickMs: number;
}

export function localConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const port = Number(env.PORT ?? 9000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  const tickMs = Number(env.CHANGEFLOW_TICK_MS ?? 1000);
  if (!Number.isFinite(tickMs) || tickMs < 10) throw new Error(`CHANGEFLOW_TICK_MS must be at least 10, not "${env.CHANGEFLOW_TICK_MS}"`);
  return { dataDir: resolve(env.CHANGEFLOW_DATA_DIR ?? '.changeflow'), host: env.CHANGEFLOW_HOST ?? '127.0.0.1', port, tickMs };
}
