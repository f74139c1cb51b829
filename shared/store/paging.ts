// Paging shared by the adapters: the opaque cursor of listOrders (created_at and id of the last order
// returned) and the check of a page size.

export type Cursor = { c: number; i: string };

export const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');

export function decodeCursor(cursor: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Cursor> | null;
    if (c && typeof c.c === 'number' && Number.isSafeInteger(c.c) && typeof c.i === 'string') return { c: c.c, i: c.i };
  } catch {
    // reported below, as for any other malformed cursor
  }
  throw new Error(`invalid cursor: ${JSON.stringify(cursor)}`);
}

export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  return limit;
}
