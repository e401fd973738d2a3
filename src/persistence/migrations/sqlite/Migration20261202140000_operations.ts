import { Migration } from '@mikro-orm/migrations';

/** Client management by operators: disabling a client, secret and webhook key rotation with an overlap. */
export class Migration20261202140000_operations extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table `client` add column `disabled_at` datetime null;');
    this.addSql('alter table `client` add column `previous_secret_hash` text null;');
    this.addSql('alter table `client` add column `previous_secret_until` datetime null;');
    this.addSql('alter table `client` add column `previous_webhook_secret` text null;');
    this.addSql('alter table `client` add column `previous_webhook_secret_until` datetime null;');
  }

  override async down(): Promise<void> {
    for (const column of ['disabled_at', 'previous_secret_hash', 'previous_secret_until', 'previous_webhook_secret', 'previous_webhook_secret_until']) {
      this.addSql(`alter table \`client\` drop column \`${column}\`;`);
    }
  }
}
