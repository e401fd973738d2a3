import type { FastifyInstance } from 'fastify';
import { sendOpenPaymentsError } from '../http/open-payments-scope';
import type { WalletAddressService } from './wallet-address.service';

export interface WalletAddressUrls {
  authServer: () => string;
  resourceServer: () => string;
}

/** The public wallet address server: `GET {wa}` and `GET {wa}/jwks.json`, unsigned. */
export function registerWalletAddressRoutes(scope: FastifyInstance, walletAddresses: WalletAddressService, urls: WalletAddressUrls): void {
  scope.get<{ Params: { slug: string } }>('/wallet/:slug', async (request, reply) => {
    const wa = await walletAddresses.bySlug(request.params.slug);
    if (!wa) return sendOpenPaymentsError(request, reply, 404, 'not_found', 'No such wallet address.');
    return reply.send({
      id: wa.url,
      publicName: wa.publicName,
      assetCode: wa.assetCode,
      assetScale: wa.assetScale,
      authServer: urls.authServer(),
      resourceServer: urls.resourceServer(),
    });
  });

  scope.get<{ Params: { slug: string } }>('/wallet/:slug/jwks.json', async (request, reply) => {
    const wa = await walletAddresses.bySlug(request.params.slug);
    if (!wa) return sendOpenPaymentsError(request, reply, 404, 'not_found', 'No such wallet address.');
    return reply.send({ keys: await walletAddresses.activeKeys(wa.id) });
  });
}
