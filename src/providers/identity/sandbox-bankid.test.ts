import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../shared/clock';
import { IdentityFailure } from './identity-provider';
import { SandboxBankId } from './sandbox-bankid';

const clock = new ManualClock(new Date('2026-12-02T10:00:00Z'));
const bankId = () => new SandboxBankId(() => 'http://paygrid.test', clock);

async function identify(identity: string, ssn: string | null = null, decision: 'approve' | 'deny' = 'approve') {
  const provider = bankId();
  const session = await provider.startSignIn({ idempotencyKey: `k-${identity}`, returnUrl: 'http://paygrid.test/back', ssn, country: null, locale: null });
  await assert.rejects(provider.signInResult('r', session.ref), /not approved or denied yet/);
  provider.decide(session.ref, decision, identity);
  return { provider, ref: session.ref, result: await provider.signInResult('r', session.ref) };
}

describe('sandbox BankID', () => {
  it('answers the same session to the same key', async () => {
    const provider = bankId();
    const input = { idempotencyKey: 'same', returnUrl: 'http://paygrid.test/back', ssn: null, country: null, locale: null };
    assert.deepEqual(await provider.startSignIn(input), await provider.startSignIn(input));
  });

  it('identifies a test person with their KYC data and iat/rat', async () => {
    const { result } = await identify('astrid');
    assert.equal(result.kind, 'identified');
    if (result.kind !== 'identified') return;
    assert.equal(result.kyc.personid, 'SE199110284479');
    assert.equal(result.kyc.country, 'SWE');
    assert.equal(result.iat, Math.floor(clock.now().getTime() / 1000));
  });

  for (const [identity, ssn, decision, failure] of [
    ['astrid', null, 'deny', IdentityFailure.USER_DENIED],
    ['nils', null, 'approve', IdentityFailure.NOT_AUTHENTICATED],
    ['sanna', null, 'approve', IdentityFailure.SANCTIONED],
    ['ulla', null, 'approve', IdentityFailure.UNDER_AGE],
    ['astrid', 'SE198503125678', 'approve', IdentityFailure.IDENTITY_MISMATCH],
  ] as const) {
    it(`scripts ${failure}`, async () => {
      const { result } = await identify(identity, ssn, decision);
      assert.equal(result.kind, 'failed');
      assert.equal(result.kind === 'failed' && result.failure, failure);
    });
  }

  it('keeps the first decision, and pays only for an identified person', async () => {
    const { provider, ref } = await identify('bjorn');
    provider.decide(ref, 'deny', undefined);
    assert.equal((await provider.signInResult('r', ref)).kind, 'identified');
    const payment = await provider.startPayment({ idempotencyKey: 'p', signInRef: ref, amount: 1050n, assetCode: 'EUR', assetScale: 2, returnUrl: 'http://paygrid.test/paid' });
    await assert.rejects(provider.paymentResult('r', payment.ref), /not confirmed/);
    provider.pay(payment.ref, 'pay', 'empty');
    assert.equal((await provider.paymentResult('r', payment.ref)).kind, 'failed');
    const denied = await identify('astrid', null, 'deny');
    await assert.rejects(denied.provider.startPayment({ idempotencyKey: 'q', signInRef: denied.ref, amount: 1n, assetCode: 'EUR', assetScale: 2, returnUrl: 'x' }), /identified session/);
  });
});
