import type { Tx } from '../../persistence/database';
import type { Payment } from '../../payments/payment.entity';
import { Client } from '../../oauth/client.entity';
import type { WebhookService } from '../../webhooks/webhook.service';
import { OPEN_PAYMENTS_CLIENT } from './wallet';

/**
 * Webhooks of Open Payments resources (incoming_payment.created, outgoing_payment.completed, …), to
 * the endpoint of the payment's client (the one that made it through GraphQL, or that holds the
 * account; an account holder's own account has none), queued in the caller's transaction
 * with the event (the outbox), with the resource as the client reads it.
 */
export class ResourceWebhooks {
  constructor(private readonly webhooks: WebhookService) {}

  async notify(tx: Tx, payment: Payment, type: string, data: Record<string, unknown>): Promise<void> {
    if (payment.clientId === OPEN_PAYMENTS_CLIENT) return;
    const client = await tx.em.findOne(Client, { id: payment.clientId }, { fields: ['webhookUrl'] });
    if (!client?.webhookUrl) return;
    await this.webhooks.enqueue(tx, {
      clientId: payment.clientId,
      url: client.webhookUrl,
      eventType: type,
      paymentId: payment.id,
      body: { type, data },
      scheme: 'standard',
    });
  }
}
