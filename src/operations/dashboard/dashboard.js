// The operator dashboard's script: a live list of payment changes from the paymentFeed subscription
// (graphql-ws), and the platform's figures from one GraphQL query, read again after every change and
// every few seconds. The page carries a short-lived token, never a client secret. Everything shown
// is set as text, never as HTML.
(function () {
  'use strict';
  var token = document.querySelector('meta[name="paygrid-token"]').getAttribute('content');
  var LIVE_ROWS = 50;
  var REFRESH_MS = 5000;
  var OVERVIEW = 'query Dashboard {\n' +
    '  operationsOverview {\n' +
    '    settlementAccounts { id name balance { posted { formatted assetCode } reserved { formatted assetCode } } }\n' +
    '    paymentCounts { flow state count }\n' +
    '    schedulerBacklog { dueJobs oldestDueAt }\n' +
    '  }\n' +
    '  ledgerReport { assetCode accounts postedSum driftingAccounts }\n' +
    '  deadLetters: webhookDeliveries(state: DEAD, first: 20) { nodes { id paymentId eventType url attemptCount lastStatus lastError } }\n' +
    '}';
  var FEED = 'subscription Feed { paymentFeed { flow clientId event { id paymentId sequence type state flowState occurredAt amount { formatted assetCode } } } }';

  function $(id) { return document.getElementById(id); }
  function cell(row, text, className) {
    var td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }
  function fill(tbody, items, render, emptyText, columns) {
    tbody.replaceChildren();
    if (!items.length) {
      var row = tbody.insertRow();
      row.className = 'empty';
      cell(row, emptyText).colSpan = columns;
      return;
    }
    items.forEach(function (item) { render(tbody.insertRow(), item); });
  }
  function sessionEnded() {
    // The token expired or was revoked: the page without it is the login form.
    window.location.reload();
  }

  function gql(query, variables) {
    return fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
      body: JSON.stringify({ query: query, variables: variables || {} }),
    }).then(function (response) { return response.json(); }).then(function (result) {
      var errors = result.errors || [];
      if (errors.some(function (e) { return e.extensions && e.extensions.code === 'UNAUTHENTICATED'; })) sessionEnded();
      if (errors.length) throw new Error(errors[0].message);
      return result.data;
    });
  }

  function render(data) {
    var overview = data.operationsOverview;
    fill($('counts'), overview.paymentCounts, function (row, c) {
      row.dataset.flow = c.flow;
      row.dataset.state = c.state;
      cell(row, c.flow); cell(row, c.state); cell(row, c.count, 'num');
    }, 'No payments yet.', 3);
    fill($('settlement'), overview.settlementAccounts, function (row, a) {
      row.dataset.account = a.id;
      cell(row, a.name || a.id);
      cell(row, a.balance.posted.formatted + ' ' + a.balance.posted.assetCode, 'num');
      cell(row, a.balance.reserved.formatted + ' ' + a.balance.reserved.assetCode, 'num');
    }, 'No settlement account yet.', 3);
    fill($('ledger'), data.ledgerReport, function (row, r) {
      row.className = r.postedSum === '0' && r.driftingAccounts === 0 ? 'sound' : 'unsound';
      cell(row, r.assetCode); cell(row, r.accounts, 'num'); cell(row, r.postedSum, 'num'); cell(row, r.driftingAccounts, 'num');
    }, 'No accounts yet.', 4);
    var backlog = overview.schedulerBacklog;
    $('backlog').textContent = backlog.dueJobs === 0
      ? 'No job is due: the scheduler keeps up.'
      : backlog.dueJobs + ' job' + (backlog.dueJobs === 1 ? '' : 's') + ' due; the oldest since ' + new Date(backlog.oldestDueAt).toLocaleString() + '.';
    $('backlog').dataset.due = String(backlog.dueJobs);
    fill($('dead'), data.deadLetters.nodes, function (row, d) {
      row.dataset.delivery = d.id;
      cell(row, d.id); cell(row, d.eventType); cell(row, d.url);
      cell(row, (d.lastStatus ? 'HTTP ' + d.lastStatus : d.lastError || '') + ' after ' + d.attemptCount + (d.attemptCount === 1 ? ' attempt' : ' attempts'));
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'resend';
      button.textContent = 'Resend';
      button.addEventListener('click', function () { resend(d.id, button); });
      row.insertCell().appendChild(button);
    }, 'No dead letters.', 5);
    $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
  }

  var refreshing = null;
  var again = false;
  function refresh() {
    // One read at a time; changes during it ask for one more after it.
    if (refreshing) { again = true; return; }
    refreshing = gql(OVERVIEW).then(render).catch(function (error) {
      $('updated').textContent = 'Could not update: ' + error.message;
    }).then(function () {
      refreshing = null;
      if (again) { again = false; refresh(); }
    });
  }

  function resend(deliveryId, button) {
    button.disabled = true;
    gql('mutation Resend($input: ResendWebhookDeliveryInput!) { resendWebhookDelivery(input: $input) { delivery { id state } userErrors { code message } } }', { input: { deliveryId: deliveryId } })
      .then(function (data) {
        var errors = data.resendWebhookDelivery.userErrors;
        button.textContent = errors.length ? errors[0].message : 'Sent again';
        refresh();
      })
      .catch(function (error) { button.textContent = error.message; button.disabled = false; });
  }

  function showEvent(item) {
    var tbody = $('feed');
    var empty = tbody.querySelector('tr.empty');
    if (empty) empty.remove();
    var e = item.event;
    var row = tbody.insertRow(0);
    row.dataset.payment = e.paymentId;
    row.dataset.flow = item.flow;
    row.dataset.state = e.state;
    row.className = 'fresh state-' + e.state.toLowerCase();
    cell(row, new Date(e.occurredAt).toLocaleTimeString());
    cell(row, e.paymentId);
    cell(row, item.flow);
    cell(row, e.type);
    cell(row, e.state + (e.flowState && e.flowState.toUpperCase() !== e.state ? ' (' + e.flowState + ')' : ''));
    cell(row, e.amount.formatted + ' ' + e.amount.assetCode, 'num');
    while (tbody.rows.length > LIVE_ROWS) tbody.deleteRow(-1);
  }

  var status = $('connection');
  function connection(text, className) { status.textContent = text; status.className = 'pill ' + className; }
  var ws = window.graphqlWs.createClient({
    url: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql',
    connectionParams: { authorization: 'Bearer ' + token },
    retryAttempts: Infinity,
    shouldRetry: function (event) { return !(event && event.code === 4401); },
    on: {
      connected: function () { connection('live', 'live'); refresh(); },
      closed: function (event) {
        if (event && (event.code === 4401 || event.code === 4403)) sessionEnded();
        else connection('reconnecting…', 'down');
      },
    },
  });
  ws.subscribe({ query: FEED }, {
    next: function (result) {
      if (result.data && result.data.paymentFeed) { showEvent(result.data.paymentFeed); refresh(); }
    },
    error: function () { connection('feed stopped', 'down'); },
    complete: function () {},
  });
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
