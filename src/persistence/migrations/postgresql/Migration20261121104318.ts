import { Migration } from '@mikro-orm/migrations';

export class Migration20261121104318 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "initiation_details" ("payment_id" varchar(40) not null, "client_redirect_uri" varchar(2048) not null, "client_state" text null, "instructions" jsonb not null, "payer" jsonb null, "payer_identity" jsonb not null, "operator_identity" jsonb null, "connector_uuid" varchar(40) null, "bank_ref" jsonb null, "error_code" varchar(40) null, "error_description" varchar(500) null, "bank_message" varchar(500) null, "validated_at" timestamptz null, "expires_at" timestamptz not null, constraint "initiation_details_pkey" primary key ("payment_id"));`);

    this.addSql(`alter table "access_token" add column "payment_id" varchar(40) null;`);
    this.addSql(`create index "access_token_payment_id_index" on "access_token" ("payment_id");`);

    this.addSql(`alter table "client" add column "webhook_url" varchar(2048) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "initiation_details" cascade;`);

    this.addSql(`drop index "access_token_payment_id_index";`);
    this.addSql(`alter table "access_token" drop column "payment_id";`);

    this.addSql(`alter table "client" drop column "webhook_url";`);
  }

}
