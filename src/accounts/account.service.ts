import { accessFilter, type Principal } from '../access';
import { currencyAsset, normalizeAmount, parseAmount } from '../money/money';
import type { Database } from '../persistence/database';
import type { LedgerService } from '../ledger/ledger.service';
import { TRANSFER_REFERENCE_MAX } from '../ledger/transfer.entity';
import { ErrorCode, PaygridError } from '../shared/errors';
import { newId } from '../shared/ids';
import { once, validateIdempotencyKey } from '../shared/idempotency/idempotency';
import { optionalText } from '../shared/text';
import { paginate, type Page, type PageRequest } from '../shared/pagination';
import { accountDirectory } from './account-directory';
import { Account, ACCOUNT_NAME_MAX, AccountKind } from './account.entity';

export interface CreateAccountInput {
  assetCode: string;
  assetScale?: number | null;
  name?: string | null;
}

export interface FundAccountInput {
  accountId: string;
  amount: string;
  idempotencyKey: string;
  reference?: string | null;
}

/** Who a new account belongs to: the payer when the client acts for one, else the client itself. */
export interface Owner {
  clientId: string;
  userId: string | null;
}


export class AccountService {
  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
  ) {}

  async create(owner: Owner, input: CreateAccountInput): Promise<Account> {
    const asset = currencyAsset(input.assetCode, 'assetCode', input.assetScale, 'assetScale');
    const name = optionalText(input.name, 'name', { max: ACCOUNT_NAME_MAX, name: 'account name' });
    const account = await this.db.transaction(async (tx) =>
      tx.em.create(Account, {
        id: newId('acct'),
        clientId: owner.userId ? null : owner.clientId,
        userId: owner.userId,
        name,
        kind: AccountKind.CUSTOMER,
        ...asset,
        posted: 0n,
        reserved: 0n,
        balanceVersion: 0,
        createdAt: new Date(),
      }),
    );
    accountDirectory(this.db).remember(account);
    return account;
  }

  /** An account the principal may read, or null: another owner's account looks the same as none. */
  async get(principal: Principal, id: string): Promise<Account | null> {
    const allowed = accessFilter(principal, 'read', 'account');
    return allowed ? this.db.reader().findOne(Account, { $and: [{ id }, allowed] }) : null;
  }

  async list(principal: Principal, page: PageRequest): Promise<Page<Account>> {
    const em = this.db.reader();
    const allowed = accessFilter(principal, 'read', 'account');
    return paginate(page, async (beforeId, limit) =>
      allowed ? em.find(Account, { $and: [allowed, beforeId ? { id: { $lt: beforeId } } : {}] }, { orderBy: { id: 'desc' }, limit }) : [],
    );
  }

  async byIds(ids: readonly string[]): Promise<Account[]> {
    return this.db.reader().find(Account, { id: { $in: [...ids] } });
  }

  /**
   * Records money arriving from outside (the operator's deposit): a single-phase transfer from the
   * asset's settlement account. Idempotent on the operator's key.
   */
  async fund(operatorId: string, input: FundAccountInput): Promise<Account> {
    validateIdempotencyKey(input.idempotencyKey, 'idempotencyKey');
    const reference = input.reference?.trim() || null;
    if (reference && reference.length > TRANSFER_REFERENCE_MAX) throw new PaygridError(ErrorCode.REFERENCE_TOO_LONG, 'reference', `The reference is longer than ${TRANSFER_REFERENCE_MAX} characters.`);
    const amountText = normalizeAmount(input.amount, 'amount');
    const accountId = await this.db.transaction(async (tx) => {
      const { result } = await once(
        tx,
        {
          scope: `${operatorId}:idempotency`,
          key: input.idempotencyKey,
          keyField: 'idempotencyKey',
          operation: 'fundAccount',
          request: { accountId: input.accountId, amount: amountText, reference },
        },
        async () => {
          const account = await tx.em.findOne(Account, { id: input.accountId, kind: AccountKind.CUSTOMER });
          if (!account) throw new PaygridError(ErrorCode.NOT_FOUND, 'accountId');
          const amount = parseAmount(amountText, account.assetScale, 'amount');
          const settlement = await this.ledger.settlementAccount(tx, account.assetCode, account.assetScale);
          await this.ledger.transfer(tx, {
            debitAccountId: settlement,
            creditAccountId: account.id,
            purpose: 'deposit',
            legs: [{ amount, reference }],
            field: 'amount',
          });
          return { accountId: account.id };
        },
      );
      return String(result.accountId);
    });
    return this.db.reader().findOneOrFail(Account, accountId);
  }
}
