import { Migration } from '@mikro-orm/migrations';

export class Migration20261121111816 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`access_token\` (\`id\` text not null, \`token_hash\` text not null, \`client_id\` text not null, \`user_id\` text null, \`family_id\` text null, \`payment_id\` text null, \`scopes\` json not null, \`expires_at\` datetime not null, \`revoked_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`access_token_token_hash_unique\` on \`access_token\` (\`token_hash\`);`);
    this.addSql(`create index \`access_token_client_id_index\` on \`access_token\` (\`client_id\`);`);
    this.addSql(`create index \`access_token_user_id_index\` on \`access_token\` (\`user_id\`);`);
    this.addSql(`create index \`access_token_family_id_index\` on \`access_token\` (\`family_id\`);`);
    this.addSql(`create index \`access_token_payment_id_index\` on \`access_token\` (\`payment_id\`);`);

    this.addSql(`create table \`account\` (\`id\` text not null, \`client_id\` text null, \`user_id\` text null, \`name\` text null, \`kind\` text check (\`kind\` in ('customer', 'settlement')) not null, \`asset_code\` text not null, \`asset_scale\` integer not null, \`posted\` bigint not null default 0, \`reserved\` bigint not null default 0, \`balance_version\` integer not null default 0, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`account_user_id_index\` on \`account\` (\`user_id\`);`);
    this.addSql(`create index \`account_client_id_id_index\` on \`account\` (\`client_id\`, \`id\`);`);

    this.addSql(`create table \`authorization_code\` (\`id\` text not null, \`code_hash\` text not null, \`client_id\` text not null, \`user_id\` text not null, \`redirect_uri\` text not null, \`scopes\` json not null, \`code_challenge\` text null, \`code_challenge_method\` text null, \`expires_at\` datetime not null, \`used_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`authorization_code_code_hash_unique\` on \`authorization_code\` (\`code_hash\`);`);
    this.addSql(`create index \`authorization_code_client_id_index\` on \`authorization_code\` (\`client_id\`);`);

    this.addSql(`create table \`client\` (\`id\` text not null, \`name\` text not null, \`secret_hash\` text not null, \`scopes\` json not null, \`redirect_uris\` json not null, \`is_public\` integer not null default false, \`webhook_secret\` text not null, \`webhook_url\` text null, \`verified\` integer not null default false, \`created_at\` datetime not null, primary key (\`id\`));`);

    this.addSql(`create table \`event\` (\`id\` integer not null primary key autoincrement, \`aggregate_type\` text not null, \`aggregate_id\` text not null, \`sequence\` integer not null, \`type\` text not null, \`client_id\` text null, \`account_ids\` json not null, \`payload\` json not null, \`occurred_at\` datetime not null, \`published_at\` datetime null);`);
    this.addSql(`create index \`event_client_id_index\` on \`event\` (\`client_id\`);`);
    this.addSql(`create index \`event_published_at_id_index\` on \`event\` (\`published_at\`, \`id\`);`);
    this.addSql(`create unique index \`event_aggregate_type_aggregate_id_sequence_unique\` on \`event\` (\`aggregate_type\`, \`aggregate_id\`, \`sequence\`);`);

    this.addSql(`create table \`idempotency_record\` (\`id\` integer not null primary key autoincrement, \`scope\` text not null, \`key\` text not null, \`operation\` text not null, \`fingerprint\` text not null, \`result\` json not null, \`created_at\` datetime not null);`);
    this.addSql(`create unique index \`idempotency_record_scope_key_unique\` on \`idempotency_record\` (\`scope\`, \`key\`);`);

    this.addSql(`create table \`initiation_details\` (\`payment_id\` text not null, \`client_redirect_uri\` text not null, \`client_state\` text null, \`instructions\` json not null, \`payer\` json null, \`payer_identity\` json not null, \`operator_identity\` json null, \`connector_uuid\` text null, \`bank_ref\` json null, \`error_code\` text null, \`error_description\` text null, \`bank_message\` text null, \`validated_at\` datetime null, \`expires_at\` datetime not null, primary key (\`payment_id\`));`);

    this.addSql(`create table \`ledger_entry\` (\`id\` integer not null primary key autoincrement, \`transfer_id\` text not null, \`account_id\` text not null, \`asset_code\` text not null, \`amount\` bigint not null, \`created_at\` datetime not null);`);
    this.addSql(`create index \`ledger_entry_transfer_id_index\` on \`ledger_entry\` (\`transfer_id\`);`);
    this.addSql(`create index \`ledger_entry_account_id_index\` on \`ledger_entry\` (\`account_id\`);`);

    this.addSql(`create table \`ledger_transfer\` (\`id\` text not null, \`debit_account_id\` text not null, \`credit_account_id\` text not null, \`amount\` bigint not null, \`asset_code\` text not null, \`state\` text check (\`state\` in ('pending', 'posted', 'voided')) not null, \`purpose\` text not null, \`reference\` text null, \`created_at\` datetime not null, \`settled_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`ledger_transfer_debit_account_id_index\` on \`ledger_transfer\` (\`debit_account_id\`);`);
    this.addSql(`create index \`ledger_transfer_credit_account_id_index\` on \`ledger_transfer\` (\`credit_account_id\`);`);

    this.addSql(`create table \`login_attempts\` (\`username_hash\` text not null, \`attempts\` integer not null default 0, \`window_started_at\` datetime not null, primary key (\`username_hash\`));`);
    this.addSql(`create index \`login_attempts_window_started_at_index\` on \`login_attempts\` (\`window_started_at\`);`);

    this.addSql(`create table \`order_details\` (\`payment_id\` text not null, \`external_id\` text not null, \`payer_user_id\` text not null, \`items\` json not null, \`callback_url\` text not null, \`success_url\` text not null, \`error_url\` text not null, \`transfer_id\` text null, primary key (\`payment_id\`));`);

    this.addSql(`create table \`payer_session\` (\`id\` text not null, \`secret_hash\` text not null, \`user_id\` text null, \`expires_at\` datetime not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`payer_session_secret_hash_unique\` on \`payer_session\` (\`secret_hash\`);`);
    this.addSql(`create index \`payer_session_user_id_index\` on \`payer_session\` (\`user_id\`);`);
    this.addSql(`create index \`payer_session_expires_at_index\` on \`payer_session\` (\`expires_at\`);`);

    this.addSql(`create table \`payment\` (\`id\` text not null, \`flow\` text not null, \`state\` text not null, \`flow_state\` text not null, \`client_id\` text not null, \`request_id\` text null, \`payer_account_id\` text null, \`beneficiary_account_id\` text null, \`asset_code\` text not null, \`asset_scale\` integer not null, \`amount\` bigint not null default 0, \`reference\` text null, \`last_sequence\` integer not null default 0, \`version\` integer not null default 1, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`payment_client_id_index\` on \`payment\` (\`client_id\`);`);
    this.addSql(`create index \`payment_beneficiary_account_id_index\` on \`payment\` (\`beneficiary_account_id\`);`);
    this.addSql(`create index \`payment_payer_account_id_id_index\` on \`payment\` (\`payer_account_id\`, \`id\`);`);
    this.addSql(`create unique index \`payment_client_id_flow_request_id_unique\` on \`payment\` (\`client_id\`, \`flow\`, \`request_id\`);`);

    this.addSql(`create table \`payment_transaction\` (\`id\` text not null, \`payment_id\` text not null, \`client_id\` text not null, \`amount\` bigint not null, \`state\` text check (\`state\` in ('pending', 'completed', 'declined', 'failed', 'reverted')) not null, \`reference\` text null, \`transfer_id\` text null, \`emitted_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`payment_transaction_payment_id_id_index\` on \`payment_transaction\` (\`payment_id\`, \`id\`);`);

    this.addSql(`create table \`refresh_token\` (\`id\` text not null, \`token_hash\` text not null, \`client_id\` text not null, \`user_id\` text not null, \`family_id\` text not null, \`scopes\` json not null, \`consented_at\` datetime not null, \`expires_at\` datetime not null, \`used_at\` datetime null, \`revoked_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`refresh_token_token_hash_unique\` on \`refresh_token\` (\`token_hash\`);`);
    this.addSql(`create index \`refresh_token_client_id_index\` on \`refresh_token\` (\`client_id\`);`);
    this.addSql(`create index \`refresh_token_family_id_index\` on \`refresh_token\` (\`family_id\`);`);

    this.addSql(`create table \`scheduled_job\` (\`id\` text not null, \`kind\` text not null, \`key\` text null, \`payload\` json not null, \`state\` text check (\`state\` in ('pending', 'running', 'done', 'failed')) not null default 'pending', \`run_at\` datetime not null, \`attempts\` integer not null default 0, \`locked_until\` datetime null, \`last_error\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`scheduled_job_state_run_at_index\` on \`scheduled_job\` (\`state\`, \`run_at\`);`);
    this.addSql(`create unique index \`scheduled_job_kind_key_unique\` on \`scheduled_job\` (\`kind\`, \`key\`);`);

    this.addSql(`create table \`app_user\` (\`id\` text not null, \`username\` text not null, \`name\` text null, \`password_hash\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`app_user_username_unique\` on \`app_user\` (\`username\`);`);

    this.addSql(`create table \`webhook_attempt\` (\`id\` integer not null primary key autoincrement, \`delivery_id\` text not null, \`number\` integer not null, \`attempted_at\` datetime not null, \`status\` integer null, \`error\` text null, \`duration_ms\` integer not null, \`resend\` integer not null default false);`);
    this.addSql(`create unique index \`webhook_attempt_delivery_id_number_unique\` on \`webhook_attempt\` (\`delivery_id\`, \`number\`);`);

    this.addSql(`create table \`webhook_delivery\` (\`id\` text not null, \`client_id\` text not null, \`payment_id\` text null, \`event_type\` text not null, \`url\` text not null, \`body\` text not null, \`scheme\` text check (\`scheme\` in ('iumicash', 'powens', 'standard')) not null, \`state\` text check (\`state\` in ('pending', 'delivered', 'dead')) not null default 'pending', \`attempts\` integer not null default 0, \`next_attempt_at\` datetime null, \`last_status\` integer null, \`last_error\` text null, \`created_at\` datetime not null, \`delivered_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`webhook_delivery_payment_id_index\` on \`webhook_delivery\` (\`payment_id\`);`);
    this.addSql(`create index \`webhook_delivery_client_id_id_index\` on \`webhook_delivery\` (\`client_id\`, \`id\`);`);
  }

}
