// Deterministic identifiers: the same request always names the same record, so a retried step finds
// what its first try wrote instead of writing it again.

/** the one linked rollback order of a change order */
export const rollbackIdFor = (orderId: string): string => `${orderId}-rollback`;

/** the idempotency key an executor receives for one attempt of one task */
export const attemptKey = (orderId: string, taskKey: string, attempt: number): string => `${orderId}/${taskKey}/${attempt}`;

/** event sequence numbers sort by the head version that produced them, then by position */
export const eventSeq = (version: number, index: number): string => `${String(version).padStart(10, '0')}.${String(index).padStart(4, '0')}`;
