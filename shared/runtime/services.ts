// Registered services and their targets. A re-registration replaces the service's configuration and
// labels but never a target's live state: its version and changeCount belong to the fleet.

import { parseDocument } from '../plan/parse.ts';
import { serviceFromRegistration } from '../plan/resolve.ts';
import { validateServiceRegistration, type ServiceRegistration } from '../plan/schema.ts';
import type { ServiceRecord, TargetRecord } from '../store/store.ts';
import { AppError } from './errors.ts';
import type { Runtime } from './runtime.ts';

export async function registerService(rt: Runtime, id: string, text: string, contentType?: string): Promise<{ created: boolean; service: ReturnType<typeof serviceView> }> {
  const parsed = parseDocument(text, contentType);
  if (!parsed.ok) throw new AppError(400, 'InvalidService', describe(parsed.issues), parsed.issues);
  const valid = validateServiceRegistration(parsed.value);
  if (!valid.ok) throw new AppError(400, 'InvalidService', describe(valid.issues), valid.issues);
  const { created, record } = await upsertService(rt, id, valid.registration);
  return { created, service: serviceView(record, await rt.store.listTargets(id)) };
}

/** stores a validated registration (PUT, or a plan's inline `service:`), keeping each known target's live state */
export async function upsertService(rt: Runtime, id: string, registration: ServiceRegistration): Promise<{ created: boolean; record: ServiceRecord }> {
  const now = rt.now();
  const existing = await rt.store.getService(id);
  const { service, targets } = serviceFromRegistration(id, registration, now);
  const record: ServiceRecord = { ...service, createdAt: existing?.createdAt ?? now, updatedAt: now };
  const live = new Map((await rt.store.listTargets(id)).map((t) => [t.id, t]));
  await rt.store.putTargets(
    id,
    targets.map((t) => {
      const had = live.get(t.id);
      return had ? { id: t.id, labels: t.labels, version: had.version, changeCount: had.changeCount, state: had.state } : t;
    }),
  );
  await rt.store.putService(record);
  return { created: !existing, record };
}

export async function listServices(rt: Runtime) {
  const services = await rt.store.listServices();
  return Promise.all(services.map(async (s) => serviceView(s, await rt.store.listTargets(s.id))));
}

export async function getService(rt: Runtime, id: string) {
  const s = await rt.store.getService(id);
  if (!s) throw new AppError(404, 'NotFound', `service ${id} is not registered`);
  return serviceView(s, await rt.store.listTargets(id));
}

export async function deleteService(rt: Runtime, id: string): Promise<void> {
  const holder = await rt.store.getScope(`service:${id}`);
  if (holder) throw new AppError(409, 'ScopeLocked', `service ${id} is in use by active change order ${holder.orderId}`, undefined, { holder: holder.orderId, scope: `service:${id}` });
  if (!(await rt.store.deleteService(id))) throw new AppError(404, 'NotFound', `service ${id} is not registered`);
}

/** GET /v1/services/{id}/targets: [{id, labels, version, changeCount}] */
export async function listTargets(rt: Runtime, id: string) {
  if (!(await rt.store.getService(id))) throw new AppError(404, 'NotFound', `service ${id} is not registered`);
  return (await rt.store.listTargets(id)).map(targetView);
}

const targetView = (t: TargetRecord) => ({ id: t.id, labels: t.labels, version: t.version, changeCount: t.changeCount, running: (t.state as { running?: boolean }).running !== false });

function serviceView(s: ServiceRecord, targets: TargetRecord[]) {
  return { serviceId: s.id, description: s.description, executor: s.executor, defaults: s.defaults, targets: targets.length, createdAt: new Date(s.createdAt).toISOString(), updatedAt: new Date(s.updatedAt).toISOString() };
}

function describe(issues: { path: string; message: string }[]): string {
  return `the service definition has ${issues.length} problem(s): ${issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`).join('; ')}`;
}
