import 'reflect-metadata';
import { loadConfig } from './config/config';
import { DEMO_MERCHANT, DEMO_OPERATOR, DEMO_PAYER, ensureDemoData } from './demo/demo-data';
import { createApp } from './http/app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  if (config.outboundAllowLoopback) {
    app.http.log.warn('OUTBOUND_ALLOW_LOOPBACK=true: webhooks and callbacks may reach services on this machine; for local development only');
  }
  if (config.demoData) {
    const created = await ensureDemoData(app.services);
    if (created) {
      app.http.log.info(
        `demo data created: merchant ${DEMO_MERCHANT.id}, buyer account ${created.buyerAccountId} (1000.00 EUR), seller account ${created.sellerAccountId}, ` +
          `payer ${DEMO_PAYER.username} (${created.payerId}) with account ${created.payerAccountId} (500.00 EUR)`,
      );
    }
    app.http.log.info(
      `get a token: curl -s -u ${DEMO_MERCHANT.id}:${DEMO_MERCHANT.secret} -d grant_type=client_credentials ${app.url}/oauth/token` +
        ` (operator: ${DEMO_OPERATOR.id}:${DEMO_OPERATOR.secret})`,
    );
    app.http.log.info(
      `payer consent: open ${app.url}/oauth/authorize?response_type=code&client_id=${DEMO_MERCHANT.id}` +
        `&redirect_uri=${encodeURIComponent(DEMO_MERCHANT.redirectUri)}&scope=accounts:read&state=demo and log in as ${DEMO_PAYER.username} / ${DEMO_PAYER.password}`,
    );
  }
  app.http.log.info(`Paygrid GraphQL on ${app.url}/graphql (HTTP and graphql-ws)`);
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
