import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The GraphiQL bundle installed with Paygrid (@graphql-yoga/graphiql): nothing is loaded from the internet. */
const BUNDLE_DIR = join(dirname(require.resolve('@graphql-yoga/graphiql/package.json')), 'dist');
const START_SCRIPT = join(__dirname, '..', '..', '..', 'src', 'operations', 'explorer', 'start.js');

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Paygrid GraphQL explorer</title>
<link rel="stylesheet" href="/graphql/explorer/graphiql.css">
<link rel="stylesheet" href="/graphql/explorer/page.css">
</head><body>
<form id="token-bar" onsubmit="return false"><label for="token">Bearer token</label>
<input id="token" name="token" autocomplete="off" spellcheck="false" placeholder="pgat_…">
<button id="use-token" type="button">Use token</button></form>
<div id="graphiql"></div>
<script src="/graphql/explorer/graphiql.js"></script>
<script src="/graphql/explorer/start.js"></script>
</body></html>`;

const PAGE_CSS = `html,body{height:100%;margin:0}body{display:flex;flex-direction:column;font-family:system-ui,sans-serif}
#token-bar{display:flex;gap:.5rem;align-items:center;padding:.4rem .6rem;border-bottom:1px solid #ddd}#token{flex:1;font-family:monospace}
#graphiql{flex:1;min-height:0}`;

/** GraphiQL's editor styles and workers need inline styles and blob workers; scripts come from here only. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Whether a GET /graphql is a browser opening the page rather than a GraphQL query over GET. */
export function wantsExplorer(method: string, url: string, accept: string | undefined): boolean {
  return method === 'GET' && /^\/graphql\/?(\?|$)/.test(url) && !/[?&]query=/.test(url) && !!accept?.includes('text/html');
}

export function registerExplorerRoutes(http: FastifyInstance): void {
  const files: Record<string, { path: string; type: string }> = {
    'graphiql.js': { path: join(BUNDLE_DIR, 'yoga-graphiql.umd.js'), type: 'application/javascript; charset=utf-8' },
    'graphiql.css': { path: join(BUNDLE_DIR, 'graphiql.css'), type: 'text/css; charset=utf-8' },
    'start.js': { path: START_SCRIPT, type: 'application/javascript; charset=utf-8' },
  };
  const cache = new Map<string, Buffer>();
  http.get<{ Params: { file: string } }>('/graphql/explorer/:file', async (request, reply) => {
    if (request.params.file === 'page.css') return reply.type('text/css; charset=utf-8').send(PAGE_CSS);
    const file = files[request.params.file];
    if (!file) return reply.status(404).send({ error: 'NOT_FOUND', message: 'No such file.' });
    if (!cache.has(file.path)) cache.set(file.path, readFileSync(file.path));
    return reply.type(file.type).header('cache-control', 'public, max-age=3600').send(cache.get(file.path));
  });
  http.addHook('onRequest', async (request, reply) => {
    if (!wantsExplorer(request.method, request.url, request.headers.accept)) return;
    return reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-store').send(PAGE);
  });
}
