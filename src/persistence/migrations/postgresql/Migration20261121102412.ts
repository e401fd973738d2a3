import { Migration } from '@mikro-orm/migrations';

export class Migration20261121102412 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "authorization_code" ("id" varchar(40) not null, "code_hash" varchar(64) not null, "client_id" varchar(64) not null, "user_id" varchar(40) not null, "redirect_uri" text not null, "scopes" jsonb not null, "code_challenge" varchar(64) null, "code_challenge_method" varchar(10) null, "expires_at" timestamptz not null, "used_at" timestamptz null, "created_at" timestamptz not null, constraint "authorization_code_pkey" primary key ("id"));`);
    this.addSql(`alter table "authorization_code" add constraint "authorization_code_code_hash_unique" unique ("code_hash");`);
    this.addSql(`create index "authorization_code_client_id_index" on "authorization_code" ("client_id");`);

    this.addSql(`create table "payer_session" ("id" varchar(40) not null, "secret_hash" varchar(64) not null, "user_id" varchar(40) null, "expires_at" timestamptz not null, "created_at" timestamptz not null, constraint "payer_session_pkey" primary key ("id"));`);
    this.addSql(`alter table "payer_session" add constraint "payer_session_secret_hash_unique" unique ("secret_hash");`);
    this.addSql(`create index "payer_session_user_id_index" on "payer_session" ("user_id");`);
    this.addSql(`create index "payer_session_expires_at_index" on "payer_session" ("expires_at");`);

    this.addSql(`create table "refresh_token" ("id" varchar(40) not null, "token_hash" varchar(64) not null, "client_id" varchar(64) not null, "user_id" varchar(40) not null, "family_id" varchar(40) not null, "scopes" jsonb not null, "consented_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "revoked_at" timestamptz null, "created_at" timestamptz not null, constraint "refresh_token_pkey" primary key ("id"));`);
    this.addSql(`alter table "refresh_token" add constraint "refresh_token_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "refresh_token_client_id_index" on "refresh_token" ("client_id");`);
    this.addSql(`create index "refresh_token_family_id_index" on "refresh_token" ("family_id");`);

    this.addSql(`create table "app_user" ("id" varchar(40) not null, "username" varchar(64) not null, "name" varchar(200) null, "password_hash" varchar(200) not null, "created_at" timestamptz not null, constraint "app_user_pkey" primary key ("id"));`);
    this.addSql(`alter table "app_user" add constraint "app_user_username_unique" unique ("username");`);

    this.addSql(`alter table "access_token" add column "family_id" varchar(40) null;`);
    this.addSql(`create index "access_token_family_id_index" on "access_token" ("family_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "authorization_code" cascade;`);

    this.addSql(`drop table if exists "payer_session" cascade;`);

    this.addSql(`drop table if exists "refresh_token" cascade;`);

    this.addSql(`drop table if exists "app_user" cascade;`);

    this.addSql(`drop index "access_token_family_id_index";`);
    this.addSql(`alter table "access_token" drop column "family_id";`);
  }

}
