import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { sha256 } from '../../shared/ids';
import type { GrantedAccess } from '../grants/grant-access';
import type { GrantAccessService } from '../grants/grant-access';
import type { IdempotencyKey } from '../incoming-payments/incoming-payment.service';
import { registerOpenPaymentsScope, type OpenPaymentsErrorMapping } from '../http/open-payments-scope';
import type { IncomingPaymentService } from '../incoming-payments/incoming-payment.service';
import type { OutgoingPaymentService } from '../outgoing-payments/outgoing-payment.service';
import type { QuoteService } from '../quotes/quote.service';
import type { WalletAddressService } from '../wallet-addresses/wallet-address.service';
import { toOpAmount } from './op-amount';
import { assertOwn, requireAccess } from './resource-access';
import { RESOURCE_SERVER_PATH } from './resource-urls';

export interface ResourceServerDeps {
  grantAccess: GrantAccessService;
  walletAddresses: WalletAddressService;
  incomingPayments: IncomingPaymentService;
  quotes: QuoteService;
  outgoingPayments: OutgoingPaymentService;
}

/** The resource server's own errors on the Open Payments wire (any other PaygridError is 400 invalid_request). */
const RESOURCE_ERRORS: Partial<Record<ErrorCode, OpenPaymentsErrorMapping>> = {
  [ErrorCode.GRANT_LIMIT_EXCEEDED]: { status: 403, code: 'insufficient_grant' },
  [ErrorCode.RECEIVER_INVALID]: { status: 400, code: 'invalid_receiver' },
  [ErrorCode.QUOTE_INVALID]: { status: 400, code: 'invalid_quote' },
  [ErrorCode.QUOTE_ALREADY_USED]: { status: 409, code: 'invalid_quote' },
  [ErrorCode.IDEMPOTENCY_KEY_REUSED]: { status: 409, code: 'invalid_request' },
  [ErrorCode.IDEMPOTENCY_KEY_IN_FLIGHT]: { status: 409, code: 'invalid_request' },
};

/**
 * An optional `Idempotency-Key` header on a create (the IETF httpapi draft; the spec has none): a
 * retry with the same key and body gets the first answer, per client of the grant.
 */
function idempotencyOf(request: FastifyRequest, granted: GrantedAccess): IdempotencyKey | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string') throw new PaygridError(ErrorCode.IDEMPOTENCY_KEY_INVALID, 'Idempotency-Key');
  // A client identity can be a long URL: the scope column holds its digest.
  return { scope: `op:${sha256(granted.clientIdentity).slice(0, 40)}`, key };
}

type Body = Record<string, unknown>;

/** The JSON object body with only the keys the spec allows (additionalProperties: false). */
function bodyOf(request: FastifyRequest, allowed: readonly string[], required: readonly string[]): Body {
  const body = request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new PaygridError(ErrorCode.INVALID_INPUT, null, 'The body must be a JSON object.');
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length) throw new PaygridError(ErrorCode.INVALID_INPUT, extra[0], `Unknown field ${extra[0]}.`);
  for (const key of required) if ((body as Body)[key] === undefined) throw new PaygridError(ErrorCode.FIELD_REQUIRED, key, `${key} is required.`);
  return body as Body;
}

function stringField(body: Body, key: string): string {
  const value = body[key];
  if (typeof value !== 'string') throw new PaygridError(ErrorCode.INVALID_INPUT, key, `${key} must be a URL string.`);
  return value;
}

/** `first`, `last` (1–100) and `cursor` of a list, strictly: "10abc" is not 10. */
function pageOf(query: Record<string, string | undefined>) {
  const count = (key: 'first' | 'last') => {
    const raw = query[key];
    if (raw === undefined) return undefined;
    if (!/^[0-9]{1,3}$/.test(raw)) throw new PaygridError(ErrorCode.INVALID_INPUT, key, `${key} must be an integer from 1 to 100.`);
    return Number(raw);
  };
  return { first: count('first'), last: count('last'), cursor: query.cursor || undefined };
}

function paginationJson(page: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null }) {
  return {
    hasNextPage: page.hasNextPage,
    hasPreviousPage: page.hasPreviousPage,
    ...(page.startCursor ? { startCursor: page.startCursor } : {}),
    ...(page.endCursor ? { endCursor: page.endCursor } : {}),
  };
}

/**
 * The Open Payments resource server at `{base}/op`: every route but the public incoming-payment GET
 * authenticates the GNAP token and the request's signature, then checks the grant's access for the
 * type, action and wallet address. Routes only translate; the services hold the rules.
 */
export async function registerResourceServerRoutes(app: FastifyInstance, deps: ResourceServerDeps): Promise<void> {
  const { grantAccess, walletAddresses, incomingPayments, quotes, outgoingPayments } = deps;
  const wallet = async (url: string, field: string) => {
    const found = await walletAddresses.resolve(url);
    if (!found) throw new PaygridError(ErrorCode.NOT_FOUND, field, 'No such wallet address on this Paygrid.');
    return found;
  };
  const walletQuery = (query: Record<string, string | undefined>) => {
    const url = query['wallet-address'];
    if (!url) throw new PaygridError(ErrorCode.FIELD_REQUIRED, 'wallet-address', 'wallet-address is required.');
    return url;
  };
  const P = RESOURCE_SERVER_PATH;

  await registerOpenPaymentsScope(
    app,
    (scope) => {
      scope.post(`${P}/incoming-payments`, async (request, reply) => {
        const granted = await grantAccess.authenticate(request);
        const body = bodyOf(request, ['walletAddress', 'incomingAmount', 'expiresAt', 'metadata'], ['walletAddress']);
        const url = stringField(body, 'walletAddress');
        const { actor } = requireAccess(granted, 'incoming-payment', 'create', url);
        const record = await incomingPayments.create(actor, await wallet(url, 'walletAddress'), body, idempotencyOf(request, granted));
        return reply.status(201).send(incomingPayments.json(record));
      });

      scope.get<{ Querystring: Record<string, string | undefined> }>(`${P}/incoming-payments`, async (request) => {
        const granted = await grantAccess.authenticate(request);
        const url = walletQuery(request.query);
        const grant = requireAccess(granted, 'incoming-payment', 'list', url);
        const page = await incomingPayments.list(await wallet(url, 'wallet-address'), pageOf(request.query), grant.ownOnly ? grant.actor.clientKey : undefined);
        return { pagination: paginationJson(page), result: page.nodes.map((r) => incomingPayments.json(r, false)) };
      });

      scope.get<{ Params: { id: string } }>(`${P}/incoming-payments/:id`, async (request) => {
        const record = await incomingPayments.get(request.params.id);
        if (!record) throw new PaygridError(ErrorCode.NOT_FOUND, 'id');
        // Without a token (and so without a signature), the public form: where to ask for a grant, and what arrived.
        if (request.headers.authorization === undefined) return incomingPayments.publicJson(record);
        const granted = await grantAccess.authenticate(request);
        assertOwn(requireAccess(granted, 'incoming-payment', 'read', record.wallet.url), record.details.clientKey);
        return incomingPayments.json(record);
      });

      scope.post<{ Params: { id: string } }>(`${P}/incoming-payments/:id/complete`, async (request) => {
        const granted = await grantAccess.authenticate(request);
        const record = await incomingPayments.get(request.params.id);
        if (!record) throw new PaygridError(ErrorCode.NOT_FOUND, 'id');
        requireAccess(granted, 'incoming-payment', 'complete', record.wallet.url);
        return incomingPayments.json(await incomingPayments.complete(record.payment.id), false);
      });

      scope.post(`${P}/quotes`, async (request, reply) => {
        const granted = await grantAccess.authenticate(request);
        const body = bodyOf(request, ['walletAddress', 'receiver', 'method', 'debitAmount', 'receiveAmount'], ['walletAddress', 'receiver', 'method']);
        const url = stringField(body, 'walletAddress');
        const { actor } = requireAccess(granted, 'quote', 'create', url);
        const record = await quotes.create(actor, await wallet(url, 'walletAddress'), body as { receiver: unknown }, idempotencyOf(request, granted));
        return reply.status(201).send(quotes.json(record));
      });

      scope.get<{ Params: { id: string } }>(`${P}/quotes/:id`, async (request) => {
        const granted = await grantAccess.authenticate(request);
        const record = await quotes.get(request.params.id);
        if (!record) throw new PaygridError(ErrorCode.NOT_FOUND, 'id');
        assertOwn(requireAccess(granted, 'quote', 'read', record.wallet.url), record.quote.clientKey);
        return quotes.json(record);
      });

      scope.post(`${P}/outgoing-payments`, async (request, reply) => {
        const granted = await grantAccess.authenticate(request);
        const body = bodyOf(request, ['walletAddress', 'quoteId', 'incomingPayment', 'debitAmount', 'metadata'], ['walletAddress']);
        const url = stringField(body, 'walletAddress');
        const { item, actor } = requireAccess(granted, 'outgoing-payment', 'create', url);
        // The grant pays only from the wallet address its item names (op-auth checked the approver owns it).
        const { record, spent } = await outgoingPayments.create(
          actor,
          await wallet(url, 'walletAddress'),
          body,
          { grantId: granted.grantId, limits: item.limits },
          idempotencyOf(request, granted),
        );
        const asset = record.payment;
        return reply.status(201).send({
          ...outgoingPayments.json(record),
          ...(spent ? { grantSpentDebitAmount: toOpAmount(spent.debit, asset), grantSpentReceiveAmount: toOpAmount(spent.receive, asset) } : {}),
        });
      });

      scope.get<{ Querystring: Record<string, string | undefined> }>(`${P}/outgoing-payments`, async (request) => {
        const granted = await grantAccess.authenticate(request);
        const url = walletQuery(request.query);
        const grant = requireAccess(granted, 'outgoing-payment', 'list', url);
        const page = await outgoingPayments.list(await wallet(url, 'wallet-address'), pageOf(request.query), grant.ownOnly ? grant.actor.clientKey : undefined);
        return { pagination: paginationJson(page), result: page.nodes.map((r) => outgoingPayments.json(r)) };
      });

      scope.get<{ Params: { id: string } }>(`${P}/outgoing-payments/:id`, async (request) => {
        const granted = await grantAccess.authenticate(request);
        const record = await outgoingPayments.get(request.params.id);
        if (!record) throw new PaygridError(ErrorCode.NOT_FOUND, 'id');
        assertOwn(requireAccess(granted, 'outgoing-payment', 'read', record.wallet.url), record.details.clientKey);
        return outgoingPayments.json(record);
      });

      scope.get(`${P}/outgoing-payment-grant`, async (request) => {
        const granted = await grantAccess.authenticate(request);
        const item = granted.access.find((a) => a.type === 'outgoing-payment' && a.actions.includes('create'));
        if (!item) throw new PaygridError(ErrorCode.GNAP_INSUFFICIENT_ACCESS, null, 'The grant is not an outgoing-payment grant.');
        const spent = await outgoingPayments.spentUnder({ grantId: granted.grantId, limits: item.limits });
        return {
          spentDebitAmount: spent ? toOpAmount(spent.debit, spent.asset) : null,
          spentReceiveAmount: spent ? toOpAmount(spent.receive, spent.asset) : null,
        };
      });
    },
    RESOURCE_ERRORS,
  );
}
