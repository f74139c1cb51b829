// Cloud mode on one machine: the Tablestore emulator as the store, the FC harness running the four real
// handlers (HTTP trigger, async invocations with FC's retries, the timer). Used by tests, the bench and
// `npm run local:cloud`.

import { randomBytes } from 'node:crypto';
import { handler as alarm } from '../../functions/alarm/index.ts';
import { handler as api } from '../../functions/api/index.ts';
import { handler as ticker } from '../../functions/ticker/index.ts';
import { handler as worker } from '../../functions/worker/index.ts';
import { cloudRuntime, type CloudRuntime } from '../../shared/cloud/runtime.ts';
import { startFcHarness, type FcHarness, type HarnessOptions } from './fc-harness.ts';
import { startTablestoreEmulator, type TablestoreEmulator } from './tablestore-emulator.ts';

export interface LocalCloud {
  /** the bearer token the API function requires (CHANGEFLOW_API_TOKEN) */
  apiToken: string;
  emulator: TablestoreEmulator;
  fc: FcHarness;
  apiUrl: string;
  /** the runtime the handlers share in this process (its store's counters are the adapter's) */
  runtime(): Promise<CloudRuntime>;
  close(): Promise<void>;
}

export async function startLocalCloud(opts: { apiToken?: string; tickMs?: number; leaseMs?: number; drop?: (n: number) => boolean; tablePrefix?: string; log?: (m: string) => void } & Pick<HarnessOptions, 'maxAsyncRetryAttempts' | 'workerTimeoutSeconds'> = {}): Promise<LocalCloud> {
  const emulator = await startTablestoreEmulator();
  const apiToken = opts.apiToken ?? process.env.CHANGEFLOW_API_TOKEN ?? randomBytes(18).toString('base64url');
  const credentials = { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret };
  const fc = await startFcHarness({
    handlers: { api, worker, ticker, alarm },
    credentials,
    tickMs: opts.tickMs ?? 1000,
    drop: opts.drop,
    maxAsyncRetryAttempts: opts.maxAsyncRetryAttempts,
    workerTimeoutSeconds: opts.workerTimeoutSeconds,
    log: opts.log,
  });
  // what s.yaml's environmentVariables give the functions in the cloud
  Object.assign(process.env, {
    CHANGEFLOW_TABLESTORE_ENDPOINT: emulator.endpoint,
    CHANGEFLOW_TABLESTORE_INSTANCE: emulator.instanceName,
    CHANGEFLOW_TABLE_PREFIX: opts.tablePrefix ?? 'changeflow_',
    CHANGEFLOW_FC_ENDPOINT: fc.fcEndpoint,
    CHANGEFLOW_WORKER_FUNCTION: 'changeflow-worker',
    CHANGEFLOW_LEASE_MS: String(opts.leaseMs ?? 30_000),
    CHANGEFLOW_API_TOKEN: apiToken,
  });
  const ctx = { requestId: 'local', credentials, region: 'cn-hangzhou', accountId: '1234567890' };
  return {
    apiToken,
    emulator,
    fc,
    apiUrl: fc.apiUrl,
    runtime: () => cloudRuntime(ctx),
    async close() {
      await fc.close();
      await emulator.close();
    },
  };
}
