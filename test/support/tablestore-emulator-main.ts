// `npm run tablestore-emulator`: a local Tablestore for manual runs and the bench. PORT (default 8801),
// TABLESTORE_INSTANCE, TABLESTORE_ACCESS_KEY_ID and TABLESTORE_ACCESS_KEY_SECRET override the defaults;
// SHORT_PAGES=1 makes GetRange return short pages. Prints what a client needs, stops on SIGINT/SIGTERM.

import { startTablestoreEmulator } from './tablestore-emulator.ts';

const port = Number(process.env.PORT ?? 8801);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid PORT: ${process.env.PORT}`);
  process.exit(2);
}

const emulator = await startTablestoreEmulator({
  port,
  instanceName: process.env.TABLESTORE_INSTANCE,
  accessKeyId: process.env.TABLESTORE_ACCESS_KEY_ID,
  accessKeySecret: process.env.TABLESTORE_ACCESS_KEY_SECRET,
  shortPages: process.env.SHORT_PAGES === '1',
});

// a local, throw-away credential: printing it is how a client learns it
console.log(`endpoint=${emulator.endpoint}`);
console.log(`instance=${emulator.instanceName}`);
console.log(`accessKeyId=${emulator.accessKeyId}`);
console.log(`accessKeySecret=${emulator.accessKeySecret}`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  const { operations, rowsRead, rowsWritten } = emulator.stats;
  console.log(`${signal}: stopping (rows read ${rowsRead}, written ${rowsWritten}, requests ${JSON.stringify(operations)})`);
  emulator.close().then(() => process.exit(0), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
