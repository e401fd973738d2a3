import { Migration } from '@mikro-orm/migrations';

export class Migration20261121110206 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`login_attempts\` (\`username_hash\` text not null, \`attempts\` integer not null default 0, \`window_started_at\` datetime not null, primary key (\`username_hash\`));`);
    this.addSql(`create index \`login_attempts_window_started_at_index\` on \`login_attempts\` (\`window_started_at\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`login_attempts\`;`);
  }

}
