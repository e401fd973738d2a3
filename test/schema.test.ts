import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
  type GraphQLArgument,
  type GraphQLSchema,
} from 'graphql';
import { buildPaygridSchema, printPaygridSchema } from '../src/graphql/schema';

const COMMITTED = resolve(__dirname, '../../schema/schema.graphql');

function blank(description: string | null | undefined): boolean {
  return !description || !description.trim();
}

describe('GraphQL schema', () => {
  let schema: GraphQLSchema;

  before(async () => {
    schema = await buildPaygridSchema();
  });

  it('is what schema/schema.graphql says, byte for byte', () => {
    const built = printPaygridSchema(schema);
    const committed = readFileSync(COMMITTED, 'utf8');
    if (built === committed) return;
    const builtLines = built.split('\n');
    const committedLines = committed.split('\n');
    const line = builtLines.findIndex((text, i) => text !== committedLines[i]);
    const at = line === -1 ? committedLines.length : line;
    assert.fail(
      `schema/schema.graphql is out of date: run \`npm run schema:print\` and commit the result.\n` +
        `First difference at line ${at + 1}:\n  committed: ${JSON.stringify(committedLines[at])}\n  built:     ${JSON.stringify(builtLines[at])}`,
    );
  });

  it('describes every type, field, input field and argument', () => {
    const missing: string[] = [];
    const checkArgs = (owner: string, args: readonly GraphQLArgument[]) => {
      for (const arg of args) if (blank(arg.description)) missing.push(`${owner}(${arg.name}:)`);
    };
    const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(Boolean).map((t) => t!.name));
    for (const type of Object.values(schema.getTypeMap())) {
      if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
      // The root operation types are containers; their fields carry the documentation.
      if (!roots.has(type.name) && blank(type.description)) missing.push(`type ${type.name}`);
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (blank(field.description)) missing.push(`${type.name}.${field.name}`);
          checkArgs(`${type.name}.${field.name}`, field.args);
        }
      } else if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (blank(field.description)) missing.push(`${type.name}.${field.name}`);
        }
      }
    }
    assert.deepEqual(missing, [], `these have no description:\n  ${missing.join('\n  ')}`);
  });
});
