import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html, sendErrorPage, sendPage, sendRedirect } from '../../http/pages';
import { CSRF_FIELD, checkCsrf, ensureBrowserSession } from '../../http/payer-session';
import { formatAmount } from '../../money/money';
import { isPaygridError } from '../../shared/errors';
import { InitiationState } from './initiation.states';
import { WEBVIEW_PATH, type Initiation, type InitiationService } from './initiation.service';

/** The payment-scoped token, kept for the pages of its payment only (Path), never readable by scripts. */
const TOKEN_COOKIE = 'paygrid_webview';
const pagePath = (id: string) => `/webview/payments/${encodeURIComponent(id)}`;

const one = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The payer's validation webview (reference 001 §1.6): entered through the validation URL with the
 * payment-scoped token in `code`, which moves into an HttpOnly cookie scoped to the payment's pages;
 * every form also carries the browser session's CSRF token. The payer chooses a bank among those
 * that can execute the payment, signs in at the sandbox bank and confirms, or cancels; then goes
 * back to the client's redirect URI with Powens' callback parameters. Only translation here.
 */
export function registerWebviewRoutes(pages: FastifyInstance, initiations: InitiationService): void {
  const money = (initiation: Initiation, minor: bigint) => `${formatAmount(minor, initiation.payment.assetScale)} ${initiation.payment.assetCode}`;
  const formTargets = (initiation: Initiation) => [new URL(initiation.details.clientRedirectUri).origin];

  /** The payment this browser holds a token for, or an error page. */
  const authorized = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<Initiation | null> => {
    const token = request.cookies?.[TOKEN_COOKIE];
    try {
      if (!token) throw new Error('no token');
      return await initiations.authorizeWebview(token, request.params.id);
    } catch {
      sendErrorPage(reply, 403, 'Link expired', 'This payment link expired or is not valid here. Go back to the merchant and start again.');
      return null;
    }
  };

  const checked = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<{ initiation: Initiation; body: Record<string, unknown> } | null> => {
    const initiation = await authorized(request, reply);
    if (!initiation) return null;
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (!(await checkCsrf(request, body[CSRF_FIELD]))) {
      sendErrorPage(reply, 403, 'Request refused', 'This form expired or did not come from Paygrid. Nothing was paid. Go back and try again.');
      return null;
    }
    return { initiation, body };
  };

  const summary = (initiation: Initiation) => {
    const { details } = initiation;
    const first = details.instructions[0];
    return html`<p>Pay <strong id="amount">${money(initiation, initiation.payment.amount)}</strong> to
<strong id="beneficiary">${first.beneficiary.label ?? first.beneficiaryIdentity.orgName ?? ''}</strong></p>
<ul id="instructions">${details.instructions.map(
      (i) => html`<li>${i.label}: ${money(initiation, BigInt(i.amount))}, ${i.executionDateType.replace(/_/g, ' ')}${i.executionDate ? html` on ${i.executionDate}` : ''}
<span class="muted">to ${i.beneficiary.identification}</span></li>`,
    )}</ul>`;
  };

  const render = async (request: FastifyRequest, reply: FastifyReply, initiation: Initiation, error?: string) => {
    const session = await ensureBrowserSession(request, reply);
    const { payment } = initiation;
    const csrf = html`<input type="hidden" name="${CSRF_FIELD}" value="${session.csrfToken}">`;
    const cancel = html`<form method="post" action="${pagePath(payment.id)}/cancel">
${csrf}
<button type="submit" class="secondary" id="cancel">Cancel the payment</button>
</form>`;
    let step;
    if (payment.flowState === InitiationState.CREATED) {
      const banks = await initiations.banksFor(initiation);
      step = banks.length
        ? html`<form method="post" action="${pagePath(payment.id)}/bank">
${csrf}
<fieldset id="banks"><legend>Choose your bank</legend>
${banks.map(
  (bank, i) => html`<label><input type="radio" name="connector_uuid" value="${bank.uuid}"${i === 0 ? html` checked` : ''}> ${bank.name}</label>`,
)}
</fieldset>
<button type="submit" id="choose-bank">Continue to my bank</button>
</form>
${cancel}`
        : html`<p class="error">No bank can execute this payment any more.</p>${cancel}`;
    } else if (payment.flowState === InitiationState.VALIDATING) {
      step = html`<p><a href="${pagePath(payment.id)}/bank-login" id="to-bank">Continue at your bank</a></p>${cancel}`;
    } else {
      step = html`<p id="status">This payment is <strong>${payment.flowState}</strong>: there is nothing left to validate.</p>`;
    }
    return sendPage(reply, {
      status: error ? 400 : 200,
      title: 'Validate the payment',
      body: html`<h1>Validate the payment</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
${summary(initiation)}
${step}`,
      formTargets: formTargets(initiation),
    });
  };

  const renderBank = async (request: FastifyRequest, reply: FastifyReply, initiation: Initiation) => {
    const session = await ensureBrowserSession(request, reply);
    const connector = await initiations.connector(initiation.details.connectorUuid);
    return sendPage(reply, {
      title: connector?.name ?? 'Your bank',
      body: html`<h1 id="bank-name">${connector?.name ?? 'Your bank'}</h1>
<p class="muted">Sandbox bank: any login with the password <code>sandbox</code>. The login <code>insufficient</code> is refused for lack of funds, <code>silent</code> never answers.</p>
${summary(initiation)}
<form method="post" action="${pagePath(initiation.payment.id)}/bank-login">
<input type="hidden" name="${CSRF_FIELD}" value="${session.csrfToken}">
<label for="login">Login</label>
<input type="text" id="login" name="login" autocomplete="username">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password">
<div class="actions">
<button type="submit" name="decision" value="confirm" id="confirm">Confirm the payment</button>
<button type="submit" name="decision" value="cancel" class="secondary" id="bank-cancel">Cancel</button>
</div>
</form>`,
      formTargets: formTargets(initiation),
    });
  };

  // The validation URL the merchant sends the payer to.
  pages.get<{ Querystring: Record<string, unknown> }>(WEBVIEW_PATH, async (request, reply) => {
    const q = request.query ?? {};
    let initiation: Initiation;
    try {
      initiation = await initiations.openWebview({
        clientId: one(q.client_id),
        redirectUri: one(q.redirect_uri),
        state: one(q.state),
        code: one(q.code),
        paymentId: one(q.payment_id),
      });
    } catch (error) {
      if (!isPaygridError(error)) throw error;
      // Never redirect to a URI that was not checked: the error is told here.
      return sendErrorPage(reply, 400, 'Link not valid', error.message);
    }
    const id = initiation.payment.id;
    // A session cookie: the token's own lifetime (7 days) is enforced on every request.
    reply.setCookie(TOKEN_COOKIE, one(q.code)!, { httpOnly: true, sameSite: 'lax', path: pagePath(id), secure: request.protocol === 'https' });
    await ensureBrowserSession(request, reply);
    // The token leaves the address bar (and the history) at once.
    return sendRedirect(reply, pagePath(id));
  });

  pages.get<{ Params: { id: string } }>('/webview/payments/:id', async (request, reply) => {
    const initiation = await authorized(request, reply);
    return initiation ? render(request, reply, initiation) : reply;
  });

  pages.post<{ Params: { id: string } }>('/webview/payments/:id/bank', async (request, reply) => {
    const found = await checked(request, reply);
    if (!found) return reply;
    const uuid = one(found.body.connector_uuid);
    try {
      if (!uuid) return render(request, reply, found.initiation, 'Choose your bank.');
      await initiations.chooseBank(found.initiation.payment.id, uuid);
    } catch (error) {
      if (!isPaygridError(error)) throw error;
      return render(request, reply, (await initiations.get(null, found.initiation.payment.id))!, error.message);
    }
    return sendRedirect(reply, `${pagePath(found.initiation.payment.id)}/bank-login`);
  });

  pages.get<{ Params: { id: string } }>('/webview/payments/:id/bank-login', async (request, reply) => {
    const initiation = await authorized(request, reply);
    if (!initiation) return reply;
    if (initiation.payment.flowState !== InitiationState.VALIDATING) return sendRedirect(reply, pagePath(initiation.payment.id));
    return renderBank(request, reply, initiation);
  });

  pages.post<{ Params: { id: string } }>('/webview/payments/:id/bank-login', async (request, reply) => {
    const found = await checked(request, reply);
    if (!found) return reply;
    const id = found.initiation.payment.id;
    try {
      if (found.body.decision === 'cancel') {
        await initiations.cancelByPayer(id);
      } else if (found.body.decision === 'confirm') {
        await initiations.confirmAtBank(id, { login: one(found.body.login) ?? '', password: one(found.body.password) ?? '' });
      } else {
        return renderBank(request, reply, found.initiation);
      }
    } catch (error) {
      if (!isPaygridError(error)) throw error;
      return render(request, reply, (await initiations.get(null, id))!, error.message);
    }
    // Back from the bank: the callback tells the payment's state and, when rejected, why.
    const now = (await initiations.get(null, id))!;
    return sendRedirect(
      reply,
      initiations.callbackUrl(now, { errorCode: now.details.errorCode, bankMessage: now.details.bankMessage, paymentState: now.payment.flowState }),
    );
  });

  pages.post<{ Params: { id: string } }>('/webview/payments/:id/cancel', async (request, reply) => {
    const found = await checked(request, reply);
    if (!found) return reply;
    const id = found.initiation.payment.id;
    try {
      await initiations.cancelByPayer(id);
    } catch (error) {
      if (!isPaygridError(error)) throw error;
      return render(request, reply, (await initiations.get(null, id))!, error.message);
    }
    const now = (await initiations.get(null, id))!;
    return sendRedirect(reply, initiations.callbackUrl(now, { error: 'cancelled', errorCode: now.details.errorCode }));
  });
}
