import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphQLError, GraphQLObjectType, GraphQLSchema, GraphQLString, graphql, parseConstValue } from 'graphql';
import { MAX_AMOUNT } from '../money/money';
import { MinorUnitsScalar } from './scalars';

const MAX = '9223372036854775807';
const PAST_MAX = '9223372036854775808';

function assertBadInput(run: () => unknown, label: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof GraphQLError, `${label}: expected a GraphQLError, got ${String(error)}`);
    assert.equal(error.extensions.code, 'BAD_USER_INPUT', label);
    return true;
  });
}

/** The smallest schema that takes a MinorUnits argument and echoes what the resolver received. */
const echoSchema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      echo: {
        type: GraphQLString,
        args: { v: { type: MinorUnitsScalar } },
        resolve: (_root, args: { v: unknown }) => `${typeof args.v}:${String(args.v)}`,
      },
    },
  }),
});

describe('MinorUnits scalar', () => {
  describe('serialize', () => {
    const cases: Array<[unknown, string]> = [
      [0n, '0'],
      [MAX_AMOUNT, MAX],
      [-5n, '-5'],
      [-MAX_AMOUNT, `-${MAX}`],
      ['5090', '5090'],
    ];
    for (const [value, expected] of cases) {
      it(`${typeof value} ${String(value)} → "${expected}"`, () => {
        assert.equal(MinorUnitsScalar.serialize(value), expected);
      });
    }

    for (const value of [1.5, 5, '1.5', 'abc', null, undefined]) {
      it(`refuses ${typeof value} ${JSON.stringify(value)}`, () => {
        assert.throws(() => MinorUnitsScalar.serialize(value), GraphQLError);
      });
    }
  });

  describe('parseValue', () => {
    const accepted: Array<[string, bigint]> = [
      ['0', 0n],
      [MAX, MAX_AMOUNT],
      ['-5', -5n],
      [`-${MAX}`, -MAX_AMOUNT],
      ['5090', 5090n],
    ];
    for (const [value, expected] of accepted) {
      it(`"${value}" → ${expected}n`, () => {
        assert.equal(MinorUnitsScalar.parseValue(value), expected);
      });
    }

    const refused: unknown[] = [1.5, '1.5', 'abc', 5, 0, PAST_MAX, '-9223372036854775809', '', ' 5', '5 ', '+5', '1e3', '5n', null, true, 5n];
    for (const value of refused) {
      it(`refuses ${typeof value} ${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)} as BAD_USER_INPUT`, () => {
        assertBadInput(() => MinorUnitsScalar.parseValue(value), String(value));
      });
    }
  });

  describe('parseLiteral', () => {
    it('takes a string literal of digits', () => {
      assert.equal(MinorUnitsScalar.parseLiteral(parseConstValue('"5090"')), 5090n);
      assert.equal(MinorUnitsScalar.parseLiteral(parseConstValue(`"${MAX}"`)), MAX_AMOUNT);
    });

    for (const literal of ['5090', '1.5', 'true', '"1.5"', `"${PAST_MAX}"`, '"abc"']) {
      it(`refuses the literal ${literal}`, () => {
        assertBadInput(() => MinorUnitsScalar.parseLiteral(parseConstValue(literal)), literal);
      });
    }

    it('refuses an Int literal in a query, and accepts the same amount as a string', async () => {
      const asInt = await graphql({ schema: echoSchema, source: '{ echo(v: 5090) }' });
      assert.equal(asInt.data, undefined);
      assert.equal(asInt.errors?.length, 1);
      assert.match(asInt.errors![0].message, /MinorUnits must be given as a string/);

      const asString = await graphql({ schema: echoSchema, source: '{ echo(v: "5090") }' });
      assert.deepEqual(asString.errors, undefined);
      assert.deepEqual({ ...asString.data }, { echo: 'bigint:5090' });
    });

    it('refuses a JSON number in variables, and a value past int64', async () => {
      const source = 'query($v: MinorUnits) { echo(v: $v) }';
      const asNumber = await graphql({ schema: echoSchema, source, variableValues: { v: 5090 } });
      assert.equal(asNumber.errors?.length, 1);
      assert.match(asNumber.errors![0].message, /MinorUnits must be a string of digits/);

      const tooLarge = await graphql({ schema: echoSchema, source, variableValues: { v: PAST_MAX } });
      assert.equal(tooLarge.errors?.length, 1);
      assert.match(tooLarge.errors![0].message, /must lie within ±9223372036854775807/);

      const ok = await graphql({ schema: echoSchema, source, variableValues: { v: '-5' } });
      assert.deepEqual({ ...ok.data }, { echo: 'bigint:-5' });
    });
  });
});
