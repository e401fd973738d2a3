import { Migration } from '@mikro-orm/migrations';

/** Open Payments, auth side: wallet addresses and their keys, GNAP grants and access tokens, seen request signatures. */
export class Migration20261202100000_open_payments_auth extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "wallet_address" ("id" varchar(40) not null, "account_id" varchar(40) not null, "slug" varchar(64) not null, "public_name" varchar(200) not null, "created_at" timestamptz not null, constraint "wallet_address_pkey" primary key ("id"));`);
    this.addSql(`create table "wallet_address_key" ("id" varchar(40) not null, "wallet_address_id" varchar(40) not null, "kid" varchar(200) not null, "jwk" jsonb not null, "created_at" timestamptz not null, "revoked_at" timestamptz null, constraint "wallet_address_key_pkey" primary key ("id"));`);
    this.addSql(`create table "seen_signature" ("hash" varchar(64) not null, "expires_at" timestamptz not null, constraint "seen_signature_pkey" primary key ("hash"));`);
    this.addSql(`create table "gnap_grant" ("id" varchar(40) not null, "state" text check ("state" in ('processing', 'pending', 'approved', 'finalized')) not null, "finalization_reason" text check ("finalization_reason" in ('issued', 'revoked', 'rejected')) null, "client_wallet_address" text null, "client_jwk" jsonb null, "client_key_id" varchar(200) not null, "client_name" varchar(200) null, "access" jsonb not null, "account_id" varchar(40) null, "auth_server_url" text not null, "continue_token_hash" varchar(64) not null, "continue_not_before" timestamptz not null, "finish_uri" text null, "client_nonce" varchar(200) null, "interact_nonce" varchar(64) null, "interaction_expires_at" timestamptz null, "interact_ref_hash" varchar(64) null, "interact_ref_used" boolean not null default false, "approved_by_user_id" varchar(40) null, "finalized_by" varchar(64) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "gnap_grant_pkey" primary key ("id"));`);
    this.addSql(`create table "gnap_access_token" ("id" varchar(40) not null, "grant_id" varchar(40) not null, "value_hash" varchar(64) not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "created_at" timestamptz not null, constraint "gnap_access_token_pkey" primary key ("id"));`);
    this.addSql(`alter table "wallet_address" add constraint "wallet_address_account_id_unique" unique ("account_id");`);
    this.addSql(`alter table "wallet_address" add constraint "wallet_address_slug_unique" unique ("slug");`);
    this.addSql(`alter table "wallet_address_key" add constraint "wallet_address_key_wallet_address_id_kid_unique" unique ("wallet_address_id", "kid");`);
    this.addSql(`alter table "gnap_access_token" add constraint "gnap_access_token_value_hash_unique" unique ("value_hash");`);
    this.addSql(`create index "wallet_address_key_wallet_address_id_index" on "wallet_address_key" ("wallet_address_id");`);
    this.addSql(`create index "seen_signature_expires_at_index" on "seen_signature" ("expires_at");`);
    this.addSql(`create index "gnap_grant_account_id_id_index" on "gnap_grant" ("account_id", "id");`);
    this.addSql(`create index "gnap_grant_interact_ref_hash_index" on "gnap_grant" ("interact_ref_hash");`);
    this.addSql(`create index "gnap_access_token_grant_id_index" on "gnap_access_token" ("grant_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "gnap_access_token" cascade;`);
    this.addSql(`drop table if exists "gnap_grant" cascade;`);
    this.addSql(`drop table if exists "seen_signature" cascade;`);
    this.addSql(`drop table if exists "wallet_address_key" cascade;`);
    this.addSql(`drop table if exists "wallet_address" cascade;`);
  }
}
