// `changeflow setup` creates the Tablestore tables, through the real SDK against the emulator.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTablestoreEmulator, type TablestoreEmulator } from '../support/tablestore-emulator.ts';

const run = promisify(execFile);
const bin = new URL('../../bin/changeflow.mjs', import.meta.url).pathname;
let emu: TablestoreEmulator;
beforeAll(async () => {
  emu = await startTablestoreEmulator();
});
afterAll(async () => emu?.close());

it('creates the tables once, reports them already there the second time, and never prints the secret', async () => {
  const env = { ...process.env, CHANGEFLOW_TABLESTORE_ENDPOINT: emu.endpoint, CHANGEFLOW_TABLESTORE_INSTANCE: emu.instanceName, ALIBABA_CLOUD_ACCESS_KEY_ID: emu.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: emu.accessKeySecret };
  const first = await run(process.execPath, [bin, 'setup', '--json', '--table-prefix', 'setup_'], { env, timeout: 30_000 });
  const created = JSON.parse(first.stdout);
  expect(created.created.length).toBeGreaterThanOrEqual(8);
  expect(created.created.every((t: string) => t.startsWith('setup_'))).toBe(true);
  const second = await run(process.execPath, [bin, 'setup', '--table-prefix', 'setup_'], { env, timeout: 30_000 });
  expect(second.stdout).toContain('created: none');
  expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toContain(emu.accessKeySecret);
  const bad = await run(process.execPath, [bin, 'setup'], { env: { ...env, ALIBABA_CLOUD_ACCESS_KEY_SECRET: '' }, timeout: 30_000 }).catch((e) => e);
  expect(bad.code).toBe(64);
}, 60_000);
