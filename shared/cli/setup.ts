// `changeflow setup`: creates the Tablestore tables a cloud deployment uses (they are also created on
// first use). Credentials only from the environment, never from flags (they would end up in shell history).

import { setupTablestore } from '../store/tablestore.ts';
import { UsageError } from './usage.ts';

export async function setupTables(o: { endpoint?: string; instance?: string; tablePrefix?: string }, env: NodeJS.ProcessEnv = process.env) {
  const endpoint = o.endpoint ?? env.CHANGEFLOW_TABLESTORE_ENDPOINT;
  const instanceName = o.instance ?? env.CHANGEFLOW_TABLESTORE_INSTANCE;
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!endpoint || !instanceName) throw new UsageError('give --endpoint and --instance (or CHANGEFLOW_TABLESTORE_ENDPOINT / CHANGEFLOW_TABLESTORE_INSTANCE)');
  if (!accessKeyId || !accessKeySecret) throw new UsageError('set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET');
  return setupTablestore({ endpoint, instanceName, accessKeyId, accessKeySecret, securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN, tablePrefix: o.tablePrefix ?? env.CHANGEFLOW_TABLE_PREFIX ?? 'changeflow_' });
}
