import type { FastifyInstance } from 'fastify';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { registerOpenPaymentsScope } from '../http/open-payments-scope';
import { signatureKeyId, signedRequestOf, type SignatureVerifier } from '../signatures/http-signatures';
import { INSTANCE_WALLET_PATH, type InstanceIdentity } from './instance-identity';
import type { PeerService, PeerTransferRequest } from './peer.service';

export const PEER_TRANSFERS_PATH = '/peer/v1/transfers';
export const PEER_POSITION_PATH = '/peer/v1/position';

export interface InstanceWalletDocument {
  identity: InstanceIdentity;
  publicName: string;
  assetCode: string;
  assetScale: number;
  authServer: () => string;
  resourceServer: () => string;
}

/**
 * The instance wallet address (`/.well-known/pay` and its jwks.json, public): who this instance is
 * when it acts as an Open Payments client of a peer, and the key its peer transfers are signed with.
 * Then the receiving side of peer transfers: `POST /peer/v1/transfers`, signed (RFC 9421, as Open
 * Payments signs) with a key of a configured peer. 201 for a new transfer, 200 for a repeat of its
 * id; a 4xx is a definite refusal (nothing moved), a 5xx may be retried with the same id.
 */
export async function registerPeerRoutes(app: FastifyInstance, peers: PeerService, signatures: SignatureVerifier, instance: InstanceWalletDocument): Promise<void> {
  await registerOpenPaymentsScope(
    app,
    (scope) => {
      scope.get(INSTANCE_WALLET_PATH, async (_request, reply) =>
        reply.send({
          id: instance.identity.walletAddressUrl(),
          publicName: instance.publicName,
          assetCode: instance.assetCode,
          assetScale: instance.assetScale,
          authServer: instance.authServer(),
          resourceServer: instance.resourceServer(),
        }),
      );
      scope.get(`${INSTANCE_WALLET_PATH}/jwks.json`, async (_request, reply) => reply.send({ keys: [(await instance.identity.key()).jwk] }));
      // The calling peer's position in our books, for its reconciliation (signed with its key, like transfers).
      scope.get(PEER_POSITION_PATH, async (request, reply) => {
        const signed = signedRequestOf(request);
        const keyId = signatureKeyId(signed);
        const peer = keyId ? await peers.byKeyId(keyId) : null;
        if (!peer) throw new PaygridError(ErrorCode.SIGNATURE_INVALID, null, 'The request is not signed with a key of a configured peer.');
        await signatures.verify(signed, peer.keys);
        return reply.send({ assetCode: peer.assetCode, assetScale: peer.assetScale, position: (await peers.position(peer)).toString() });
      });
      scope.post(PEER_TRANSFERS_PATH, async (request, reply) => {
        const signed = signedRequestOf(request);
        const keyId = signatureKeyId(signed);
        const peer = keyId ? await peers.byKeyId(keyId) : null;
        if (!peer) throw new PaygridError(ErrorCode.SIGNATURE_INVALID, null, 'The request is not signed with a key of a configured peer.');
        // A transfer is idempotent by its id: a duplicate delivery (even the same bytes) must get the
        // first answer, never a refusal the sender would take as definite.
        await signatures.verify(signed, peer.keys, { idempotent: true });
        const body = request.body;
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new PaygridError(ErrorCode.INVALID_INPUT, null, 'The body is a JSON object.');
        const { answer, replay } = await peers.receiveTransfer(peer, body as PeerTransferRequest);
        return reply.status(replay ? 200 : 201).send(answer);
      });
    },
    {
      [ErrorCode.PEER_CREDIT_EXCEEDED]: { status: 403, code: 'credit_limit_exceeded' },
      [ErrorCode.RECEIVER_INVALID]: { status: 409, code: 'receiver_invalid' },
      [ErrorCode.IDEMPOTENCY_KEY_REUSED]: { status: 409, code: 'transfer_id_reused' },
    },
  );
}
