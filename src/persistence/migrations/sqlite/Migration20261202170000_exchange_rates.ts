import { Migration } from '@mikro-orm/migrations';

/** Cross-currency quotes (issue 10): the sandbox provider's rates, and the receiver's asset and rate of a quote and a payment. */
export class Migration20261202170000_exchange_rates extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`exchange_rate\` (\`pair\` text not null, \`from_asset\` text not null, \`to_asset\` text not null, \`rate\` text not null, \`updated_at\` datetime not null, \`updated_by\` text not null, primary key (\`pair\`));`);
    this.addSql(`alter table \`outgoing_payment\` add column \`receive_asset_code\` text null;`);
    this.addSql(`alter table \`outgoing_payment\` add column \`receive_asset_scale\` integer null;`);
    this.addSql(`alter table \`outgoing_payment\` add column \`exchange_rate\` text null;`);
    this.addSql(`alter table \`op_quote\` add column \`receive_asset_code\` text null;`);
    this.addSql(`alter table \`op_quote\` add column \`receive_asset_scale\` integer null;`);
    this.addSql(`alter table \`op_quote\` add column \`exchange_rate\` text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table \`op_quote\` drop column \`exchange_rate\`;`);
    this.addSql(`alter table \`op_quote\` drop column \`receive_asset_scale\`;`);
    this.addSql(`alter table \`op_quote\` drop column \`receive_asset_code\`;`);
    this.addSql(`alter table \`outgoing_payment\` drop column \`exchange_rate\`;`);
    this.addSql(`alter table \`outgoing_payment\` drop column \`receive_asset_scale\`;`);
    this.addSql(`alter table \`outgoing_payment\` drop column \`receive_asset_code\`;`);
    this.addSql(`drop table if exists \`exchange_rate\`;`);
  }
}
