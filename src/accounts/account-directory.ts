import type { Database, Tx } from '../persistence/database';
import type { AccountKind } from './account.entity';

/** What never changes about an account once it is opened: its owner, kind and asset. */
export interface AccountIdentity {
  id: string;
  clientId: string | null;
  userId: string | null;
  kind: AccountKind;
  assetCode: string;
}

/** Identities kept per process; past this many the cache starts over (it only saves reads). */
const MAX_KNOWN = 100_000;

/**
 * The identities of accounts, read once per process and then answered from memory: no statement
 * ever changes an account's owner, kind or asset, nor deletes an account, so an entry never goes
 * stale and every instance may keep its own. The hot path of a payment and each subscriber's check
 * of an event ask here instead of the database.
 */
export class AccountDirectory {
  private readonly identities = new Map<string, AccountIdentity>();

  constructor(private readonly db: Database) {}

  /** An account this instance just opened (committed): its identity is known without a read. */
  remember(account: AccountIdentity): void {
    if (this.identities.size >= MAX_KNOWN) this.identities.clear();
    this.identities.set(account.id, { id: account.id, clientId: account.clientId, userId: account.userId, kind: account.kind, assetCode: account.assetCode });
  }

  /** The identities of `ids` when every one is known already, without waiting; undefined otherwise. */
  known(ids: readonly string[]): AccountIdentity[] | undefined {
    const found: AccountIdentity[] = [];
    for (const id of ids) {
      const identity = this.identities.get(id);
      if (!identity) return undefined;
      found.push(identity);
    }
    return found;
  }

  /** The identities of the accounts that exist among `ids`, reading only those not seen before (in `tx` when given). */
  async of(ids: readonly string[], tx?: Tx): Promise<Map<string, AccountIdentity>> {
    const found = new Map<string, AccountIdentity>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const identity = this.identities.get(id);
      if (identity) found.set(id, identity);
      else missing.push(id);
    }
    if (!missing.length) return found;
    const sql = `select id, client_id, user_id, kind, asset_code from account where id in (${missing.map(() => '?').join(', ')})`;
    type IdentityRow = { id: string; client_id: string | null; user_id: string | null; kind: AccountKind; asset_code: string };
    const rows = tx ? await tx.all<IdentityRow>(sql, missing) : ((await this.db.reader().getConnection().execute(sql, missing, 'all')) as IdentityRow[]);
    if (this.identities.size + rows.length > MAX_KNOWN) this.identities.clear();
    for (const row of rows) {
      const identity = { id: row.id, clientId: row.client_id, userId: row.user_id, kind: row.kind, assetCode: row.asset_code };
      this.identities.set(identity.id, identity);
      found.set(identity.id, identity);
    }
    return found;
  }
}

const directories = new WeakMap<Database, AccountDirectory>();

/** The one directory of a database's accounts in this process. */
export function accountDirectory(db: Database): AccountDirectory {
  let directory = directories.get(db);
  if (!directory) directories.set(db, (directory = new AccountDirectory(db)));
  return directory;
}
