import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { numberedPlaceholders } from './direct-sql';

describe('numbered placeholders for PostgreSQL', () => {
  it('numbers each ? in order', () => {
    assert.equal(numberedPlaceholders('update account set posted = posted + cast(? as bigint) where id = ? and kind = ?'), 'update account set posted = posted + cast($1 as bigint) where id = $2 and kind = $3');
  });

  it('leaves a ? inside a string literal or a quoted identifier alone', () => {
    assert.equal(numberedPlaceholders(`select '?' as a, "b?" from t where c = ? and d = 'it''s ?'`), `select '?' as a, "b?" from t where c = $1 and d = 'it''s ?'`);
  });

  it('leaves a statement with no parameter as it is', () => {
    assert.equal(numberedPlaceholders("update payment_transaction set transfer_id = 'trf_' || substr(id, 5)"), "update payment_transaction set transfer_id = 'trf_' || substr(id, 5)");
  });
});
