import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Notification, notificationUrl, readOperatorAnswer } from './notifications';

describe('1-Click operator notifications', () => {
  it('builds the path from the base URL and prefix (the seed names both /api and /paymentiq)', () => {
    assert.equal(notificationUrl({ baseUrl: 'https://casino.example/', pathPrefix: '/api' }, Notification.SIGNIN), 'https://casino.example/api/signin');
    assert.equal(notificationUrl({ baseUrl: 'https://casino.example/base', pathPrefix: '/paymentiq' }, Notification.TRANSFER), 'https://casino.example/base/paymentiq/transfer');
    assert.equal(notificationUrl({ baseUrl: 'https://casino.example', pathPrefix: '' }, Notification.CANCEL), 'https://casino.example/cancel');
  });

  it('reads an answer, with errCode as a string or a number and errMsg under either spelling', () => {
    assert.deepEqual(readOperatorAnswer({ success: false, userId: 'u1', errCode: 210003, errorMsg: 'Invalid user' }), {
      success: false,
      userId: 'u1',
      sessionId: null,
      authCode: null,
      merchantTxId: null,
      errCode: '210003',
      errMsg: 'Invalid user',
    });
    assert.equal(readOperatorAnswer({ success: true, authCode: 'a-1' }).authCode, 'a-1');
  });

  it('refuses what is no answer, so that the notification is sent again', () => {
    for (const body of [null, [], 'OK', {}, { success: 'true' }, { userId: 'u1' }]) assert.throws(() => readOperatorAnswer(body), /success/);
  });
});
