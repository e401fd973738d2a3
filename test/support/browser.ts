import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (installed by .ci/run); never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** `skip` for a browser suite: false when Chromium is there, else why not. */
export const NO_CHROMIUM: string | false = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`;

/** Headless, and without the background traffic this machine's closed network refuses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A merchant's site of the test's own, on 127.0.0.1: where the payer's browser comes back to (GET,
 * answered with a small page) and where callbacks arrive (POST). It records what arrived.
 */
export class Site {
  /** Every request that arrived (the browser's favicon requests aside), with its method. */
  readonly hits: Array<{ method: string; url: URL }> = [];
  origin = '';
  private readonly server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', this.origin);
    if (url.pathname !== '/favicon.ico') this.hits.push({ method: request.method ?? 'GET', url });
    request.resume();
    if (request.method === 'POST') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Shop</title><h1>Back at the shop</h1>');
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  /** Page visits (GET), in order. */
  pages(): URL[] {
    return this.hits.filter((h) => h.method === 'GET').map((h) => h.url);
  }

  /** Page visits (GET) to `pathname`: the payer's browser coming back. */
  visits(pathname: string): URL[] {
    return this.pages().filter((url) => url.pathname === pathname);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
