import { Migration } from '@mikro-orm/migrations';

/** Provider calls recorded before they are made (idempotency key, state, answer). */
export class Migration20261202000100_provider_calls extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`provider_call\` (\`id\` text not null, \`provider\` text not null, \`operation\` text not null, \`key\` text not null, \`payment_id\` text null, \`state\` text check (\`state\` in ('in_flight', 'answered', 'failed')) not null default 'in_flight', \`request\` json not null, \`answer\` json null, \`tries\` integer not null default 0, \`held_until\` datetime null, \`last_error\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`answered_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`provider_call_payment_id_index\` on \`provider_call\` (\`payment_id\`);`);
    this.addSql(`create unique index \`provider_call_provider_key_unique\` on \`provider_call\` (\`provider\`, \`key\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`provider_call\`;`);
  }
}
