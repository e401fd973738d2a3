import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateRequest } from '../../http/bearer';
import { principalOf, scopesAllow, type TokenPrincipal } from '../../access';
import type { TokenService } from '../../oauth/token.service';
import { ErrorCode, PaygridError, isPaygridError } from '../../shared/errors';
import type { CaptureInput, OrderService } from './order.service';

/** iumiCash's error shape: `{ error, description, field_errors }`, with its status codes. */
function sendError(reply: FastifyReply, status: number, error: string, description: string, fields: Array<{ field: string; message: string }> = []) {
  return reply.status(status).send({ error, description, field_errors: fields });
}

function sendDomainError(reply: FastifyReply, error: PaygridError) {
  if (error.code === ErrorCode.NOT_FOUND) return sendError(reply, 404, 'RESOURCE_NOT_FOUND', error.message);
  if (error.code === ErrorCode.INSUFFICIENT_FUNDS) return sendError(reply, 400, 'ACCOUNT_BALANCE_IS_LOW', error.message);
  const fields = error.field ? [{ field: error.field.join('.'), message: error.message }] : [];
  if (error.code === ErrorCode.ILLEGAL_TRANSITION) return sendError(reply, 422, 'UNPROCESSIBLE_ENTITY', error.message, fields);
  return sendError(reply, 400, 'INVALID_REQUEST', error.message, fields);
}

/**
 * The REST face of orders, which the order's `self`, `capture` and `cancel` links point to. Same
 * service as the GraphQL mutations; only translation here.
 */
export function registerOrderRoutes(app: FastifyInstance, orders: OrderService, tokens: TokenService): void {
  /** The caller as the access policy sees it, when its token holds a scope the route needs. */
  const vendor = async (request: FastifyRequest, reply: FastifyReply, operation: string): Promise<TokenPrincipal | null> => {
    const caller = await authenticateRequest(request, tokens);
    if (!caller) {
      sendError(reply, 401, 'INVALID_AUTHZ', 'A valid bearer token is required.');
      return null;
    }
    if (!scopesAllow(operation, caller.scopes)) {
      sendError(reply, 403, 'NOT_AUTHORIZED', 'This needs the scope orders:write.');
      return null;
    }
    return principalOf(caller);
  };

  const read = async (principal: TokenPrincipal, id: string, reply: FastifyReply) => {
    const document = await orders.document(principal, id);
    return document ? reply.send(document) : sendError(reply, 404, 'RESOURCE_NOT_FOUND', 'No such order, or it is not yours.');
  };

  app.get<{ Params: { id: string } }>('/orders/:id', async (request, reply) => {
    const principal = await vendor(request, reply, 'GET /orders/:id');
    if (!principal) return reply;
    return read(principal, request.params.id, reply);
  });

  for (const action of ['capture', 'cancel'] as const) {
    app.post<{ Params: { id: string } }>(`/orders/:id/${action}`, async (request, reply) => {
      const principal = await vendor(request, reply, `POST /orders/:id/${action}`);
      if (!principal) return reply;
      try {
        if (action === 'capture') await orders.capture(principal, request.params.id, headerKey(request), captureBody(request.body));
        else await orders.cancel(principal, request.params.id, headerKey(request));
      } catch (error) {
        if (isPaygridError(error)) return sendDomainError(reply, error);
        throw error;
      }
      return read(principal, request.params.id, reply);
    });
  }
}

/**
 * A partial capture on the `capture` link: an optional JSON body `{"amount": {"value": "10.00",
 * "currency_code": "EUR"}, "final_capture": true}` in the shape of iumiCash's amounts; without a
 * body, all that is left is captured, as iumiCash does.
 */
function captureBody(body: unknown): CaptureInput {
  if (body == null || typeof body !== 'object') return {};
  const { amount, final_capture: final } = body as { amount?: unknown; final_capture?: unknown };
  if (final !== undefined && final !== null && typeof final !== 'boolean') throw new PaygridError(ErrorCode.INVALID_INPUT, 'final_capture', 'final_capture is true or false.');
  if (amount == null) return { final: final ?? null };
  if (typeof amount !== 'object') throw new PaygridError(ErrorCode.AMOUNT_INVALID, 'amount.value');
  const { value, currency_code: currencyCode } = amount as { value?: unknown; currency_code?: unknown };
  if (currencyCode != null && typeof currencyCode !== 'string') throw new PaygridError(ErrorCode.CURRENCY_UNKNOWN, 'amount.currency_code');
  return { amount: value as string, currencyCode: currencyCode ?? null, final: final ?? null, amountField: 'amount.value' };
}

/**
 * iumiCash sends its idempotency key as a `RequestId` header, optional in its protocol: when given
 * it is honoured like the GraphQL mutations' key (same order and step: the first answer; another
 * order or step: IDEMPOTENCY_KEY_REUSED); without it a repeat meets the order's state.
 */
function headerKey(request: FastifyRequest): string | null {
  const value = request.headers['requestid'];
  return typeof value === 'string' ? value : null;
}
