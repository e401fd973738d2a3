import { currencyAsset } from '../../money/money';
import type { Database, Tx } from '../../persistence/database';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { once, validateIdempotencyKey } from '../../shared/idempotency/idempotency';
import { ExchangeRateRow } from './exchange-rate.entity';
import type { ExchangeRateProvider, ProvidedRate, SetRate } from './exchange-rate-provider';
import { formatRate, parseRate, type ConfiguredRate } from './rate';

const CONFIG = 'config';

function provided(row: ExchangeRateRow): ProvidedRate {
  return { from: row.fromAsset, to: row.toAsset, rate: parseRate(row.rate), updatedAt: row.updatedAt };
}

/**
 * The sandbox provider: rates from EXCHANGE_RATES, kept in the database and changed by an operator
 * through GraphQL. A configured pair is written the first time any instance reads rates, and only
 * if the database does not have it yet: after that the database is the truth for every instance
 * (a restart with another EXCHANGE_RATES value does not undo an operator's update).
 */
export class SandboxExchangeRates implements ExchangeRateProvider {
  private seeded: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly configured: ConfiguredRate[],
  ) {}

  async rate(from: string, to: string): Promise<ProvidedRate | null> {
    await this.seed();
    const row = await this.db.reader().findOne(ExchangeRateRow, { pair: `${from}:${to}` }, { disableIdentityMap: true });
    return row && provided(row);
  }

  async list(): Promise<ProvidedRate[]> {
    await this.seed();
    const rows = await this.db.reader().find(ExchangeRateRow, {}, { orderBy: { pair: 'asc' }, disableIdentityMap: true });
    return rows.map(provided);
  }

  async set(by: string, input: SetRate): Promise<ProvidedRate> {
    validateIdempotencyKey(input.idempotencyKey, 'idempotencyKey');
    const from = currencyAsset(input.from, 'from').assetCode;
    const to = currencyAsset(input.to, 'to').assetCode;
    if (from === to) throw new PaygridError(ErrorCode.INVALID_INPUT, 'to', 'A rate converts one asset into another.');
    let rate: string;
    try {
      rate = formatRate(parseRate(String(input.rate)));
    } catch (error) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'rate', `${(error as Error).message}.`);
    }
    await this.seed();
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await once(tx, { scope: `${by}:idempotency`, key: input.idempotencyKey, keyField: 'idempotencyKey', operation: 'setExchangeRate', request: { from, to, rate }, now }, async () => {
        await this.write(tx, { pair: `${from}:${to}`, fromAsset: from, toAsset: to, rate, updatedAt: now, updatedBy: by }, true);
        return { pair: `${from}:${to}` };
      });
    });
    return (await this.rate(from, to))!;
  }

  private seed(): Promise<void> {
    this.seeded ??= this.db
      .transaction(async (tx) => {
        const now = this.clock.now();
        for (const { from, to, rate } of this.configured) {
          await this.write(tx, { pair: `${from}:${to}`, fromAsset: from, toAsset: to, rate: formatRate(rate), updatedAt: now, updatedBy: CONFIG }, false);
        }
      })
      .catch((error) => {
        this.seeded = null;
        throw error;
      });
    return this.seeded;
  }

  /** Inserts a pair; `replace`: an existing one takes the new rate, otherwise it is kept. */
  private async write(tx: Tx, row: ExchangeRateRow, replace: boolean): Promise<void> {
    const onConflict = replace ? 'do update set rate = excluded.rate, updated_at = excluded.updated_at, updated_by = excluded.updated_by' : 'do nothing';
    await tx.run(
      `insert into exchange_rate (pair, from_asset, to_asset, rate, updated_at, updated_by) values (?, ?, ?, ?, ?, ?) on conflict (pair) ${onConflict}`,
      [row.pair, row.fromAsset, row.toAsset, row.rate, tx.date(row.updatedAt), row.updatedBy],
    );
  }
}
