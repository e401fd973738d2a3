import { Migration } from '@mikro-orm/migrations';

/** Open Payments resources: incoming payments, quotes, outgoing payments, and what each grant spent per interval window. */
export class Migration20261202110000_open_payments_resources extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "incoming_payment" ("payment_id" varchar(40) not null, "wallet_address_id" varchar(40) not null, "incoming_amount" bigint null, "received_amount" bigint not null default 0, "expires_at" timestamptz not null, "metadata" jsonb null, "client_key" varchar(2048) null, "grant_id" varchar(64) null, "completed_at" timestamptz null, constraint "incoming_payment_pkey" primary key ("payment_id"));`);
    this.addSql(`create index "incoming_payment_wallet_address_id_payment_id_index" on "incoming_payment" ("wallet_address_id", "payment_id");`);
    this.addSql(`create table "op_quote" ("id" varchar(40) not null, "wallet_address_id" varchar(40) not null, "account_id" varchar(40) not null, "receiver_payment_id" varchar(40) not null, "asset_code" varchar(10) not null, "asset_scale" int not null, "debit_amount" bigint not null, "receive_amount" bigint not null, "fee" bigint not null, "expires_at" timestamptz not null, "client_key" varchar(2048) null, "grant_id" varchar(64) null, "outgoing_payment_id" varchar(40) null, "created_at" timestamptz not null, constraint "op_quote_pkey" primary key ("id"));`);
    this.addSql(`create index "op_quote_wallet_address_id_id_index" on "op_quote" ("wallet_address_id", "id");`);
    this.addSql(`alter table "op_quote" add constraint "op_quote_outgoing_payment_id_unique" unique ("outgoing_payment_id");`);
    this.addSql(`create table "outgoing_payment" ("payment_id" varchar(40) not null, "wallet_address_id" varchar(40) not null, "quote_id" varchar(40) null, "receiver_payment_id" varchar(40) not null, "debit_amount" bigint not null, "receive_amount" bigint not null, "fee" bigint not null, "sent_amount" bigint not null default 0, "failed" boolean not null default false, "failure_code" varchar(40) null, "metadata" jsonb null, "client_key" varchar(2048) null, "grant_id" varchar(64) null, constraint "outgoing_payment_pkey" primary key ("payment_id"));`);
    this.addSql(`create index "outgoing_payment_wallet_address_id_payment_id_index" on "outgoing_payment" ("wallet_address_id", "payment_id");`);
    this.addSql(`create table "op_grant_spend" ("grant_id" varchar(64) not null, "window_start" varchar(40) not null, "asset_code" varchar(10) not null, "asset_scale" int not null, "debit_spent" bigint not null default 0, "receive_spent" bigint not null default 0, "updated_at" timestamptz not null, constraint "op_grant_spend_pkey" primary key ("grant_id", "window_start"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "op_grant_spend" cascade;`);
    this.addSql(`drop table if exists "outgoing_payment" cascade;`);
    this.addSql(`drop table if exists "op_quote" cascade;`);
    this.addSql(`drop table if exists "incoming_payment" cascade;`);
  }
}
