import type { FastifyInstance, FastifyReply } from 'fastify';
import { payerSession } from '../../access';
import type { AccountService } from '../../accounts/account.service';
import { html, sendErrorPage, sendPage, sendRedirect, verificationStatus } from '../../http/pages';
import { CSRF_FIELD, checkCsrf, currentPayer, redirectToLogin, type CurrentPayer } from '../../http/payer-session';
import { formatAmount } from '../../money/money';
import type { TokenService } from '../../oauth/token.service';
import { ErrorCode, isPaygridError } from '../../shared/errors';
import type { OrderService } from './order.service';
import { OrderStatus } from './order.states';

export const CHECKOUT_PATH = '/checkout';

/** The payer goes back to the vendor with the order's id added to the URL the vendor gave. */
function backToVendor(target: string, orderId: string): string {
  const url = new URL(target);
  url.searchParams.set('order_id', orderId);
  return url.toString();
}

/**
 * The checkout page the order's `approve` link points to: the logged-in payer sees the vendor (and
 * whether Paygrid verified it), the items, the total and the account that pays, then approves (the
 * total is reserved) or declines. Only translation here; the rules are the order service's.
 */
export function registerCheckoutRoutes(pages: FastifyInstance, orders: OrderService, tokens: TokenService, accounts: AccountService): void {
  const render = async (reply: FastifyReply, payer: CurrentPayer, orderId: string, error?: string) => {
    const found = await orders.forCheckout(payerSession(payer.id), orderId);
    if (!found) return sendErrorPage(reply, 404, 'No such order', 'This order does not exist or is not yours to pay.');
    const { payment, order } = found;
    const vendor = await tokens.findClient(payment.clientId);
    const account = payment.payerAccountId ? await accounts.get(payerSession(payer.id), payment.payerAccountId) : null;
    const money = (minor: bigint) => `${formatAmount(minor, payment.assetScale)} ${payment.assetCode}`;
    const open = payment.flowState === OrderStatus.CREATED;
    const action = `${CHECKOUT_PATH}/${payment.id}`;
    const body = html`<h1>Pay <span id="vendor-name">${vendor?.name ?? payment.clientId}</span></h1>
${verificationStatus(vendor?.verified ?? false)}
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<table id="items">
<thead><tr><th>Item</th><th class="num">Count</th><th class="num">Price</th></tr></thead>
<tbody>${order.items.map((i) => html`<tr><td>${i.name}${i.description ? html`<br><span class="muted">${i.description}</span>` : ''}</td><td class="num">${String(i.count)}</td><td class="num">${money(BigInt(i.amount))}</td></tr>`)}</tbody>
</table>
<p>Total: <strong id="total">${money(payment.amount)}</strong></p>
${account ? html`<p class="muted">Paid from ${account.name ?? account.id}, available <span id="available">${money(account.posted - account.reserved)}</span>.</p>` : ''}
${
  open
    ? html`<form method="post" action="${action}">
<input type="hidden" name="${CSRF_FIELD}" value="${payer.csrfToken}">
<div class="actions">
<button type="submit" name="decision" value="approve">Approve and pay</button>
<button type="submit" name="decision" value="decline" class="secondary">Decline</button>
</div>
</form>`
    : html`<p id="status">This order is <strong>${payment.flowState}</strong>: there is nothing left to approve.</p>`
}`;
    return sendPage(reply, {
      status: error ? 400 : 200,
      title: `Pay ${vendor?.name ?? 'order'}`,
      body,
      formTargets: [new URL(order.successUrl).origin, new URL(order.errorUrl).origin],
    });
  };

  pages.get<{ Params: { id: string } }>(`${CHECKOUT_PATH}/:id`, async (request, reply) => {
    const payer = await currentPayer(request);
    if (!payer) return redirectToLogin(request, reply);
    return render(reply, payer, request.params.id);
  });

  pages.post<{ Params: { id: string }; Body: Record<string, unknown> }>(`${CHECKOUT_PATH}/:id`, async (request, reply) => {
    const payer = await currentPayer(request);
    if (!payer) return redirectToLogin(request, reply);
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (!(await checkCsrf(request, body[CSRF_FIELD]))) {
      return sendErrorPage(reply, 403, 'Request refused', 'This form expired or did not come from Paygrid. Nothing was paid. Go back and try again.');
    }
    const id = request.params.id;
    const found = await orders.forCheckout(payerSession(payer.id), id);
    if (!found) return sendErrorPage(reply, 404, 'No such order', 'This order does not exist or is not yours to pay.');
    try {
      if (body.decision === 'approve') {
        await orders.approve(payerSession(payer.id), id);
        return sendRedirect(reply, backToVendor(found.order.successUrl, id));
      }
      if (body.decision === 'decline') {
        await orders.decline(payerSession(payer.id), id);
        return sendRedirect(reply, backToVendor(found.order.errorUrl, id));
      }
      return render(reply, payer, id, 'Choose Approve or Decline.');
    } catch (error) {
      if (!isPaygridError(error)) throw error;
      if (error.code === ErrorCode.INSUFFICIENT_FUNDS) return render(reply, payer, id, 'Your available balance does not cover this order. Nothing was paid.');
      return render(reply, payer, id, error.message);
    }
  });
}
