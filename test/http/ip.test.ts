import { describe, expect, it } from 'vitest';
import { cidrMatcher, isIp, normaliseAddress, parseCidr } from '../../src/http/_ip.js';

describe('cidrMatcher', () => {
  const trusted = cidrMatcher(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1']);

  it('matches an IPv4 address inside a range', () => {
    expect(trusted('10.200.3.4')).toBe(true);
  });

  it('does not match an IPv4 address just outside a range', () => {
    expect(trusted('11.0.0.1')).toBe(false);
  });

  it('matches a single listed address exactly', () => {
    expect([trusted('192.168.1.7'), trusted('192.168.1.8')]).toEqual([true, false]);
  });

  it('matches an IPv4-mapped IPv6 address against an IPv4 range', () => {
    expect(trusted('::ffff:10.1.2.3')).toBe(true);
  });

  it('matches IPv6 ranges and the loopback address', () => {
    expect([trusted('fd12:3456::1'), trusted('::1'), trusted('2001:db8::1')]).toEqual([true, true, false]);
  });

  it('never matches something that is not an address', () => {
    expect([trusted('10.0.0.1\r\nx: y'), trusted('unknown'), trusted('')]).toEqual([false, false, false]);
  });
});

describe('address parsing', () => {
  it('rejects malformed addresses and prefixes', () => {
    expect([parseCidr('10.0.0.0/33'), parseCidr('300.1.1.1'), parseCidr('1:2:3'), parseCidr('01.2.3.4')]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('accepts compressed IPv6 with an embedded IPv4 tail', () => {
    expect(isIp('64:ff9b::192.0.2.33')).toBe(true);
  });

  it('shows an IPv4-mapped IPv6 peer as IPv4', () => {
    expect(normaliseAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });
});
