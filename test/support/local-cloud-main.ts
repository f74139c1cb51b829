// `npm run local:cloud`: changeflow's cloud mode on this machine — the four FC handlers behind an HTTP
// trigger, asynchronous invocations with FC's retries, a timer, and the Tablestore emulator as store.

import { startLocalCloud } from './local-cloud.ts';

const cloud = await startLocalCloud({ tickMs: Number(process.env.CHANGEFLOW_TICK_MS ?? 2000), log: (m) => console.error(m) });
console.log(`changeflow (cloud mode, local) is running
  API (FC HTTP trigger):   ${cloud.apiUrl}
  FC InvokeFunction API:   ${cloud.fc.fcEndpoint}
  Tablestore (emulator):   ${cloud.emulator.endpoint}  instance ${cloud.emulator.instanceName}
  API token:               ${cloud.apiToken}   (send Authorization: Bearer <token>; the CLI reads CHANGEFLOW_TOKEN)

Try:
  curl -s -X PUT ${cloud.apiUrl}/v1/services/web -H 'authorization: Bearer ${cloud.apiToken}' -H 'content-type: application/json' \\
    -d '{"executor":{"type":"simulated","latencyMs":200},"targets":[{"id":"web-1","version":"1.0"},{"id":"web-2","version":"1.0"}]}'
  CHANGEFLOW_URL=${cloud.apiUrl} CHANGEFLOW_TOKEN=${cloud.apiToken} npx changeflow submit events/demo-plan.yaml --dry-run
Stop with Ctrl-C.`);

const stop = async () => {
  await cloud.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
