import type { Config } from '../../config/config';
import type { PublicUrl } from '../../config/public-url';
import type { Scheduler } from '../../jobs/scheduler';
import type { LedgerService } from '../../ledger/ledger.service';
import type { Database } from '../../persistence/database';
import type { Clock } from '../../shared/clock';
import type { WebhookService } from '../../webhooks/webhook.service';
import { IncomingPaymentService } from '../incoming-payments/incoming-payment.service';
import { OutgoingPaymentService } from '../outgoing-payments/outgoing-payment.service';
import { QuoteService } from '../quotes/quote.service';
import { ResourceUrls } from './resource-urls';
import { ResourceWebhooks } from './resource-webhooks';
import type { WalletLookup } from './wallet';
import type { ExchangeRates } from '../../providers/exchange-rates/exchange-rates';

export interface OpenPaymentsResources {
  incomingPayments: IncomingPaymentService;
  quotes: QuoteService;
  outgoingPayments: OutgoingPaymentService;
  resourceUrls: ResourceUrls;
}

/** The resource side of Open Payments: incoming payments, quotes, outgoing payments and grant spending. */
export function createOpenPaymentsResources(
  deps: { db: Database; ledger: LedgerService; webhooks: WebhookService; scheduler: Scheduler; clock: Clock; publicUrl: PublicUrl; walletAddresses: WalletLookup; exchangeRates: ExchangeRates },
  config: Config,
): OpenPaymentsResources {
  const { db, ledger, scheduler, clock, walletAddresses, exchangeRates } = deps;
  const resourceUrls = new ResourceUrls(deps.publicUrl);
  const webhooks = new ResourceWebhooks(deps.webhooks);
  const incomingPayments = new IncomingPaymentService(db, walletAddresses, resourceUrls, webhooks, scheduler, clock, {
    maxExpiryMs: config.opIncomingPaymentMaxExpiryDays * 86_400_000,
    metadataMaxBytes: config.opMetadataMaxBytes,
  });
  const quotes = new QuoteService(db, walletAddresses, incomingPayments, exchangeRates, resourceUrls, clock, {
    lifetimeMs: config.opQuoteLifetimeSeconds * 1000,
    fee: { fixed: config.opFeeFixed, basisPoints: BigInt(config.opFeeBasisPoints) },
  });
  const outgoingPayments = new OutgoingPaymentService(db, ledger, walletAddresses, incomingPayments, quotes, resourceUrls, webhooks, clock, {
    metadataMaxBytes: config.opMetadataMaxBytes,
  });
  return { incomingPayments, quotes, outgoingPayments, resourceUrls };
}
