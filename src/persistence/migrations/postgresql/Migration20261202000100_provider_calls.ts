import { Migration } from '@mikro-orm/migrations';

/** Provider calls recorded before they are made (idempotency key, state, answer). */
export class Migration20261202000100_provider_calls extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "provider_call" ("id" varchar(40) not null, "provider" varchar(60) not null, "operation" varchar(60) not null, "key" varchar(200) not null, "payment_id" varchar(40) null, "state" text check ("state" in ('in_flight', 'answered', 'failed')) not null default 'in_flight', "request" jsonb not null, "answer" jsonb null, "tries" int not null default 0, "held_until" timestamptz null, "last_error" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "answered_at" timestamptz null, constraint "provider_call_pkey" primary key ("id"));`);
    this.addSql(`create index "provider_call_payment_id_index" on "provider_call" ("payment_id");`);
    this.addSql(`alter table "provider_call" add constraint "provider_call_provider_key_unique" unique ("provider", "key");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "provider_call" cascade;`);
  }
}
