import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html, sendErrorPage, sendPage, sendRedirect } from '../../http/pages';
import type { AuthorizationService } from '../../oauth/authorization.service';
import { isPaygridError } from '../../shared/errors';
import { ONE_CLICK_PATH, ONE_CLICK_SCOPES, type OneClickService } from './one-click.service';

/** Authorization parameters of the seed a deposit keeps (the rest are OAuth2's own, or amount and currency). */
const KEPT_PARAMETERS = ['country', 'ssn', 'enduser_id', 'locale', 'iframe', 'display', 'ui_friendly', 'ui_id', 'nonce'] as const;
/** How long the waiting page waits before it looks again. */
const WAIT_SECONDS = 2;

function string(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  return typeof value === 'string' ? value : undefined;
}

/** `attributes[key]=v` and `provider_attributes[key]=v`, as the seed passes them. */
function bracketed(query: Record<string, unknown>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    const match = new RegExp(`^${prefix}\\[([A-Za-z0-9_.-]{1,60})\\]$`).exec(name);
    if (match && typeof value === 'string') out[match[1]] = value.slice(0, 500);
  }
  return out;
}

function redirectTo(redirectUri: string, params: Record<string, string | null>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.append(name, value);
  return url.toString();
}

/** A page that sends the browser on: a redirect cannot leave a form's chain for another origin (CSP form-action), a refresh can. */
function sendOnward(reply: FastifyReply, url: string, delaySeconds = 0, message = 'Taking you back…'): FastifyReply {
  return sendPage(reply, {
    title: 'One moment',
    body: html`<meta http-equiv="refresh" content="${String(delaySeconds)};url=${url}">
<h1 id="onward">${message}</h1>
<p><a id="continue" href="${url}">Continue</a></p>`,
  });
}

/**
 * `GET /oauth/authorize` with `identity_provider`: the 1-Click branch of the authorization
 * endpoint. The client and redirect URI are checked as for any request (an untrusted one is never
 * redirected to); then the deposit session starts at the identity provider. `iframe` (default
 * true, as the seed says) answers JSON with `redirectOutput` and `links.statusUrl`; `iframe=false`
 * redirects the browser to the provider.
 */
export function oneClickAuthorize(service: OneClickService, authorization: AuthorizationService, issuer: () => string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const query = request.query as Record<string, unknown>;
    const iframe = string(query, 'iframe') !== 'false';
    const check = await authorization.checkOneClickRequest(query, ONE_CLICK_SCOPES);
    if (check.kind === 'invalid') {
      if (iframe) return reply.status(400).header('Cache-Control', 'no-store').send({ success: false, errors: [{ error: 'invalid_request', error_description: check.message }], messages: [] });
      return sendErrorPage(reply, 400, 'This request cannot go on', check.message);
    }
    const failed = (redirectUri: string, state: string | null, error: string, description: string) => {
      const url = redirectTo(redirectUri, { error, error_description: description, state, iss: issuer() });
      if (!iframe) return sendRedirect(reply, url);
      return reply
        .status(400)
        .header('Cache-Control', 'no-store')
        .send({ success: false, errors: [{ error, error_description: description }], messages: [], redirectOutput: { url, method: 'GET', container: 'window', parameters: {} } });
    };
    if (check.kind === 'redirect-error') return failed(check.redirectUri, check.state, check.error, check.description);
    const { client, redirectUri, state, codeChallenge } = check.request;
    const parameters: Record<string, unknown> = {};
    for (const name of KEPT_PARAMETERS) {
      const value = string(query, name);
      if (value !== undefined) parameters[name] = value.slice(0, 200);
    }
    const attributes = bracketed(query, 'attributes');
    const providerAttributes = bracketed(query, 'provider_attributes');
    if (Object.keys(attributes).length) parameters.attributes = attributes;
    if (Object.keys(providerAttributes).length) parameters.provider_attributes = providerAttributes;
    let started;
    try {
      started = await service.start(client, {
        identityProvider: query.identity_provider,
        amount: query.amount,
        currency: query.currency,
        redirectUri,
        state,
        codeChallenge,
        parameters,
      });
    } catch (error) {
      if (!isPaygridError(error)) throw error;
      return failed(redirectUri, state, 'invalid_request', `${error.field ?? 'request'}: ${error.message}`);
    }
    if (!iframe) return sendRedirect(reply, started.redirectUrl);
    return reply.header('Cache-Control', 'no-store').send({
      success: true,
      txId: started.paymentId,
      redirectOutput: { html: null, url: started.redirectUrl, method: 'GET', container: 'iframe', parameters: {}, height: null, width: null },
      messages: [],
      links: { statusUrl: started.statusUrl },
    });
  };
}

/** The browser's steps after the identity provider: back from it, back from its payment step, and onward. */
export function registerOneClickRoutes(app: FastifyInstance, service: OneClickService, issuer: () => string): void {
  type Req = FastifyRequest<{ Params: { id: string }; Querystring: { key?: string } }>;
  const notFound = (reply: FastifyReply) => sendErrorPage(reply, 404, 'This sign-in cannot go on', 'The link is not valid or has expired.');
  const guarded = (work: (request: Req, reply: FastifyReply) => Promise<FastifyReply>) => async (request: Req, reply: FastifyReply) => {
    try {
      return await work(request, reply);
    } catch (error) {
      if (isPaygridError(error)) return notFound(reply);
      throw error;
    }
  };
  const onward = (request: Req) => `${ONE_CLICK_PATH}/${encodeURIComponent(request.params.id)}?key=${encodeURIComponent(request.query.key ?? '')}`;

  app.get<{ Params: { id: string }; Querystring: { key?: string } }>(
    `${ONE_CLICK_PATH}/:id/identified`,
    guarded(async (request, reply) => {
      await service.identityReturned(request.params.id, request.query.key ?? '');
      return sendRedirect(reply, onward(request));
    }),
  );

  app.get<{ Params: { id: string }; Querystring: { key?: string } }>(
    `${ONE_CLICK_PATH}/:id/paid`,
    guarded(async (request, reply) => {
      await service.paymentReturned(request.params.id, request.query.key ?? '');
      return sendRedirect(reply, onward(request));
    }),
  );

  app.get<{ Params: { id: string }; Querystring: { key?: string } }>(
    `${ONE_CLICK_PATH}/:id`,
    guarded(async (request, reply) => {
      const next = await service.next(request.params.id, request.query.key ?? '', issuer());
      if (next.kind === 'wait') return sendOnward(reply, onward(request), WAIT_SECONDS, 'Waiting for the operator…');
      if (next.kind === 'finished') return sendPage(reply, { title: 'Done', body: html`<h1>Done</h1><p>This sign-in has finished. You can close this window.</p>` });
      return sendOnward(reply, next.url);
    }),
  );

  app.get<{ Params: { id: string }; Querystring: { key?: string } }>(`${ONE_CLICK_PATH}/:id/status`, async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    try {
      return reply.send(await service.status(request.params.id, request.query.key ?? ''));
    } catch (error) {
      if (isPaygridError(error)) return reply.status(404).send({ success: false, errors: [{ error: 'not_found', error_description: 'Unknown session.' }] });
      throw error;
    }
  });
}
