// The stores a seed runs on, alternating by seed: SQLite in memory, and the Tablestore adapter through the
// real SDK against the wire-level emulator (one emulator per process, emptied between seeds).

import { openSqliteStore } from '../../shared/store/sqlite.ts';
import type { Store } from '../../shared/store/store.ts';
import { openTablestoreStore } from '../../shared/store/tablestore.ts';
import { startTablestoreEmulator, type TablestoreEmulator } from '../support/tablestore-emulator.ts';

export type StoreKind = 'sqlite' | 'tablestore';
export type OpenStore = () => Promise<{ store: Store; close: () => Promise<void> }>;

export const kindFor = (seed: number): StoreKind => (seed % 2 === 0 ? 'sqlite' : 'tablestore');

export const sqliteMemory: OpenStore = async () => {
  const store = openSqliteStore({ path: ':memory:' });
  return { store, close: () => store.close() };
};

let emulator: Promise<TablestoreEmulator> | undefined;

export const tablestoreEmulated: OpenStore = async () => {
  const emu = await (emulator ??= startTablestoreEmulator());
  emu.clear();
  const store = await openTablestoreStore({ endpoint: emu.endpoint, instanceName: emu.instanceName, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret, tablePrefix: 'sim_', maxRetries: 0 });
  return { store, close: () => store.close() };
};

export const openerOf = (kind: StoreKind): OpenStore => (kind === 'sqlite' ? sqliteMemory : tablestoreEmulated);
export const openerFor = (seed: number): OpenStore => openerOf(kindFor(seed));

/** stops the shared emulator, if a seed started it */
export async function closeStores(): Promise<void> {
  const e = emulator;
  emulator = undefined;
  if (e) await (await e).close();
}
