import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config';
import type { PublicUrl } from '../config/public-url';
import type { Scheduler } from '../jobs/scheduler';
import { OutboundHttp } from '../outbound/outbound-http';
import type { Database } from '../persistence/database';
import type { Clock } from '../shared/clock';
import { GrantAccessService } from './grants/grant-access';
import { registerGrantRoutes } from './grants/grant.routes';
import { GNAP_PATH, GrantService } from './grants/grant.service';
import { registerInteractionRoutes } from './grants/interaction.routes';
import { registerOpenPaymentsScope, useOpenPaymentsBase } from './http/open-payments-scope';
import { ClientKeys } from './signatures/client-keys';
import { SignatureVerifier } from './signatures/http-signatures';
import { registerWalletAddressRoutes } from './wallet-addresses/wallet-address.routes';
import { WalletAddressService } from './wallet-addresses/wallet-address.service';

/** A client's wallet address or JWKS is small: a larger answer is refused. */
const MAX_CLIENT_DOCUMENT_BYTES = 32 * 1024;

export interface OpenPaymentsAuth {
  walletAddresses: WalletAddressService;
  grants: GrantService;
  grantAccess: GrantAccessService;
  /** Verifies RFC 9421 signatures (the GNAP AS, the RS, and peer transfers). */
  signatures: SignatureVerifier;
}

/** The auth side of Open Payments: wallet addresses and keys, request signatures, the GNAP AS. */
export function createOpenPaymentsAuth(db: Database, clock: Clock, scheduler: Scheduler, publicUrl: PublicUrl, config: Config): OpenPaymentsAuth {
  const walletAddresses = new WalletAddressService(db, publicUrl, clock);
  // Client documents go through the same destination rules, with a shorter time and a smaller size.
  const outbound = new OutboundHttp({
    allowLoopback: config.outboundAllowLoopback,
    connectTimeoutMs: Math.min(config.outboundConnectTimeoutMs, config.opClientFetchTimeoutMs),
    timeoutMs: config.opClientFetchTimeoutMs,
    maxResponseBytes: MAX_CLIENT_DOCUMENT_BYTES,
  });
  const clientKeys = new ClientKeys(outbound, walletAddresses, clock, { cacheSeconds: config.opClientKeyCacheSeconds });
  const signatures = new SignatureVerifier(db, clock, scheduler, { windowSeconds: config.opSignatureWindowSeconds });
  const grants = new GrantService(db, clock, walletAddresses, clientKeys, signatures, () => publicUrl.base(), {
    interactionSeconds: config.gnapInteractionSeconds,
    accessTokenSeconds: config.gnapAccessTokenSeconds,
    waitSeconds: config.gnapContinueWaitSeconds,
  });
  return { walletAddresses, grants, grantAccess: new GrantAccessService(grants), signatures };
}

/** Sets the Open Payments base (before any Open Payments scope) and registers the wallet address server and the AS. */
export async function registerOpenPaymentsAuthRoutes(http: FastifyInstance, auth: OpenPaymentsAuth, publicUrl: PublicUrl): Promise<void> {
  useOpenPaymentsBase(http, () => publicUrl.base());
  await registerOpenPaymentsScope(http, (scope) => {
    registerWalletAddressRoutes(scope, auth.walletAddresses, { authServer: () => publicUrl.to(GNAP_PATH), resourceServer: () => publicUrl.to('/op') });
    registerGrantRoutes(scope, auth.grants);
  });
}

/** The consent pages, inside the pages scope. */
export function registerOpenPaymentsPages(pages: FastifyInstance, auth: OpenPaymentsAuth): void {
  registerInteractionRoutes(pages, auth.grants);
}
