import { setTimeout as sleep } from 'node:timers/promises';

/** Background work that belongs to no request: the outbox sweeper's poll and marks, the scheduler and its sweeps. */
const BACKGROUND = /published_at["`]?\s+is\s+null|scheduled_job|authorization_expires_at["`]?\s*<=/i;

/**
 * Counts the SQL statements a test server issues for the requests a test makes. Pass `onQuery` to
 * startServer; background work is left out, and a count starts once the publications of earlier
 * commits are over.
 */
export class StatementCounter {
  private statements: string[] | null = null;
  private lastActivity = Date.now();

  readonly onQuery = (sql: string): void => {
    if (BACKGROUND.test(sql)) return;
    this.lastActivity = Date.now();
    this.statements?.push(sql);
  };

  /** Waits until no statement has run for 300 ms. */
  async quiet(): Promise<void> {
    while (Date.now() - this.lastActivity < 300) await sleep(50);
  }

  /** What `run` returns and the statements issued while it ran. */
  async count<T>(run: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
    await this.quiet();
    const sql: string[] = [];
    this.statements = sql;
    try {
      return { result: await run(), sql };
    } finally {
      this.statements = null;
    }
  }
}

/** A listing of statements for an assertion's message. */
export const listing = (sql: string[]): string => sql.map((s, i) => `  ${i + 1}. ${s}`).join('\n');
