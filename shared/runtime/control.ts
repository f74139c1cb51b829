// Commands and queries on change orders and services, shared by the HTTP API and (through it) the CLI.

import { isTerminal } from '../engine/types.ts';
import type { Input, Reply } from '../engine/io.ts';
import { AppError } from './errors.ts';
import type { Runtime } from './runtime.ts';

const HTTP_FOR: Record<Extract<Reply, { ok: false }>['error'], number> = {
  InvalidState: 409,
  BatchMismatch: 409,
  TaskState: 409,
  RollbackNotAllowed: 409,
  TargetNotFound: 404,
  TargetAmbiguous: 400,
};

export async function command(rt: Runtime, orderId: string, input: Input): Promise<Extract<Reply, { ok: true }>> {
  const before = await rt.store.getOrder(orderId);
  if (!before) throw new AppError(404, 'NotFound', `change order ${orderId} does not exist`);
  const [reply] = await rt.dispatcher.call(orderId, [input]);
  if (!reply) throw new AppError(404, 'NotFound', `change order ${orderId} does not exist`);
  if (!reply.ok) {
    const now = await rt.store.getOrder(orderId);
    throw new AppError(HTTP_FOR[reply.error], reply.error, reply.message, undefined, { status: now?.head.status });
  }
  return reply;
}

export async function deleteOrder(rt: Runtime, orderId: string): Promise<void> {
  const rec = await rt.store.getOrder(orderId);
  if (!rec) throw new AppError(404, 'NotFound', `change order ${orderId} does not exist`);
  if (!isTerminal(rec.head.status)) throw new AppError(409, 'InvalidState', `only a finished change order can be deleted; ${orderId} is ${rec.head.status}`, undefined, { status: rec.head.status });
  if (rec.head.finalizedAt === undefined) throw new AppError(409, 'InvalidState', `${orderId} is still running its finalizers; try again in a moment`, undefined, { status: rec.head.status });
  await rt.store.deleteOrder(orderId);
  rt.cache.delete(orderId);
}
