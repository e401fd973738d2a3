import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { Client as PgClient } from 'pg';
import { migrationsPath, ormOptions, type DatabaseKind } from './orm';

/**
 * `npm run migration:create`: diffs the entities against a scratch database of each kind that has
 * every existing migration applied, and writes the difference as a new migration into src/.
 * PostgreSQL comes from MIGRATION_PG_URL (default: the local server's `test` database).
 */
async function generate(kind: DatabaseKind, databaseUrl: string): Promise<void> {
  const orm = await MikroORM.init(ormOptions({ databaseUrl }));
  try {
    await orm.getMigrator().up();
    const result = await orm.getMigrator().createMigration(migrationsPath(kind, true));
    console.log(result.fileName ? `${kind}: wrote ${result.fileName}` : `${kind}: schema is up to date`);
  } finally {
    await orm.close(true);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'paygrid-migration-'));
  try {
    await generate('sqlite', `sqlite:${join(dir, 'scratch.sqlite')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const adminUrl = process.env.MIGRATION_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const scratch = `paygrid_migration_${process.pid}`;
  const admin = new PgClient({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${scratch}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${scratch}`;
    await generate('postgresql', url.toString());
  } finally {
    await admin.query(`drop database ${scratch} with (force)`);
    await admin.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
