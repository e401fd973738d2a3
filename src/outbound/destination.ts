import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which network addresses Paygrid may send requests to: the rule behind every outbound call
 * (webhooks, order callbacks, and the Open Payments peers and key fetches to come). Only public
 * unicast addresses, as ipaddr.js names its ranges; loopback too when the deployment allows it
 * (local development and tests). Everything else (private, link-local, CGNAT, unspecified,
 * multicast, broadcast, reserved, documentation, unique-local...) reaches the platform's own
 * network, not a merchant's server.
 */
export interface DestinationPolicy {
  /** 127.0.0.0/8 and ::1, for receivers on the developer's machine; never the other ranges. */
  allowLoopback: boolean;
}

/**
 * IANA hands out IPv6 global unicast from 2000::/3 only (RFC 4291 §2.4); ipaddr.js calls the rest
 * of the unnamed space `unicast` too, including the deprecated IPv4-compatible ::a.b.c.d.
 */
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

/** The NAT64 well-known prefix (RFC 6052): the IPv4 address is the last 32 bits. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

function lastIPv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  const [a, b] = address.parts.slice(6);
  return new ipaddr.IPv4([a >> 8, a & 0xff, b >> 8, b & 0xff]);
}

/**
 * The IPv4 address an IPv6 form carries to the IPv4 network (IPv4-mapped, IPv4-translated,
 * NAT64 and 6to4): that address is where the packets end up, so it is the one classified.
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  switch (address.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return lastIPv4(address);
    case 'rfc6052':
      // The local-use prefix 64:ff9b:1::/48 (RFC 8215) embeds at a length each network chooses: not classified, refused.
      return address.match(NAT64_WELL_KNOWN) ? lastIPv4(address) : null;
    case '6to4': {
      const [, a, b] = address.parts;
      return new ipaddr.IPv4([a >> 8, a & 0xff, b >> 8, b & 0xff]);
    }
    default:
      return null;
  }
}

/**
 * The ipaddr.js range name of an IP address (`unicast`, `loopback`, `private`, `linkLocal`...),
 * looking through IPv6 forms to the IPv4 address they carry; `invalid` for what is not an address.
 */
export function addressRange(text: string): string {
  if (!isIP(text)) return 'invalid';
  const address = ipaddr.parse(text);
  if (address.kind() === 'ipv4') return address.range();
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  if (['ipv4Mapped', 'rfc6145', 'rfc6052', '6to4'].includes(range)) {
    return embeddedIPv4(v6)?.range() ?? 'reserved';
  }
  if (range === 'unicast' && !v6.match(IPV6_GLOBAL_UNICAST)) return 'reserved';
  return range;
}

/** Whether Paygrid may connect to this IP address. */
export function isAllowedAddress(text: string, policy: DestinationPolicy): boolean {
  const range = addressRange(text);
  return range === 'unicast' || (policy.allowLoopback && range === 'loopback');
}

/** The IP address a URL's host is written as (`[::1]` → `::1`), or null for a host name. */
export function literalAddress(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : null;
}

/**
 * Whether a URL may be stored as a destination: http(s), and not an IP address Paygrid may not
 * reach. A host name is judged when it is sent to, by the addresses it resolves to then.
 */
export function isAllowedUrl(url: URL, policy: DestinationPolicy): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const literal = literalAddress(url);
  return literal === null || isAllowedAddress(literal, policy);
}
