import { Migration } from '@mikro-orm/migrations';

/** Open Payments, auth side: wallet addresses and their keys, GNAP grants and access tokens, seen request signatures. */
export class Migration20261202100000_open_payments_auth extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`wallet_address\` (\`id\` text not null, \`account_id\` text not null, \`slug\` text not null, \`public_name\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create table \`wallet_address_key\` (\`id\` text not null, \`wallet_address_id\` text not null, \`kid\` text not null, \`jwk\` json not null, \`created_at\` datetime not null, \`revoked_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create table \`seen_signature\` (\`hash\` text not null, \`expires_at\` datetime not null, primary key (\`hash\`));`);
    this.addSql(`create table \`gnap_grant\` (\`id\` text not null, \`state\` text check (\`state\` in ('processing', 'pending', 'approved', 'finalized')) not null, \`finalization_reason\` text check (\`finalization_reason\` in ('issued', 'revoked', 'rejected')) null, \`client_wallet_address\` text null, \`client_jwk\` json null, \`client_key_id\` text not null, \`client_name\` text null, \`access\` json not null, \`account_id\` text null, \`auth_server_url\` text not null, \`continue_token_hash\` text not null, \`continue_not_before\` datetime not null, \`finish_uri\` text null, \`client_nonce\` text null, \`interact_nonce\` text null, \`interaction_expires_at\` datetime null, \`interact_ref_hash\` text null, \`interact_ref_used\` integer not null default false, \`approved_by_user_id\` text null, \`finalized_by\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create table \`gnap_access_token\` (\`id\` text not null, \`grant_id\` text not null, \`value_hash\` text not null, \`expires_at\` datetime not null, \`revoked_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`wallet_address_account_id_unique\` on \`wallet_address\` (\`account_id\`);`);
    this.addSql(`create unique index \`wallet_address_slug_unique\` on \`wallet_address\` (\`slug\`);`);
    this.addSql(`create unique index \`wallet_address_key_wallet_address_id_kid_unique\` on \`wallet_address_key\` (\`wallet_address_id\`, \`kid\`);`);
    this.addSql(`create unique index \`gnap_access_token_value_hash_unique\` on \`gnap_access_token\` (\`value_hash\`);`);
    this.addSql(`create index \`wallet_address_key_wallet_address_id_index\` on \`wallet_address_key\` (\`wallet_address_id\`);`);
    this.addSql(`create index \`seen_signature_expires_at_index\` on \`seen_signature\` (\`expires_at\`);`);
    this.addSql(`create index \`gnap_grant_account_id_id_index\` on \`gnap_grant\` (\`account_id\`, \`id\`);`);
    this.addSql(`create index \`gnap_grant_interact_ref_hash_index\` on \`gnap_grant\` (\`interact_ref_hash\`);`);
    this.addSql(`create index \`gnap_access_token_grant_id_index\` on \`gnap_access_token\` (\`grant_id\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`gnap_access_token\`;`);
    this.addSql(`drop table if exists \`gnap_grant\`;`);
    this.addSql(`drop table if exists \`seen_signature\`;`);
    this.addSql(`drop table if exists \`wallet_address_key\`;`);
    this.addSql(`drop table if exists \`wallet_address\`;`);
  }
}
