import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Amount, ConnectionType, IDEMPOTENCY_KEY_DESCRIPTION, UserError, amountOf } from '../graphql/common.types';
import { Account, AccountKind } from './account.entity';

registerEnumType(AccountKind, { name: 'AccountKind', description: 'What an account stands for.' });

@ObjectType({ description: 'Balances of an account, kept by the ledger.' })
export class AccountBalance {
  @Field(() => Amount, { description: 'Sum of posted ledger entries.' })
  posted!: Amount;

  @Field(() => Amount, { description: 'Funds reserved by authorized payments, not yet posted or released.' })
  reserved!: Amount;

  @Field(() => Amount, { description: 'What can still be spent: posted minus reserved.' })
  available!: Amount;
}

export function balanceOf(a: { posted: bigint; reserved: bigint; assetCode: string; assetScale: number }): AccountBalance {
  return {
    posted: amountOf(a.posted, a.assetCode, a.assetScale),
    reserved: amountOf(a.reserved, a.assetCode, a.assetScale),
    available: amountOf(a.posted - a.reserved, a.assetCode, a.assetScale),
  };
}

@ObjectType('Account', { description: 'An account in one asset, owned by a client.' })
export class AccountView {
  @Field(() => ID, { description: 'Account id, `acct_…`.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'Name the owner gave the account.' })
  name!: string | null;

  @Field(() => AccountKind, { description: 'Customer account or the platform’s settlement account.' })
  kind!: AccountKind;

  @Field({ description: 'ISO 4217 code of the asset the account holds.' })
  assetCode!: string;

  @Field(() => Int, { description: 'Decimal places of the asset.' })
  assetScale!: number;

  @Field(() => AccountBalance, { description: 'Current balances.' })
  balance!: AccountBalance;

  @Field(() => Int, { description: 'Increments on every balance change; the sequence of balance events.' })
  balanceVersion!: number;

  @Field({ description: 'When the account was opened.' })
  createdAt!: Date;
}

export function accountView(account: Account): AccountView {
  return {
    id: account.id,
    name: account.name,
    kind: account.kind,
    assetCode: account.assetCode,
    assetScale: account.assetScale,
    balance: balanceOf(account),
    balanceVersion: account.balanceVersion,
    createdAt: account.createdAt,
  };
}

@ObjectType({ description: 'A page of accounts.' })
export class AccountConnection extends ConnectionType('Account', AccountView) {}

@InputType({ description: 'Opens an account in one asset.' })
export class CreateAccountInput {
  @Field({ description: 'ISO 4217 code, upper case, e.g. "EUR".' })
  assetCode!: string;

  @Field(() => Int, { nullable: true, description: 'Decimal places; when given it must match the currency (2 for EUR).' })
  assetScale?: number | null;

  @Field(() => String, { nullable: true, description: 'A name for the account, up to 200 characters.' })
  name?: string | null;
}

@InputType({ description: 'Records money arriving from outside into an account (operator only).' })
export class FundAccountInput {
  @Field(() => ID, { description: 'The account credited.' })
  accountId!: string;

  @Field({ description: 'Decimal amount in major units, e.g. "100.00"; no more decimals than the currency has.' })
  amount!: string;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;

  @Field(() => String, { nullable: true, description: 'Free text shown on the ledger transfer (≤ 200 characters).' })
  reference?: string | null;
}

@ObjectType({ description: 'The result of an account mutation.' })
export class AccountPayload {
  @Field(() => AccountView, { nullable: true, description: 'The account, when the mutation succeeded.' })
  account!: AccountView | null;

  @Field(() => [UserError], { description: 'Why the mutation did nothing; empty on success.' })
  userErrors!: UserError[];
}

@ObjectType({ description: 'An account’s balances after a change, pushed to subscribers.' })
export class AccountBalanceEvent {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => Int, { description: 'Balance version after the change: increases by one per change.' })
  sequence!: number;

  @Field(() => AccountBalance, { description: 'Balances after the change.' })
  balance!: AccountBalance;

  @Field({ description: 'When the change was committed.' })
  occurredAt!: Date;
}
