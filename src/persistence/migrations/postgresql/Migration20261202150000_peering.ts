import { Migration } from '@mikro-orm/migrations';

/** Peering between Paygrid instances (issue 10): the peers and the transfers they sent us, once per id. */
export class Migration20261202150000_peering extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "peer" ("id" varchar(40) not null, "name" varchar(200) not null, "op_origin" varchar(300) not null, "asset_code" varchar(10) not null, "asset_scale" int not null, "credit_limit" bigint not null, "wallet_address_url" text not null, "keys" jsonb not null, "account_id" varchar(40) not null, "created_at" timestamptz not null, constraint "peer_pkey" primary key ("id"));`);
    this.addSql(`alter table "peer" add constraint "peer_op_origin_unique" unique ("op_origin");`);
    this.addSql(`alter table "peer" add constraint "peer_account_id_unique" unique ("account_id");`);
    this.addSql(`create table "peer_transfer" ("id" varchar(40) not null, "peer_id" varchar(40) not null, "transfer_id" varchar(100) not null, "incoming_payment_id" varchar(40) not null, "amount" bigint not null, "outgoing_payment" text not null, "ledger_transfer_id" varchar(40) not null, "created_at" timestamptz not null, constraint "peer_transfer_pkey" primary key ("id"));`);
    this.addSql(`alter table "peer_transfer" add constraint "peer_transfer_peer_id_transfer_id_unique" unique ("peer_id", "transfer_id");`);
    this.addSql(`create table "instance_key" ("id" varchar(40) not null, "kid" varchar(200) not null, "private_key" text not null, "jwk" jsonb not null, "created_at" timestamptz not null, constraint "instance_key_pkey" primary key ("id"));`);
    this.addSql(`alter table "op_quote" add column "receiver_url" text null, add column "peer_id" varchar(40) null;`);
    this.addSql(`alter table "outgoing_payment" add column "receiver_url" text null, add column "peer_id" varchar(40) null;`);
    this.addSql(`create index "peer_transfer_incoming_payment_id_index" on "peer_transfer" ("incoming_payment_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "outgoing_payment" drop column "peer_id", drop column "receiver_url";`);
    this.addSql(`alter table "op_quote" drop column "peer_id", drop column "receiver_url";`);
    this.addSql(`drop table if exists "instance_key" cascade;`);
    this.addSql(`drop table if exists "peer_transfer" cascade;`);
    this.addSql(`drop table if exists "peer" cascade;`);
  }
}
