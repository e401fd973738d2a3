import type { MikroORM } from '@mikro-orm/core';

/** Background work that belongs to no payment: the outbox sweeper's poll for stale events (a select before, a lease now). */
const BACKGROUND = /^select\b.*\bfrom\s+["`]?event["`]?.*published_at["`]?\s+is\s+null|^update\s+["`]?event["`]?\s+set\s+["`]?lease_until/is;
const WRITE = /^\s*(insert|update|delete)\b/i;

/**
 * Counts the SQL statements and commits of the requests it watches, from the server's own hooks:
 * every statement through the ORM's `onQuery`, transactions through its transaction events. A write
 * issued while no transaction is open commits on its own (autocommit), so it counts as a commit too.
 * Telling an autocommit from a statement of a transaction needs one request at a time: `quiet()`
 * waits until the work a request left behind (the outbox's publication after commit) is done before
 * the next one starts. Under concurrent load, the transactions plus the outbox's marks made alone
 * (`OutboxDispatcher.marks`) count the commits.
 */
export class StatementCounter {
  private open = 0;
  private counting = false;
  private lastActivity = Date.now();
  private counts = { statements: 0, commits: 0, transactions: 0, autocommits: 0 };

  onQuery(sql: string): void {
    if (BACKGROUND.test(sql)) return;
    this.lastActivity = Date.now();
    if (!this.counting) return;
    this.counts.statements++;
    if (this.open === 0 && WRITE.test(sql)) {
      this.counts.commits++;
      this.counts.autocommits++;
    }
  }

  attach(orm: MikroORM): void {
    orm.em.getEventManager().registerSubscriber({
      afterTransactionStart: () => {
        this.open++;
        this.lastActivity = Date.now();
      },
      afterTransactionCommit: () => {
        this.open--;
        this.lastActivity = Date.now();
        if (!this.counting) return;
        this.counts.commits++;
        this.counts.transactions++;
      },
      afterTransactionRollback: () => {
        this.open--;
        this.lastActivity = Date.now();
      },
    });
  }

  /** Resolves once no statement ran for `ms`. */
  async quiet(ms = 60): Promise<void> {
    while (Date.now() - this.lastActivity < ms || this.open > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  start(): void {
    this.counts = { statements: 0, commits: 0, transactions: 0, autocommits: 0 };
    this.counting = true;
  }

  stop(): typeof this.counts {
    this.counting = false;
    return this.counts;
  }
}
