import { Migration } from '@mikro-orm/migrations';

/** Peering between Paygrid instances (issue 10): the peers and the transfers they sent us, once per id. */
export class Migration20261202150000_peering extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`peer\` (\`id\` text not null, \`name\` text not null, \`op_origin\` text not null, \`asset_code\` text not null, \`asset_scale\` integer not null, \`credit_limit\` bigint not null, \`wallet_address_url\` text not null, \`keys\` json not null, \`account_id\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`peer_op_origin_unique\` on \`peer\` (\`op_origin\`);`);
    this.addSql(`create unique index \`peer_account_id_unique\` on \`peer\` (\`account_id\`);`);
    this.addSql(`create table \`peer_transfer\` (\`id\` text not null, \`peer_id\` text not null, \`transfer_id\` text not null, \`incoming_payment_id\` text not null, \`amount\` bigint not null, \`outgoing_payment\` text not null, \`ledger_transfer_id\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`peer_transfer_peer_id_transfer_id_unique\` on \`peer_transfer\` (\`peer_id\`, \`transfer_id\`);`);
    this.addSql(`create table \`instance_key\` (\`id\` text not null, \`kid\` text not null, \`private_key\` text not null, \`jwk\` json not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`alter table \`op_quote\` add column \`receiver_url\` text null;`);
    this.addSql(`alter table \`op_quote\` add column \`peer_id\` text null;`);
    this.addSql(`alter table \`outgoing_payment\` add column \`receiver_url\` text null;`);
    this.addSql(`alter table \`outgoing_payment\` add column \`peer_id\` text null;`);
    this.addSql(`create index \`peer_transfer_incoming_payment_id_index\` on \`peer_transfer\` (\`incoming_payment_id\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table \`outgoing_payment\` drop column \`peer_id\`;`);
    this.addSql(`alter table \`outgoing_payment\` drop column \`receiver_url\`;`);
    this.addSql(`alter table \`op_quote\` drop column \`peer_id\`;`);
    this.addSql(`alter table \`op_quote\` drop column \`receiver_url\`;`);
    this.addSql(`drop table if exists \`instance_key\`;`);
    this.addSql(`drop table if exists \`peer_transfer\`;`);
    this.addSql(`drop table if exists \`peer\`;`);
  }
}
