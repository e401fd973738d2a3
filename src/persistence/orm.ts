import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MikroORM, type Options } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { Client as PgClient } from 'pg';
import { Client } from '../oauth/client.entity';
import { AccessToken } from '../oauth/access-token.entity';
import { AuthorizationCode } from '../oauth/authorization-code.entity';
import { RefreshToken } from '../oauth/refresh-token.entity';
import { User } from '../users/user.entity';
import { PayerSession } from '../users/session.entity';
import { LoginAttempts } from '../users/login-attempts.entity';
import { Account } from '../accounts/account.entity';
import { LedgerTransfer } from '../ledger/transfer.entity';
import { LedgerEntry } from '../ledger/entry.entity';
import { Payment } from '../payments/payment.entity';
import { OrderDetails } from '../flows/orders/order.entity';
import { InitiationDetails } from '../flows/initiation/initiation.entity';
import { DepositDetails, OneClickOperator } from '../flows/one-click/deposit.entity';
import { KycProfile } from '../flows/one-click/kyc-profile.entity';
import { PaymentTransaction } from '../payments/transaction.entity';
import { DomainEvent } from '../events/event.entity';
import { IdempotencyRecord } from '../shared/idempotency/idempotency-record.entity';
import { ScheduledJob } from '../jobs/scheduled-job.entity';
import { ProviderCall } from '../providers/provider-call.entity';
import { WebhookDelivery } from '../webhooks/webhook-delivery.entity';
import { WebhookAttempt } from '../webhooks/webhook-attempt.entity';
import { IncomingPaymentDetails } from '../open-payments/incoming-payments/incoming-payment.entity';
import { Quote } from '../open-payments/quotes/quote.entity';
import { OutgoingPaymentDetails } from '../open-payments/outgoing-payments/outgoing-payment.entity';
import { GrantSpend } from '../open-payments/outgoing-payments/grant-spend.entity';
import { WalletAddress, WalletAddressKey } from '../open-payments/wallet-addresses/wallet-address.entity';
import { GnapAccessToken, GnapGrant } from '../open-payments/grants/grant.entity';
import { SeenSignature } from '../open-payments/signatures/seen-signature.entity';
import { Peer, PeerTransfer } from '../open-payments/peering/peer.entity';
import { InstanceKey } from '../open-payments/peering/instance-key.entity';
import { ExchangeRateRow } from '../providers/exchange-rates/exchange-rate.entity';

export const ENTITIES = [
  OrderDetails,
  InitiationDetails,
  DepositDetails,
  OneClickOperator,
  KycProfile,
  Client,
  AccessToken,
  AuthorizationCode,
  RefreshToken,
  User,
  PayerSession,
  LoginAttempts,
  Account,
  LedgerTransfer,
  LedgerEntry,
  Payment,
  PaymentTransaction,
  DomainEvent,
  IdempotencyRecord,
  ScheduledJob,
  ProviderCall,
  WebhookDelivery,
  WebhookAttempt,
  IncomingPaymentDetails,
  Quote,
  OutgoingPaymentDetails,
  GrantSpend,
  WalletAddress,
  WalletAddressKey,
  GnapGrant,
  GnapAccessToken,
  SeenSignature,
  Peer,
  PeerTransfer,
  InstanceKey,
  ExchangeRateRow,
];

export type DatabaseKind = 'sqlite' | 'postgresql';

export function databaseKind(url: string): DatabaseKind {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgresql' : 'sqlite';
}

/** Where the compiled (or, for the generator, source) migrations of one database kind live. */
export function migrationsPath(kind: DatabaseKind, source = false): string {
  const here = source ? resolve(__dirname, '../../../src/persistence') : __dirname;
  return join(here, 'migrations', kind);
}

export interface OrmOptions {
  databaseUrl: string;
  /** Called with every SQL statement, e.g. to count statements per request in tests. */
  onQuery?: (sql: string) => void;
}

export function ormOptions({ databaseUrl, onQuery }: OrmOptions): Options {
  const kind = databaseKind(databaseUrl);
  const common: Options = {
    entities: ENTITIES,
    extensions: [Migrator],
    forceUtcTimezone: true,
    allowGlobalContext: false,
    discovery: { disableDynamicFileAccess: true },
    migrations: {
      path: migrationsPath(kind),
      glob: 'Migration*.js',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    onQuery: (sql: string) => {
      onQuery?.(sql);
      return sql;
    },
  };
  if (kind === 'postgresql') {
    return { ...common, driver: PostgreSqlDriver, clientUrl: databaseUrl, pool: { min: 1, max: 10 } };
  }
  const file = databaseUrl.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  return { ...common, driver: BetterSqliteDriver, dbName: file };
}

/** Key of the PostgreSQL advisory lock that instances starting together take around migrating. */
const MIGRATION_LOCK_KEY = 0x70617967; // "payg"

/**
 * Connects and, unless `migrate` is false, brings the schema up to date. On PostgreSQL the migrator
 * runs under a session advisory lock, so that instances starting together migrate once: the others
 * wait, then find nothing pending. (SQLite has one writer, whose transaction already serializes it.)
 */
export async function openDatabase(options: OrmOptions & { migrate?: boolean }): Promise<{ orm: MikroORM; applied: string[] }> {
  const orm = await MikroORM.init(ormOptions(options));
  if (databaseKind(options.databaseUrl) === 'sqlite') {
    // WAL lets readers run beside the single writer; the busy timeout covers a second process.
    await orm.em.getConnection().execute('pragma journal_mode = WAL');
    await orm.em.getConnection().execute('pragma busy_timeout = 5000');
  }
  if (options.migrate === false) return { orm, applied: [] };
  try {
    return { orm, applied: await migrate(orm, options.databaseUrl) };
  } catch (error) {
    await orm.close(true);
    throw error;
  }
}

async function migrate(orm: MikroORM, databaseUrl: string): Promise<string[]> {
  if (databaseKind(databaseUrl) === 'sqlite') return (await orm.getMigrator().up()).map((m) => m.name);
  // The lock is held by a connection of its own: the migrator takes pool connections of its choosing.
  const lock = new PgClient({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return (await orm.getMigrator().up()).map((m) => m.name);
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}

/** Migrations not yet applied (readiness reports them when migrating on start is off). */
export async function pendingMigrations(orm: MikroORM): Promise<string[]> {
  return (await orm.getMigrator().getPendingMigrations()).map((m) => m.name);
}
