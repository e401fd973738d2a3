import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { MAX_AMOUNT } from '../money/money';

const INTEGER = /^-?\d+$/;

function parse(value: unknown): bigint {
  if (typeof value !== 'string' || !INTEGER.test(value)) {
    throw new GraphQLError('MinorUnits must be a string of digits, e.g. "5090".', { extensions: { code: 'BAD_USER_INPUT' } });
  }
  const amount = BigInt(value);
  if (amount > MAX_AMOUNT || amount < -MAX_AMOUNT) {
    throw new GraphQLError('MinorUnits must lie within ±9223372036854775807.', { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return amount;
}

/** Integer amounts in minor units, carried as strings: no JSON number can hold int64 exactly. */
export const MinorUnitsScalar = new GraphQLScalarType<bigint, string>({
  name: 'MinorUnits',
  description:
    'An amount in minor units of its asset (cents for EUR), as a string of digits such as "5090", so that every amount up to ±(2^63 − 1) is exact.',
  serialize(value) {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'string' && INTEGER.test(value)) return value;
    throw new GraphQLError('MinorUnits can only serialize an integer amount.');
  },
  parseValue: parse,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError('MinorUnits must be given as a string, e.g. "5090".', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return parse(ast.value);
  },
});
