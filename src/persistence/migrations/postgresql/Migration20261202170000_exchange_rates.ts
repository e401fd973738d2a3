import { Migration } from '@mikro-orm/migrations';

/** Cross-currency quotes (issue 10): the sandbox provider's rates, and the receiver's asset and rate of a quote and a payment. */
export class Migration20261202170000_exchange_rates extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "exchange_rate" ("pair" varchar(7) not null, "from_asset" varchar(3) not null, "to_asset" varchar(3) not null, "rate" varchar(30) not null, "updated_at" timestamptz not null, "updated_by" varchar(40) not null, constraint "exchange_rate_pkey" primary key ("pair"));`);
    this.addSql(`alter table "outgoing_payment" add column "receive_asset_code" varchar(10) null, add column "receive_asset_scale" int null, add column "exchange_rate" varchar(30) null;`);
    this.addSql(`alter table "op_quote" add column "receive_asset_code" varchar(10) null, add column "receive_asset_scale" int null, add column "exchange_rate" varchar(30) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "exchange_rate" cascade;`);
    this.addSql(`alter table "op_quote" drop column "receive_asset_code", drop column "receive_asset_scale", drop column "exchange_rate";`);
    this.addSql(`alter table "outgoing_payment" drop column "receive_asset_code", drop column "receive_asset_scale", drop column "exchange_rate";`);
  }
}
