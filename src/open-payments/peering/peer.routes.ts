import type { FastifyInstance } from 'fastify';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { registerOpenPaymentsScope } from '../http/open-payments-scope';
import { signatureKeyId, signedRequestOf, type SignatureVerifier } from '../signatures/http-signatures';
import type { PeerService, PeerTransferRequest } from './peer.service';

export const PEER_TRANSFERS_PATH = '/peer/v1/transfers';

/**
 * The receiving side of peer transfers: `POST /peer/v1/transfers`, signed (RFC 9421, as Open
 * Payments signs) with a key of a configured peer. 201 for a new transfer, 200 for a repeat of its
 * id; a 4xx is a definite refusal (nothing moved), a 5xx may be retried with the same id.
 */
export async function registerPeerRoutes(app: FastifyInstance, peers: PeerService, signatures: SignatureVerifier): Promise<void> {
  await registerOpenPaymentsScope(
    app,
    (scope) => {
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
