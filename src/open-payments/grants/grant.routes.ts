import type { FastifyInstance } from 'fastify';
import { signedRequestOf } from '../signatures/http-signatures';
import { GNAP_PATH, type GrantService } from './grant.service';

/**
 * The GNAP endpoints of the auth server, inside the Open Payments scope (raw body, target URI,
 * `{error}` bodies): grant request, continue and cancel, token rotation and revocation.
 */
export function registerGrantRoutes(scope: FastifyInstance, grants: GrantService): void {
  const noStore = { 'cache-control': 'no-store' };
  scope.post(GNAP_PATH, async (request, reply) => reply.headers(noStore).send(await grants.request(signedRequestOf(request), request.body)));

  scope.post<{ Params: { id: string } }>(`${GNAP_PATH}/continue/:id`, async (request, reply) =>
    reply.headers(noStore).send(await grants.continue(signedRequestOf(request), request.params.id, request.body)),
  );
  scope.delete<{ Params: { id: string } }>(`${GNAP_PATH}/continue/:id`, async (request, reply) => {
    await grants.cancel(signedRequestOf(request), request.params.id);
    return reply.status(204).send();
  });

  scope.post<{ Params: { id: string } }>(`${GNAP_PATH}/token/:id`, async (request, reply) =>
    reply.headers(noStore).send(await grants.rotate(signedRequestOf(request), request.params.id)),
  );
  scope.delete<{ Params: { id: string } }>(`${GNAP_PATH}/token/:id`, async (request, reply) => {
    await grants.revokeToken(signedRequestOf(request), request.params.id);
    return reply.status(204).send();
  });
}
