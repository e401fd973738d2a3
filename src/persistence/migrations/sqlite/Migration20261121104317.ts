import { Migration } from '@mikro-orm/migrations';

export class Migration20261121104317 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`initiation_details\` (\`payment_id\` text not null, \`client_redirect_uri\` text not null, \`client_state\` text null, \`instructions\` json not null, \`payer\` json null, \`payer_identity\` json not null, \`operator_identity\` json null, \`connector_uuid\` text null, \`bank_ref\` json null, \`error_code\` text null, \`error_description\` text null, \`bank_message\` text null, \`validated_at\` datetime null, \`expires_at\` datetime not null, primary key (\`payment_id\`));`);

    this.addSql(`alter table \`access_token\` add column \`payment_id\` text null;`);
    this.addSql(`create index \`access_token_payment_id_index\` on \`access_token\` (\`payment_id\`);`);

    this.addSql(`alter table \`client\` add column \`webhook_url\` text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`initiation_details\`;`);
    this.addSql(`drop index if exists \`access_token_payment_id_index\`;`);
    this.addSql(`alter table \`access_token\` drop column \`payment_id\`;`);
    this.addSql(`alter table \`client\` drop column \`webhook_url\`;`);
  }

}
