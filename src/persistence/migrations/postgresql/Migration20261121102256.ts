import { Migration } from '@mikro-orm/migrations';

export class Migration20261121102256 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "scheduled_job" ("id" varchar(40) not null, "kind" varchar(60) not null, "key" varchar(200) null, "payload" jsonb not null, "state" text check ("state" in ('pending', 'running', 'done', 'failed')) not null default 'pending', "run_at" timestamptz not null, "attempts" int not null default 0, "locked_until" timestamptz null, "last_error" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "scheduled_job_pkey" primary key ("id"));`);
    this.addSql(`create index "scheduled_job_state_run_at_index" on "scheduled_job" ("state", "run_at");`);
    this.addSql(`alter table "scheduled_job" add constraint "scheduled_job_kind_key_unique" unique ("kind", "key");`);

    this.addSql(`create table "webhook_attempt" ("id" serial primary key, "delivery_id" varchar(40) not null, "number" int not null, "attempted_at" timestamptz not null, "status" int null, "error" varchar(500) null, "duration_ms" int not null, "resend" boolean not null default false);`);
    this.addSql(`alter table "webhook_attempt" add constraint "webhook_attempt_delivery_id_number_unique" unique ("delivery_id", "number");`);

    this.addSql(`create table "webhook_delivery" ("id" varchar(40) not null, "client_id" varchar(64) not null, "payment_id" varchar(40) null, "event_type" varchar(60) not null, "url" text not null, "body" text not null, "scheme" text check ("scheme" in ('iumicash', 'powens', 'standard')) not null, "state" text check ("state" in ('pending', 'delivered', 'dead')) not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz null, "last_status" int null, "last_error" varchar(500) null, "created_at" timestamptz not null, "delivered_at" timestamptz null, constraint "webhook_delivery_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_delivery_payment_id_index" on "webhook_delivery" ("payment_id");`);
    this.addSql(`create index "webhook_delivery_client_id_id_index" on "webhook_delivery" ("client_id", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "scheduled_job" cascade;`);

    this.addSql(`drop table if exists "webhook_attempt" cascade;`);

    this.addSql(`drop table if exists "webhook_delivery" cascade;`);
  }

}
