import type { FastifyInstance, FastifyReply } from 'fastify';
import { html, sendErrorPage, sendPage, sendRedirect, type Html } from '../../http/pages';
import { CSRF_FIELD, checkCsrf, currentPayer, redirectToLogin, type CurrentPayer } from '../../http/payer-session';
import { formatAmount } from '../../money/money';
import { ErrorCode, isPaygridError } from '../../shared/errors';
import type { StoredAccessItem } from './grant-request';
import { GNAP_PATH, type ConsentView, type GrantService } from './grant.service';

const CONSENT_PATH = `${GNAP_PATH}/consent`;

type Params = { Params: { id: string; nonce: string } };

const money = (a: { value: string; assetCode: string; assetScale: number }) => `${formatAmount(BigInt(a.value), a.assetScale)} ${a.assetCode}`;

function describeItem(item: StoredAccessItem): Html {
  const limits = item.limits;
  return html`<li data-type="${item.type}"><strong>${item.type}</strong>: ${item.actions.join(', ')}
${limits?.debitAmount ? html`<br>At most <strong class="debit-limit">${money(limits.debitAmount)}</strong> debited${limits.interval ? ' per interval' : ''}` : ''}
${limits?.receiveAmount ? html`<br>At most <strong class="receive-limit">${money(limits.receiveAmount)}</strong> received${limits.interval ? ' per interval' : ''}` : ''}
${limits?.interval ? html`<br>Interval: <code class="interval">${limits.interval}</code>` : ''}
${limits?.receiver ? html`<br>Only to: <code class="receiver">${limits.receiver}</code>` : ''}
${!limits?.debitAmount && !limits?.receiveAmount && item.type === 'outgoing-payment' ? html`<br><strong>No amount limit.</strong>` : ''}</li>`;
}

/**
 * The account holder's side of an interactive grant: `interact.redirect` opens the interaction and
 * leads to the consent page (after the payer login), which names the client, the wallet address
 * spent from, the limits, interval and receiver; approve or deny are CSRF-protected forms, and
 * the browser goes back to the client's finish URI. Only translation here; the rules are the
 * grant service's (only the account's holder may decide).
 */
export function registerInteractionRoutes(pages: FastifyInstance, grants: GrantService): void {
  const invalid = (reply: FastifyReply) => sendErrorPage(reply, 404, 'No such request', 'This authorization request is unknown, expired or already decided.');

  pages.get<Params>(`${GNAP_PATH}/interact/:id/:nonce`, async (request, reply) => {
    try {
      await grants.startInteraction(request.params.id, request.params.nonce);
    } catch (error) {
      if (isPaygridError(error)) return invalid(reply);
      throw error;
    }
    return sendRedirect(reply, `${CONSENT_PATH}/${encodeURIComponent(request.params.id)}/${encodeURIComponent(request.params.nonce)}`);
  });

  const render = async (reply: FastifyReply, payer: CurrentPayer, view: ConsentView, nonce: string, error?: { status: number; message: string }) => {
    const { grant, walletAddress } = view;
    const holds = await grants.holds(grant, payer.id);
    const action = `${CONSENT_PATH}/${grant.id}/${nonce}`;
    const body = html`<h1><span id="client-name">${grant.clientName ?? 'An application'}</span> asks to use your wallet</h1>
<p class="muted">Client: <code id="client-id">${grant.clientWalletAddress ?? 'a key only'}</code></p>
${error ? html`<p class="error" role="alert">${error.message}</p>` : ''}
<p>Wallet address: <code id="wallet-address">${walletAddress?.url ?? '—'}</code>${walletAddress ? html` (${walletAddress.publicName}, ${walletAddress.assetCode})` : ''}</p>
<ul id="access">${grant.access.map(describeItem)}</ul>
${
  holds
    ? html`<form method="post" action="${action}">
<input type="hidden" name="${CSRF_FIELD}" value="${payer.csrfToken}">
<div class="actions">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>`
    : html`<p class="error" id="not-holder">You are logged in as ${payer.username}, who does not hold this wallet address’s account: only its holder may decide.</p>
<form method="post" action="/logout">
<input type="hidden" name="${CSRF_FIELD}" value="${payer.csrfToken}">
<input type="hidden" name="return_to" value="${action}">
<button type="submit" class="secondary">Log out</button>
</form>`
}`;
    return sendPage(reply, {
      status: error?.status ?? 200,
      title: `Authorize ${grant.clientName ?? 'application'}`,
      body,
      formTargets: grant.finishUri ? [new URL(grant.finishUri).origin] : [],
    });
  };

  pages.get<Params>(`${CONSENT_PATH}/:id/:nonce`, async (request, reply) => {
    const payer = await currentPayer(request);
    if (!payer) return redirectToLogin(request, reply);
    let view: ConsentView;
    try {
      view = await grants.consent(request.params.id, request.params.nonce);
    } catch (error) {
      if (isPaygridError(error)) return invalid(reply);
      throw error;
    }
    return render(reply, payer, view, request.params.nonce);
  });

  pages.post<Params>(`${CONSENT_PATH}/:id/:nonce`, async (request, reply) => {
    const payer = await currentPayer(request);
    if (!payer) return sendErrorPage(reply, 401, 'Not logged in', 'Your session ended. Open the link from the application again.');
    const form = (request.body ?? {}) as Record<string, unknown>;
    if (!(await checkCsrf(request, form[CSRF_FIELD]))) {
      return sendErrorPage(reply, 403, 'Not authorized', 'This form expired or did not come from Paygrid. Go back, reload the page and try again.');
    }
    const { id, nonce } = request.params;
    const decision = form.decision;
    if (decision !== 'approve' && decision !== 'deny') return sendErrorPage(reply, 400, 'No decision', 'Choose Approve or Deny.');
    let target: string | null;
    try {
      target = decision === 'approve' ? await grants.approve(id, nonce, payer.id) : await grants.deny(id, nonce, payer.id);
    } catch (error) {
      if (!isPaygridError(error)) throw error;
      if (error.code === ErrorCode.GRANT_NOT_OWNED) {
        const view = await grants.consent(id, nonce).catch(() => null);
        return view ? render(reply, payer, view, nonce, { status: 403, message: error.message }) : invalid(reply);
      }
      return invalid(reply);
    }
    if (target) return sendRedirect(reply, target);
    const done = decision === 'approve' ? 'You approved the request. You may go back to the application.' : 'You denied the request. You may go back to the application.';
    return sendPage(reply, { title: 'Done', body: html`<h1>Done</h1><p id="result">${done}</p>` });
  });
}
