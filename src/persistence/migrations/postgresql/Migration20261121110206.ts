import { Migration } from '@mikro-orm/migrations';

export class Migration20261121110206 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "login_attempts" ("username_hash" varchar(64) not null, "attempts" int not null default 0, "window_started_at" timestamptz not null, constraint "login_attempts_pkey" primary key ("username_hash"));`);
    this.addSql(`create index "login_attempts_window_started_at_index" on "login_attempts" ("window_started_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "login_attempts" cascade;`);
  }

}
