import { Scope } from '../oauth/scopes';

/**
 * The scope each operation needs (any one of them), for every face: GraphQL fields by
 * `Type.field`, REST routes by `METHOD path`. Checked before the policy table decides which
 * objects. An empty list: any valid token. The access matrix test requires every operation of the
 * schema to be listed here.
 */
export const OPERATION_SCOPES: Readonly<Record<string, readonly Scope[]>> = {
  'Query.account': [Scope.ACCOUNTS_READ],
  'Query.accounts': [Scope.ACCOUNTS_READ],
  'Query.payment': [Scope.PAYMENTS_READ],
  'Query.transaction': [Scope.PAYMENTS_READ],
  'Query.order': [Scope.ORDERS_WRITE],
  'Query.initiation': [Scope.PAYMENTS_ADMIN, Scope.PAYMENTS_VALIDATE],
  'Query.webhookDeliveries': [Scope.PAYMENTS_READ],
  'Query.webhookDelivery': [Scope.PAYMENTS_READ],
  'Query.ledgerReport': [Scope.LEDGER_READ],
  'Query.peers': [Scope.LEDGER_READ],
  'Query.peerPositions': [Scope.LEDGER_READ],
  'Mutation.createPeer': [Scope.LEDGER_FUND],
  'Mutation.recordPeerSettlement': [Scope.LEDGER_FUND],
  'Query.payer': [Scope.PROFILE],
  'Query.viewer': [],
  'Query.deposit': [Scope.PAYMENTS_READ],
  'Query.kycProfile': [Scope.PROFILE],
  'Account.payments': [Scope.PAYMENTS_READ],
  'Payment.payerAccount': [Scope.ACCOUNTS_READ],
  'Payment.beneficiaryAccount': [Scope.ACCOUNTS_READ],
  'Mutation.createAccount': [Scope.ACCOUNTS_WRITE],
  'Mutation.fundAccount': [Scope.LEDGER_FUND],
  'Mutation.createAccountPayment': [Scope.PAYMENTS_WRITE],
  'Mutation.addPaymentTransaction': [Scope.PAYMENTS_WRITE],
  'Mutation.cancelPaymentTransaction': [Scope.PAYMENTS_WRITE],
  'Mutation.authorizePayment': [Scope.PAYMENTS_WRITE],
  'Mutation.executePayment': [Scope.PAYMENTS_WRITE],
  'Mutation.cancelPayment': [Scope.PAYMENTS_WRITE],
  'Mutation.createOrder': [Scope.ORDERS_WRITE],
  'Mutation.captureOrder': [Scope.ORDERS_WRITE],
  'Mutation.cancelOrder': [Scope.ORDERS_WRITE],
  'Mutation.refundPayment': [Scope.PAYMENTS_WRITE, Scope.ORDERS_WRITE],
  'Mutation.cancelInitiation': [Scope.PAYMENTS_ADMIN],
  'Query.payments': [Scope.PAYMENTS_READ, Scope.PAYMENTS_ADMIN],
  'Query.orders': [Scope.ORDERS_WRITE],
  'Query.initiations': [Scope.PAYMENTS_ADMIN],
  'Mutation.createInitiation': [Scope.PAYMENTS_ADMIN],
  'Mutation.createInitiationToken': [Scope.PAYMENTS_ADMIN],
  'Mutation.setWebhookUrl': [Scope.PAYMENTS_ADMIN],
  'Mutation.resendWebhookDelivery': [Scope.PAYMENTS_WRITE],
  'Mutation.startDeposit': [Scope.PAYMENTS_WRITE],
  'Mutation.cancelDeposit': [Scope.PAYMENTS_WRITE],
  'Mutation.setOneClickOperator': [Scope.PAYMENTS_WRITE],
  'Subscription.paymentUpdated': [Scope.PAYMENTS_READ, Scope.PAYMENTS_ADMIN, Scope.PAYMENTS_VALIDATE],
  'Subscription.accountPaymentUpdated': [Scope.PAYMENTS_READ],
  'Subscription.accountBalanceUpdated': [Scope.ACCOUNTS_READ],
  'Query.incomingPayment': [Scope.PAYMENTS_READ],
  'Query.incomingPayments': [Scope.PAYMENTS_READ],
  'Query.quote': [Scope.PAYMENTS_READ],
  'Query.outgoingPayment': [Scope.PAYMENTS_READ],
  'Query.outgoingPayments': [Scope.PAYMENTS_READ],
  'IncomingPayment.payment': [Scope.PAYMENTS_READ],
  'OutgoingPayment.payment': [Scope.PAYMENTS_READ],
  'Mutation.createIncomingPayment': [Scope.PAYMENTS_WRITE],
  'Mutation.completeIncomingPayment': [Scope.PAYMENTS_WRITE],
  'Mutation.createQuote': [Scope.PAYMENTS_WRITE],
  'Mutation.createOutgoingPayment': [Scope.PAYMENTS_WRITE],
  'Query.walletAddress': [Scope.ACCOUNTS_READ],
  'Query.walletAddresses': [Scope.ACCOUNTS_READ],
  'Mutation.createWalletAddress': [Scope.ACCOUNTS_WRITE],
  'Mutation.addWalletAddressKey': [Scope.ACCOUNTS_WRITE],
  'Mutation.revokeWalletAddressKey': [Scope.ACCOUNTS_WRITE],
  'Query.grant': [Scope.ACCOUNTS_READ],
  'Query.grants': [Scope.ACCOUNTS_READ],
  'Mutation.revokeGrant': [Scope.ACCOUNTS_WRITE],
  'GET /orders/:id': [Scope.ORDERS_WRITE],
  'POST /orders/:id/capture': [Scope.ORDERS_WRITE],
  'POST /orders/:id/cancel': [Scope.ORDERS_WRITE],
};

/** Whether scopes allow an operation; an operation missing from the table is refused. */
export function scopesAllow(operation: string, held: ReadonlySet<string>): boolean {
  const needed = OPERATION_SCOPES[operation];
  if (!needed) return false;
  return needed.length === 0 || needed.some((s) => held.has(s));
}
