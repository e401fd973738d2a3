import { Migration } from '@mikro-orm/migrations';

/** 1-Click sign-up and deposit: the deposit's details, the players' KYC profiles (purged after their retention), the operators' notification endpoints. */
export class Migration20261202120000_one_click extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`deposit_details\` (\`payment_id\` text not null, \`identity_provider\` text not null, \`redirect_uri\` text not null, \`client_state\` text null, \`code_challenge\` text null, \`parameters\` json not null, \`browser_key_hash\` text not null, \`sign_in_ref\` text null, \`sign_in_url\` text null, \`kyc_profile_id\` text null, \`user_id\` text null, \`session_id\` text null, \`auth_code\` text null, \`merchant_tx_id\` text null, \`payment_ref\` text null, \`payment_url\` text null, \`psp_ref_id\` text null, \`masked_account\` text null, \`ledger_transfer_id\` text null, \`error\` text null, \`error_description\` text null, \`err_code\` text null, \`err_msg\` text null, \`authorization_code_id\` text null, primary key (\`payment_id\`));`);
    this.addSql(`create index \`deposit_details_kyc_profile_id_index\` on \`deposit_details\` (\`kyc_profile_id\`);`);
    this.addSql(`create unique index \`deposit_details_authorization_code_id_unique\` on \`deposit_details\` (\`authorization_code_id\`);`);
    this.addSql(`create table \`kyc_profile\` (\`id\` text not null, \`client_id\` text not null, \`subject_hash\` text not null, \`identity_provider\` text not null, \`user_id\` text null, \`data\` json null, \`identified_at\` datetime null, \`reauthenticated_at\` datetime null, \`expires_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`kyc_profile_client_id_index\` on \`kyc_profile\` (\`client_id\`);`);
    this.addSql(`create index \`kyc_profile_expires_at_index\` on \`kyc_profile\` (\`expires_at\`);`);
    this.addSql(`create unique index \`kyc_profile_client_id_subject_hash_unique\` on \`kyc_profile\` (\`client_id\`, \`subject_hash\`);`);
    this.addSql(`create table \`one_click_operator\` (\`client_id\` text not null, \`base_url\` text not null, \`path_prefix\` text not null, \`updated_at\` datetime not null, primary key (\`client_id\`));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`deposit_details\`;`);
    this.addSql(`drop table if exists \`kyc_profile\`;`);
    this.addSql(`drop table if exists \`one_click_operator\`;`);
  }
}
