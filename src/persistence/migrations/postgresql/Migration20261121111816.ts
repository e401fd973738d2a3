import { Migration } from '@mikro-orm/migrations';

export class Migration20261121111816 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "access_token" ("id" varchar(40) not null, "token_hash" varchar(64) not null, "client_id" varchar(64) not null, "user_id" varchar(40) null, "family_id" varchar(40) null, "payment_id" varchar(40) null, "scopes" jsonb not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "created_at" timestamptz not null, constraint "access_token_pkey" primary key ("id"));`);
    this.addSql(`alter table "access_token" add constraint "access_token_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "access_token_client_id_index" on "access_token" ("client_id");`);
    this.addSql(`create index "access_token_user_id_index" on "access_token" ("user_id");`);
    this.addSql(`create index "access_token_family_id_index" on "access_token" ("family_id");`);
    this.addSql(`create index "access_token_payment_id_index" on "access_token" ("payment_id");`);

    this.addSql(`create table "account" ("id" varchar(40) not null, "client_id" varchar(64) null, "user_id" varchar(40) null, "name" varchar(200) null, "kind" text check ("kind" in ('customer', 'settlement')) not null, "asset_code" varchar(10) not null, "asset_scale" int not null, "posted" bigint not null default 0, "reserved" bigint not null default 0, "balance_version" int not null default 0, "created_at" timestamptz not null, constraint "account_pkey" primary key ("id"));`);
    this.addSql(`create index "account_user_id_index" on "account" ("user_id");`);
    this.addSql(`create index "account_client_id_id_index" on "account" ("client_id", "id");`);

    this.addSql(`create table "authorization_code" ("id" varchar(40) not null, "code_hash" varchar(64) not null, "client_id" varchar(64) not null, "user_id" varchar(40) not null, "redirect_uri" text not null, "scopes" jsonb not null, "code_challenge" varchar(64) null, "code_challenge_method" varchar(10) null, "expires_at" timestamptz not null, "used_at" timestamptz null, "created_at" timestamptz not null, constraint "authorization_code_pkey" primary key ("id"));`);
    this.addSql(`alter table "authorization_code" add constraint "authorization_code_code_hash_unique" unique ("code_hash");`);
    this.addSql(`create index "authorization_code_client_id_index" on "authorization_code" ("client_id");`);

    this.addSql(`create table "client" ("id" varchar(64) not null, "name" varchar(200) not null, "secret_hash" varchar(64) not null, "scopes" jsonb not null, "redirect_uris" jsonb not null, "is_public" boolean not null default false, "webhook_secret" varchar(100) not null, "webhook_url" varchar(2048) null, "verified" boolean not null default false, "created_at" timestamptz not null, constraint "client_pkey" primary key ("id"));`);

    this.addSql(`create table "event" ("id" serial primary key, "aggregate_type" varchar(20) not null, "aggregate_id" varchar(40) not null, "sequence" int not null, "type" varchar(60) not null, "client_id" varchar(64) null, "account_ids" jsonb not null, "payload" jsonb not null, "occurred_at" timestamptz not null, "published_at" timestamptz null);`);
    this.addSql(`create index "event_client_id_index" on "event" ("client_id");`);
    this.addSql(`create index "event_published_at_id_index" on "event" ("published_at", "id");`);
    this.addSql(`alter table "event" add constraint "event_aggregate_type_aggregate_id_sequence_unique" unique ("aggregate_type", "aggregate_id", "sequence");`);

    this.addSql(`create table "idempotency_record" ("id" serial primary key, "scope" varchar(120) not null, "key" varchar(255) not null, "operation" varchar(80) not null, "fingerprint" varchar(64) not null, "result" jsonb not null, "created_at" timestamptz not null);`);
    this.addSql(`alter table "idempotency_record" add constraint "idempotency_record_scope_key_unique" unique ("scope", "key");`);

    this.addSql(`create table "initiation_details" ("payment_id" varchar(40) not null, "client_redirect_uri" varchar(2048) not null, "client_state" text null, "instructions" jsonb not null, "payer" jsonb null, "payer_identity" jsonb not null, "operator_identity" jsonb null, "connector_uuid" varchar(40) null, "bank_ref" jsonb null, "error_code" varchar(40) null, "error_description" varchar(500) null, "bank_message" varchar(500) null, "validated_at" timestamptz null, "expires_at" timestamptz not null, constraint "initiation_details_pkey" primary key ("payment_id"));`);

    this.addSql(`create table "ledger_entry" ("id" serial primary key, "transfer_id" varchar(40) not null, "account_id" varchar(40) not null, "asset_code" varchar(10) not null, "amount" bigint not null, "created_at" timestamptz not null);`);
    this.addSql(`create index "ledger_entry_transfer_id_index" on "ledger_entry" ("transfer_id");`);
    this.addSql(`create index "ledger_entry_account_id_index" on "ledger_entry" ("account_id");`);

    this.addSql(`create table "ledger_transfer" ("id" varchar(40) not null, "debit_account_id" varchar(40) not null, "credit_account_id" varchar(40) not null, "amount" bigint not null, "asset_code" varchar(10) not null, "state" text check ("state" in ('pending', 'posted', 'voided')) not null, "purpose" varchar(40) not null, "reference" varchar(200) null, "created_at" timestamptz not null, "settled_at" timestamptz null, constraint "ledger_transfer_pkey" primary key ("id"));`);
    this.addSql(`create index "ledger_transfer_debit_account_id_index" on "ledger_transfer" ("debit_account_id");`);
    this.addSql(`create index "ledger_transfer_credit_account_id_index" on "ledger_transfer" ("credit_account_id");`);

    this.addSql(`create table "login_attempts" ("username_hash" varchar(64) not null, "attempts" int not null default 0, "window_started_at" timestamptz not null, constraint "login_attempts_pkey" primary key ("username_hash"));`);
    this.addSql(`create index "login_attempts_window_started_at_index" on "login_attempts" ("window_started_at");`);

    this.addSql(`create table "order_details" ("payment_id" varchar(40) not null, "external_id" varchar(255) not null, "payer_user_id" varchar(40) not null, "items" jsonb not null, "callback_url" varchar(2048) not null, "success_url" varchar(2048) not null, "error_url" varchar(2048) not null, "transfer_id" varchar(40) null, constraint "order_details_pkey" primary key ("payment_id"));`);

    this.addSql(`create table "payer_session" ("id" varchar(40) not null, "secret_hash" varchar(64) not null, "user_id" varchar(40) null, "expires_at" timestamptz not null, "created_at" timestamptz not null, constraint "payer_session_pkey" primary key ("id"));`);
    this.addSql(`alter table "payer_session" add constraint "payer_session_secret_hash_unique" unique ("secret_hash");`);
    this.addSql(`create index "payer_session_user_id_index" on "payer_session" ("user_id");`);
    this.addSql(`create index "payer_session_expires_at_index" on "payer_session" ("expires_at");`);

    this.addSql(`create table "payment" ("id" varchar(40) not null, "flow" varchar(30) not null, "state" varchar(20) not null, "flow_state" varchar(30) not null, "client_id" varchar(64) not null, "request_id" varchar(40) null, "payer_account_id" varchar(40) null, "beneficiary_account_id" varchar(40) null, "asset_code" varchar(10) not null, "asset_scale" int not null, "amount" bigint not null default 0, "reference" varchar(140) null, "last_sequence" int not null default 0, "version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "payment_pkey" primary key ("id"));`);
    this.addSql(`create index "payment_client_id_index" on "payment" ("client_id");`);
    this.addSql(`create index "payment_beneficiary_account_id_index" on "payment" ("beneficiary_account_id");`);
    this.addSql(`create index "payment_payer_account_id_id_index" on "payment" ("payer_account_id", "id");`);
    this.addSql(`alter table "payment" add constraint "payment_client_id_flow_request_id_unique" unique ("client_id", "flow", "request_id");`);

    this.addSql(`create table "payment_transaction" ("id" varchar(40) not null, "payment_id" varchar(40) not null, "client_id" varchar(64) not null, "amount" bigint not null, "state" text check ("state" in ('pending', 'completed', 'declined', 'failed', 'reverted')) not null, "reference" varchar(140) null, "transfer_id" varchar(40) null, "emitted_at" timestamptz not null, "updated_at" timestamptz not null, constraint "payment_transaction_pkey" primary key ("id"));`);
    this.addSql(`create index "payment_transaction_payment_id_id_index" on "payment_transaction" ("payment_id", "id");`);

    this.addSql(`create table "refresh_token" ("id" varchar(40) not null, "token_hash" varchar(64) not null, "client_id" varchar(64) not null, "user_id" varchar(40) not null, "family_id" varchar(40) not null, "scopes" jsonb not null, "consented_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "revoked_at" timestamptz null, "created_at" timestamptz not null, constraint "refresh_token_pkey" primary key ("id"));`);
    this.addSql(`alter table "refresh_token" add constraint "refresh_token_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "refresh_token_client_id_index" on "refresh_token" ("client_id");`);
    this.addSql(`create index "refresh_token_family_id_index" on "refresh_token" ("family_id");`);

    this.addSql(`create table "scheduled_job" ("id" varchar(40) not null, "kind" varchar(60) not null, "key" varchar(200) null, "payload" jsonb not null, "state" text check ("state" in ('pending', 'running', 'done', 'failed')) not null default 'pending', "run_at" timestamptz not null, "attempts" int not null default 0, "locked_until" timestamptz null, "last_error" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "scheduled_job_pkey" primary key ("id"));`);
    this.addSql(`create index "scheduled_job_state_run_at_index" on "scheduled_job" ("state", "run_at");`);
    this.addSql(`alter table "scheduled_job" add constraint "scheduled_job_kind_key_unique" unique ("kind", "key");`);

    this.addSql(`create table "app_user" ("id" varchar(40) not null, "username" varchar(64) not null, "name" varchar(200) null, "password_hash" varchar(200) not null, "created_at" timestamptz not null, constraint "app_user_pkey" primary key ("id"));`);
    this.addSql(`alter table "app_user" add constraint "app_user_username_unique" unique ("username");`);

    this.addSql(`create table "webhook_attempt" ("id" serial primary key, "delivery_id" varchar(40) not null, "number" int not null, "attempted_at" timestamptz not null, "status" int null, "error" varchar(500) null, "duration_ms" int not null, "resend" boolean not null default false);`);
    this.addSql(`alter table "webhook_attempt" add constraint "webhook_attempt_delivery_id_number_unique" unique ("delivery_id", "number");`);

    this.addSql(`create table "webhook_delivery" ("id" varchar(40) not null, "client_id" varchar(64) not null, "payment_id" varchar(40) null, "event_type" varchar(60) not null, "url" text not null, "body" text not null, "scheme" text check ("scheme" in ('iumicash', 'powens', 'standard')) not null, "state" text check ("state" in ('pending', 'delivered', 'dead')) not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz null, "last_status" int null, "last_error" varchar(500) null, "created_at" timestamptz not null, "delivered_at" timestamptz null, constraint "webhook_delivery_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_delivery_payment_id_index" on "webhook_delivery" ("payment_id");`);
    this.addSql(`create index "webhook_delivery_client_id_id_index" on "webhook_delivery" ("client_id", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "access_token" cascade;`);

    this.addSql(`drop table if exists "account" cascade;`);

    this.addSql(`drop table if exists "authorization_code" cascade;`);

    this.addSql(`drop table if exists "client" cascade;`);

    this.addSql(`drop table if exists "event" cascade;`);

    this.addSql(`drop table if exists "idempotency_record" cascade;`);

    this.addSql(`drop table if exists "initiation_details" cascade;`);

    this.addSql(`drop table if exists "ledger_entry" cascade;`);

    this.addSql(`drop table if exists "ledger_transfer" cascade;`);

    this.addSql(`drop table if exists "login_attempts" cascade;`);

    this.addSql(`drop table if exists "order_details" cascade;`);

    this.addSql(`drop table if exists "payer_session" cascade;`);

    this.addSql(`drop table if exists "payment" cascade;`);

    this.addSql(`drop table if exists "payment_transaction" cascade;`);

    this.addSql(`drop table if exists "refresh_token" cascade;`);

    this.addSql(`drop table if exists "scheduled_job" cascade;`);

    this.addSql(`drop table if exists "app_user" cascade;`);

    this.addSql(`drop table if exists "webhook_attempt" cascade;`);

    this.addSql(`drop table if exists "webhook_delivery" cascade;`);
  }

}
