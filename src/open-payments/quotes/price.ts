import { MAX_AMOUNT, type Asset } from '../../money/money';
import { convertDown, formatRate, sourceFor, type Rate } from '../../providers/exchange-rates/rate';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { parseOpAmount } from '../resources/op-amount';
import { feeFor, receiveFor, type FeePolicy } from './fee';

/**
 * What paying an incoming payment costs: debit = principal + fee in the sender's minor units, and
 * receive in the receiver's. Within one asset the principal is the receive amount; across assets
 * the receive amount is the principal at the rate.
 */
export interface Price {
  debit: bigint;
  receive: bigint;
  fee: bigint;
  receiveAsset: Asset;
  /** The rate used (decimal), null within one asset. */
  exchangeRate: string | null;
}

export interface PriceRequest {
  debitAmount?: unknown;
  receiveAmount?: unknown;
  /** What the receiver still expects, when it says (the amount to pay when neither is given). */
  remaining: bigint | null;
}

const given = (v: unknown) => v !== undefined && v !== null;

/**
 * The price from at most one of the two amounts, fees in the sender's asset on the principal.
 * Rounding, across assets: a fixed debit converts its principal rounded down (the receiver never
 * gets more than the rate gives); a fixed receive amount needs the least principal that converts to
 * it, rounded up (the sender never pays less than the rate asks). `rate` is null within one asset.
 */
export function priceOf(fee: FeePolicy, sender: Asset, receiver: Asset, request: PriceRequest, rate: Rate | null): Price {
  if (given(request.debitAmount) && given(request.receiveAmount)) {
    throw new PaygridError(ErrorCode.INVALID_INPUT, 'receiveAmount', 'Give debitAmount or receiveAmount, not both.');
  }
  const toReceiver = (principal: bigint) => (rate ? convertDown(principal, rate, sender.assetScale, receiver.assetScale) : principal);
  const fromReceiver = (receive: bigint) => (rate ? sourceFor(receive, rate, sender.assetScale, receiver.assetScale) : receive);
  const receiveAsset = { assetCode: receiver.assetCode, assetScale: receiver.assetScale };
  const exchangeRate = rate && formatRate(rate);
  let price: Price;
  let field: string;
  if (given(request.debitAmount)) {
    field = 'debitAmount';
    const debit = parseOpAmount(request.debitAmount, field, sender);
    const principal = receiveFor(fee, debit, field);
    const receive = toReceiver(principal);
    if (receive <= 0n) throw new PaygridError(ErrorCode.AMOUNT_NOT_POSITIVE, field, `The debit amount buys less than one minor unit of ${receiver.assetCode}.`);
    price = { debit, receive, fee: debit - principal, receiveAsset, exchangeRate };
  } else {
    field = given(request.receiveAmount) ? 'receiveAmount' : 'debitAmount';
    let receive: bigint;
    if (given(request.receiveAmount)) receive = parseOpAmount(request.receiveAmount, field, receiver);
    else if (request.remaining !== null) receive = request.remaining;
    else throw new PaygridError(ErrorCode.FIELD_REQUIRED, field, 'Give debitAmount or receiveAmount: the incoming payment has no amount to infer one from.');
    const principal = fromReceiver(receive);
    const charged = feeFor(fee, principal);
    if (principal + charged > MAX_AMOUNT) throw new PaygridError(ErrorCode.AMOUNT_TOO_LARGE, field);
    price = { debit: principal + charged, receive, fee: charged, receiveAsset, exchangeRate };
  }
  if (price.receive > MAX_AMOUNT) throw new PaygridError(ErrorCode.AMOUNT_TOO_LARGE, field);
  if (request.remaining !== null && price.receive > request.remaining) {
    throw new PaygridError(ErrorCode.AMOUNT_TOO_LARGE, field, `The incoming payment expects only ${request.remaining} more minor units.`);
  }
  return price;
}
