import type { EntityManager, EntityName, FilterQuery, QueryOrderMap } from '@mikro-orm/core';
import { Payment } from '../../payments/payment.entity';
import { paginateWindow, type Window, type WindowRequest } from '../../shared/pagination';
/**
 * The part of a wallet address the resource server works with (op-auth's WalletAddressView has at
 * least these fields), and the look-ups it needs from op-auth's WalletAddressService.
 */
export interface WalletRef {
  id: string;
  url: string;
  accountId: string;
  assetCode: string;
  assetScale: number;
}

export interface WalletLookup {
  /** A full wallet address URL on our base, as a client sends it; null when it is not ours. */
  resolve(url: string): Promise<WalletRef | null>;
  /** `em`: a transaction's, to read inside it (SQLite has one connection). */
  byAccount(accountId: string, em?: EntityManager): Promise<WalletRef | null>;
}

/**
 * Who creates or reads a resource, as the resource services see it: the Open Payments client
 * identity of the grant (its wallet address URL, or `jwk:<thumbprint>` for a directed identity), or
 * null when a merchant or an account holder acts through GraphQL.
 */
export interface ResourceActor {
  clientKey: string | null;
  grantId: string | null;
  /** The Paygrid client acting through GraphQL: the payment is its own, as in every other flow. */
  clientId?: string | null;
}

/**
 * Whose a payment made by an Open Payments client is, in the unified model (`Payment.clientId`):
 * the client holding the account, or, for an account holder's account, no Paygrid client at all.
 */
export const OPEN_PAYMENTS_CLIENT = 'open-payments';

export function paymentClientOf(actor: ResourceActor, accountClientId: string | null): string {
  return actor.clientId ?? accountClientId ?? OPEN_PAYMENTS_CLIENT;
}

/** The details row of an incoming or outgoing payment: what a wallet address's page is read from. */
interface WalletPaymentDetails {
  paymentId: string;
  walletAddressId: string;
  clientKey: string | null;
}

/**
 * A wallet address's payments of one kind, newest first, with their unified payments; only
 * `clientKey`'s when given (read without read-all). Two statements per page, whatever its size.
 */
export async function pageOfWallet<D extends WalletPaymentDetails>(
  em: EntityManager,
  entity: EntityName<D>,
  wallet: WalletRef,
  page: WindowRequest,
  clientKey: string | null | undefined,
): Promise<Window<{ payment: Payment; details: D; wallet: WalletRef }>> {
  const found = await paginateWindow(page, (older, boundary, limit) =>
    em
      .find(
        entity,
        {
          walletAddressId: wallet.id,
          ...(clientKey !== undefined ? { clientKey } : {}),
          ...(boundary ? { paymentId: older ? { $lt: boundary } : { $gt: boundary } } : {}),
        } as FilterQuery<D>,
        { orderBy: { paymentId: older ? 'desc' : 'asc' } as QueryOrderMap<D>, limit },
      )
      .then((rows) => rows.map((details) => ({ id: details.paymentId, details }))),
  );
  const payments = new Map((found.nodes.length ? await em.find(Payment, { id: { $in: found.nodes.map((n) => n.id) } }) : []).map((p) => [p.id, p]));
  return { ...found, nodes: found.nodes.map(({ id, details }) => ({ payment: payments.get(id)!, details, wallet })) };
}
