import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, PaygridError } from './errors';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, encodeCursor, paginate, type Page, type PageRequest } from './pagination';

/** `count` rows with ids that sort like creation order, and a fetch that reads them newest first, as the services do. */
function table(count: number) {
  const ids = Array.from({ length: count }, (_, i) => `pay_${String(i).padStart(4, '0')}`).reverse();
  const calls: Array<{ beforeId: string | null; limit: number }> = [];
  const fetch = async (beforeId: string | null, limit: number) => {
    calls.push({ beforeId, limit });
    return ids.filter((id) => beforeId === null || id < beforeId).slice(0, limit).map((id) => ({ id }));
  };
  return { ids, calls, fetch };
}

async function assertInvalid(request: PageRequest, field: string, label: string): Promise<void> {
  const { calls, fetch } = table(5);
  await assert.rejects(paginate(request, fetch), (error: unknown) => {
    assert.ok(error instanceof PaygridError, label);
    assert.equal(error.code, ErrorCode.INVALID_INPUT, label);
    assert.deepEqual(error.field, [field], label);
    return true;
  });
  assert.deepEqual(calls, [], `${label}: nothing is fetched for an invalid request`);
}

describe('paginate', () => {
  it(`gives ${DEFAULT_PAGE_SIZE} nodes by default, asking for one more to learn whether more follow`, async () => {
    for (const request of [{}, { first: null }, { first: undefined, after: null }] as PageRequest[]) {
      const { ids, calls, fetch } = table(50);
      const page = await paginate(request, fetch);
      assert.deepEqual(calls, [{ beforeId: null, limit: DEFAULT_PAGE_SIZE + 1 }]);
      assert.deepEqual(page.nodes.map((n) => n.id), ids.slice(0, DEFAULT_PAGE_SIZE));
      assert.equal(page.hasNextPage, true);
      assert.equal(page.endCursor, encodeCursor(ids[DEFAULT_PAGE_SIZE - 1]));
    }
  });

  it(`accepts first from 1 to ${MAX_PAGE_SIZE}`, async () => {
    for (const first of [1, MAX_PAGE_SIZE]) {
      const { calls, fetch } = table(150);
      const page = await paginate({ first }, fetch);
      assert.equal(page.nodes.length, first);
      assert.deepEqual(calls, [{ beforeId: null, limit: first + 1 }]);
    }
  });

  for (const first of [0, -1, MAX_PAGE_SIZE + 1, 1.5, Number.NaN]) {
    it(`refuses first: ${first} as INVALID_INPUT on first`, async () => {
      await assertInvalid({ first }, 'first', `first ${first}`);
    });
  }

  it('walks every node once, in order, by passing endCursor back as after', async () => {
    const { ids, calls, fetch } = table(45);
    const seen: string[] = [];
    const hasNext: boolean[] = [];
    let after: string | null = null;
    do {
      const page: Page<{ id: string }> = await paginate({ first: 20, after }, fetch);
      seen.push(...page.nodes.map((n) => n.id));
      hasNext.push(page.hasNextPage);
      after = page.hasNextPage ? page.endCursor : null;
    } while (after);
    assert.deepEqual(seen, ids);
    assert.deepEqual(hasNext, [true, true, false]);
    assert.deepEqual(
      calls.map((c) => c.beforeId),
      [null, ids[19], ids[39]],
    );
  });

  it('decodes the cursor to the id of the last node it was made from', async () => {
    const { calls, fetch } = table(5);
    await paginate({ first: 2, after: encodeCursor('pay_0003') }, fetch);
    assert.deepEqual(calls, [{ beforeId: 'pay_0003', limit: 3 }]);
  });

  it('has no next page when the rows end exactly at the page size', async () => {
    const { fetch } = table(20);
    const page = await paginate({ first: 20 }, fetch);
    assert.equal(page.nodes.length, 20);
    assert.equal(page.hasNextPage, false);
    assert.equal(page.endCursor, encodeCursor('pay_0000'));
  });

  it('returns an empty page without a cursor when there is nothing', async () => {
    const { fetch } = table(0);
    assert.deepEqual(await paginate({}, fetch), { nodes: [], hasNextPage: false, endCursor: null });
  });

  const garbage: Array<[string, string]> = [
    ['garbage', 'garbage'],
    ['!!!', 'not base64url'],
    [Buffer.from('x:pay_0003').toString('base64url'), 'wrong prefix'],
    [Buffer.from('c:').toString('base64url'), 'prefix without an id'],
    ['pay_0003', 'a raw id'],
  ];
  for (const [after, why] of garbage) {
    it(`refuses a cursor that is ${why} as INVALID_INPUT on after`, async () => {
      await assertInvalid({ first: 2, after }, 'after', why);
    });
  }
});
