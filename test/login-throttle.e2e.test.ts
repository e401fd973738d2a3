import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../src/shared/clock';
import { LoginAttempts } from '../src/users/login-attempts.entity';
import { FormBrowser, formTo, type PageResponse } from './support/form-browser';
import { startServer, type TestServer } from './support/server';

const PASSWORD = 'the-right-password-1';
const WINDOW_SECONDS = 15 * 60;

/** Opens the login page (for its CSRF token), then posts the form. */
async function prepare(server: TestServer, browser = new FormBrowser(server.url)) {
  const page = await browser.get('/login');
  assert.equal(page.status, 200, page.text);
  const form = formTo(page.text, '/login');
  return { browser, submit: (username: string, password: string) => browser.submit(form, { username, password }) };
}

async function logIn(server: TestServer, username: string, password: string, browser?: FormBrowser): Promise<PageResponse> {
  return (await prepare(server, browser)).submit(username, password);
}

async function loggedIn(browser: FormBrowser): Promise<boolean> {
  const page = await browser.get('/login');
  return /You are logged in/.test(page.text);
}

function assertThrottled(response: PageResponse, retryAfter: number): void {
  assert.equal(response.status, 429, response.text);
  assert.equal(response.headers.get('retry-after'), String(retryAfter));
  assert.match(response.text, /Too many login attempts for this username\. Please try again later\. \(Wait (about \d+ minutes?|\d+ seconds?)\.\)/);
  assert.match(response.text, /<form method="post" action="\/login">/, 'the form is shown again');
}

async function attemptsRow(server: TestServer, username: string): Promise<LoginAttempts | null> {
  const usernameHash = createHash('sha256').update(username).digest('hex');
  return server.app.services.db.reader().findOne(LoginAttempts, { usernameHash });
}

describe('payer login throttle', () => {
  let server: TestServer;
  let clock: ManualClock;

  before(async () => {
    clock = new ManualClock(new Date('2026-03-02T09:00:00Z'));
    server = await startServer({ clock });
    for (const username of ['bob', 'carol', 'dave', 'erin']) await server.app.services.users.create({ username, password: PASSWORD });
  });
  after(() => server.close());

  it('refuses the right password with 429 after 5 wrong ones, logs nobody in, and lets it in once the 15 minutes have passed', async () => {
    for (let i = 1; i <= 5; i++) {
      const wrong = await logIn(server, 'bob', `wrong-password-${i}`);
      assert.equal(wrong.status, 401, `attempt ${i}: ${wrong.text}`);
      clock.advance(60_000);
    }
    const browser = new FormBrowser(server.url);
    const hashesBefore = server.app.services.users.hashes.started;
    // The window opened with the first attempt, 5 minutes ago.
    assertThrottled(await logIn(server, 'BoB ', PASSWORD, browser), WINDOW_SECONDS - 5 * 60);
    assert.equal(server.app.services.users.hashes.started, hashesBefore, 'a refused attempt computes no hash');
    assert.equal(await loggedIn(browser), false);
    assert.equal(browser.cookies.size, 1, 'only the anonymous session of the login form');

    clock.advance(10 * 60_000 - 1000);
    assertThrottled(await logIn(server, 'bob', PASSWORD, browser), 1);
    clock.advance(1000);
    const ok = await logIn(server, 'bob', PASSWORD, browser);
    assert.equal(ok.status, 303, ok.text);
    assert.equal(await loggedIn(browser), true);
    assert.equal(await attemptsRow(server, 'bob'), null, 'the success cleared the count');
  });

  it('throttles a username that does not exist exactly the same way', async () => {
    for (let i = 1; i <= 5; i++) assert.equal((await logIn(server, 'nobody-here', `guess-${i}`)).status, 401);
    const unknown = await logIn(server, 'nobody-here', PASSWORD);
    for (let i = 1; i <= 5; i++) assert.equal((await logIn(server, 'erin', `guess-${i}`)).status, 401);
    const known = await logIn(server, 'erin', PASSWORD);
    assertThrottled(unknown, WINDOW_SECONDS);
    assertThrottled(known, WINDOW_SECONDS);
    const page = (r: PageResponse) => r.text.replace(/name="csrf_token" value="[^"]*"/, '').replace(/value="(nobody-here|erin)"/, '');
    assert.equal(page(unknown), page(known), 'the refusal page is the same whether the username exists or not');
    const row = await attemptsRow(server, 'nobody-here');
    assert.equal(row?.attempts, 5);
    const dump = JSON.stringify(await server.app.services.db.reader().getConnection().execute('select * from login_attempts'));
    assert.ok(!dump.includes('nobody-here'), 'usernames are stored hashed');
  });

  it('lets at most 5 of 20 concurrent wrong attempts reach the password hash', async () => {
    const forms = await Promise.all(Array.from({ length: 20 }, () => prepare(server)));
    const hashesBefore = server.app.services.users.hashes.started;
    const answers = await Promise.all(forms.map((f, i) => f.submit('carol', `concurrent-guess-${i}`)));
    const hashed = server.app.services.users.hashes.started - hashesBefore;
    const statuses = answers.map((a) => a.status).sort();
    assert.equal(hashed, 5, `password checks computed: ${hashed}`);
    assert.deepEqual(statuses, [...Array(5).fill(401), ...Array(15).fill(429)]);
    assert.equal((await attemptsRow(server, 'carol'))?.attempts, 5);
    assertThrottled(await logIn(server, 'carol', PASSWORD), WINDOW_SECONDS);
  });

  it('counts from zero again after a successful login', async () => {
    for (let i = 1; i <= 4; i++) assert.equal((await logIn(server, 'dave', `wrong-${i}`)).status, 401);
    assert.equal((await attemptsRow(server, 'dave'))?.attempts, 4);
    assert.equal((await logIn(server, 'dave', PASSWORD)).status, 303);
    for (let i = 1; i <= 5; i++) assert.equal((await logIn(server, 'dave', `again-${i}`)).status, 401, `attempt ${i} after the success`);
    assertThrottled(await logIn(server, 'dave', PASSWORD), WINDOW_SECONDS);
  });

  describe('with a second instance on the same database, which hashes one password at a time and queues one', () => {
    let second: TestServer;

    before(async () => {
      second = await startServer({ database: server.database, clock, config: { passwordHashConcurrency: 1, passwordHashQueue: 1 } });
      await server.app.services.users.create({ username: 'frank', password: PASSWORD });
    });
    after(() => second.close());

    it('counts the attempts made on both instances together', async () => {
      for (let i = 1; i <= 3; i++) assert.equal((await logIn(server, 'frank', `first-${i}`)).status, 401);
      for (let i = 1; i <= 2; i++) assert.equal((await logIn(second, 'frank', `second-${i}`)).status, 401);
      assertThrottled(await logIn(server, 'frank', PASSWORD), WINDOW_SECONDS);
      assertThrottled(await logIn(second, 'frank', PASSWORD), WINDOW_SECONDS);
    });

    it('answers 503 with Retry-After beyond its hash queue, and does not count those attempts', async () => {
      const names = Array.from({ length: 6 }, (_, i) => `busy-${i}`);
      const forms = await Promise.all(names.map(() => prepare(second)));
      const answers = await Promise.all(forms.map((f, i) => f.submit(names[i], 'a-wrong-password')));
      const busy = answers.filter((a) => a.status === 503);
      assert.equal(answers.filter((a) => a.status === 401).length, 2, 'one hashing, one queued');
      assert.equal(busy.length, 4);
      for (const answer of busy) {
        assert.equal(answer.headers.get('retry-after'), '2');
        assert.match(answer.text, /checking too many logins right now/);
      }
      const counted = await Promise.all(names.map(async (name) => (await attemptsRow(second, name))?.attempts ?? 0));
      assert.equal(counted.reduce((a, b) => a + b, 0), 2, 'refused for load, not for the password: not counted');
      assert.equal(second.app.services.users.hashes.running, 0);
    });
  });
});
