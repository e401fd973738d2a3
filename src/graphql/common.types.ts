import { Field, Int, ObjectType, registerEnumType, type ClassType } from 'type-graphql';
import { formatAmount } from '../money/money';
import { ErrorCode, type PaygridError } from '../shared/errors';
import type { Page } from '../shared/pagination';
import { encodeCursor } from '../shared/pagination';
import { MinorUnitsScalar } from './scalars';

registerEnumType(ErrorCode, { name: 'UserErrorCode', description: 'Stable codes of business errors; clients branch on these, never on messages.' });

@ObjectType({ description: 'An amount of money: minor units with the asset that gives them meaning.' })
export class Amount {
  @Field(() => MinorUnitsScalar, { description: 'The amount in minor units, e.g. "5090" for 50.90 EUR.' })
  value!: bigint;

  @Field({ description: 'ISO 4217 currency code (or another asset code).' })
  assetCode!: string;

  @Field(() => Int, { description: 'Number of decimal places of the asset: 2 for EUR, 0 for JPY.' })
  assetScale!: number;

  @Field({ description: 'The amount in major units as an exact decimal string, e.g. "50.90".' })
  formatted!: string;
}

export function amountOf(value: bigint, assetCode: string, assetScale: number): Amount {
  return { value, assetCode, assetScale, formatted: formatAmount(value, assetScale) };
}

@ObjectType({ description: 'A business error: what went wrong, with a stable code and the input field at fault.' })
export class UserError {
  @Field(() => ErrorCode, { description: 'Stable machine-readable code.' })
  code!: ErrorCode;

  @Field(() => [String], { nullable: true, description: 'Path of the input field at fault, e.g. ["amount"]; null when no single field is.' })
  field!: string[] | null;

  @Field({ description: 'Human-readable explanation, for developers and logs.' })
  message!: string;
}

const REPLAY_RULE =
  'the same key with the same input (amounts compared as numbers: "10.9" is "10.90") returns the first answer, even once the payment has moved on; the same key with another input is refused with IDEMPOTENCY_KEY_REUSED; while the first request runs, IDEMPOTENCY_KEY_IN_FLIGHT (retry).';

/** How every money-moving or state-changing mutation documents its key: one rule, one wording. */
export const IDEMPOTENCY_KEY_DESCRIPTION = `Required idempotency key, yours to choose per request (1 to 255 characters, no surrounding blanks): ${REPLAY_RULE}`;

/** The same rule for the client's `requestId` of a payment, which is also stored on it. */
export const REQUEST_ID_DESCRIPTION = `Your unique id for this payment, its idempotency key (\`request_id\`, 1 to 40 characters, no surrounding blanks): ${REPLAY_RULE}`;

export function userErrorOf(error: PaygridError): UserError {
  return { code: error.code, field: error.field, message: error.message };
}

@ObjectType({ description: 'Where a page ends and whether more follows (Relay cursor pagination).' })
export class PageInfo {
  @Field({ description: 'Whether there is a page after this one.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor to pass as `after` for the next page.' })
  endCursor!: string | null;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: PageInfo;
}

/** Builds the Relay connection and edge types for a node type. */
export function ConnectionType<T extends object>(name: string, node: ClassType<T>) {
  @ObjectType(`${name}Edge`, { description: `A ${name} with its cursor.` })
  class Edge {
    @Field({ description: 'Opaque cursor of this node.' })
    cursor!: string;

    @Field(() => node, { description: `The ${name}.` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} objects, newest first.` })
  class ConnectionClass implements Connection<T> {
    @Field(() => [Edge], { description: 'The nodes with their cursors.' })
    edges!: Edge[];

    @Field(() => [node], { description: 'The nodes of this page.' })
    nodes!: T[];

    @Field(() => PageInfo, { description: 'Pagination state.' })
    pageInfo!: PageInfo;
  }
  return ConnectionClass;
}

export function connectionOf<E extends { id: string }, T>(page: Page<E>, view: (entity: E) => T): Connection<T> {
  const nodes = page.nodes.map(view);
  return {
    edges: page.nodes.map((entity, i) => ({ cursor: encodeCursor(entity.id), node: nodes[i] })),
    nodes,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
  };
}
