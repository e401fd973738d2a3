import type { EntityManager } from '@mikro-orm/core';

/** A row as the driver returns it. */
export type Row = Record<string, unknown>;

interface PgClient {
  query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: Row[]; rowCount: number | null }>;
}

interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): Row[];
  run(...params: unknown[]): { changes: number };
}

interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}

interface KnexTransaction {
  client: { acquireConnection(): Promise<unknown> };
}

/** Named server-side statements on PostgreSQL, parsed and planned once per connection; beyond this many, unnamed. */
const MAX_PREPARED = 500;
/** A statement with more parameters than this has a list whose length varies (ids to mark): not worth a name. */
const MAX_PREPARED_PARAMS = 32;
/** Per SQL text as callers write it: its PostgreSQL form, and its name once it has one. */
const pgStatements = new Map<string, { text: string; name?: string }>();
const sqliteStatements = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();

/** `?` placeholders as PostgreSQL's `$1…$n`, leaving quoted literals and identifiers alone. */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  let quote: string | null = null;
  let out = '';
  for (const char of sql) {
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '?') {
      out += `$${++n}`;
      continue;
    }
    out += char;
  }
  return out;
}

/**
 * Runs one parameterized statement on the connection of the entity manager's open transaction,
 * straight through the driver: MikroORM's raw `execute` inlines every parameter into the SQL text
 * (formatting each value, and making the database parse and plan every statement anew), which the
 * hot path cannot afford. PostgreSQL gets a named prepared statement, SQLite a cached one. The
 * statement is reported to `onQuery` like any other, and a driver error is converted to MikroORM's
 * exceptions (unique violations, deadlocks), so callers see what they saw before.
 */
export async function runDirect(em: EntityManager, sql: string, params: readonly unknown[]): Promise<{ rows: Row[]; changes: number }> {
  const ctx = em.getTransactionContext<KnexTransaction>();
  if (!ctx) throw new Error('runDirect needs an open transaction');
  (em.config.get('onQuery') as (sql: string, params: readonly unknown[]) => string)(sql, params);
  const connection = await ctx.client.acquireConnection();
  const platform = em.getPlatform();
  try {
    if (isPg(connection)) {
      const values = params.map((value) => (value instanceof Date ? value.toISOString() : value));
      let statement = pgStatements.get(sql);
      if (!statement) {
        statement = { text: numberedPlaceholders(sql) };
        // Only named statements are remembered, so that lists of varying length do not fill the map.
        if (pgStatements.size < MAX_PREPARED && params.length <= MAX_PREPARED_PARAMS) {
          statement.name = `paygrid_${pgStatements.size + 1}`;
          pgStatements.set(sql, statement);
        }
      }
      const { text, name } = statement;
      const result = await connection.query(name ? { name, text, values } : { text, values });
      return { rows: result.rows, changes: result.rowCount ?? 0 };
    }
    const database = connection as SqliteDatabase;
    let statements = sqliteStatements.get(database);
    if (!statements) sqliteStatements.set(database, (statements = new Map()));
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = database.prepare(sql)));
    const values = params.map((value) => (value instanceof Date ? platform.processDateProperty(value) : typeof value === 'boolean' ? Number(value) : value));
    if (statement.reader) {
      const rows = statement.all(...values);
      return { rows, changes: rows.length };
    }
    return { rows: [], changes: statement.run(...values).changes };
  } catch (error) {
    throw em.getDriver().convertException(error as Error);
  }
}

function isPg(connection: unknown): connection is PgClient {
  return typeof (connection as { prepare?: unknown }).prepare !== 'function';
}
