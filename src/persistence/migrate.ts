import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config/config';
import { openDatabase } from './orm';

/** `npm run migrate`: applies the pending migrations and exits, for deployments that migrate apart from starting. */
async function main(): Promise<void> {
  const config = loadConfig();
  const { orm, applied } = await openDatabase({ databaseUrl: config.databaseUrl });
  await orm.close(true);
  console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'the database is up to date');
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
