import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildPaygridSchema, printPaygridSchema } from './schema';

/** `npm run schema:print`: writes the SDL that the schema test compares against. */
async function main(): Promise<void> {
  const schema = await buildPaygridSchema();
  const target = resolve(__dirname, '../../../schema/schema.graphql');
  writeFileSync(target, printPaygridSchema(schema));
  console.log(`wrote ${target}`);
}

void main();
