import { ErrorCode, PaygridError } from './errors';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export interface PageRequest {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** Cursors are opaque to clients; inside they are the id of the last node (ids sort by time). */
export function encodeCursor(id: string): string {
  return Buffer.from(`c:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('c:') || text.length < 3) throw new PaygridError(ErrorCode.INVALID_INPUT, 'after', 'The cursor is not valid.');
  return text.slice(2);
}

/**
 * The one pagination helper: newest first, keyset on `id`. `fetch` gets the id to start below (or
 * null) and a limit one larger than the page, so that the extra row tells whether there is more.
 */
export async function paginate<T extends { id: string }>(
  request: PageRequest,
  fetch: (beforeId: string | null, limit: number) => Promise<T[]>,
): Promise<Page<T>> {
  const { size, beforeId } = pageWindow(request);
  return pageOf(await fetch(beforeId, size + 1), size);
}

/** The checked page size and the id to start below. */
function pageWindow(request: PageRequest): { size: number; beforeId: string | null } {
  const size = request.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new PaygridError(ErrorCode.INVALID_INPUT, 'first', `first must be between 1 and ${MAX_PAGE_SIZE}.`);
  }
  return { size, beforeId: request.after ? decodeCursor(request.after) : null };
}

function pageOf<T extends { id: string }>(rows: T[], size: number): Page<T> {
  const nodes = rows.slice(0, size);
  return {
    nodes,
    hasNextPage: rows.length > size,
    endCursor: nodes.length ? encodeCursor(nodes[nodes.length - 1].id) : null,
  };
}

/**
 * `paginate` for several lists at once (one page each, e.g. the payments of each account of a page
 * of accounts): `fetch` returns up to `limit` rows per key in one go.
 */
export async function paginateEach<T extends { id: string }>(
  request: PageRequest,
  keys: readonly string[],
  fetch: (beforeId: string | null, limit: number) => Promise<Map<string, T[]>>,
): Promise<Map<string, Page<T>>> {
  const { size, beforeId } = pageWindow(request);
  const rows = await fetch(beforeId, size + 1);
  return new Map(keys.map((key) => [key, pageOf(rows.get(key) ?? [], size)]));
}
