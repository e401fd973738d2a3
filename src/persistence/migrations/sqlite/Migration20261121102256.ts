import { Migration } from '@mikro-orm/migrations';

export class Migration20261121102256 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`scheduled_job\` (\`id\` text not null, \`kind\` text not null, \`key\` text null, \`payload\` json not null, \`state\` text check (\`state\` in ('pending', 'running', 'done', 'failed')) not null default 'pending', \`run_at\` datetime not null, \`attempts\` integer not null default 0, \`locked_until\` datetime null, \`last_error\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`scheduled_job_state_run_at_index\` on \`scheduled_job\` (\`state\`, \`run_at\`);`);
    this.addSql(`create unique index \`scheduled_job_kind_key_unique\` on \`scheduled_job\` (\`kind\`, \`key\`);`);

    this.addSql(`create table \`webhook_attempt\` (\`id\` integer not null primary key autoincrement, \`delivery_id\` text not null, \`number\` integer not null, \`attempted_at\` datetime not null, \`status\` integer null, \`error\` text null, \`duration_ms\` integer not null, \`resend\` integer not null default false);`);
    this.addSql(`create unique index \`webhook_attempt_delivery_id_number_unique\` on \`webhook_attempt\` (\`delivery_id\`, \`number\`);`);

    this.addSql(`create table \`webhook_delivery\` (\`id\` text not null, \`client_id\` text not null, \`payment_id\` text null, \`event_type\` text not null, \`url\` text not null, \`body\` text not null, \`scheme\` text check (\`scheme\` in ('iumicash', 'powens', 'standard')) not null, \`state\` text check (\`state\` in ('pending', 'delivered', 'dead')) not null default 'pending', \`attempts\` integer not null default 0, \`next_attempt_at\` datetime null, \`last_status\` integer null, \`last_error\` text null, \`created_at\` datetime not null, \`delivered_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`webhook_delivery_payment_id_index\` on \`webhook_delivery\` (\`payment_id\`);`);
    this.addSql(`create index \`webhook_delivery_client_id_id_index\` on \`webhook_delivery\` (\`client_id\`, \`id\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`scheduled_job\`;`);

    this.addSql(`drop table if exists \`webhook_attempt\`;`);

    this.addSql(`drop table if exists \`webhook_delivery\`;`);
  }

}
