import { Account, AccountKind } from '../accounts/account.entity';
import { recordBalanceEvent, type BalanceSnapshot } from '../events/event-recorder';
import { MAX_AMOUNT } from '../money/money';
import { ConcurrentWriteConflict, type Tx } from '../persistence/database';
import { ErrorCode, PaygridError } from '../shared/errors';
import { newId } from '../shared/ids';
import { LedgerEntry } from './entry.entity';
import { LedgerTransfer, TransferState } from './transfer.entity';

export interface TransferLeg {
  amount: bigint;
  reference?: string | null;
}

export interface TransferRequest {
  debitAccountId: string;
  creditAccountId: string;
  purpose: string;
  legs: TransferLeg[];
  /** Field to blame when the debited account cannot cover the total. */
  field?: string;
}

export interface AssetReport {
  assetCode: string;
  accounts: number;
  /** Sum of all posted balances of the asset: zero when the books balance. */
  postedSum: bigint;
  /** Accounts whose stored balances differ from their entries or pending transfers. */
  driftingAccounts: number;
}

type Row = Record<string, unknown>;

function snapshot(row: Row): BalanceSnapshot {
  return {
    id: String(row.id),
    clientId: (row.client_id as string | null) ?? null,
    assetCode: String(row.asset_code),
    assetScale: Number(row.asset_scale),
    posted: BigInt(row.posted as string),
    reserved: BigInt(row.reserved as string),
    balanceVersion: Number(row.balance_version),
  };
}

const RETURNING =
  'returning id, client_id, asset_code, asset_scale, cast(posted as text) as posted, cast(reserved as text) as reserved, balance_version';

/**
 * The double-entry ledger. Balances change only here, and only through conditional updates that
 * check the rule in the same statement that applies the change, so concurrent spends on one
 * account can neither overdraw it nor lose an update, on SQLite and PostgreSQL alike. Several
 * accounts are always updated in id order, so two transfers in opposite directions cannot deadlock.
 */
export class LedgerService {
  private async execute(tx: Tx, sql: string, params: unknown[]): Promise<Row[]> {
    return tx.em.getConnection().execute<Row[]>(sql, params, 'all', tx.em.getTransactionContext());
  }

  /** The settlement account of an asset, created on first use. */
  async settlementAccount(tx: Tx, assetCode: string, assetScale: number): Promise<string> {
    const id = `acct_settlement_${assetCode}`;
    await this.execute(
      tx,
      `insert into account (id, client_id, name, kind, asset_code, asset_scale, posted, reserved, balance_version, created_at)
       values (?, null, ?, ?, ?, ?, 0, 0, 0, ?) on conflict (id) do nothing`,
      [id, `${assetCode} settlement`, AccountKind.SETTLEMENT, assetCode, assetScale, tx.em.getPlatform().processDateProperty(new Date())],
    );
    return id;
  }

  /**
   * Reserves the legs' total on the debited account in one conditional update, then records one
   * pending transfer per leg. Nothing is written when the account cannot cover the total.
   */
  async reserve(tx: Tx, request: TransferRequest): Promise<LedgerTransfer[]> {
    const { debit } = await this.pair(tx, request);
    const total = request.legs.reduce((sum, leg) => sum + leg.amount, 0n);
    const rows = await this.execute(
      tx,
      `update account set reserved = reserved + cast(? as bigint), balance_version = balance_version + 1
       where id = ? and reserved <= cast(? as bigint) - cast(? as bigint)
         and (kind = ? or posted - reserved >= cast(? as bigint)) ${RETURNING}`,
      [total.toString(), debit.id, MAX_AMOUNT.toString(), total.toString(), AccountKind.SETTLEMENT, total.toString()],
    );
    if (rows.length !== 1) throw new PaygridError(ErrorCode.INSUFFICIENT_FUNDS, request.field);
    const transfers = request.legs.map((leg) =>
      tx.em.create(LedgerTransfer, {
        id: newId('trf'),
        debitAccountId: request.debitAccountId,
        creditAccountId: request.creditAccountId,
        amount: leg.amount,
        assetCode: debit.assetCode,
        state: TransferState.PENDING,
        purpose: request.purpose,
        reference: leg.reference ?? null,
        createdAt: new Date(),
        settledAt: null,
      }),
    );
    recordBalanceEvent(tx, snapshot(rows[0]), transfers.map((t) => t.id));
    return transfers;
  }

  /** Moves money at once (single phase): both sides posted in the same statement set. */
  async transfer(tx: Tx, request: TransferRequest): Promise<LedgerTransfer[]> {
    const { debit } = await this.pair(tx, request);
    const transfers = request.legs.map((leg) =>
      tx.em.create(LedgerTransfer, {
        id: newId('trf'),
        debitAccountId: request.debitAccountId,
        creditAccountId: request.creditAccountId,
        amount: leg.amount,
        assetCode: debit.assetCode,
        state: TransferState.POSTED,
        purpose: request.purpose,
        reference: leg.reference ?? null,
        createdAt: new Date(),
        settledAt: new Date(),
      }),
    );
    await this.applyPosted(tx, transfers, false, request.field);
    return transfers;
  }

  /** Posts pending transfers: the reservation becomes a debit, the beneficiary is credited. */
  async post(tx: Tx, transferIds: string[]): Promise<void> {
    const transfers = await this.settle(tx, transferIds, TransferState.POSTED);
    await this.applyPosted(tx, transfers, true);
  }

  /** Voids pending transfers: the reserved funds become available again. */
  async void(tx: Tx, transferIds: string[]): Promise<void> {
    const transfers = await this.settle(tx, transferIds, TransferState.VOIDED);
    const byAccount = new Map<string, bigint>();
    for (const t of transfers) byAccount.set(t.debitAccountId, (byAccount.get(t.debitAccountId) ?? 0n) + t.amount);
    for (const [accountId, amount] of [...byAccount].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const rows = await this.execute(
        tx,
        `update account set reserved = reserved - cast(? as bigint), balance_version = balance_version + 1
         where id = ? and reserved >= cast(? as bigint) ${RETURNING}`,
        [amount.toString(), accountId, amount.toString()],
      );
      if (rows.length !== 1) throw new Error(`ledger invariant broken: account ${accountId} reserves less than it voids`);
      recordBalanceEvent(tx, snapshot(rows[0]), transfers.map((t) => t.id));
    }
  }

  /** Per asset: the sum of balances (zero when the books balance) and accounts that drift from their entries. */
  async report(tx: Tx): Promise<AssetReport[]> {
    const rows = await this.execute(
      tx,
      `select a.asset_code, count(*) as accounts, cast(sum(a.posted) as text) as posted_sum,
              sum(case when a.posted <> coalesce((select sum(e.amount) from ledger_entry e where e.account_id = a.id), 0)
                        or a.reserved <> coalesce((select sum(t.amount) from ledger_transfer t
                                                   where t.debit_account_id = a.id and t.state = ?), 0)
                   then 1 else 0 end) as drifting
       from account a group by a.asset_code order by a.asset_code`,
      [TransferState.PENDING],
    );
    return rows.map((row) => ({
      assetCode: String(row.asset_code),
      accounts: Number(row.accounts),
      postedSum: BigInt(String(row.posted_sum)),
      driftingAccounts: Number(row.drifting),
    }));
  }

  private async pair(tx: Tx, request: TransferRequest): Promise<{ debit: Account; credit: Account }> {
    if (request.debitAccountId === request.creditAccountId) throw new PaygridError(ErrorCode.SAME_ACCOUNT, request.field);
    const accounts = await tx.em.find(Account, { id: { $in: [request.debitAccountId, request.creditAccountId] } });
    const debit = accounts.find((a) => a.id === request.debitAccountId);
    const credit = accounts.find((a) => a.id === request.creditAccountId);
    if (!debit || !credit) throw new Error('ledger transfer between unknown accounts');
    if (debit.assetCode !== credit.assetCode) throw new PaygridError(ErrorCode.ASSET_MISMATCH, request.field);
    for (const leg of request.legs) {
      if (leg.amount <= 0n || leg.amount > MAX_AMOUNT) throw new Error(`ledger leg out of range: ${leg.amount}`);
    }
    return { debit, credit };
  }

  /** Marks pending transfers settled; a transfer already settled by a concurrent request is a lost race. */
  private async settle(tx: Tx, transferIds: string[], to: TransferState): Promise<LedgerTransfer[]> {
    if (!transferIds.length) return [];
    const changed = await tx.em.nativeUpdate(
      LedgerTransfer,
      { id: { $in: transferIds }, state: TransferState.PENDING },
      { state: to, settledAt: new Date() },
    );
    if (changed !== transferIds.length) throw new ConcurrentWriteConflict('ledger transfers');
    return tx.em.find(LedgerTransfer, { id: { $in: transferIds } });
  }

  /**
   * Applies posted transfers to balances and writes their entries. `fromReserve` says the debits
   * were reserved before (two-phase), so the reservation is released as the debit is posted.
   */
  private async applyPosted(tx: Tx, transfers: LedgerTransfer[], fromReserve: boolean, field?: string): Promise<void> {
    const delta = new Map<string, { change: bigint; released: bigint }>();
    const bump = (id: string, change: bigint, released: bigint) => {
      const d = delta.get(id) ?? { change: 0n, released: 0n };
      delta.set(id, { change: d.change + change, released: d.released + released });
    };
    for (const t of transfers) {
      bump(t.debitAccountId, -t.amount, fromReserve ? t.amount : 0n);
      bump(t.creditAccountId, t.amount, 0n);
    }
    for (const [accountId, { change, released }] of [...delta].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const rows = await this.execute(
        tx,
        `update account set posted = posted + cast(? as bigint), reserved = reserved - cast(? as bigint),
                balance_version = balance_version + 1
         where id = ? and reserved >= cast(? as bigint)
           and posted <= cast(? as bigint) - cast(? as bigint)
           and (kind = ? or posted + cast(? as bigint) - (reserved - cast(? as bigint)) >= 0)
           and posted + cast(? as bigint) >= -cast(? as bigint) ${RETURNING}`,
        [
          change.toString(), released.toString(), accountId, released.toString(),
          MAX_AMOUNT.toString(), (change > 0n ? change : 0n).toString(),
          AccountKind.SETTLEMENT, change.toString(), released.toString(),
          change.toString(), MAX_AMOUNT.toString(),
        ],
      );
      if (rows.length !== 1) {
        throw new PaygridError(change > 0n ? ErrorCode.BALANCE_LIMIT_EXCEEDED : ErrorCode.INSUFFICIENT_FUNDS, field);
      }
      recordBalanceEvent(tx, snapshot(rows[0]), transfers.map((t) => t.id));
    }
    for (const t of transfers) {
      tx.em.create(LedgerEntry, { transferId: t.id, accountId: t.debitAccountId, assetCode: t.assetCode, amount: -t.amount, createdAt: new Date() });
      tx.em.create(LedgerEntry, { transferId: t.id, accountId: t.creditAccountId, assetCode: t.assetCode, amount: t.amount, createdAt: new Date() });
    }
  }
}
