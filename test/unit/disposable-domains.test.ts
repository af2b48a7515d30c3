import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDisposableDomain } from '../../lib/policy/disposable-domains.ts';
import { domainAndParents } from '../../lib/policy/email-address.ts';
import { ROOT } from '../helpers/fixtures.ts';

const listOf = (file: string) => JSON.parse(readFileSync(join(ROOT, 'node_modules', 'disposable-email-domains', file), 'utf8')) as string[];

describe('Disposable email domains', () => {
  it('finds every listed domain, first to last, and their subdomains', () => {
    // Prepare
    const exact = listOf('index.json');
    // Every 997th, the first and the last, and the non-ASCII ones (é, ı, ś...).
    const sample = exact.filter((domain, index) => index % 997 === 0 || index === exact.length - 1 || /[^\x00-\x7f]/.test(domain));

    // Act
    const missed = sample.filter((domain) => !isDisposableDomain(domain) || !isDisposableDomain(`mx.${domain}`));

    // Assess
    expect(sample.length).toBeGreaterThan(100);
    expect(missed).toEqual([]);
  });

  it('finds any subdomain of a wildcard entry', () => {
    // Prepare
    const wildcard = listOf('wildcard.json');

    // Act
    const missed = wildcard.filter((domain) => !isDisposableDomain(`anything.${domain}`));

    // Assess
    expect(missed).toEqual([]);
  });

  it('passes ordinary mail domains, including ones sorting between listed neighbours', () => {
    // Prepare
    const ordinary = ['gmail.com', 'example.com', 'corp.example.co.uk', 'outlook.com', 'aaaa', 'zzzzzz.zz', '0-180.co'];

    // Act
    const flagged = ordinary.filter((domain) => isDisposableDomain(domain));

    // Assess
    expect(flagged).toEqual([]);
    expect(domainAndParents('a.b.example.com')).toEqual(['a.b.example.com', 'b.example.com', 'example.com']);
  });
});
