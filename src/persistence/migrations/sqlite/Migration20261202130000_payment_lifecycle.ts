import { Migration } from '@mikro-orm/migrations';

/**
 * The rest of a payment's life (issue 11): what was captured and refunded of each payment, when its
 * authorization lapses, the kind of each transaction (refunds and partial captures are
 * transactions of their own) and how an order is captured.
 */
export class Migration20261202130000_payment_lifecycle extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`payment\` add column \`captured_amount\` bigint not null default 0;`);
    this.addSql(`alter table \`payment\` add column \`refunded_amount\` bigint not null default 0;`);
    this.addSql(`alter table \`payment\` add column \`refund_status\` text null;`);
    this.addSql(`alter table \`payment\` add column \`authorization_expires_at\` datetime null;`);
    this.addSql(`create index \`payment_authorization_expires_at_index\` on \`payment\` (\`authorization_expires_at\`);`);
    this.addSql(`create index \`payment_client_id_id_index\` on \`payment\` (\`client_id\`, \`id\`);`);
    this.addSql(`alter table \`payment_transaction\` add column \`kind\` text not null default 'payment';`);
    this.addSql(`alter table \`order_details\` add column \`capture_mode\` text not null default 'single';`);
    // What earlier versions moved: a completed account payment and a captured order took their whole amount.
    this.addSql(`update \`payment\` set \`captured_amount\` = \`amount\` where (\`flow\` = 'account_payment' and \`flow_state\` = 'completed') or (\`flow\` = 'order' and \`flow_state\` in ('captured', 'completed'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table \`order_details\` drop column \`capture_mode\`;`);
    this.addSql(`alter table \`payment_transaction\` drop column \`kind\`;`);
    this.addSql(`drop index if exists \`payment_client_id_id_index\`;`);
    this.addSql(`drop index if exists \`payment_authorization_expires_at_index\`;`);
    this.addSql(`alter table \`payment\` drop column \`captured_amount\`;`);
    this.addSql(`alter table \`payment\` drop column \`refunded_amount\`;`);
    this.addSql(`alter table \`payment\` drop column \`refund_status\`;`);
    this.addSql(`alter table \`payment\` drop column \`authorization_expires_at\`;`);
  }
}
