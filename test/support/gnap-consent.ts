import assert from 'node:assert/strict';
import { FormBrowser, formTo } from './form-browser';

/**
 * The account holder's browser through an interactive grant with plain HTTP: opens
 * `interact.redirect`, logs in on Paygrid's login page when it has no session, and submits the
 * consent form's decision. Returns the final redirect (the client's finish URI) or the last page.
 */
export async function decideByForms(
  browser: FormBrowser,
  interactRedirect: string,
  login: { username: string; password: string } | null,
  decision: 'approve' | 'deny',
): Promise<{ status: number; location: string | null; text: string }> {
  const opened = await browser.get(interactRedirect);
  assert.equal(opened.status, 303, `interact.redirect: ${opened.status} ${opened.text}`);
  let page = await browser.get(opened.location!);
  if (page.status === 303 && login) {
    const loginPage = await browser.get(page.location!);
    const loggedIn = await browser.submit(formTo(loginPage.text, '/login'), login);
    assert.equal(loggedIn.status, 303, `login: ${loggedIn.status}`);
    page = await browser.get(loggedIn.location!);
  }
  assert.equal(page.status, 200, `consent page: ${page.status} ${page.text}`);
  if (!page.text.includes('name="decision"')) return { status: page.status, location: null, text: page.text };
  const answer = await browser.submit(formTo(page.text, '/gnap/consent/'), { decision });
  return { status: answer.status, location: answer.location, text: answer.text };
}
