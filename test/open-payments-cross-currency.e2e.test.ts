import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpenPaymentsClientError, isFinalizedGrant } from '@interledger/open-payments';
import { parseConfiguredRates } from '../src/providers/exchange-rates/rate';
import { openAccount } from './support/flows';
import { EUR, assertBooksBalance, balances, nonInteractiveGrant, outgoingGrant, startWorld, type OpenPaymentsWorld } from './support/open-payments-world';

const JPY = (value: string) => ({ value, assetCode: 'JPY', assetScale: 0 });
const MAX_AGE_SECONDS = 120;

/** A wallet address of the world's merchant on a new account in `assetCode`. */
async function merchantWallet(world: OpenPaymentsWorld, assetCode: string, slug: string): Promise<{ accountId: string; walletAddress: string }> {
  const accountId = await openAccount(world.server, world.merchant, assetCode, `${assetCode} till`);
  const created = await world.server.ok(world.merchant.token, `mutation($input: CreateWalletAddressInput!) { createWalletAddress(input: $input) { walletAddress { url } userErrors { code field } } }`, {
    input: { accountId, slug, publicName: `${assetCode} shop` },
  });
  assert.deepEqual(created.createWalletAddress.userErrors, []);
  return { accountId, walletAddress: created.createWalletAddress.walletAddress.url };
}

const posted = async (world: OpenPaymentsWorld, accountId: string) => (await balances(world, accountId)).posted;

async function setRate(world: OpenPaymentsWorld, from: string, to: string, rate: string, idempotencyKey: string) {
  const result = await world.server.ok(world.operator.token, `mutation($input: SetExchangeRateInput!) { setExchangeRate(input: $input) { exchangeRate { pair rate updatedAt stale } userErrors { code field } } }`, {
    input: { from, to, rate, idempotencyKey },
  });
  return result.setExchangeRate;
}

const rates = async (world: OpenPaymentsWorld) => (await world.server.ok(world.operator.token, `{ exchangeRates { pair from to rate updatedAt stale } }`)).exchangeRates as Array<Record<string, unknown>>;

/**
 * Cross-currency Open Payments with the official client (validateResponses on): Pia's EUR wallet
 * pays a JPY incoming payment at the sandbox provider's rate, the fee in EUR, and the payment
 * delivers exactly the quoted JPY through the exchange position accounts of each asset.
 */
describe('Open Payments across assets on one instance', () => {
  let world: OpenPaymentsWorld;
  let yen: { accountId: string; walletAddress: string };
  let pounds: { accountId: string; walletAddress: string };
  let incomingToken: string;
  let quoteToken: string;
  const newIncoming = (walletAddress: string, incomingAmount?: { value: string; assetCode: string; assetScale: number }) =>
    world.app.client.incomingPayment.create({ url: world.resourceServer, accessToken: incomingToken }, { walletAddress, ...(incomingAmount ? { incomingAmount } : {}) });
  const quote = (receiver: string, amounts: Record<string, unknown> = {}) =>
    world.app.client.quote.create({ url: world.resourceServer, accessToken: quoteToken }, { walletAddress: world.holders.pia.walletAddress, receiver, method: 'ilp', ...amounts } as never);
  const graphQuote = async (receiver: string): Promise<any> =>
    (
      await world.server.ok(world.merchant.token, `mutation($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id exchangeRate fee { value assetCode } debitAmount { value assetCode } receiveAmount { value assetCode assetScale } } userErrors { code field } } }`, {
        // Through GraphQL the merchant quotes from its own (EUR) till's wallet address.
        input: { walletAddress: world.shop.walletAddress, receiver, idempotencyKey: `q-${Math.random()}` },
      })
    ).createQuote;

  before(async () => {
    world = await startWorld({ pia: '100.00' }, { opFeeFixed: 10n, opFeeBasisPoints: 100, exchangeRates: parseConfiguredRates('EUR:JPY=162.57,USD:EUR=0.9222'), exchangeRateMaxAgeSeconds: MAX_AGE_SECONDS });
    yen = await merchantWallet(world, 'JPY', 'yen-shop');
    pounds = await merchantWallet(world, 'GBP', 'pound-shop');
    incomingToken = (await nonInteractiveGrant(world, [{ type: 'incoming-payment', actions: ['create', 'read', 'list', 'complete'] }])).access_token!.value;
    quoteToken = (await nonInteractiveGrant(world, [{ type: 'quote', actions: ['create', 'read'] }])).access_token!.value;
  });
  after(async () => {
    await world?.close();
  });

  it('shows the configured rates to the operator, fresh', async () => {
    const shown = await rates(world);
    assert.deepEqual(
      shown.map(({ pair, rate, stale }) => ({ pair, rate, stale })),
      [
        { pair: 'EUR:JPY', rate: '162.57', stale: false },
        { pair: 'USD:EUR', rate: '0.9222', stale: false },
      ],
    );
  });

  it('quotes what a JPY incoming payment expects and pays it from EUR: exactly the JPY quoted arrives, the books of each asset sum to zero', async () => {
    const ip = await newIncoming(yen.walletAddress, JPY('1626'));
    const quoted = await quote(ip.id);
    // 1626 JPY needs 10.01 EUR at 162.57 (10.00 EUR gives only 1625.7); fee 0.10 + 1% of 10.01 rounded up = 0.21.
    assert.deepEqual(quoted.receiveAmount, JPY('1626'));
    assert.deepEqual(quoted.debitAmount, EUR('1022'));
    const shown = await graphQuote(ip.id);
    assert.deepEqual(shown.quote.exchangeRate, '162.57');
    assert.deepEqual([shown.quote.fee, shown.quote.debitAmount], [{ value: '21', assetCode: 'EUR' }, { value: '1022', assetCode: 'EUR' }]);
    assert.deepEqual(shown.quote.receiveAmount, { value: '1626', assetCode: 'JPY', assetScale: 0 });

    const { grant } = await outgoingGrant(world, world.holders.pia, { debitAmount: EUR('5000') });
    const before = await posted(world, world.holders.pia.accountId);
    const paid = await world.app.client.outgoingPayment.create({ url: world.resourceServer, accessToken: grant.access_token!.value }, { walletAddress: world.holders.pia.walletAddress, quoteId: quoted.id });
    assert.equal(paid.failed, false);
    assert.deepEqual(paid.receiveAmount, JPY('1626'));
    assert.deepEqual(paid.debitAmount, EUR('1022'));
    assert.deepEqual(paid.sentAmount, EUR('1001'), 'the principal, in the sender’s asset');
    const read = await world.app.client.outgoingPayment.get({ url: paid.id, accessToken: grant.access_token!.value });
    assert.deepEqual(read.receiveAmount, JPY('1626'));
    const seen = await world.app.client.incomingPayment.get({ url: ip.id, accessToken: incomingToken });
    assert.equal(seen.completed, true);
    assert.deepEqual(seen.receivedAmount, JPY('1626'));

    assert.equal(before - (await posted(world, world.holders.pia.accountId)), 1022n);
    assert.equal(await posted(world, yen.accountId), 1626n);
    assert.equal(await posted(world, 'acct_fx_EUR'), 1001n, 'the exchange position took the EUR principal');
    assert.equal(await posted(world, 'acct_fx_JPY'), -1626n, 'and paid out the JPY');
    assert.equal(await posted(world, 'acct_fees_EUR'), 21n);
    await assertBooksBalance(world);
  });

  it('converts a fixed debit amount rounded down: the receiver never gets more than the rate gives', async () => {
    const ip = await newIncoming(yen.walletAddress);
    const quoted = await quote(ip.id, { debitAmount: EUR('1040') });
    // 10.40 EUR = 10.19 principal + 0.21 fee; 10.19 EUR × 162.57 = 1656.59 JPY → 1656.
    assert.deepEqual(quoted.debitAmount, EUR('1040'));
    assert.deepEqual(quoted.receiveAmount, JPY('1656'));
    const fixedReceive = await quote(ip.id, { receiveAmount: JPY('1656') });
    assert.deepEqual(fixedReceive.debitAmount, EUR('1040'), 'the same price from the other side');
  });

  it('refuses a quote when no rate is known between the two assets, moving nothing', async () => {
    const ip = await newIncoming(pounds.walletAddress, { value: '500', assetCode: 'GBP', assetScale: 2 });
    await assert.rejects(quote(ip.id), (e: unknown) => {
      assert.ok(e instanceof OpenPaymentsClientError, String(e));
      assert.equal(e.status, 400);
      assert.match(e.description, /No exchange rate from EUR to GBP/);
      return true;
    });
    const graph = await graphQuote(ip.id);
    assert.deepEqual(graph, { quote: null, userErrors: [{ code: 'EXCHANGE_RATE_UNAVAILABLE', field: ['receiver'] }] });
    // The reverse of a configured pair is not implied.
    const usd = await merchantWallet(world, 'USD', 'dollar-shop');
    const dollars = await newIncoming(usd.walletAddress, { value: '500', assetCode: 'USD', assetScale: 2 });
    assert.equal((await graphQuote(dollars.id)).userErrors[0].code, 'EXCHANGE_RATE_UNAVAILABLE');
  });

  it('refuses a quote on a stale rate, and the next quote after an operator’s update uses the new rate', async () => {
    world.clock.advance((MAX_AGE_SECONDS + 1) * 1000);
    assert.deepEqual((await rates(world)).map((r) => r.stale), [true, true]);
    const ip = await newIncoming(yen.walletAddress, JPY('1500'));
    // (With an amount: the same signed request twice within a second would be refused as a replay.)
    await assert.rejects(quote(ip.id, { receiveAmount: JPY('1500') }), (e: unknown) => e instanceof OpenPaymentsClientError && e.status === 400 && /longer ago than the limit/.test(e.description));
    assert.deepEqual((await graphQuote(ip.id)).userErrors, [{ code: 'EXCHANGE_RATE_STALE', field: ['receiver'] }]);

    const set = await setRate(world, 'EUR', 'JPY', '150.000', 'rate-1');
    assert.deepEqual(set.userErrors, []);
    assert.equal(set.exchangeRate.rate, '150');
    assert.equal(set.exchangeRate.stale, false);
    assert.equal(new Date(set.exchangeRate.updatedAt).getTime(), world.clock.now().getTime());
    const again = await setRate(world, 'EUR', 'JPY', '150', 'rate-1');
    assert.deepEqual(again, set, 'a repeat of the key answers as the first');
    assert.deepEqual((await setRate(world, 'EUR', 'JPY', '151', 'rate-1')).userErrors, [{ code: 'IDEMPOTENCY_KEY_REUSED', field: ['idempotencyKey'] }]);

    const quoted = await quote(ip.id);
    // 1500 JPY at 150 = 10.00 EUR exactly; fee 0.10 + 0.10.
    assert.deepEqual(quoted.debitAmount, EUR('1020'));
    assert.deepEqual(quoted.receiveAmount, JPY('1500'));
    assert.equal((await graphQuote(ip.id)).quote.exchangeRate, '150');
  });

  it('refuses bad rates with the field at fault, and anyone but the operator', async () => {
    for (const [input, code, field] of [
      [{ from: 'EUR', to: 'JPY', rate: '1e3' }, 'INVALID_INPUT', 'rate'],
      [{ from: 'EUR', to: 'JPY', rate: '-1' }, 'INVALID_INPUT', 'rate'],
      [{ from: 'EUR', to: 'JPY', rate: '0.0' }, 'INVALID_INPUT', 'rate'],
      [{ from: 'EUR', to: 'EUR', rate: '1' }, 'INVALID_INPUT', 'to'],
      [{ from: 'EUX', to: 'JPY', rate: '1' }, 'CURRENCY_UNKNOWN', 'from'],
    ] as const) {
      const result = await setRate(world, input.from, input.to, input.rate, `bad-${Math.random()}`);
      assert.deepEqual(result.userErrors, [{ code, field: [field] }], JSON.stringify(input));
    }
    assert.equal((await rates(world)).find((r) => r.pair === 'EUR:JPY')!.rate, '150', 'nothing changed');
    const asMerchant = await world.server.gql(world.merchant.token, `mutation { setExchangeRate(input: { from: "EUR", to: "JPY", rate: "1", idempotencyKey: "m-1" }) { userErrors { code } } }`);
    assert.ok(asMerchant.errors?.length, 'a merchant may not set rates');
  });
});

/**
 * The seed flow across two instances and two assets: Pia's EUR wallet on the first pays a JPY
 * incoming payment on the second. The sender converts: its peer account and the peer transfer are
 * in the receiver's asset (JPY), the receiver credits JPY as for any peer transfer.
 */
describe('Open Payments across assets between two instances', () => {
  let sender: OpenPaymentsWorld;
  let receiver: OpenPaymentsWorld;
  let yen: { accountId: string; walletAddress: string };
  let peerOnSender: string;
  let peerOnReceiver: string;
  let incomingToken: string;
  let quoteToken: string;

  async function configurePeer(on: OpenPaymentsWorld, other: OpenPaymentsWorld): Promise<string> {
    const jwks = (await (await fetch(`${other.server.url}/.well-known/pay/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
    const doc = (await (await fetch(`${other.server.url}/.well-known/pay`)).json()) as { id: string };
    const created = await on.server.ok(on.operator.token, `mutation($input: CreatePeerInput!) { createPeer(input: $input) { peer { id } userErrors { code field } } }`, {
      input: { name: 'Other instance', opOrigin: other.server.url, assetCode: 'JPY', creditLimit: '6000', walletAddress: doc.id, keys: jwks.keys.map(({ kid, kty, crv, alg, x }) => ({ kid, kty, crv, alg, x })) },
    });
    assert.deepEqual(created.createPeer.userErrors, []);
    return created.createPeer.peer.id;
  }
  const position = async (on: OpenPaymentsWorld, peerId: string) => BigInt((await on.server.ok(on.operator.token, `{ peers { id position } }`)).peers.find((p: any) => p.id === peerId).position);
  const newIncoming = (value: string) => sender.app.client.incomingPayment.create({ url: receiver.resourceServer, accessToken: incomingToken }, { walletAddress: yen.walletAddress, incomingAmount: JPY(value) });
  const quoteFor = (receiverUrl: string) => sender.app.client.quote.create({ url: sender.resourceServer, accessToken: quoteToken }, { walletAddress: sender.holders.pia.walletAddress, receiver: receiverUrl, method: 'ilp' });

  before(async () => {
    sender = await startWorld({ pia: '100.00' }, { opFeeFixed: 10n, exchangeRates: parseConfiguredRates('EUR:JPY=162.57'), exchangeRateMaxAgeSeconds: MAX_AGE_SECONDS });
    receiver = await startWorld({});
    yen = await merchantWallet(receiver, 'JPY', 'yen-shop');
    peerOnSender = await configurePeer(sender, receiver);
    peerOnReceiver = await configurePeer(receiver, sender);
    const grant = await sender.app.client.grant.request({ url: receiver.authServer }, { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read', 'list', 'complete'] }] } });
    assert.ok(isFinalizedGrant(grant));
    incomingToken = grant.access_token!.value;
    quoteToken = (await nonInteractiveGrant(sender, [{ type: 'quote', actions: ['create', 'read'] }])).access_token!.value;
  });
  after(async () => {
    await sender?.close();
    await receiver?.close();
  });

  it('pays a JPY incoming payment on the other instance from EUR: the quoted JPY arrives once, positions mirror, each asset sums to zero on both sides', async () => {
    const ip = await newIncoming('3252');
    const quote = await quoteFor(ip.id);
    // 3252 JPY needs 20.01 EUR at 162.57 (20.00 EUR gives 3251.4); fee 0.10.
    assert.deepEqual(quote.receiveAmount, JPY('3252'));
    assert.deepEqual(quote.debitAmount, EUR('2011'));
    const { grant } = await outgoingGrant(sender, sender.holders.pia, { debitAmount: EUR('5000') });
    const before = await posted(sender, sender.holders.pia.accountId);
    const paid = await sender.app.client.outgoingPayment.create({ url: sender.resourceServer, accessToken: grant.access_token!.value }, { walletAddress: sender.holders.pia.walletAddress, quoteId: quote.id });
    assert.equal(paid.failed, false);
    assert.deepEqual(paid.receiveAmount, JPY('3252'));
    assert.deepEqual(paid.sentAmount, EUR('2001'));
    const seen = await sender.app.client.incomingPayment.get({ url: ip.id, accessToken: incomingToken });
    assert.equal(seen.completed, true);
    assert.deepEqual(seen.receivedAmount, JPY('3252'));

    assert.equal(before - (await posted(sender, sender.holders.pia.accountId)), 2011n);
    assert.equal((await balances(sender, sender.holders.pia.accountId)).reserved, 0n);
    assert.equal(await posted(sender, 'acct_fx_EUR'), 2001n);
    assert.equal(await posted(sender, 'acct_fx_JPY'), -3252n);
    assert.equal(await posted(receiver, yen.accountId), 3252n);
    assert.equal(await position(receiver, peerOnReceiver), 3252n, 'the sender owes the receiver 3252 JPY');
    assert.equal((await position(sender, peerOnSender)) + (await position(receiver, peerOnReceiver)), 0n, 'positions mirror');
    await assertBooksBalance(sender);
    await assertBooksBalance(receiver);
  });

  it('refuses a stale rate before anything moves, and uses the operator’s update on the next quote', async () => {
    const ip = await newIncoming('1500');
    // Both instances' time moves on (a signature from the future is refused by the peer).
    for (const world of [sender, receiver]) world.clock.advance((MAX_AGE_SECONDS + 1) * 1000);
    await assert.rejects(sender.app.client.quote.create({ url: sender.resourceServer, accessToken: quoteToken }, { walletAddress: sender.holders.pia.walletAddress, receiver: ip.id, method: 'ilp', receiveAmount: JPY('1500') }), (e: unknown) => e instanceof OpenPaymentsClientError && e.status === 400 && /longer ago than the limit/.test(e.description));
    assert.deepEqual((await setRate(sender, 'EUR', 'JPY', '150', 'rate-1')).userErrors, []);
    const quote = await quoteFor(ip.id);
    assert.deepEqual(quote.debitAmount, EUR('1010'));
    const { grant } = await outgoingGrant(sender, sender.holders.pia, { debitAmount: EUR('5000') });
    const paid = await sender.app.client.outgoingPayment.create({ url: sender.resourceServer, accessToken: grant.access_token!.value }, { walletAddress: sender.holders.pia.walletAddress, quoteId: quote.id });
    assert.deepEqual(paid.sentAmount, EUR('1000'));
    assert.deepEqual((await sender.app.client.incomingPayment.get({ url: ip.id, accessToken: incomingToken })).receivedAmount, JPY('1500'));
    assert.equal(await position(receiver, peerOnReceiver), 3252n + 1500n);
    assert.equal((await position(sender, peerOnSender)) + (await position(receiver, peerOnReceiver)), 0n);
    await assertBooksBalance(sender);
    await assertBooksBalance(receiver);
  });

  it('a payment the peer refuses (over its credit line) releases the EUR reservation and moves no JPY', async () => {
    // 3252 + 1500 JPY are owed already; 2000 more passes the line of 6000.
    const big = await newIncoming('2000');
    const quote = await quoteFor(big.id);
    const { grant } = await outgoingGrant(sender, sender.holders.pia, { debitAmount: EUR('5000') });
    const before = await balances(sender, sender.holders.pia.accountId);
    const fxBefore = [await posted(sender, 'acct_fx_EUR'), await posted(sender, 'acct_fx_JPY')];
    const paid = await sender.app.client.outgoingPayment.create({ url: sender.resourceServer, accessToken: grant.access_token!.value }, { walletAddress: sender.holders.pia.walletAddress, quoteId: quote.id });
    assert.equal(paid.failed, true);
    assert.deepEqual(await balances(sender, sender.holders.pia.accountId), before);
    assert.deepEqual([await posted(sender, 'acct_fx_EUR'), await posted(sender, 'acct_fx_JPY')], fxBefore);
    assert.deepEqual((await sender.app.client.incomingPayment.get({ url: big.id, accessToken: incomingToken })).receivedAmount, JPY('0'));
    assert.equal((await position(sender, peerOnSender)) + (await position(receiver, peerOnReceiver)), 0n);
    await assertBooksBalance(sender);
    await assertBooksBalance(receiver);
  });
});
