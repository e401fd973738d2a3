import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/config';
import { addressRange, isAllowedAddress, isAllowedUrl, literalAddress } from './destination';

const STRICT = { allowLoopback: false };
const LOCAL = { allowLoopback: true };

/** address, its range as classified, allowed by default, allowed with loopback allowed. */
const ADDRESSES: Array<[string, string, boolean, boolean]> = [
  // public
  ['8.8.8.8', 'unicast', true, true],
  ['93.184.216.34', 'unicast', true, true],
  ['2606:4700:4700::1111', 'unicast', true, true],
  ['2a00:1450:4007:80f::200e', 'unicast', true, true],
  // loopback: the only range the setting opens
  ['127.0.0.1', 'loopback', false, true],
  ['127.255.255.254', 'loopback', false, true],
  ['::1', 'loopback', false, true],
  // RFC 1918
  ['10.0.0.1', 'private', false, false],
  ['172.16.0.1', 'private', false, false],
  ['172.31.255.255', 'private', false, false],
  ['192.168.1.1', 'private', false, false],
  ['172.32.0.1', 'unicast', true, true],
  // link-local, with the cloud metadata endpoint
  ['169.254.169.254', 'linkLocal', false, false],
  ['fe80::1', 'linkLocal', false, false],
  ['febf::1', 'linkLocal', false, false],
  // CGNAT
  ['100.64.0.1', 'carrierGradeNat', false, false],
  ['100.127.255.255', 'carrierGradeNat', false, false],
  ['100.128.0.1', 'unicast', true, true],
  // unspecified, broadcast, multicast
  ['0.0.0.0', 'unspecified', false, false],
  ['0.1.2.3', 'unspecified', false, false],
  ['::', 'unspecified', false, false],
  ['255.255.255.255', 'broadcast', false, false],
  ['224.0.0.1', 'multicast', false, false],
  ['239.255.255.250', 'multicast', false, false],
  ['ff02::1', 'multicast', false, false],
  // reserved and documentation
  ['192.0.0.8', 'reserved', false, false],
  ['192.0.2.1', 'reserved', false, false],
  ['198.51.100.7', 'reserved', false, false],
  ['203.0.113.9', 'reserved', false, false],
  ['198.18.0.1', 'reserved', false, false],
  ['240.0.0.1', 'reserved', false, false],
  ['2001:db8::1', 'reserved', false, false],
  ['3fff::1', 'reserved', false, false],
  // IPv6 unique-local and other non-global space
  ['fc00::1', 'uniqueLocal', false, false],
  ['fd12:3456:789a::1', 'uniqueLocal', false, false],
  ['fec0::1', 'deprecatedSiteLocal', false, false],
  ['100::1', 'discard', false, false],
  ['2001::1', 'teredo', false, false],
  ['4000::1', 'reserved', false, false],
  ['::7f00:1', 'reserved', false, false],
  // IPv6 forms of IPv4 addresses are judged by the IPv4 address they carry
  ['::ffff:127.0.0.1', 'loopback', false, true],
  ['::ffff:7f00:1', 'loopback', false, true],
  ['::ffff:169.254.169.254', 'linkLocal', false, false],
  ['::ffff:10.0.0.1', 'private', false, false],
  ['::ffff:8.8.8.8', 'unicast', true, true],
  ['::ffff:0:10.0.0.1', 'private', false, false],
  ['64:ff9b::a9fe:a9fe', 'linkLocal', false, false],
  ['64:ff9b::808:808', 'unicast', true, true],
  ['64:ff9b:1::a00:1', 'reserved', false, false],
  ['2002:7f00:1::1', 'loopback', false, true],
  ['2002:a00:1::1', 'private', false, false],
  ['2002:808:808::1', 'unicast', true, true],
  // not addresses
  ['localhost', 'invalid', false, false],
  ['', 'invalid', false, false],
  ['0x7f.1', 'invalid', false, false],
];

describe('destination addresses', () => {
  for (const [address, range, strict, local] of ADDRESSES) {
    it(`${address || '(empty)'} is ${range}: ${strict ? 'allowed' : 'refused'}, ${local ? 'allowed' : 'refused'} with loopback allowed`, () => {
      assert.equal(addressRange(address), range);
      assert.equal(isAllowedAddress(address, STRICT), strict);
      assert.equal(isAllowedAddress(address, LOCAL), local);
    });
  }
});

describe('the deployment default', () => {
  it('refuses loopback unless OUTBOUND_ALLOW_LOOPBACK is exactly "true", and refuses a start on any other value', () => {
    assert.equal(loadConfig({}).outboundAllowLoopback, false);
    assert.throws(() => loadConfig({ OUTBOUND_ALLOW_LOOPBACK: '1' }), /OUTBOUND_ALLOW_LOOPBACK must be "true" or "false", not "1"/);
    assert.equal(loadConfig({ OUTBOUND_ALLOW_LOOPBACK: 'true' }).outboundAllowLoopback, true);
  });
});

describe('destination URLs', () => {
  const URLS: Array<[string, string | null, boolean, boolean]> = [
    ['https://merchant.example/hooks', null, true, true],
    ['http://localhost:8080/hooks', null, true, true],
    ['https://93.184.216.34/hooks', '93.184.216.34', true, true],
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254', false, false],
    ['http://10.0.0.1/', '10.0.0.1', false, false],
    ['http://[::1]/', '::1', false, true],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1', false, true],
    ['http://0.0.0.0/', '0.0.0.0', false, false],
    ['http://100.64.0.1/', '100.64.0.1', false, false],
    // Other spellings of IPv4 addresses are normalized by the URL parser before they are judged.
    ['http://2130706433/', '127.0.0.1', false, true],
    ['http://0x7f.1/', '127.0.0.1', false, true],
    ['http://0251.0376.0251.0376/', '169.254.169.254', false, false],
    ['http://[fd00::1]:8443/', 'fd00::1', false, false],
    ['ftp://merchant.example/', null, false, false],
  ];
  for (const [text, literal, strict, local] of URLS) {
    it(`${text}: ${strict ? 'allowed' : 'refused'}, ${local ? 'allowed' : 'refused'} with loopback allowed`, () => {
      const url = new URL(text);
      assert.equal(literalAddress(url), literal);
      assert.equal(isAllowedUrl(url, STRICT), strict);
      assert.equal(isAllowedUrl(url, LOCAL), local);
    });
  }
});
