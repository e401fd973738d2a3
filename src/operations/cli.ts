import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config';
import { OutboundHttp } from '../outbound/outbound-http';
import { ClientService } from '../oauth/client.service';
import { Client } from '../oauth/client.entity';
import { OPERATOR_SCOPES, Scope } from '../oauth/scopes';
import { TokenService } from '../oauth/token.service';
import { Database } from '../persistence/database';
import { databaseKind, openDatabase } from '../persistence/orm';
import { systemClock } from '../shared/clock';

const USAGE = `usage: npm run paygrid -- <command>

  create-operator [--name <name>] [--force]
      Registers an operator client (scopes ${OPERATOR_SCOPES.join(' ')}) and prints its id and secret,
      once. Refused when an operator client already exists, unless --force.
`;

/** `npm run paygrid -- …`: what a deployment needs before any client exists. Migrates first, as a start would. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'create-operator') {
    process.stderr.write(USAGE);
    return command === undefined || command === '--help' ? 0 : 2;
  }
  const { values } = parseArgs({ args: rest, options: { name: { type: 'string', default: 'Operator' }, force: { type: 'boolean', default: false } } });
  const config = loadConfig();
  const { orm } = await openDatabase({ databaseUrl: config.databaseUrl, migrate: config.migrateOnStart });
  try {
    const db = new Database(orm, databaseKind(config.databaseUrl));
    const tokens = new TokenService(db, systemClock);
    const outbound = new OutboundHttp({
      allowLoopback: config.outboundAllowLoopback,
      connectTimeoutMs: config.outboundConnectTimeoutMs,
      timeoutMs: config.outboundTimeoutMs,
      maxResponseBytes: config.outboundMaxResponseKib * 1024,
    });
    const clients = new ClientService(db, tokens, { assertEndpoint: (url, field) => outbound.assertAllowedUrl(url, field) }, systemClock);
    const operators = (await db.reader().find(Client, { disabledAt: null }, { fields: ['id', 'scopes'] })).filter((c) => c.scopes.includes(Scope.CLIENTS_MANAGE));
    if (operators.length && !values.force) {
      process.stderr.write(`an operator client exists already (${operators.map((c) => c.id).join(', ')}); pass --force to add another\n`);
      return 1;
    }
    const { client, secret } = await clients.create(null, { name: values.name!, scopes: OPERATOR_SCOPES, verified: true });
    process.stdout.write(`operator client created; the secret is shown this once:\nclient_id=${client.id}\nclient_secret=${secret}\n`);
    return 0;
  } finally {
    await orm.close(true);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
