import type { Tx } from '../../persistence/database';
import type { Asset } from '../../money/money';
import { ErrorCode, PaygridError } from '../../shared/errors';
import type { IntervalWindow } from './interval';

/** A grant's limits as the resource server enforces them (op-auth's AccessLimits). */
export interface SpendLimits {
  debitAmount?: { value: bigint; assetCode: string; assetScale: number };
  receiveAmount?: { value: bigint; assetCode: string; assetScale: number };
  receiver?: string;
  interval?: string;
}

export interface Spent {
  debit: bigint;
  receive: bigint;
  asset: Asset;
}

type Row = { debit_spent: string; receive_spent: string; asset_code: string; asset_scale: number | string };

async function execute(tx: Tx, sql: string, params: unknown[]): Promise<Row[]> {
  return tx.all<Row>(sql, params);
}

const toSpent = (row: Row): Spent => ({
  debit: BigInt(row.debit_spent),
  receive: BigInt(row.receive_spent),
  asset: { assetCode: row.asset_code, assetScale: Number(row.asset_scale) },
});

/**
 * Adds a payment to what its grant spent in the window, in one conditional statement that checks
 * the limits as it adds (the row is created first if this is the window's first payment). The
 * update holds the row's lock until the caller's transaction ends, so concurrent payments under one
 * grant queue on it and each sees the totals the previous left: together they never pass the limit.
 * GRANT_LIMIT_EXCEEDED when this payment would.
 */
export async function addSpend(tx: Tx, grantId: string, window: IntervalWindow, asset: Asset, debit: bigint, receive: bigint, limits: SpendLimits | undefined): Promise<Spent> {
  const now = tx.date(new Date());
  await execute(
    tx,
    `insert into op_grant_spend (grant_id, window_start, asset_code, asset_scale, debit_spent, receive_spent, updated_at)
     values (?, ?, ?, ?, 0, 0, ?) on conflict (grant_id, window_start) do nothing`,
    [grantId, window.key, asset.assetCode, asset.assetScale, now],
  );
  const checks: string[] = [];
  const params: unknown[] = [debit.toString(), receive.toString(), now, grantId, window.key];
  for (const [limit, column, amount] of [
    [limits?.debitAmount, 'debit_spent', debit],
    [limits?.receiveAmount, 'receive_spent', receive],
  ] as const) {
    if (!limit) continue;
    if (limit.assetCode !== asset.assetCode || limit.assetScale !== asset.assetScale) {
      throw new PaygridError(ErrorCode.GRANT_LIMIT_EXCEEDED, null, `The grant's limit is in ${limit.assetCode}, the payment in ${asset.assetCode}.`);
    }
    checks.push(`and ${column} + cast(? as bigint) <= cast(? as bigint)`);
    params.push(amount.toString(), limit.value.toString());
  }
  const rows = await execute(
    tx,
    `update op_grant_spend set debit_spent = debit_spent + cast(? as bigint), receive_spent = receive_spent + cast(? as bigint), updated_at = ?
     where grant_id = ? and window_start = ? ${checks.join(' ')}
     returning cast(debit_spent as text) as debit_spent, cast(receive_spent as text) as receive_spent, asset_code, asset_scale`,
    params,
  );
  if (rows.length !== 1) throw new PaygridError(ErrorCode.GRANT_LIMIT_EXCEEDED, null, 'This payment would take the grant past its limit for the current interval.');
  return toSpent(rows[0]);
}

/** Gives back what a payment that failed had added, in the same transaction. */
export async function releaseSpend(tx: Tx, grantId: string, window: IntervalWindow, debit: bigint, receive: bigint): Promise<Spent> {
  const rows = await execute(
    tx,
    `update op_grant_spend set debit_spent = debit_spent - cast(? as bigint), receive_spent = receive_spent - cast(? as bigint), updated_at = ?
     where grant_id = ? and window_start = ?
     returning cast(debit_spent as text) as debit_spent, cast(receive_spent as text) as receive_spent, asset_code, asset_scale`,
    [debit.toString(), receive.toString(), tx.date(new Date()), grantId, window.key],
  );
  if (rows.length !== 1) throw new Error(`grant spend of ${grantId} vanished within its transaction`);
  return toSpent(rows[0]);
}

/** What the grant spent in the window; null when nothing (no payment, or all failed). */
export async function spentIn(tx: Tx, grantId: string, window: IntervalWindow): Promise<Spent | null> {
  const rows = await execute(
    tx,
    `select cast(debit_spent as text) as debit_spent, cast(receive_spent as text) as receive_spent, asset_code, asset_scale
     from op_grant_spend where grant_id = ? and window_start = ?`,
    [grantId, window.key],
  );
  if (!rows.length) return null;
  const spent = toSpent(rows[0]);
  return spent.debit === 0n && spent.receive === 0n ? null : spent;
}
