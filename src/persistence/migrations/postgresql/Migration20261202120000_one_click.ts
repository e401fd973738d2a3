import { Migration } from '@mikro-orm/migrations';

/** 1-Click sign-up and deposit: the deposit's details, the players' KYC profiles (purged after their retention), the operators' notification endpoints. */
export class Migration20261202120000_one_click extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "deposit_details" ("payment_id" varchar(40) not null, "identity_provider" varchar(60) not null, "redirect_uri" text not null, "client_state" text null, "code_challenge" varchar(64) null, "parameters" jsonb not null, "browser_key_hash" varchar(64) not null, "sign_in_ref" varchar(100) null, "sign_in_url" text null, "kyc_profile_id" varchar(40) null, "user_id" varchar(50) null, "session_id" varchar(200) null, "auth_code" varchar(200) null, "merchant_tx_id" varchar(200) null, "payment_ref" varchar(100) null, "payment_url" text null, "psp_ref_id" varchar(100) null, "masked_account" varchar(40) null, "ledger_transfer_id" varchar(40) null, "error" varchar(40) null, "error_description" varchar(60) null, "err_code" varchar(100) null, "err_msg" varchar(500) null, "authorization_code_id" varchar(40) null, constraint "deposit_details_pkey" primary key ("payment_id"));`);
    this.addSql(`create index "deposit_details_kyc_profile_id_index" on "deposit_details" ("kyc_profile_id");`);
    this.addSql(`alter table "deposit_details" add constraint "deposit_details_authorization_code_id_unique" unique ("authorization_code_id");`);
    this.addSql(`create table "kyc_profile" ("id" varchar(40) not null, "client_id" varchar(64) not null, "subject_hash" varchar(64) not null, "identity_provider" varchar(60) not null, "user_id" varchar(50) null, "data" jsonb null, "identified_at" timestamptz null, "reauthenticated_at" timestamptz null, "expires_at" timestamptz null, "created_at" timestamptz not null, constraint "kyc_profile_pkey" primary key ("id"));`);
    this.addSql(`create index "kyc_profile_client_id_index" on "kyc_profile" ("client_id");`);
    this.addSql(`create index "kyc_profile_expires_at_index" on "kyc_profile" ("expires_at");`);
    this.addSql(`alter table "kyc_profile" add constraint "kyc_profile_client_id_subject_hash_unique" unique ("client_id", "subject_hash");`);
    this.addSql(`create table "one_click_operator" ("client_id" varchar(64) not null, "base_url" varchar(2048) not null, "path_prefix" varchar(100) not null, "updated_at" timestamptz not null, constraint "one_click_operator_pkey" primary key ("client_id"));`);
  }
  override async down(): Promise<void> {
    this.addSql(`drop table if exists "deposit_details" cascade;`);
    this.addSql(`drop table if exists "kyc_profile" cascade;`);
    this.addSql(`drop table if exists "one_click_operator" cascade;`);
  }
}
