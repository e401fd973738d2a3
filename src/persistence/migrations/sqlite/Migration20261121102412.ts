import { Migration } from '@mikro-orm/migrations';

export class Migration20261121102412 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`authorization_code\` (\`id\` text not null, \`code_hash\` text not null, \`client_id\` text not null, \`user_id\` text not null, \`redirect_uri\` text not null, \`scopes\` json not null, \`code_challenge\` text null, \`code_challenge_method\` text null, \`expires_at\` datetime not null, \`used_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`authorization_code_code_hash_unique\` on \`authorization_code\` (\`code_hash\`);`);
    this.addSql(`create index \`authorization_code_client_id_index\` on \`authorization_code\` (\`client_id\`);`);

    this.addSql(`create table \`payer_session\` (\`id\` text not null, \`secret_hash\` text not null, \`user_id\` text null, \`expires_at\` datetime not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`payer_session_secret_hash_unique\` on \`payer_session\` (\`secret_hash\`);`);
    this.addSql(`create index \`payer_session_user_id_index\` on \`payer_session\` (\`user_id\`);`);
    this.addSql(`create index \`payer_session_expires_at_index\` on \`payer_session\` (\`expires_at\`);`);

    this.addSql(`create table \`refresh_token\` (\`id\` text not null, \`token_hash\` text not null, \`client_id\` text not null, \`user_id\` text not null, \`family_id\` text not null, \`scopes\` json not null, \`consented_at\` datetime not null, \`expires_at\` datetime not null, \`used_at\` datetime null, \`revoked_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`refresh_token_token_hash_unique\` on \`refresh_token\` (\`token_hash\`);`);
    this.addSql(`create index \`refresh_token_client_id_index\` on \`refresh_token\` (\`client_id\`);`);
    this.addSql(`create index \`refresh_token_family_id_index\` on \`refresh_token\` (\`family_id\`);`);

    this.addSql(`create table \`app_user\` (\`id\` text not null, \`username\` text not null, \`name\` text null, \`password_hash\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`app_user_username_unique\` on \`app_user\` (\`username\`);`);

    this.addSql(`alter table \`access_token\` add column \`family_id\` text null;`);
    this.addSql(`create index \`access_token_family_id_index\` on \`access_token\` (\`family_id\`);`);
  }

}
