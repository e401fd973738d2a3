import { Migration } from '@mikro-orm/migrations';

/** Client management by operators: disabling a client, secret and webhook key rotation with an overlap. */
export class Migration20261202140000_operations extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'alter table "client" add column "disabled_at" timestamptz null, add column "previous_secret_hash" varchar(64) null, ' +
        'add column "previous_secret_until" timestamptz null, add column "previous_webhook_secret" varchar(100) null, ' +
        'add column "previous_webhook_secret_until" timestamptz null;',
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      'alter table "client" drop column "disabled_at", drop column "previous_secret_hash", drop column "previous_secret_until", ' +
        'drop column "previous_webhook_secret", drop column "previous_webhook_secret_until";',
    );
  }
}
