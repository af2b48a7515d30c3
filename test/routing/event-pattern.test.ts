/**
 * EventBridge event-pattern matching. The tables are built from the examples in
 * the AWS docs ("Amazon EventBridge event patterns", "Content filtering in
 * Amazon EventBridge event patterns", "Matching events on null values and empty
 * strings", "Matching on multiple field values"), each with match and non-match
 * cases, plus authtrail's own envelopes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EventPatternError,
  matchesEventPattern,
  validateEventPattern,
  type EventPattern,
} from '../../lib/routing/event-pattern.ts';

/** An authtrail envelope as PutEvents delivers it; `detail` fields override a denied sign-up. */
const authEvent = (detail: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'AuthEvent signup.denied',
  source: 'authtrail.cognito',
  account: '123456789012',
  time: '2026-11-27T16:24:49Z',
  region: 'eu-west-1',
  resources: ['arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123'],
  detail: {
    schemaVersion: '1',
    category: 'signup',
    action: 'self_signup',
    outcome: 'denied',
    reason: { code: 'DISPOSABLE_EMAIL', message: 'Disposable email addresses are not allowed.' },
    user: { emailDomain: 'mailinator.com', emailVerified: false },
    groups: [],
    ...detail,
  },
  ...envelope,
});

/** Any other envelope (the docs' examples are EC2, Auto Scaling, S3, CloudWatch events). */
const awsEvent = (source: string, detailType: string, detail: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': detailType,
  source,
  account: '123456789012',
  time: '2017-10-02T18:43:48Z',
  region: 'us-east-1',
  resources: [],
  detail,
  ...extra,
});

interface Case {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly event: unknown;
  readonly matches: boolean;
}

const expectCase = ({ pattern, event, matches }: Case) => {
  // Prepare
  const valid = validateEventPattern(pattern);

  // Act
  const result = matchesEventPattern(valid, event);

  // Assess
  expect(result).toBe(matches);
};

describe('matchesEventPattern', () => {
  describe('exact values, arrays and nesting', () => {
    const ec2 = awsEvent('aws.ec2', 'EC2 Instance State-change Notification', { state: 'terminated' }, {
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'],
    });
    const autoScaling = awsEvent('aws.autoscaling', 'EC2 Instance Launch Successful', {
      eventVersion: '',
      responseElements: null,
    });
    const cases: Case[] = [
      {
        name: 'matches when source, detail-type and a detail field all equal a listed value',
        pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } },
        event: ec2,
        matches: true,
      },
      {
        name: 'does not match when one field differs',
        pattern: { source: ['aws.ec2'], detail: { state: ['running'] } },
        event: ec2,
        matches: false,
      },
      {
        name: 'matches any of several listed values',
        pattern: { source: ['aws.ec2', 'aws.fargate'] },
        event: ec2,
        matches: true,
      },
      {
        name: 'matches an event array that shares one value with the pattern array',
        pattern: {
          resources: [
            'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
            'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
            'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
          ],
        },
        event: {
          ...ec2,
          resources: [
            'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
            'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          ],
        },
        matches: true,
      },
      {
        name: 'does not match an event array that shares no value with the pattern array',
        pattern: { resources: ['arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f'] },
        event: ec2,
        matches: false,
      },
      {
        name: 'does not match when a named field is missing from the event',
        pattern: { detail: { outcome: ['denied'], reason: { code: ['DISPOSABLE_EMAIL'] } } },
        event: authEvent({ reason: undefined }),
        matches: false,
      },
      {
        name: 'matches an authtrail denied sign-up by source, detail-type and nested detail',
        pattern: {
          source: ['authtrail.cognito'],
          'detail-type': ['AuthEvent signup.denied'],
          detail: { category: ['signup'], reason: { code: ['DISPOSABLE_EMAIL'] } },
        },
        event: authEvent(),
        matches: true,
      },
      {
        name: 'matches an empty string only with an empty string',
        pattern: { detail: { eventVersion: [''] } },
        event: autoScaling,
        matches: true,
      },
      {
        name: 'matches null only with null',
        pattern: { detail: { responseElements: [null] } },
        event: autoScaling,
        matches: true,
      },
      {
        name: 'does not match an empty string with null',
        pattern: { detail: { eventVersion: [null] } },
        event: autoScaling,
        matches: false,
      },
      {
        name: 'does not match null with an empty string',
        pattern: { detail: { responseElements: [''] } },
        event: autoScaling,
        matches: false,
      },
      {
        name: 'matches a number with an equal number however it is written',
        pattern: { detail: { 'x-limit': [3.018e2] } },
        event: awsEvent('aws.ec2', 'Limits', { 'x-limit': 301.8 }),
        matches: true,
      },
      {
        name: 'does not match a numeric string with a number',
        pattern: { detail: { attempts: [3] } },
        event: authEvent({ attempts: '3' }),
        matches: false,
      },
      {
        name: 'does not match a number with a numeric string',
        pattern: { detail: { attempts: ['3'] } },
        event: authEvent({ attempts: 3 }),
        matches: false,
      },
      {
        name: 'matches booleans by value and type',
        pattern: { detail: { user: { emailVerified: [false] } } },
        event: authEvent(),
        matches: true,
      },
      {
        name: 'does not match a boolean with its string form',
        pattern: { detail: { user: { emailVerified: ['false'] } } },
        event: authEvent(),
        matches: false,
      },
      {
        name: 'does not match a nested pattern object against a string',
        pattern: { detail: { reason: { code: ['DISPOSABLE_EMAIL'] } } },
        event: authEvent({ reason: 'DISPOSABLE_EMAIL' }),
        matches: false,
      },
      {
        name: 'does not match a value list against an object',
        pattern: { detail: { reason: ['DISPOSABLE_EMAIL'] } },
        event: authEvent(),
        matches: false,
      },
      {
        name: 'matches a nested pattern against the elements of an event array of objects',
        pattern: { detail: { employees: { firstName: ['Anna'] } } },
        event: awsEvent('hr', 'Staff', {
          employees: [
            { firstName: 'John', lastName: 'Doe' },
            [{ firstName: 'Anna', lastName: 'Smith' }],
          ],
        }),
        matches: true,
      },
      {
        name: 'does not combine fields from different elements of one event array',
        pattern: { detail: { employees: { firstName: ['Anna'], lastName: ['Jones'] } } },
        event: awsEvent('hr', 'Staff', {
          employees: [
            { firstName: 'Anna', lastName: 'Smith' },
            { firstName: 'Peter', lastName: 'Jones' },
          ],
        }),
        matches: false,
      },
      {
        name: 'matches an empty pattern against any event',
        pattern: {},
        event: authEvent(),
        matches: true,
      },
      {
        name: 'matches an empty pattern against a value that is not an object',
        pattern: {},
        event: 42,
        matches: true,
      },
      {
        name: 'does not match a non-empty pattern against a value that is not an object',
        pattern: { source: ['authtrail.cognito'] },
        event: 'authtrail.cognito',
        matches: false,
      },
    ];
    it.each(cases)('$name', expectCase);
  });

  describe('prefix', () => {
    const cases: Case[] = [
      {
        name: 'matches a string that starts with the prefix',
        pattern: { time: [{ prefix: '2017-10-02' }] },
        event: awsEvent('aws.ec2', 'Any', {}, { time: '2017-10-02T18:43:48Z' }),
        matches: true,
      },
      {
        name: 'does not match a string that starts otherwise',
        pattern: { time: [{ prefix: '2017-10-02' }] },
        event: awsEvent('aws.ec2', 'Any', {}, { time: '2017-10-03T00:00:00Z' }),
        matches: false,
      },
      {
        name: 'matches European regions with "eu-"',
        pattern: { source: ['authtrail.cognito'], region: [{ prefix: 'eu-' }] },
        event: authEvent(),
        matches: true,
      },
      {
        name: 'is case-sensitive',
        pattern: { 'detail-type': [{ prefix: 'authevent signup.' }] },
        event: authEvent(),
        matches: false,
      },
      {
        name: 'ignores case with equals-ignore-case',
        pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
        event: awsEvent('aws.events', 'Any', { service: 'eventbridge' }),
        matches: true,
      },
      {
        name: 'still needs the prefix when ignoring case',
        pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
        event: awsEvent('aws.events', 'Any', { service: 'Lambda' }),
        matches: false,
      },
      {
        name: 'does not match a number that starts with the digits',
        pattern: { detail: { attempts: [{ prefix: '3' }] } },
        event: authEvent({ attempts: 30 }),
        matches: false,
      },
    ];
    it.each(cases)('$name', expectCase);
  });

  describe('suffix', () => {
    const upload = (FileName: string) => awsEvent('aws.s3', 'Object Created', { FileName });
    const cases: Case[] = [
      { name: 'matches a string that ends with the suffix', pattern: { detail: { FileName: [{ suffix: '.png' }] } }, event: upload('image.png'), matches: true },
      { name: 'does not match another ending', pattern: { detail: { FileName: [{ suffix: '.png' }] } }, event: upload('image.jpg'), matches: false },
      { name: 'is case-sensitive', pattern: { detail: { FileName: [{ suffix: '.png' }] } }, event: upload('image.PNG'), matches: false },
      {
        name: 'ignores case with equals-ignore-case',
        pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
        event: upload('image.PNG'),
        matches: true,
      },
      {
        name: 'still needs the suffix when ignoring case',
        pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
        event: upload('image.PNG.txt'),
        matches: false,
      },
    ];
    it.each(cases)('$name', expectCase);
  });

  describe('equals-ignore-case', () => {
    const person = (Name: unknown) => awsEvent('app', 'Person', { Name });
    const cases: Case[] = [
      { name: 'matches the same string in another case', pattern: { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } }, event: person('Alice'), matches: true },
      { name: 'matches the same string in upper case', pattern: { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } }, event: person('ALICE'), matches: true },
      { name: 'does not match a longer string', pattern: { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } }, event: person('Alicia'), matches: false },
      { name: 'does not match a non-string', pattern: { detail: { Name: [{ 'equals-ignore-case': 'true' }] } }, event: person(true), matches: false },
      {
        name: 'matches a detail-type whatever its case',
        pattern: { 'detail-type': [{ 'equals-ignore-case': 'authevent SIGNUP.DENIED' }] },
        event: authEvent(),
        matches: true,
      },
    ];
    it.each(cases)('$name', expectCase);
  });

  describe('anything-but', () => {
    const state = (value: unknown) => awsEvent('aws.ec2', 'EC2 Instance State-change Notification', { state: value });
    const limit = (value: unknown) => awsEvent('aws.ec2', 'Limits', { 'x-limit': value });
    const cases: Case[] = [
      { name: 'matches a string other than the excluded one', pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, event: state('running'), matches: true },
      { name: 'does not match the excluded string', pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, event: state('initializing'), matches: false },
      { name: 'does not match a missing field', pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, event: awsEvent('aws.ec2', 'Any', {}), matches: false },
      { name: 'matches a value of another type than the excluded string', pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, event: state(5), matches: true },
      { name: 'matches a number other than the excluded one', pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, event: limit(456), matches: true },
      { name: 'does not match the excluded number', pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, event: limit(123), matches: false },
      { name: 'matches the excluded number written as a string', pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, event: limit('123'), matches: true },
      { name: 'matches a string not in the excluded list', pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, event: state('running'), matches: true },
      { name: 'does not match a string in the excluded list', pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, event: state('overloaded'), matches: false },
      { name: 'matches a number not in the excluded list', pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, event: limit(150), matches: true },
      { name: 'does not match a number in the excluded list', pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, event: limit(200), matches: false },
      { name: 'matches a string without the excluded prefix', pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, event: state('running'), matches: true },
      { name: 'does not match a string with the excluded prefix', pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, event: state('initializing'), matches: false },
      {
        name: 'keeps events from our own sources, not AWS ones',
        pattern: { source: [{ 'anything-but': { prefix: 'aws.' } }] },
        event: authEvent(),
        matches: true,
      },
      {
        name: 'drops events from AWS sources',
        pattern: { source: [{ 'anything-but': { prefix: 'aws.' } }] },
        event: state('running'),
        matches: false,
      },
      { name: 'does not match a string with an excluded prefix from a list', pattern: { detail: { state: [{ 'anything-but': { prefix: ['init', 'error'] } }] } }, event: state('error-42'), matches: false },
      { name: 'matches a string without the excluded suffix', pattern: { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, event: awsEvent('aws.s3', 'Object Created', { FileName: 'notes.txt' }), matches: true },
      { name: 'does not match a string with the excluded suffix', pattern: { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, event: awsEvent('aws.s3', 'Object Created', { FileName: 'image.png' }), matches: false },
      { name: 'matches a string other than the excluded one in any case', pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } }, event: state('Running'), matches: true },
      { name: 'does not match the excluded string in another case', pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } }, event: state('INITIALIZING'), matches: false },
      { name: 'matches a path outside the excluded wildcard', pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, event: awsEvent('aws.s3', 'Object Created', { FilePath: '/usr/bin/node' }), matches: true },
      { name: 'does not match a path inside the excluded wildcard', pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, event: awsEvent('aws.s3', 'Object Created', { FilePath: '/usr/lib/node' }), matches: false },
      {
        name: 'matches every detail-type but CloudTrail API calls',
        pattern: { 'detail-type': [{ 'anything-but': 'AWS API Call via CloudTrail' }] },
        event: authEvent(),
        matches: true,
      },
      { name: 'matches an event array holding one value that is not excluded', pattern: { detail: { groups: [{ 'anything-but': 'banned' }] } }, event: authEvent({ groups: ['banned', 'staff'] }), matches: true },
      { name: 'does not match an event array holding only excluded values', pattern: { detail: { groups: [{ 'anything-but': 'banned' }] } }, event: authEvent({ groups: ['banned'] }), matches: false },
    ];
    it.each(cases)('$name', expectCase);
  });

  describe('numeric', () => {
    const pattern: EventPattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    const counts = (detail: Record<string, unknown>) =>
      awsEvent('aws.ec2', 'Counts', { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8, ...detail });
    const cases: Case[] = [
      { name: 'matches when every numeric condition holds', pattern, event: counts({}), matches: true },
      { name: 'does not match at an open lower bound', pattern, event: counts({ 'c-count': 0 }), matches: false },
      { name: 'does not match above a closed upper bound', pattern, event: counts({ 'c-count': 5.5 }), matches: false },
      { name: 'does not match at an open upper bound', pattern, event: counts({ 'd-count': 10 }), matches: false },
      { name: 'does not match a different number for "="', pattern, event: counts({ 'x-limit': 301.9 }), matches: false },
      { name: 'does not match a numeric string', pattern, event: counts({ 'c-count': '5' }), matches: false },
      { name: 'matches at a closed lower bound', pattern: { detail: { attempts: [{ numeric: ['>=', 1, '<', 3] }] } }, event: authEvent({ attempts: 1 }), matches: true },
      { name: 'matches negative numbers and exponents', pattern: { detail: { delta: [{ numeric: ['<=', -1e3] }] } }, event: authEvent({ delta: -1000 }), matches: true },
      { name: 'matches one number of an event array', pattern: { detail: { scores: [{ numeric: ['>', 0, '<', 10] }] } }, event: authEvent({ scores: [100, 5, 200] }), matches: true },
    ];
    it.each(cases)('$name', expectCase);
  });

  describe('exists', () => {
    const withoutCount = {
      'detail-type': 'EC2 Instance State-change Notification',
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { state: ['initializing', 'running'] },
    };
    const cases: Case[] = [
      { name: 'exists false matches a missing field', pattern: { detail: { 'c-count': [{ exists: false }] } }, event: withoutCount, matches: true },
      {
        name: 'exists false matches a field holding an object, which is not a leaf',
        pattern: { detail: { 'c-count': [{ exists: false }] } },
        event: { ...withoutCount, detail: { ...withoutCount.detail, 'c-count': { c1: 100 } } },
        matches: true,
      },
      { name: 'exists false does not match a present field', pattern: { detail: { 'c-count': [{ exists: false }] } }, event: { ...withoutCount, detail: { 'c-count': 5 } }, matches: false },
      { name: 'exists false matches when the parent object is missing', pattern: { detail: { reason: { code: [{ exists: false }] } } }, event: authEvent({ reason: undefined, outcome: 'allowed' }), matches: true },
      { name: 'exists true matches a present field', pattern: { detail: { reason: { message: [{ exists: true }] } } }, event: authEvent(), matches: true },
      { name: 'exists true does not match a missing field', pattern: { detail: { device: [{ exists: true }] } }, event: authEvent(), matches: false },
      { name: 'exists true matches a null value', pattern: { detail: { device: [{ exists: true }] } }, event: authEvent({ device: null }), matches: true },
      { name: 'exists true does not match an empty array', pattern: { detail: { groups: [{ exists: true }] } }, event: authEvent(), matches: false },
      { name: 'exists false matches an empty array', pattern: { detail: { groups: [{ exists: false }] } }, event: authEvent(), matches: true },
      { name: 'exists true does not match an object', pattern: { detail: { reason: [{ exists: true }] } }, event: authEvent(), matches: false },
    ];
    it.each(cases)('$name', expectCase);
  });

  describe('wildcard', () => {
    const file = (FilePath: unknown) => awsEvent('aws.s3', 'Object Created', { FilePath });
    const cases: Case[] = [
      { name: 'matches any run of characters in place of "*"', pattern: { source: [{ wildcard: 'Simple*Service' }] }, event: { source: 'SimpleQueueService' }, matches: true },
      { name: 'matches an empty run', pattern: { source: [{ wildcard: 'Simple*Service' }] }, event: { source: 'SimpleService' }, matches: true },
      { name: 'still needs the literal parts', pattern: { source: [{ wildcard: 'Simple*Service' }] }, event: { source: 'SimpleQueue' }, matches: false },
      { name: 'lets "*" span slashes', pattern: { detail: { FilePath: [{ wildcard: 'dir/*.png' }] } }, event: file('dir/sub/a.png'), matches: true },
      { name: 'does not match another extension', pattern: { detail: { FilePath: [{ wildcard: 'dir/*.png' }] } }, event: file('dir/a.jpg'), matches: false },
      { name: 'matches several wildcards in order', pattern: { resources: [{ wildcard: 'arn:aws:cognito-idp:*:123456789012:userpool/*' }] }, event: authEvent(), matches: true },
      { name: 'does not match another account', pattern: { resources: [{ wildcard: 'arn:aws:cognito-idp:*:210987654321:userpool/*' }] }, event: authEvent(), matches: false },
      { name: 'treats an escaped "*" as a literal', pattern: { detail: { FilePath: [{ wildcard: 'a\\*b' }] } }, event: file('a*b'), matches: true },
      { name: 'does not let an escaped "*" match other text', pattern: { detail: { FilePath: [{ wildcard: 'a\\*b' }] } }, event: file('axb'), matches: false },
      { name: 'treats an escaped backslash as a literal', pattern: { detail: { FilePath: [{ wildcard: 'C:\\\\*' }] } }, event: file('C:\\temp'), matches: true },
      { name: 'matches any string with a lone "*"', pattern: { detail: { FilePath: [{ wildcard: '*' }] } }, event: file(''), matches: true },
      { name: 'does not match a non-string', pattern: { detail: { FilePath: [{ wildcard: '*' }] } }, event: file(7), matches: false },
    ];
    it.each(cases)('$name', expectCase);
  });

  describe('cidr', () => {
    const from = (sourceIPAddress: unknown) => awsEvent('aws.ec2', 'Any', { sourceIPAddress });
    const cases: Case[] = [
      { name: 'matches an IPv4 address inside the block', pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, event: from('10.0.0.33'), matches: true },
      { name: 'does not match an IPv4 address outside the block', pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, event: from('10.0.1.1'), matches: false },
      { name: 'ignores host bits in the block', pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.77/24' }] } }, event: from('10.0.0.1'), matches: true },
      { name: 'matches an IPv6 address inside the block', pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } }, event: from('2001:db8:85a3::8a2e:370:7334'), matches: true },
      { name: 'does not match an IPv6 address outside the block', pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } }, event: from('2001:db9::1'), matches: false },
      { name: 'does not match an IPv4 address with an IPv6 block', pattern: { detail: { sourceIPAddress: [{ cidr: '::/0' }] } }, event: from('10.0.0.1'), matches: false },
      { name: 'does not match a string that is not an address', pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/8' }] } }, event: from('10.0.0.x'), matches: false },
      { name: 'does not match a number', pattern: { detail: { sourceIPAddress: [{ cidr: '0.0.0.0/0' }] } }, event: from(167772161), matches: false },
      {
        name: 'matches an exact IPv6 address written another way',
        pattern: { detail: { sourceIPAddress: ['2001:db8::1'] } },
        event: from('2001:0db8:0000:0000:0000:0000:0000:0001'),
        matches: true,
      },
    ];
    it.each(cases)('$name', expectCase);
  });

  describe('$or', () => {
    const metric = (detail: Record<string, unknown>) => ({ source: 'aws.cloudwatch', ...detail });
    const either: EventPattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    const andInside: EventPattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'] },
        { scope: ['Service'] },
      ],
    };
    const routing: EventPattern = {
      source: ['authtrail.cognito'],
      detail: { $or: [{ category: ['signup'], outcome: ['denied'] }, { category: ['token'] }] },
    };
    const cases: Case[] = [
      { name: 'matches through the first branch', pattern: either, event: metric({ metricName: 'CPUUtilization' }), matches: true },
      { name: 'matches through the second branch', pattern: either, event: metric({ namespace: 'AWS/ES' }), matches: true },
      { name: 'does not match when no branch holds', pattern: either, event: metric({ metricName: 'Other', namespace: 'AWS/S3' }), matches: false },
      { name: 'still needs the fields outside "$or"', pattern: either, event: { source: 'aws.ec2', metricName: 'CPUUtilization' }, matches: false },
      { name: 'needs every field of a branch', pattern: andInside, event: metric({ metricType: 'MetricType' }), matches: false },
      { name: 'matches a branch with every field present', pattern: andInside, event: metric({ metricType: 'MetricType', namespace: 'AWS/EC2' }), matches: true },
      { name: 'routes a denied sign-up inside detail', pattern: routing, event: authEvent(), matches: true },
      {
        name: 'routes any token event inside detail',
        pattern: routing,
        event: authEvent({ category: 'token', action: 'refresh', outcome: 'issued' }, { 'detail-type': 'AuthEvent token.refresh' }),
        matches: true,
      },
      {
        name: 'does not route an allowed sign-up',
        pattern: routing,
        event: authEvent({ outcome: 'allowed' }),
        matches: false,
      },
    ];
    it.each(cases)('$name', expectCase);
  });

  it('never throws for arbitrary JSON events against fixed valid patterns', () => {
    // Prepare
    const patterns = [
      validateEventPattern({ source: ['authtrail.cognito'], detail: { category: ['signup', 'signin'] } }),
      validateEventPattern({
        detail: {
          outcome: [{ 'anything-but': { prefix: 'allow' } }],
          attempts: [{ numeric: ['>=', 1, '<', 5] }],
          ip: [{ cidr: '10.0.0.0/8' }, { cidr: '2001:db8::/32' }],
          user: { emailDomain: [{ suffix: { 'equals-ignore-case': '.example' } }, { wildcard: '*mail*' }] },
          reason: { code: [{ exists: false }] },
        },
      }),
      validateEventPattern({
        'detail-type': [{ prefix: 'AuthEvent ' }, { 'equals-ignore-case': 'x' }, null, 3, true, ''],
        $or: [{ detail: { groups: [{ 'anything-but': ['a', 'b'] }] } }, { resources: [{ exists: true }] }],
      }),
    ];
    const events = fc.oneof(
      fc.jsonValue(),
      fc.record({ source: fc.jsonValue(), 'detail-type': fc.jsonValue(), detail: fc.jsonValue(), resources: fc.jsonValue() }),
    );

    // Act
    const run = () =>
      fc.assert(
        fc.property(events, (event) => {
          for (const pattern of patterns) {
            expect(typeof matchesEventPattern(pattern, event)).toBe('boolean');
          }
        }),
        { numRuns: 300 },
      );

    // Assess
    expect(run).not.toThrow();
  });

  it('matches any string exactly, and never with anything-but of itself', () => {
    // Prepare
    const values = fc.string({ unit: 'grapheme' });

    // Act
    const run = () =>
      fc.assert(
        fc.property(values, (value) => {
          const event = authEvent({ outcome: value });
          expect(matchesEventPattern({ detail: { outcome: [value] } }, event)).toBe(true);
          expect(matchesEventPattern({ detail: { outcome: [{ 'anything-but': value }] } }, event)).toBe(false);
          expect(matchesEventPattern({ detail: { outcome: [{ 'equals-ignore-case': value }] } }, event)).toBe(true);
        }),
      );

    // Assess
    expect(run).not.toThrow();
  });

  it('throws EventPatternError when given an invalid pattern', () => {
    // Prepare
    const invalid = { source: 'authtrail.cognito' } as unknown as EventPattern;

    // Act
    const run = () => matchesEventPattern(invalid, authEvent());

    // Assess
    expect(run).toThrow(EventPatternError);
  });
});

describe('validateEventPattern', () => {
  it('returns the pattern it was given', () => {
    // Prepare
    const pattern = { source: ['authtrail.cognito'] };

    // Act
    const valid = validateEventPattern(pattern);

    // Assess
    expect(valid).toBe(pattern);
  });

  it('parses a pattern given as JSON text, as CloudFormation allows', () => {
    // Prepare
    const text = '{"detail": {"responseElements": [null]}}';

    // Act
    const valid = validateEventPattern(text);

    // Assess
    expect(matchesEventPattern(valid, awsEvent('aws.autoscaling', 'Any', { responseElements: null }))).toBe(true);
  });

  it('reports JSON text that does not parse, with the parse error as cause', () => {
    // Prepare
    const text = '{"source": [';

    // Act
    const error = catchError(() => validateEventPattern(text));

    // Assess
    expect(error).toBeInstanceOf(EventPatternError);
    expect(error).toMatchObject({ name: 'EventPatternError', path: '', message: '(root): not valid JSON' });
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it('names the JSON path of the offending part', () => {
    // Prepare
    const pattern = { detail: { category: [{ prefixx: 'sign' }] } };

    // Act
    const error = catchError(() => validateEventPattern(pattern));

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'EventPatternError',
      path: 'detail.category[0]',
      message: 'detail.category[0]: unsupported operator "prefixx"',
    });
  });

  const invalid: { readonly pattern: unknown; readonly message: string }[] = [
    { pattern: ['source'], message: '(root): an event pattern must be a JSON object' },
    { pattern: null, message: '(root): an event pattern must be a JSON object' },
    { pattern: { source: 'authtrail.cognito' }, message: 'source: must be an array of match values or a nested pattern object' },
    { pattern: { detail: {} }, message: 'detail: empty objects are not allowed' },
    { pattern: { source: [] }, message: 'source: empty arrays are not allowed' },
    { pattern: { detail: { category: [['signup']] } }, message: 'detail.category[0]: a match value must be a string, number, boolean, null or an operator object' },
    { pattern: { detail: { score: [Number.NaN] } }, message: 'detail.score[0]: numbers must be finite' },
    { pattern: { detail: { category: [{}] } }, message: 'detail.category[0]: an operator object must have exactly one operator, found 0' },
    { pattern: { detail: { category: [{ prefix: 's', suffix: 'p' }] } }, message: 'detail.category[0]: an operator object must have exactly one operator, found 2' },
    { pattern: { detail: { category: { prefix: 'sign' } } }, message: 'detail.category.prefix: operator "prefix" must be inside an array, e.g. [{"prefix": ...}]' },
    { pattern: { source: [{ prefix: 5 }] }, message: 'source[0]: "prefix" must be a string or {"equals-ignore-case": string}' },
    { pattern: { source: [{ suffix: { 'equals-ignore-case': 5 } }] }, message: 'source[0]: "suffix" must be a string or {"equals-ignore-case": string}' },
    { pattern: { source: [{ 'equals-ignore-case': ['a'] }] }, message: 'source[0]: "equals-ignore-case" must be a string' },
    { pattern: { source: [{ wildcard: 'auth**' }] }, message: 'source[0]: wildcard "auth**": consecutive "*" are not allowed (position 4)' },
    { pattern: { source: [{ wildcard: 'a\\b' }] }, message: 'source[0]: wildcard "a\\b": a backslash may only escape "*" or "\\" (position 1)' },
    { pattern: { source: [{ 'anything-but': ['aws.ec2', 1] }] }, message: 'source[0]: "anything-but" list must be non-empty and hold only strings or only numbers' },
    { pattern: { source: [{ 'anything-but': [] }] }, message: 'source[0]: "anything-but" list must be non-empty and hold only strings or only numbers' },
    {
      pattern: { source: [{ 'anything-but': null }] },
      message: 'source[0]: "anything-but" must be a string, a number, a list of them, or an object with one of "prefix", "suffix", "equals-ignore-case", "wildcard"',
    },
    { pattern: { source: [{ 'anything-but': { prefix: '' } }] }, message: 'source[0]: "anything-but" "prefix" must not be empty' },
    { pattern: { source: [{ 'anything-but': { suffix: [5] } }] }, message: 'source[0]: "anything-but" "suffix" must be a string or a non-empty list of strings' },
    { pattern: { source: [{ 'anything-but': { contains: 'aws' } }] }, message: 'source[0]: unsupported operator "contains" in "anything-but"' },
    { pattern: { source: [{ 'anything-but': { wildcard: 'a**' } }] }, message: 'source[0]: wildcard "a**": consecutive "*" are not allowed (position 1)' },
    { pattern: { detail: { n: [{ numeric: '>5' }] } }, message: 'detail.n[0]: "numeric" must be [operator, number] or [">" or ">=", number, "<" or "<=", number]' },
    { pattern: { detail: { n: [{ numeric: ['>', 0, '<'] }] } }, message: 'detail.n[0]: "numeric" must be [operator, number] or [">" or ">=", number, "<" or "<=", number]' },
    { pattern: { detail: { n: [{ numeric: ['==', 5] }] } }, message: 'detail.n[0]: unsupported numeric operator "=="' },
    { pattern: { detail: { n: [{ numeric: ['>', '5'] }] } }, message: 'detail.n[0]: numeric bound must be a number, found "5"' },
    { pattern: { detail: { n: [{ numeric: ['<', 10, '>', 0] }] } }, message: 'detail.n[0]: a numeric range must be ">" or ">=" followed by "<" or "<="' },
    { pattern: { detail: { n: [{ numeric: ['=', 1, '<', 2] }] } }, message: 'detail.n[0]: a numeric range must be ">" or ">=" followed by "<" or "<="' },
    { pattern: { detail: { n: [{ numeric: ['>', 5, '<=', 5] }] } }, message: 'detail.n[0]: numeric range lower bound 5 must be less than upper bound 5' },
    { pattern: { detail: { n: [{ numeric: ['=', 6e9] }] } }, message: 'detail.n[0]: numeric bound 6000000000 is outside the supported range -5e9..5e9' },
    { pattern: { detail: { n: [{ exists: 'yes' }] } }, message: 'detail.n[0]: "exists" must be true or false' },
    { pattern: { detail: { ip: [{ cidr: 10 }] } }, message: 'detail.ip[0]: "cidr" must be a string' },
    { pattern: { detail: { ip: [{ cidr: '10.0.0.0' }] } }, message: 'detail.ip[0]: invalid CIDR "10.0.0.0": expected <address>/<prefix length>' },
    { pattern: { detail: { ip: [{ cidr: '10.0.0.256/24' }] } }, message: 'detail.ip[0]: invalid CIDR "10.0.0.256/24": "10.0.0.256" is not an IPv4 or IPv6 address' },
    { pattern: { detail: { ip: [{ cidr: '10.0.0.0/x' }] } }, message: 'detail.ip[0]: invalid CIDR "10.0.0.0/x": the prefix length must be a whole number' },
    {
      pattern: { detail: { ip: [{ cidr: '10.0.0.1/32' }] } },
      message: 'detail.ip[0]: invalid CIDR "10.0.0.1/32": the prefix length must be at most 31; match one address with an exact value',
    },
    {
      pattern: { detail: { ip: [{ cidr: '2001:db8::1/128' }] } },
      message: 'detail.ip[0]: invalid CIDR "2001:db8::1/128": the prefix length must be at most 127; match one address with an exact value',
    },
    { pattern: { detail: { $or: { category: ['signup'] } } }, message: 'detail.$or: "$or" must be an array of at least 2 pattern objects' },
    { pattern: { $or: [{ source: ['authtrail.cognito'] }] }, message: '$or: "$or" must be an array of at least 2 pattern objects' },
    { pattern: { $or: [{ source: ['a'] }, ['b']] }, message: '$or: "$or" must be an array of at least 2 pattern objects' },
    { pattern: { $or: [{}, { source: ['a'] }] }, message: '$or[0]: empty objects are not allowed' },
    {
      pattern: { $or: [{ source: ['a'] }, { detail: { numeric: [1] } }] },
      message: '$or[1].detail.numeric: "numeric" is a reserved word and cannot be a field name inside "$or"',
    },
  ];
  it.each(invalid)('rejects with "$message"', ({ pattern, message }) => {
    // Prepare
    const validate = () => validateEventPattern(pattern);

    // Act
    const error = catchError(validate);

    // Assess
    expect(error).toBeInstanceOf(EventPatternError);
    expect((error as Error).message).toBe(message);
  });

  it('accepts an operator name as a field name outside "$or"', () => {
    // Prepare
    const pattern = { detail: { prefix: ['+44'] } };

    // Act
    const valid = validateEventPattern(pattern);

    // Assess
    expect(matchesEventPattern(valid, authEvent({ prefix: '+44' }))).toBe(true);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, none was thrown');
}
