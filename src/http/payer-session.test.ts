import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import cookie from '@fastify/cookie';
import Fastify from 'fastify';
import type { SessionService } from '../users/session.service';
import type { UserService } from '../users/user.service';
import { LOGIN_PATH, currentPayer, loginUrl, redirectToLogin, registerPayerSessions, safeReturnTo } from './payer-session';

describe('safeReturnTo: only same-origin paths come back from the login page', () => {
  const kept: Array<[string, string]> = [
    ['/oauth/authorize?client_id=a&state=b', '/oauth/authorize?client_id=a&state=b'],
    ['/checkout/ord_1', '/checkout/ord_1'],
    ['/a/../b', '/b'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
  ];
  for (const [value, expected] of kept) it(`keeps ${value}`, () => assert.equal(safeReturnTo(value), expected));

  const dropped = [
    '//evil.example',
    '//evil.example/path',
    '/\\evil.example',
    '\\\\evil.example',
    'https://evil.example/',
    'http:/evil.example',
    'javascript:alert(1)',
    'evil.example',
    '',
    '/..//evil.example',
    '/.//evil.example',
    '/a/../..//evil.example',
    '/%2e%2e//evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    `/${'a'.repeat(9000)}`,
  ];
  for (const value of dropped) it(`drops ${JSON.stringify(value.slice(0, 40))}`, () => assert.equal(safeReturnTo(value), LOGIN_PATH));

  it('drops what is not a string', () => {
    for (const value of [undefined, null, 42, ['/a'], { a: 1 }]) assert.equal(safeReturnTo(value), LOGIN_PATH);
  });

  it('builds the login URL with the return path encoded, and never an off-site one', () => {
    assert.equal(loginUrl('/checkout/ord_1?step=2'), '/login?return_to=%2Fcheckout%2Ford_1%3Fstep%3D2');
    assert.equal(loginUrl('//evil.example'), '/login?return_to=%2Flogin');
  });
});

describe('redirectToLogin and currentPayer on a page route', () => {
  it('sends a visitor without a session to the login page and back to the same page', async () => {
    const app = Fastify();
    await app.register(cookie);
    const sessions = { find: async () => null } as unknown as SessionService;
    registerPayerSessions(app, { sessions, users: {} as UserService });
    app.get('/checkout/:id', async (request, reply) => {
      const payer = await currentPayer(request);
      if (!payer) return redirectToLogin(request, reply);
      return { payer: payer.id };
    });
    const response = await app.inject({ method: 'GET', url: '/checkout/ord_1?lang=fr' });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/login?return_to=%2Fcheckout%2Ford_1%3Flang%3Dfr');
    assert.equal(response.headers['cache-control'], 'no-store');
    const odd = await app.inject({ method: 'GET', url: '//evil.example/x' });
    assert.ok(odd.statusCode === 404 || odd.headers.location === '/login?return_to=%2Flogin', `${odd.statusCode} ${odd.headers.location}`);
    await app.close();
  });
});
