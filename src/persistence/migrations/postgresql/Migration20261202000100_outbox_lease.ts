import { Migration } from '@mikro-orm/migrations';

/** The outbox sweeper's lease on the events it republishes (src/events/outbox.ts). */
export class Migration20261202000100_outbox_lease extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "event" add column "lease_until" timestamptz null;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "event" drop column "lease_until";');
  }
}
