import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Client as PgClient } from 'pg';
import { usingPostgres, type TestServer } from './server';

/** The part of better-sqlite3 these helpers use (the package ships no types). */
interface SqliteDatabase {
  prepare(sql: string): { all(...params: unknown[]): Array<Record<string, unknown>> };
  close(): void;
}

async function withDatabase<T>(server: TestServer, pg: (c: PgClient) => Promise<T>, sqlite: (db: SqliteDatabase) => T): Promise<T> {
  const url = server.database.url;
  if (usingPostgres) {
    const client = new PgClient({ connectionString: url });
    await client.connect();
    try {
      return await pg(client);
    } finally {
      await client.end();
    }
  }
  const Sqlite = createRequire(__filename)('better-sqlite3') as new (file: string, options: { readonly: boolean }) => SqliteDatabase;
  const db = new Sqlite(url.replace(/^sqlite:/, ''), { readonly: true });
  try {
    return sqlite(db);
  } finally {
    db.close();
  }
}

/**
 * Widths as the PostgreSQL migrations declare them (SQLite stores `text` without a width, but the
 * same schema runs on PostgreSQL, where a wider value crashes the insert).
 */
function declaredWidths(): Map<string, number> {
  const folder = join(__dirname, '..', '..', '..', 'src', 'persistence', 'migrations', 'postgresql');
  const widths = new Map<string, number>();
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.ts')).sort()) {
    const text = readFileSync(join(folder, file), 'utf8').replace(/\\"/g, '"');
    for (const [, table, columns] of text.matchAll(/create table "(\w+)" \((.*?)\);/g)) {
      for (const [, column, width] of columns.matchAll(/"(\w+)" varchar\((\d+)\)/g)) widths.set(`${table}.${column}`, Number(width));
    }
    for (const [, table, column, width] of text.matchAll(/alter table "(\w+)" (?:add column|alter column) "(\w+)" (?:type )?varchar\((\d+)\)/g)) {
      widths.set(`${table}.${column}`, Number(width));
    }
  }
  return widths;
}

/** The width of every bounded text column, as the database declares it: `table.column` → characters. */
export function columnWidths(server: TestServer): Promise<Map<string, number>> {
  if (!usingPostgres) return Promise.resolve(declaredWidths());
  return withDatabase(
    server,
    async (c) => {
      const { rows } = await c.query(
        `select table_name, column_name, character_maximum_length from information_schema.columns
          where table_schema = 'public' and character_maximum_length is not null`,
      );
      return new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, Number(r.character_maximum_length)]));
    },
    () => declaredWidths(),
  );
}

/** Row counts of every table: what a refused request must leave unchanged. */
export function rowCounts(server: TestServer): Promise<Record<string, number>> {
  return withDatabase(
    server,
    async (c) => {
      const { rows } = await c.query(`select tablename from pg_tables where schemaname = 'public' order by tablename`);
      const counts: Record<string, number> = {};
      for (const { tablename } of rows) counts[tablename] = Number((await c.query(`select count(*) as n from "${tablename}"`)).rows[0].n);
      return counts;
    },
    (db) => {
      const counts: Record<string, number> = {};
      for (const { name } of db.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`).all()) {
        counts[String(name)] = Number(db.prepare(`select count(*) as n from "${String(name)}"`).all()[0].n);
      }
      return counts;
    },
  );
}
