// `npm start`: the local server, ticker and SQLite store, with the demo fleet registered if absent.

import { consoleLogger } from '../runtime/runtime.ts';
import { startLocal } from './app.ts';
import { localConfig } from './config.ts';
import { ensureDemoFleet } from './demo-fleet.ts';

const quiet = process.env.CHANGEFLOW_LOG !== 'debug';
const log = quiet ? { ...consoleLogger, info() {} } : consoleLogger;
const config = localConfig();
const app = await startLocal({ ...config, log });
const added = await ensureDemoFleet(app.rt);

console.log(`changeflow is running at ${app.url}  (data: ${config.dataDir}, store: sqlite)`);
if (added.length) console.log(`registered the demo fleet: ${added.join(', ')}`);
console.log(`
Try next (in another terminal):
  npx changeflow services
  npx changeflow submit events/demo-plan.yaml --dry-run
  npx changeflow submit events/demo-plan.yaml --watch
or with curl:
  curl -s ${app.url}/v1/services
  curl -s -X POST --data-binary @events/demo-plan.yaml -H 'content-type: application/yaml' ${app.url}/v1/change-orders
Stop with Ctrl-C.`);

let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  await app.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
