import { AccountKind } from '../accounts/account.entity';
import { recordBalanceEvent, type BalanceSnapshot } from '../events/event-recorder';
import { MAX_AMOUNT } from '../money/money';
import { ConcurrentWriteConflict, type Tx } from '../persistence/database';
import { ErrorCode, PaygridError } from '../shared/errors';
import { newId } from '../shared/ids';
import { LedgerTransfer, TransferState } from './transfer.entity';

export interface TransferLeg {
  /** The transfer's id when the caller names it (a payment's transaction names its own); new otherwise. */
  id?: string;
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

/** Rows per multi-row insert: well under SQLite's limit of bound parameters per statement. */
const ROWS_PER_INSERT = 100;

function placeholders(rows: number, columns: number): string {
  const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => row).join(', ');
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function byId<T>(entries: Iterable<[string, T]>): Array<[string, T]> {
  return [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A balance change of one account within a posting. */
interface BalanceChange {
  change: bigint;
  released: bigint;
  /** Another account that must hold the same asset (a single-phase transfer checks it here). */
  sameAssetAs?: string;
}

/**
 * The double-entry ledger. Balances change only here, and only through conditional updates that
 * check the rule in the same statement that applies the change, so concurrent spends on one
 * account can neither overdraw it nor lose an update, on SQLite and PostgreSQL alike. Several
 * accounts are always updated in id order, so two transfers in opposite directions cannot deadlock.
 *
 * Each operation sends only the statements its work needs, set-based: the conditional update of
 * each account (which also checks that the other account exists and holds the same asset, so the
 * pair is never read first), transfers settled with `update … returning` the rows they changed, and
 * transfers and entries written in one multi-row insert each. They run as plain SQL beside the
 * request's unit of work, which never holds ledger rows.
 */
export class LedgerService {
  private async execute(tx: Tx, sql: string, params: unknown[]): Promise<Row[]> {
    return tx.all<Row>(sql, params);
  }

  private now(tx: Tx): unknown {
    return tx.date(new Date());
  }

  /** The settlement account of an asset, created on first use. */
  async settlementAccount(tx: Tx, assetCode: string, assetScale: number): Promise<string> {
    const id = `acct_settlement_${assetCode}`;
    await this.execute(
      tx,
      `insert into account (id, client_id, name, kind, asset_code, asset_scale, posted, reserved, balance_version, created_at)
       values (?, null, ?, ?, ?, ?, 0, 0, 0, ?) on conflict (id) do nothing`,
      [id, `${assetCode} settlement`, AccountKind.SETTLEMENT, assetCode, assetScale, this.now(tx)],
    );
    return id;
  }

  /**
   * The account that stands for a peer instance (kind settlement: it may go negative, when the peer
   * owes us), created with the peer.
   */
  async peerAccount(tx: Tx, peerId: string, name: string, assetCode: string, assetScale: number): Promise<string> {
    const id = `acct_${peerId}`;
    await this.execute(
      tx,
      `insert into account (id, client_id, name, kind, asset_code, asset_scale, posted, reserved, balance_version, created_at)
       values (?, null, ?, ?, ?, ?, 0, 0, 0, ?)`,
      [id, `Peer ${name}`.slice(0, 200), AccountKind.SETTLEMENT, assetCode, assetScale, this.now(tx)],
    );
    return id;
  }

  /** The platform's account of an asset that collects fees (Open Payments sending fees), created on first use. */
  async feeAccount(tx: Tx, assetCode: string, assetScale: number): Promise<string> {
    const id = `acct_fees_${assetCode}`;
    await this.execute(
      tx,
      `insert into account (id, client_id, name, kind, asset_code, asset_scale, posted, reserved, balance_version, created_at)
       values (?, null, ?, ?, ?, ?, 0, 0, 0, ?) on conflict (id) do nothing`,
      [id, `${assetCode} fees`, AccountKind.CUSTOMER, assetCode, assetScale, this.now(tx)],
    );
    return id;
  }

  /**
   * The platform's currency-exchange position in an asset (kind settlement: negative where it paid
   * out more of the asset than it took in), created on first use. A cross-currency payment credits
   * the sender's asset's and debits the receiver's, so each asset's books still sum to zero.
   */
  async fxAccount(tx: Tx, assetCode: string, assetScale: number): Promise<string> {
    const id = `acct_fx_${assetCode}`;
    await this.execute(
      tx,
      `insert into account (id, client_id, name, kind, asset_code, asset_scale, posted, reserved, balance_version, created_at)
       values (?, null, ?, ?, ?, ?, 0, 0, 0, ?) on conflict (id) do nothing`,
      [id, `${assetCode} exchange position`, AccountKind.SETTLEMENT, assetCode, assetScale, this.now(tx)],
    );
    return id;
  }

  /**
   * Reserves the legs' total on the debited account in one conditional update (which also checks
   * the credited account), then records one pending transfer per leg. Nothing is written when the
   * account cannot cover the total.
   */
  async reserve(tx: Tx, request: TransferRequest): Promise<LedgerTransfer[]> {
    const total = this.checkLegs(request, ErrorCode.INSUFFICIENT_FUNDS);
    const rows = await this.execute(
      tx,
      `update account set reserved = reserved + cast(? as bigint), balance_version = balance_version + 1
       where id = ? and reserved <= cast(? as bigint) - cast(? as bigint)
         and (kind = ? or posted - reserved >= cast(? as bigint))
         and exists (select 1 from account other where other.id = ? and other.asset_code = account.asset_code) ${RETURNING}`,
      [total.toString(), request.debitAccountId, MAX_AMOUNT.toString(), total.toString(), AccountKind.SETTLEMENT, total.toString(), request.creditAccountId],
    );
    if (rows.length !== 1) throw await this.refusal(tx, request, ErrorCode.INSUFFICIENT_FUNDS);
    const transfers = this.newTransfers(request, String(rows[0].asset_code), TransferState.PENDING, request.legs.map((leg) => leg.id ?? newId('trf')));
    await this.insertTransfers(tx, transfers);
    recordBalanceEvent(tx, snapshot(rows[0]), transfers.map((t) => t.id));
    return transfers;
  }

  /** Moves money at once (single phase): both sides posted in the same statement set. */
  async transfer(tx: Tx, request: TransferRequest): Promise<LedgerTransfer[]> {
    const total = this.checkLegs(request, ErrorCode.BALANCE_LIMIT_EXCEEDED);
    const changes = new Map<string, BalanceChange>([
      [request.debitAccountId, { change: -total, released: 0n, sameAssetAs: request.creditAccountId }],
      [request.creditAccountId, { change: total, released: 0n, sameAssetAs: request.debitAccountId }],
    ]);
    const ids = request.legs.map(() => newId('trf'));
    const assetCode = await this.applyBalances(tx, changes, ids, (change) => this.refusal(tx, request, change > 0n ? ErrorCode.BALANCE_LIMIT_EXCEEDED : ErrorCode.INSUFFICIENT_FUNDS));
    const transfers = this.newTransfers(request, assetCode, TransferState.POSTED, ids);
    await this.insertTransfers(tx, transfers);
    await this.insertEntries(tx, transfers);
    return transfers;
  }

  /** Posts pending transfers: the reservation becomes a debit, the beneficiary is credited. */
  async post(tx: Tx, transferIds: string[]): Promise<void> {
    const transfers = await this.settle(tx, transferIds, TransferState.POSTED);
    if (!transfers.length) return;
    const changes = new Map<string, BalanceChange>();
    const bump = (id: string, change: bigint, released: bigint) => {
      const c = changes.get(id) ?? { change: 0n, released: 0n };
      changes.set(id, { change: c.change + change, released: c.released + released });
    };
    for (const t of transfers) {
      bump(t.debitAccountId, -t.amount, t.amount);
      bump(t.creditAccountId, t.amount, 0n);
    }
    await this.applyBalances(tx, changes, transferIds, async (change) => new PaygridError(change > 0n ? ErrorCode.BALANCE_LIMIT_EXCEEDED : ErrorCode.INSUFFICIENT_FUNDS));
    await this.insertEntries(tx, transfers);
  }

  /** Voids pending transfers: the reserved funds become available again. Returns them as voided. */
  async void(tx: Tx, transferIds: string[]): Promise<LedgerTransfer[]> {
    const transfers = await this.settle(tx, transferIds, TransferState.VOIDED);
    const byAccount = new Map<string, bigint>();
    for (const t of transfers) byAccount.set(t.debitAccountId, (byAccount.get(t.debitAccountId) ?? 0n) + t.amount);
    for (const [accountId, amount] of byId(byAccount)) {
      const rows = await this.execute(
        tx,
        `update account set reserved = reserved - cast(? as bigint), balance_version = balance_version + 1
         where id = ? and reserved >= cast(? as bigint) ${RETURNING}`,
        [amount.toString(), accountId, amount.toString()],
      );
      if (rows.length !== 1) throw new Error(`ledger invariant broken: account ${accountId} reserves less than it voids`);
      recordBalanceEvent(tx, snapshot(rows[0]), transferIds);
    }
    return transfers;
  }

  /**
   * Posts part of a pending transfer (a partial capture): the transfer is voided and, in the same
   * statements' transaction, its part reserved again and posted, and the rest reserved again as a
   * pending transfer of its own (`keepRest`) or left released. The debited account held the whole
   * amount a moment before, so the new reservations always fit.
   */
  async postPart(tx: Tx, transferId: string, amount: bigint, keepRest: boolean): Promise<{ posted: LedgerTransfer; rest: LedgerTransfer | null }> {
    const [original] = await this.void(tx, [transferId]);
    if (amount <= 0n || amount > original.amount) throw new Error(`ledger part out of range: ${amount} of ${original.amount}`);
    const rest = original.amount - amount;
    const [posted, kept] = await this.reserve(tx, {
      debitAccountId: original.debitAccountId,
      creditAccountId: original.creditAccountId,
      purpose: original.purpose,
      legs: [{ amount, reference: original.reference }, ...(keepRest && rest > 0n ? [{ amount: rest, reference: original.reference }] : [])],
    });
    await this.post(tx, [posted.id]);
    return { posted, rest: kept ?? null };
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

  /**
   * The rules a request must meet before any statement: two distinct accounts, legs and their
   * total within int64 (`beyond` is the refusal when the total is not). Returns the total.
   */
  private checkLegs(request: TransferRequest, beyond: ErrorCode): bigint {
    if (request.debitAccountId === request.creditAccountId) throw new PaygridError(ErrorCode.SAME_ACCOUNT, request.field);
    let total = 0n;
    for (const leg of request.legs) {
      if (leg.amount <= 0n || leg.amount > MAX_AMOUNT) throw new Error(`ledger leg out of range: ${leg.amount}`);
      total += leg.amount;
    }
    if (total > MAX_AMOUNT) throw new PaygridError(beyond, request.field);
    return total;
  }

  /**
   * Why a conditional update changed nothing, read only once it did: an unknown account is a bug
   * of the caller, a pair of assets is the client's mistake, anything else is `otherwise`.
   */
  private async refusal(tx: Tx, request: TransferRequest, otherwise: ErrorCode): Promise<Error> {
    const rows = await this.execute(tx, 'select id, asset_code from account where id in (?, ?)', [request.debitAccountId, request.creditAccountId]);
    const debit = rows.find((r) => r.id === request.debitAccountId);
    const credit = rows.find((r) => r.id === request.creditAccountId);
    if (!debit || !credit) return new Error('ledger transfer between unknown accounts');
    if (debit.asset_code !== credit.asset_code) return new PaygridError(ErrorCode.ASSET_MISMATCH, request.field);
    return new PaygridError(otherwise, request.field);
  }

  private newTransfers(request: TransferRequest, assetCode: string, state: TransferState, ids = request.legs.map(() => newId('trf'))): LedgerTransfer[] {
    const now = new Date();
    return request.legs.map((leg, i) =>
      Object.assign(new LedgerTransfer(), {
        id: ids[i],
        debitAccountId: request.debitAccountId,
        creditAccountId: request.creditAccountId,
        amount: leg.amount,
        assetCode,
        state,
        purpose: request.purpose,
        reference: leg.reference ?? null,
        createdAt: now,
        settledAt: state === TransferState.PENDING ? null : now,
      }),
    );
  }

  private async insertTransfers(tx: Tx, transfers: LedgerTransfer[]): Promise<void> {
    for (const chunk of chunks(transfers, ROWS_PER_INSERT)) {
      await this.execute(
        tx,
        `insert into ledger_transfer (id, debit_account_id, credit_account_id, amount, asset_code, state, purpose, reference, created_at, settled_at)
         values ${placeholders(chunk.length, 10)}`,
        chunk.flatMap((t) => [
          t.id, t.debitAccountId, t.creditAccountId, t.amount.toString(), t.assetCode, t.state, t.purpose, t.reference,
          tx.date(t.createdAt), t.settledAt ? tx.date(t.settledAt) : null,
        ]),
      );
    }
  }

  /** Both sides of every posted transfer, in one multi-row insert. */
  private async insertEntries(tx: Tx, transfers: LedgerTransfer[]): Promise<void> {
    const now = this.now(tx);
    for (const chunk of chunks(transfers, ROWS_PER_INSERT / 2)) {
      await this.execute(
        tx,
        `insert into ledger_entry (transfer_id, account_id, asset_code, amount, created_at) values ${placeholders(chunk.length * 2, 5)}`,
        chunk.flatMap((t) => [
          t.id, t.debitAccountId, t.assetCode, (-t.amount).toString(), now,
          t.id, t.creditAccountId, t.assetCode, t.amount.toString(), now,
        ]),
      );
    }
  }

  /** Marks pending transfers settled and returns them; a transfer already settled by a concurrent request is a lost race. */
  private async settle(tx: Tx, transferIds: string[], to: TransferState): Promise<LedgerTransfer[]> {
    if (!transferIds.length) return [];
    const rows = await this.execute(
      tx,
      `update ledger_transfer set state = ?, settled_at = ? where id in (${transferIds.map(() => '?').join(', ')}) and state = ?
       returning id, debit_account_id, credit_account_id, cast(amount as text) as amount, asset_code, purpose, reference`,
      [to, this.now(tx), ...transferIds, TransferState.PENDING],
    );
    if (rows.length !== transferIds.length) throw new ConcurrentWriteConflict('ledger transfers');
    const settledAt = new Date();
    const order = new Map(transferIds.map((id, i) => [id, i]));
    return rows
      .sort((a, b) => order.get(String(a.id))! - order.get(String(b.id))!)
      .map((row) =>
        Object.assign(new LedgerTransfer(), {
          id: String(row.id),
          debitAccountId: String(row.debit_account_id),
          creditAccountId: String(row.credit_account_id),
          amount: BigInt(row.amount as string),
          assetCode: String(row.asset_code),
          state: to,
          purpose: String(row.purpose),
          reference: (row.reference as string | null) ?? null,
          settledAt,
        }),
      );
  }

  /**
   * Applies posted changes to balances in one conditional update of every account (rows listed in
   * id order, the order they are locked in, so that two transfers in opposite directions cannot
   * deadlock), and records each account's new balances. `released` is the part of a debit that was
   * reserved before (two-phase), released as it is posted. An account whose rule refuses the change
   * is not returned: nothing is applied, the transaction rolls back. Returns the asset the accounts hold.
   */
  private async applyBalances(
    tx: Tx,
    changes: Map<string, BalanceChange>,
    transferIds: string[],
    refused: (change: bigint) => Promise<Error>,
  ): Promise<string> {
    let assetCode = '';
    for (const batch of chunks(byId(changes), ROWS_PER_INSERT)) {
      // Per account: id, change, released, the part of the change that raises the balance, and the
      // account that must hold the same asset (or null).
      const rows = await this.execute(
        tx,
        `update account set posted = posted + c.column2, reserved = reserved - c.column3, balance_version = balance_version + 1
         from (values ${batch.map(() => '(?, cast(? as bigint), cast(? as bigint), cast(? as bigint), cast(? as text))').join(', ')}) as c
         where account.id = c.column1 and reserved >= c.column3
           and posted <= cast(? as bigint) - c.column4
           and (kind = ? or posted + c.column2 - (reserved - c.column3) >= 0)
           and posted + c.column2 >= -cast(? as bigint)
           and (c.column5 is null or exists (select 1 from account other where other.id = c.column5 and other.asset_code = account.asset_code))
         ${RETURNING}`,
        [
          ...batch.flatMap(([accountId, { change, released, sameAssetAs }]) => [
            accountId, change.toString(), released.toString(), (change > 0n ? change : 0n).toString(), sameAssetAs ?? null,
          ]),
          MAX_AMOUNT.toString(), AccountKind.SETTLEMENT, MAX_AMOUNT.toString(),
        ],
      );
      if (rows.length !== batch.length) {
        const applied = new Set(rows.map((row) => String(row.id)));
        throw await refused(batch.find(([accountId]) => !applied.has(accountId))![1].change);
      }
      const inOrder = new Map(rows.map((row) => [String(row.id), row]));
      for (const [accountId] of batch) {
        const row = inOrder.get(accountId)!;
        assetCode = String(row.asset_code);
        recordBalanceEvent(tx, snapshot(row), transferIds);
      }
    }
    return assetCode;
  }
}
