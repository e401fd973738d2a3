// Starts the GraphQL explorer (GraphiQL, served from Paygrid's own files): queries and mutations over
// HTTP, subscriptions over graphql-ws. The token pasted above it goes into both.
(function () {
  var input = document.getElementById('token');
  var root = document.getElementById('graphiql');
  input.value = sessionStorage.getItem('paygrid-token') || '';
  function render() {
    var token = input.value.trim();
    sessionStorage.setItem('paygrid-token', token);
    var auth = token ? { authorization: 'Bearer ' + token } : {};
    root.replaceChildren();
    var mount = document.createElement('div');
    mount.style.height = '100%';
    root.appendChild(mount);
    window.YogaGraphiQL.renderYogaGraphiQL(mount, {
      endpoint: '/graphql',
      subscriptionsProtocol: 'WS',
      headers: JSON.stringify(auth, null, 2),
      additionalHeaders: auth,
      connectionParams: auth,
      defaultQuery: '# Paste a token above (client credentials: POST /oauth/token), then run:\n{ viewer { id name scopes } }\n',
      title: 'Paygrid GraphQL explorer',
    });
  }
  document.getElementById('use-token').addEventListener('click', render);
  render();
})();
