import { Migration } from '@mikro-orm/migrations';

/** Open Payments resources: incoming payments, quotes, outgoing payments, and what each grant spent per interval window. */
export class Migration20261202110000_open_payments_resources extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`incoming_payment\` (\`payment_id\` text not null, \`wallet_address_id\` text not null, \`incoming_amount\` bigint null, \`received_amount\` bigint not null default 0, \`expires_at\` datetime not null, \`metadata\` json null, \`client_key\` text null, \`grant_id\` text null, \`completed_at\` datetime null, primary key (\`payment_id\`));`);
    this.addSql(`create index \`incoming_payment_wallet_address_id_payment_id_index\` on \`incoming_payment\` (\`wallet_address_id\`, \`payment_id\`);`);
    this.addSql(`create table \`op_quote\` (\`id\` text not null, \`wallet_address_id\` text not null, \`account_id\` text not null, \`receiver_payment_id\` text not null, \`asset_code\` text not null, \`asset_scale\` integer not null, \`debit_amount\` bigint not null, \`receive_amount\` bigint not null, \`fee\` bigint not null, \`expires_at\` datetime not null, \`client_key\` text null, \`grant_id\` text null, \`outgoing_payment_id\` text null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`op_quote_wallet_address_id_id_index\` on \`op_quote\` (\`wallet_address_id\`, \`id\`);`);
    this.addSql(`create unique index \`op_quote_outgoing_payment_id_unique\` on \`op_quote\` (\`outgoing_payment_id\`);`);
    this.addSql(`create table \`outgoing_payment\` (\`payment_id\` text not null, \`wallet_address_id\` text not null, \`quote_id\` text null, \`receiver_payment_id\` text not null, \`debit_amount\` bigint not null, \`receive_amount\` bigint not null, \`fee\` bigint not null, \`sent_amount\` bigint not null default 0, \`failed\` integer not null default false, \`failure_code\` text null, \`metadata\` json null, \`client_key\` text null, \`grant_id\` text null, primary key (\`payment_id\`));`);
    this.addSql(`create index \`outgoing_payment_wallet_address_id_payment_id_index\` on \`outgoing_payment\` (\`wallet_address_id\`, \`payment_id\`);`);
    this.addSql(`create table \`op_grant_spend\` (\`grant_id\` text not null, \`window_start\` text not null, \`asset_code\` text not null, \`asset_scale\` integer not null, \`debit_spent\` bigint not null default 0, \`receive_spent\` bigint not null default 0, \`updated_at\` datetime not null, primary key (\`grant_id\`, \`window_start\`));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`op_grant_spend\`;`);
    this.addSql(`drop table if exists \`outgoing_payment\`;`);
    this.addSql(`drop table if exists \`op_quote\`;`);
    this.addSql(`drop table if exists \`incoming_payment\`;`);
  }
}
