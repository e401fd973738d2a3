import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/**
 * The Open Payments contract, checked harder than the official client checks it: every response of
 * a run is validated with Ajv 2020 in strict mode, with ajv-formats (uri, date-time are checked,
 * which the client's validator skips), against the specs bundled in @interledger/open-payments.
 */

const SPECS = join(__dirname, '..', '..', '..', 'node_modules', '@interledger', 'open-payments', 'dist', 'openapi', 'specs');

type Json = any;

/** One response as the client received it. */
export interface RecordedResponse {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ContractResult {
  call: string;
  status: number;
  /** Which spec operation and response it was checked against. */
  against: string;
  errors: string[];
}

/** Which server a URL belongs to, given the Paygrid base: the path inside that server's spec. */
export type ServerOf = (url: URL) => { spec: 'resource-server' | 'auth-server' | 'wallet-address-server'; path: string } | null;

/** Paygrid's layout: `{base}/op/...` (RS), `{base}/gnap...` (AS), `{base}/wallet/{slug}[/jwks.json]` (wallet address server). */
export function paygridServers(base: string): ServerOf {
  const root = new URL(base);
  return (url) => {
    if (url.origin !== root.origin) return null;
    const path = url.pathname.slice(root.pathname.replace(/\/$/, '').length);
    if (path === '/op' || path.startsWith('/op/')) return { spec: 'resource-server', path: path.slice(3) || '/' };
    if (path === '/gnap' || path.startsWith('/gnap/')) return { spec: 'auth-server', path: path.slice(5) || '/' };
    const wallet = /^\/wallet\/[^/]+(\/.*)?$/.exec(path);
    if (wallet) return { spec: 'wallet-address-server', path: wallet[1] ?? '/' };
    return null;
  };
}

interface Spec {
  name: string;
  doc: Json;
  id: string;
}

const ANNOTATIONS = new Set(['$ref', 'description', 'title', 'examples', 'example']);

/**
 * `#/components/schemas/x` → `{id}#/$defs/x`, so that each spec's schemas form one Ajv schema. A
 * `$ref` with sibling assertions (`additionalProperties: false` beside the incoming-payment ref of
 * the list and complete responses) is read as the specs mean it and as the client's dereferencer
 * does: the referenced schema extended by its siblings (in JSON Schema 2020 the sibling would
 * forbid every property).
 */
function rewriteRefs(node: Json, id: string, schemas: Json): Json {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, id, schemas));
  if (!node || typeof node !== 'object') return node;
  const ref = typeof node.$ref === 'string' && node.$ref.startsWith('#/components/schemas/') ? node.$ref.slice('#/components/schemas/'.length) : null;
  if (ref && Object.keys(node).some((k) => !ANNOTATIONS.has(k))) {
    const { $ref: _ref, ...siblings } = node;
    return rewriteRefs({ ...schemas[ref], ...siblings }, id, schemas);
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && ref) out[key] = `${id}#/$defs/${ref}`;
    else out[key] = rewriteRefs(value, id, schemas);
  }
  return out;
}

export class OpenPaymentsContract {
  private readonly ajv = new Ajv2020({ strict: true, allErrors: true, strictTypes: false });
  private readonly specs = new Map<string, Spec>();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor() {
    addFormats(this.ajv);
    // OpenAPI's own format for amounts: a non-negative integer string of at most 64 bits.
    this.ajv.addFormat('uint64', { type: 'string', validate: (v: string) => /^(0|[1-9][0-9]*)$/.test(v) && BigInt(v) <= 18446744073709551615n });
    // A typo in the bundled resource-server spec (public-incoming-payment, for unevaluatedProperties): an annotation, so it asserts nothing.
    this.ajv.addKeyword({ keyword: 'unresolvedProperites', schemaType: 'boolean' });
    for (const name of ['resource-server', 'auth-server', 'wallet-address-server']) {
      const doc = parse(readFileSync(join(SPECS, `${name}.yaml`), 'utf8'));
      const id = `https://paygrid.test/openapi/${name}.json`;
      this.ajv.addSchema({ $id: id, $defs: rewriteRefs(doc.components?.schemas ?? {}, id, doc.components?.schemas ?? {}) });
      this.specs.set(name, { name, doc, id });
    }
  }

  private operation(spec: Spec, path: string, method: string): { template: string; op: Json } | null {
    for (const [template, item] of Object.entries<Json>(spec.doc.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      if (pattern.test(path) && item[method.toLowerCase()]) return { template, op: item[method.toLowerCase()] };
    }
    return null;
  }

  private validator(spec: Spec, key: string, schema: Json): ValidateFunction {
    const cacheKey = `${spec.name} ${key}`;
    let validate = this.compiled.get(cacheKey);
    if (!validate) {
      validate = this.ajv.compile({ $id: `https://paygrid.test/openapi/${spec.name}/${encodeURIComponent(key)}.json`, ...rewriteRefs(schema, spec.id, spec.doc.components?.schemas ?? {}) });
      this.compiled.set(cacheKey, validate);
    }
    return validate;
  }

  /** Checks one response: its status is declared, its body matches the declared schema (or the error shape), 401 carries WWW-Authenticate. */
  check(response: RecordedResponse, serverOf: ServerOf): ContractResult {
    const url = new URL(response.url);
    const call = `${response.method} ${url.pathname}${url.search}`;
    const result = (against: string, errors: string[]): ContractResult => ({ call, status: response.status, against, errors });
    const where = serverOf(url);
    if (!where) return result('-', ['not a URL of any Open Payments server of Paygrid']);
    const spec = this.specs.get(where.spec)!;
    const found = this.operation(spec, where.path, response.method);
    if (!found) return result(`${where.spec}`, [`no operation ${response.method} ${where.path} in ${where.spec}`]);
    let declared = found.op.responses?.[String(response.status)];
    const against = `${where.spec} ${response.method} ${found.template} ${response.status}`;
    const errors: string[] = [];
    if (!declared) {
      if (response.status < 400) return result(against, [`status ${response.status} is not declared`]);
      // An error status the spec leaves out (e.g. 400 on create): the spec's error shape still applies.
      declared = { content: { 'application/json': { schema: spec.doc.components.schemas['error-response'] ? { $ref: '#/components/schemas/error-response' } : {} } } };
      errors.push(...this.errorShape(response));
      return result(`${against} (undeclared error status; checked as error-response)`, [...errors, ...this.body(spec, `${found.template} error`, declared, response)]);
    }
    if (declared.$ref) declared = spec.doc.components.responses[declared.$ref.split('/').pop()];
    if (response.status === 401 && !response.headers['www-authenticate']) errors.push('401 without WWW-Authenticate');
    errors.push(...this.body(spec, `${found.template} ${response.method} ${response.status}`, declared, response));
    return result(against, errors);
  }

  private errorShape(response: RecordedResponse): string[] {
    try {
      const body = JSON.parse(response.body);
      return body?.error?.code && body?.error?.description ? [] : ['error body is not {error:{code,description}}'];
    } catch {
      return ['error body is not JSON'];
    }
  }

  private body(spec: Spec, key: string, declared: Json, response: RecordedResponse): string[] {
    const schema = declared.content?.['application/json']?.schema;
    if (!schema) return response.body.length ? [`a ${response.status} has no body in the spec, but one was sent`] : [];
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      return ['the body is not JSON'];
    }
    const validate = this.validator(spec, key, schema);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  }
}

/**
 * Records every response fetched while it is installed (the official client fetches through
 * globalThis.fetch): the method, URL, status, headers and body text, the body left readable.
 */
export function recordResponses(): { responses: RecordedResponse[]; restore(): void } {
  const original = globalThis.fetch;
  const responses: RecordedResponse[] = [];
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const response = await original(input as never, init);
    const body = await response.clone().text();
    responses.push({ method: request.method, url: request.url, status: response.status, headers: Object.fromEntries(response.headers), body });
    return response;
  };
  return { responses, restore: () => void (globalThis.fetch = original) };
}
