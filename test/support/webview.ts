import assert from 'node:assert/strict';
import { SANDBOX_BANK } from '../../src/providers/bank/sandbox-bank';
import { FormBrowser, formTo } from './form-browser';
import type { TestServer } from './server';

/**
 * The payer in the webview, over HTTP: opens the validation URL, chooses a bank, signs in at the
 * sandbox bank and confirms (or cancels there). Returns where the payer lands.
 */
export async function validate(
  server: TestServer,
  validationUrl: string,
  options: { bank?: string; login?: string; password?: string; decision?: 'confirm' | 'cancel' } = {},
): Promise<URL> {
  const browser = new FormBrowser(server.url);
  const entry = await browser.get(validationUrl);
  assert.equal(entry.status, 303, entry.text);
  const page = await browser.get(entry.location!);
  assert.equal(page.status, 200, page.text);
  const id = new URL(validationUrl).searchParams.get('payment_id')!;
  const chosen = await browser.submit(formTo(page.text, `/webview/payments/${id}/bank`), { connector_uuid: options.bank ?? SANDBOX_BANK.uuid });
  assert.equal(chosen.status, 303, chosen.text);
  const bank = await browser.get(chosen.location!);
  assert.equal(bank.status, 200, bank.text);
  const answer = await browser.submit(formTo(bank.text, `/webview/payments/${id}/bank-login`), {
    login: options.login ?? 'germaine',
    password: options.password ?? 'sandbox',
    decision: options.decision ?? 'confirm',
  });
  assert.equal(answer.status, 303, answer.text);
  return new URL(answer.location!);
}
