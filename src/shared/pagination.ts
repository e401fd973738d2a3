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

function decodeCursor(cursor: string, field = 'after'): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('c:') || text.length < 3) throw new PaygridError(ErrorCode.INVALID_INPUT, field, 'The cursor is not valid.');
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

/** A page in either direction from a cursor (Open Payments lists): `first` after it, or `last` before it. */
export interface WindowRequest {
  first?: number | null;
  last?: number | null;
  cursor?: string | null;
}

export interface Window<T> {
  nodes: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/**
 * `paginate` in both directions, still newest first and keyset on `id`. `fetch(older, boundaryId,
 * limit)` returns up to `limit` rows older than the boundary, newest first (`older`), or newer than
 * it, oldest first. `last` needs a cursor: there is nothing before the start of the list.
 */
export async function paginateWindow<T extends { id: string }>(
  request: WindowRequest,
  fetch: (older: boolean, boundaryId: string | null, limit: number) => Promise<T[]>,
): Promise<Window<T>> {
  const check = (value: number, field: string) => {
    if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) throw new PaygridError(ErrorCode.INVALID_INPUT, field, `${field} must be between 1 and ${MAX_PAGE_SIZE}.`);
    return value;
  };
  if (request.first != null && request.last != null) throw new PaygridError(ErrorCode.INVALID_INPUT, 'last', 'Give first or last, not both.');
  const boundary = request.cursor ? decodeCursor(request.cursor, 'cursor') : null;
  let nodes: T[];
  let hasNextPage: boolean;
  let hasPreviousPage: boolean;
  if (request.last != null) {
    const size = check(request.last, 'last');
    if (boundary === null) throw new PaygridError(ErrorCode.FIELD_REQUIRED, 'cursor', 'last needs a cursor to count back from.');
    const rows = await fetch(false, boundary, size + 1);
    hasPreviousPage = rows.length > size;
    nodes = rows.slice(0, size).reverse();
    hasNextPage = (await fetch(true, nodes.length ? nodes[nodes.length - 1].id : boundary, 1)).length > 0;
  } else {
    const size = check(request.first ?? DEFAULT_PAGE_SIZE, 'first');
    const rows = await fetch(true, boundary, size + 1);
    hasNextPage = rows.length > size;
    nodes = rows.slice(0, size);
    hasPreviousPage = boundary !== null && (await fetch(false, nodes.length ? nodes[0].id : boundary, 1)).length > 0;
  }
  return {
    nodes,
    hasNextPage,
    hasPreviousPage,
    startCursor: nodes.length ? encodeCursor(nodes[0].id) : null,
    endCursor: nodes.length ? encodeCursor(nodes[nodes.length - 1].id) : null,
  };
}
