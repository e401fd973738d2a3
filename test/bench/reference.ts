import { createHash } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { databaseKind, openDatabase } from '../../src/persistence/orm';
import { newId } from '../../src/shared/ids';

/**
 * The same account payments as Paygrid's four mutations, written as the minimal SQL a payments
 * engineer would write by hand against Paygrid's own schema: four transactions per payment, every
 * rule checked inside the statement that applies it (conditional updates on the payment state and on
 * the balances, int64 bounds, accounts updated in id order), transfers and entries written, events
 * appended, idempotency keys claimed by one insert. Statements go through the driver directly,
 * prepared and parameterized (`pg`, or better-sqlite3 for SQLite). It is the yardstick Paygrid's
 * throughput is divided by.
 */
export interface Reference {
  readonly kind: 'postgresql' | 'sqlite';
  /** Statements sent (begin and commit not included) and transactions committed so far. */
  readonly counts: { statements: number; commits: number };
  /** Opens `buyers` accounts funded with `funds` minor units each from a settlement account, and `sellers` empty ones. */
  setup(buyers: number, sellers: number, funds: bigint): Promise<{ buyers: string[]; sellers: string[] }>;
  pay(key: string, buyer: string, seller: string, amount: bigint): Promise<void>;
  /** Sum of all posted balances and the accounts whose balances differ from their entries (both 0 when correct). */
  check(): Promise<{ postedSum: bigint; drifting: number }>;
  close(): Promise<void>;
}

const MAX_AMOUNT = (2n ** 63n - 1n).toString();
const CLIENT = 'bench_reference_client';

/** A statement and its parameters; `?` placeholders, numbered for PostgreSQL. */
type Statement = [sql: string, params: unknown[]];

function rows(count: number, width: number): string {
  const one = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  return Array.from({ length: count }, () => one).join(', ');
}

function fingerprint(operation: string, input: unknown): string {
  return createHash('sha256').update(`${operation}\n${JSON.stringify(input)}`).digest('hex');
}

interface Dialect {
  now(): unknown;
  json(value: unknown): unknown;
}

type Rows = Record<string, any>[];
/** A step: yields each statement and is resumed with its rows, so one text runs on a synchronous and an asynchronous driver. */
type Work<T = void> = Generator<Statement, T, Rows>;

/** What each step sends, the same on both databases. */
class Payments {
  constructor(private readonly dialect: Dialect) {}

  private event(count: number): string {
    return `insert into event (aggregate_type, aggregate_id, sequence, type, client_id, account_ids, payload, occurred_at, published_at)
            values ${rows(count, 9)}`;
  }

  private paymentEvent(paymentId: string, sequence: number, type: string, buyer: string, seller: string, payload: object): unknown[] {
    const { json, now } = this.dialect;
    return ['payment', paymentId, sequence, type, CLIENT, json([buyer, seller]), json(payload), now(), null];
  }

  private balanceEvent(row: Record<string, any>, transferIds: string[]): unknown[] {
    const { json, now } = this.dialect;
    const available = (BigInt(row.posted) - BigInt(row.reserved)).toString();
    const payload = { posted: String(row.posted), reserved: String(row.reserved), available, assetCode: 'EUR', assetScale: 2, transferIds };
    return ['account', row.id, row.balance_version, 'account.balance_updated', CLIENT, json([row.id]), json(payload), now(), null];
  }

  private *claim(key: string, operation: string, input: object, result: object): Work {
    const { json, now } = this.dialect;
    const claimed = yield ([
      `insert into idempotency_record (scope, key, operation, fingerprint, result, created_at) values (?, ?, ?, ?, ?, ?)
       on conflict (scope, key) do nothing returning id`,
      [`client:${CLIENT}`, key, operation, fingerprint(operation, input), json(result), now()],
    ]);
    if (claimed.length !== 1) throw new Error(`idempotency key ${key} already used`);
  }

  /** Moves the payment from one state to the next and bumps its sequence; nothing when it is not in `from`. */
  private *move(paymentId: string, from: string, to: string, flowState: string): Work<Record<string, any>> {
    const [payment] = yield ([
      `update payment set state = ?, flow_state = ?, last_sequence = last_sequence + 1, version = version + 1, updated_at = ?
       where id = ? and client_id = ? and state = ? and amount > 0
       returning last_sequence, payer_account_id, beneficiary_account_id, cast(amount as text) as amount`,
      [to, flowState, this.dialect.now(), paymentId, CLIENT, from],
    ]);
    if (!payment) throw new Error(`payment ${paymentId} is not ${from}`);
    return payment;
  }

  *create(key: string, paymentId: string, buyer: string, seller: string): Work {
    const { now } = this.dialect;
    const created = yield ([
      `insert into payment (id, flow, state, flow_state, client_id, request_id, payer_account_id, beneficiary_account_id,
                            asset_code, asset_scale, amount, reference, last_sequence, version, created_at, updated_at)
       select ?, 'account_payment', 'created', 'pending', a.client_id, ?, a.id, b.id, a.asset_code, a.asset_scale, 0, null, 1, 1, ?, ?
       from account a join account b on b.id = ? and b.asset_code = a.asset_code
       where a.id = ? and a.client_id = ? and a.asset_code = 'EUR'
       on conflict (client_id, flow, request_id) do nothing returning id`,
      [paymentId, key, now(), now(), seller, buyer, CLIENT],
    ]);
    if (created.length !== 1) throw new Error(`payment ${key} not created`);
    const payload = { state: 'created', flowState: 'pending', amount: '0', assetCode: 'EUR', assetScale: 2 };
    yield ([this.event(1), this.paymentEvent(paymentId, 1, 'payment.created', buyer, seller, payload)]);
  }

  *add(key: string, paymentId: string, transactionId: string, transferId: string, amount: bigint): Work {
    const { now } = this.dialect;
    yield* this.claim(key, 'addPaymentTransaction', { paymentId, amount: amount.toString() }, { paymentId, transactionId });
    const [payment] = yield ([
      `update payment set amount = amount + cast(? as bigint), last_sequence = last_sequence + 1, version = version + 1, updated_at = ?
       where id = ? and client_id = ? and state = 'created' and amount <= cast(? as bigint) - cast(? as bigint)
       returning last_sequence, payer_account_id, beneficiary_account_id, cast(amount as text) as amount`,
      [amount.toString(), now(), paymentId, CLIENT, MAX_AMOUNT, amount.toString()],
    ]);
    if (!payment) throw new Error(`payment ${paymentId} takes no transaction`);
    yield ([
      `insert into payment_transaction (id, payment_id, client_id, amount, state, reference, transfer_id, emitted_at, updated_at)
       values (?, ?, ?, ?, 'pending', null, ?, ?, ?)`,
      [transactionId, paymentId, CLIENT, amount.toString(), transferId, now(), now()],
    ]);
    const payload = { transactionId, state: 'created', flowState: 'pending', amount: payment.amount, assetCode: 'EUR', assetScale: 2 };
    yield ([
      this.event(1),
      this.paymentEvent(paymentId, payment.last_sequence, 'payment.transaction_added', payment.payer_account_id, payment.beneficiary_account_id, payload),
    ]);
  }

  *authorize(key: string, paymentId: string): Work {
    const { now } = this.dialect;
    yield* this.claim(key, 'authorizePayment', { paymentId }, { paymentId });
    const payment = yield* this.move(paymentId, 'created', 'pending', 'authorized');
    const [debit] = yield ([
      `update account set reserved = reserved + cast(? as bigint), balance_version = balance_version + 1
       where id = ? and reserved <= cast(? as bigint) - cast(? as bigint) and posted - reserved >= cast(? as bigint)
       returning id, cast(posted as text) as posted, cast(reserved as text) as reserved, balance_version`,
      [payment.amount, payment.payer_account_id, MAX_AMOUNT, payment.amount, payment.amount],
    ]);
    if (!debit) throw new Error(`account ${payment.payer_account_id} cannot cover ${payment.amount}`);
    const transfers = yield ([
      `insert into ledger_transfer (id, debit_account_id, credit_account_id, amount, asset_code, state, purpose, reference, created_at, settled_at)
       select transfer_id, ?, ?, amount, 'EUR', 'pending', 'account_payment', null, ?, null
       from payment_transaction where payment_id = ? and state = 'pending' returning id`,
      [payment.payer_account_id, payment.beneficiary_account_id, now(), paymentId],
    ]);
    const payload = { state: 'pending', flowState: 'authorized', amount: payment.amount, assetCode: 'EUR', assetScale: 2 };
    yield ([
      this.event(2),
      [
        ...this.paymentEvent(paymentId, payment.last_sequence, 'payment.authorized', payment.payer_account_id, payment.beneficiary_account_id, payload),
        ...this.balanceEvent(debit, transfers.map((t) => t.id)),
      ],
    ]);
  }

  *execute(key: string, paymentId: string): Work {
    const { now } = this.dialect;
    yield* this.claim(key, 'executePayment', { paymentId }, { paymentId });
    const payment = yield* this.move(paymentId, 'pending', 'completed', 'completed');
    const transfers = yield ([
      `update ledger_transfer set state = 'posted', settled_at = ?
       where state = 'pending' and id in (select transfer_id from payment_transaction where payment_id = ? and state = 'pending')
       returning id, cast(amount as text) as amount`,
      [now(), paymentId],
    ]);
    const total = transfers.reduce((sum, t) => sum + BigInt(t.amount), 0n).toString();
    if (total !== payment.amount) throw new Error(`payment ${paymentId}: transfers ${total} for ${payment.amount}`);
    const sides = [
      {
        id: payment.payer_account_id as string,
        sql: `update account set posted = posted - cast(? as bigint), reserved = reserved - cast(? as bigint), balance_version = balance_version + 1
              where id = ? and reserved >= cast(? as bigint)
              returning id, cast(posted as text) as posted, cast(reserved as text) as reserved, balance_version`,
        params: [total, total, payment.payer_account_id, total],
      },
      {
        id: payment.beneficiary_account_id as string,
        sql: `update account set posted = posted + cast(? as bigint), balance_version = balance_version + 1
              where id = ? and posted <= cast(? as bigint) - cast(? as bigint)
              returning id, cast(posted as text) as posted, cast(reserved as text) as reserved, balance_version`,
        params: [total, payment.beneficiary_account_id, MAX_AMOUNT, total],
      },
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    const balances: Record<string, any>[] = [];
    for (const side of sides) {
      const [row] = yield ([side.sql, side.params]);
      if (!row) throw new Error(`account ${side.id} refused ${total}`);
      balances.push(row);
    }
    yield ([
      `insert into ledger_entry (transfer_id, account_id, asset_code, amount, created_at) values ${rows(transfers.length * 2, 5)}`,
      transfers.flatMap((t) => [
        t.id, payment.payer_account_id, 'EUR', (-BigInt(t.amount)).toString(), now(),
        t.id, payment.beneficiary_account_id, 'EUR', t.amount, now(),
      ]),
    ]);
    yield ([`update payment_transaction set state = 'completed', updated_at = ? where payment_id = ? and state = 'pending'`, [now(), paymentId]]);
    const payload = { state: 'completed', flowState: 'completed', amount: payment.amount, assetCode: 'EUR', assetScale: 2 };
    const ids = transfers.map((t) => t.id);
    yield ([
      this.event(3),
      [
        ...this.paymentEvent(paymentId, payment.last_sequence, 'payment.completed', payment.payer_account_id, payment.beneficiary_account_id, payload),
        ...balances.flatMap((row) => this.balanceEvent(row, ids)),
      ],
    ]);
  }
}

const CHECK = `select cast(coalesce(sum(a.posted), 0) as text) as posted_sum,
  coalesce(sum(case when a.posted <> coalesce((select sum(e.amount) from ledger_entry e where e.account_id = a.id), 0) then 1 else 0 end), 0) as drifting
  from account a where a.kind = 'customer' or a.id = ?`;

const SETTLEMENT = 'acct_bench_reference_settlement';

function accountRows(ids: string[], funds: bigint, now: unknown): unknown[] {
  return ids.flatMap((id) => [id, CLIENT, 'customer', 'EUR', 2, funds.toString(), 0, 0, now]);
}

const INSERT_ACCOUNTS = (count: number) =>
  `insert into account (id, client_id, kind, asset_code, asset_scale, posted, reserved, balance_version, created_at) values ${rows(count, 9)}`;

/** A fresh database with Paygrid's schema (its own migrations), so both sides write the same tables. */
async function migrated(url: string): Promise<void> {
  const { orm } = await openDatabase({ databaseUrl: url });
  await orm.close();
}

class PostgresReference implements Reference {
  readonly kind = 'postgresql' as const;
  readonly counts = { statements: 0, commits: 0 };
  private readonly pool: Pool;
  private readonly numbered = new Map<string, { name: string; text: string }>();
  private readonly payments = new Payments({ now: () => new Date(), json: (v) => JSON.stringify(v) });

  constructor(url: string, connections: number) {
    this.pool = new Pool({ connectionString: url, max: connections });
  }

  private query(client: PoolClient, [sql, params]: Statement): Promise<Rows> {
    let prepared = this.numbered.get(sql);
    if (!prepared) {
      let n = 0;
      prepared = { name: `ref${this.numbered.size}`, text: sql.replace(/\?/g, () => `$${++n}`) };
      this.numbered.set(sql, prepared);
    }
    this.counts.statements++;
    return client.query({ name: prepared.name, text: prepared.text, values: params }).then((r) => r.rows);
  }

  private async transaction(work: Work): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      try {
        let rows: Rows = [];
        for (let next = work.next(rows); !next.done; next = work.next(rows)) rows = await this.query(client, next.value);
        await client.query('commit');
        this.counts.commits++;
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    } finally {
      client.release();
    }
  }

  async setup(buyers: number, sellers: number, funds: bigint) {
    const b = Array.from({ length: buyers }, () => newId('acct'));
    const s = Array.from({ length: sellers }, () => newId('acct'));
    const client = await this.pool.connect();
    try {
      const now = new Date();
      await this.query(client, [
        `insert into account (id, client_id, kind, asset_code, asset_scale, posted, reserved, balance_version, created_at) values (?, null, 'settlement', 'EUR', 2, ?, 0, 0, ?)`,
        [SETTLEMENT, (-funds * BigInt(buyers)).toString(), now],
      ]);
      await this.query(client, [INSERT_ACCOUNTS(buyers), accountRows(b, funds, now)]);
      await this.query(client, [INSERT_ACCOUNTS(sellers), accountRows(s, 0n, now)]);
      // Opening balances as entries, so that balances and entries agree from the start.
      await this.query(client, [
        `insert into ledger_entry (transfer_id, account_id, asset_code, amount, created_at) select 'opening', id, 'EUR', posted, ? from account`,
        [now],
      ]);
    } finally {
      client.release();
    }
    this.counts.statements = 0;
    return { buyers: b, sellers: s };
  }

  async pay(key: string, buyer: string, seller: string, amount: bigint): Promise<void> {
    const paymentId = newId('pay');
    await this.transaction(this.payments.create(key, paymentId, buyer, seller));
    await this.transaction(this.payments.add(`${key}-add`, paymentId, newId('txn'), newId('trf'), amount));
    await this.transaction(this.payments.authorize(`${key}-authorize`, paymentId));
    await this.transaction(this.payments.execute(`${key}-execute`, paymentId));
  }

  async check() {
    const { rows: [row] } = await this.pool.query(CHECK.replace('?', '$1'), [SETTLEMENT]);
    return { postedSum: BigInt(row.posted_sum), drifting: Number(row.drifting) };
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): Record<string, any>[];
  run(...params: unknown[]): unknown;
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  pragma(sql: string): unknown;
  transaction(fn: () => void): () => void;
  close(): void;
}

class SqliteReference implements Reference {
  readonly kind = 'sqlite' as const;
  readonly counts = { statements: 0, commits: 0 };
  private readonly prepared = new Map<string, SqliteStatement>();
  private readonly payments: Payments;

  constructor(private readonly db: SqliteDatabase) {
    // The pragmas Paygrid runs on its SQLite file (src/persistence/orm.ts).
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    this.payments = new Payments({ now: () => Date.now(), json: (v) => JSON.stringify(v) });
  }

  private query([sql, params]: Statement): Rows {
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.prepared.set(sql, statement);
    }
    this.counts.statements++;
    if (statement.reader) return statement.all(...params);
    statement.run(...params);
    return [];
  }

  /** better-sqlite3 is synchronous: a step is one synchronous transaction, as SQLite's single writer runs it. */
  private transaction(work: Work): void {
    this.db.transaction(() => {
      let rows: Rows = [];
      for (let next = work.next(rows); !next.done; next = work.next(rows)) rows = this.query(next.value);
    })();
    this.counts.commits++;
  }

  async setup(buyers: number, sellers: number, funds: bigint) {
    const b = Array.from({ length: buyers }, () => newId('acct'));
    const s = Array.from({ length: sellers }, () => newId('acct'));
    const now = Date.now();
    this.query([
      `insert into account (id, client_id, kind, asset_code, asset_scale, posted, reserved, balance_version, created_at) values (?, null, 'settlement', 'EUR', 2, ?, 0, 0, ?)`,
      [SETTLEMENT, (-funds * BigInt(buyers)).toString(), now],
    ]);
    this.query([INSERT_ACCOUNTS(buyers), accountRows(b, funds, now)]);
    this.query([INSERT_ACCOUNTS(sellers), accountRows(s, 0n, now)]);
    this.query([`insert into ledger_entry (transfer_id, account_id, asset_code, amount, created_at) select 'opening', id, 'EUR', posted, ? from account`, [now]]);
    this.counts.statements = 0;
    return { buyers: b, sellers: s };
  }

  async pay(key: string, buyer: string, seller: string, amount: bigint): Promise<void> {
    const paymentId = newId('pay');
    this.transaction(this.payments.create(key, paymentId, buyer, seller));
    this.transaction(this.payments.add(`${key}-add`, paymentId, newId('txn'), newId('trf'), amount));
    this.transaction(this.payments.authorize(`${key}-authorize`, paymentId));
    this.transaction(this.payments.execute(`${key}-execute`, paymentId));
  }

  async check() {
    const [row] = this.db.prepare(CHECK).all(SETTLEMENT);
    return { postedSum: BigInt(row.posted_sum), drifting: Number(row.drifting) };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** A reference on a fresh database of the kind `url` names, migrated with Paygrid's schema. */
export async function openReference(url: string, connections: number): Promise<Reference> {
  await migrated(url);
  if (databaseKind(url) === 'postgresql') return new PostgresReference(url, connections);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const BetterSqlite = require('better-sqlite3') as new (file: string) => SqliteDatabase;
  return new SqliteReference(new BetterSqlite(url.replace(/^sqlite:(\/\/)?/, '')));
}
