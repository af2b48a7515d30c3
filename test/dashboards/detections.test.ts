/**
 * The SIEM detections under dashboards/detections/ (Sigma), each run on
 * positive and negative AuthEvents by lib/detections/sigma.ts. Test events
 * are golden AuthEvents (what the triggers really produce) with the one change
 * the case needs, checked against the AuthEvent schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuthEventSchema, type AuthEvent } from '../../lib/auth-event/schema.ts';
import {
  evaluateCorrelation,
  fieldsOfRule,
  matchesRule,
  parseSigma,
  type SigmaCorrelationRule,
  type SigmaDetectionRule,
  type SigmaRule,
} from '../../lib/detections/sigma.ts';
import { authEventOfCognitoLog } from '../../lib/cognito-logs/normalize.ts';
import { CognitoLogRecordSchema } from '../../lib/cognito-logs/record.ts';
import { ROOT, processContext } from '../helpers/fixtures.ts';
import { sampleLines } from '../cognito-logs/helpers.ts';
import { golden } from '../siem/helpers.ts';
import { authEventHasField } from './references.ts';

const DIR = join(ROOT, 'dashboards', 'detections');
const FILES = readdirSync(DIR).filter((name) => name.endsWith('.yml')).sort();
const rulesOf = (file: string): SigmaRule[] => parseSigma(readFileSync(join(DIR, file), 'utf8'));
const ALL = FILES.flatMap(rulesOf);
const BY_NAME = new Map(ALL.flatMap((rule) => (rule.kind === 'detection' && rule.name ? [[rule.name, rule] as const] : [])));

const detection = (file: string): SigmaDetectionRule => {
  const rule = rulesOf(file).find((candidate): candidate is SigmaDetectionRule => candidate.kind === 'detection');
  if (rule === undefined) throw new Error(`no detection rule in ${file}`);
  return rule;
};
const correlation = (file: string): SigmaCorrelationRule => {
  const rule = rulesOf(file).find((candidate): candidate is SigmaCorrelationRule => candidate.kind === 'correlation');
  if (rule === undefined) throw new Error(`no correlation rule in ${file}`);
  return rule;
};

/** A golden event with changes, still a valid AuthEvent. */
const eventFrom = (file: string, change: (event: AuthEvent) => void = () => undefined): AuthEvent => {
  const event = golden(file);
  change(event);
  return AuthEventSchema.parse(event);
};
const at = (event: AuthEvent, seconds: number, index: number): AuthEvent => ({
  ...event,
  id: index.toString(16).padStart(32, '0'),
  time: new Date(Date.parse('2026-11-27T10:00:00.000Z') + seconds * 1000).toISOString(),
});

describe('Detections: the Sigma files', () => {
  it('are the five detections of the issue and the risky password change, every document with a unique id', () => {
    // Assess
    expect(FILES).toEqual([
      'client-credentials-unexpected-client.yml',
      'disposable-domain-attempt.yml',
      'new-device-privileged-group.yml',
      'risky-password-change.yml',
      'sign-up-denial-burst.yml',
      'sign-up-spike-per-domain.yml',
    ]);
    expect(new Set(ALL.map((rule) => rule.id)).size).toBe(ALL.length);
  });

  it.each(ALL.map((rule) => [rule.title, rule] as const))('%s reads only fields the AuthEvent has', (_, rule) => {
    // Act
    const fields = fieldsOfRule(rule);

    // Assess
    expect(fields.length).toBeGreaterThan(0);
    expect(fields.filter((field) => !authEventHasField(field))).toEqual([]);
  });

  it('the evaluator refuses Sigma it does not implement instead of ignoring it', () => {
    // Assess
    expect(() => parseSigma('title: t\nid: x\ndetection:\n  s:\n    category|re: sign.*\n  condition: s\n')).toThrow(/unsupported modifier "re"/);
    expect(() => parseSigma('title: t\nid: x\ncorrelation:\n  type: temporal\n  rules: [a]\n  timespan: 5m\n  condition: {gte: 1}\n')).toThrow(/unsupported correlation type/);
    const rule = parseSigma('title: t\nid: x\ndetection:\n  s:\n    category: signup\n  condition: s or missing\n')[0] as SigmaDetectionRule;
    expect(() => matchesRule(rule, { category: 'signin' })).toThrow(/unknown selection "missing"/);
  });
});

describe('Detection: new device + privileged group', () => {
  const rule = detection('new-device-privileged-group.yml');

  it('fires on a new-device sign-in by a member of admins', () => {
    // Prepare
    const event = eventFrom('post-authentication/sign-in-new-device-mobile.json', (e) => void (e.groups = ['staff', 'admins']));

    // Act / Assess
    expect(matchesRule(rule, event)).toBe(true);
  });

  it('stays quiet for a known device of an admin, and for a new device of a non-privileged user', () => {
    // Prepare
    const knownDevice = eventFrom('post-authentication/sign-in-new-device-mobile.json', (e) => {
      e.groups = ['admins'];
      e.device = { newDeviceUsed: false };
    });
    const notPrivileged = eventFrom('post-authentication/sign-in-new-device-mobile.json', (e) => void (e.groups = ['staff']));

    // Act / Assess
    expect(matchesRule(rule, knownDevice)).toBe(false);
    expect(matchesRule(rule, notPrivileged)).toBe(false);
  });
});

describe('Detection: password change by a user at risk (Cognito log events)', () => {
  const rule = detection('risky-password-change.yml');
  /** Sample record 6 (alice changes her password, no risk) as the normalizer maps it, with the risk the case needs. */
  const passwordChange = (risk: AuthEvent['risk']): AuthEvent => {
    const record = CognitoLogRecordSchema.parse(JSON.parse(sampleLines()[5] ?? 'null'));
    const event = authEventOfCognitoLog(record, { ...processContext(), now: new Date('2026-11-27T10:00:00.000Z') });
    return AuthEventSchema.parse({ ...event, risk });
  };

  it('fires when Cognito rated it an account takeover risk or saw compromised credentials', () => {
    // Prepare
    const takeover = passwordChange({ decision: 'AccountTakeover', level: 'Medium', compromisedCredentials: false });
    const compromised = passwordChange({ decision: 'NoRisk', level: 'Low', compromisedCredentials: true });

    // Act / Assess
    expect(matchesRule(rule, takeover)).toBe(true);
    expect(matchesRule(rule, compromised)).toBe(true);
  });

  it('stays quiet for a password change without risk, and for a risky sign-in', () => {
    // Prepare
    const calm = passwordChange({ decision: 'NoRisk', level: 'Low', compromisedCredentials: false });
    const riskySignIn = { ...passwordChange({ decision: 'AccountTakeover', level: 'High', compromisedCredentials: true }), category: 'signin', action: 'authenticate' };

    // Act / Assess
    expect(matchesRule(rule, calm)).toBe(false);
    expect(matchesRule(rule, riskySignIn)).toBe(false);
  });
});

describe('Detection: disposable-domain attempts', () => {
  const rule = detection('disposable-domain-attempt.yml');

  it('fires on a sign-up denied for a disposable email domain', () => {
    // Act / Assess
    expect(matchesRule(rule, eventFrom('pre-signup/sign-up-denied-disposable-domain.json'))).toBe(true);
  });

  it('stays quiet for a blocked-domain denial and an allowed sign-up', () => {
    // Act / Assess
    expect(matchesRule(rule, eventFrom('pre-signup/sign-up-denied-blocked-domain.json'))).toBe(false);
    expect(matchesRule(rule, eventFrom('pre-signup/sign-up-allowed.json'))).toBe(false);
  });
});

describe('Detection: client-credentials tokens from an unexpected client', () => {
  const rule = detection('client-credentials-unexpected-client.yml');

  it('fires for a client-credentials token of a client not on the expected list, or not named by the config', () => {
    // Prepare
    const other = eventFrom('pre-token-generation/v3/client-credentials.json', (e) => void (e.client = { id: e.client.id, name: 'web-app' }));
    const unnamed = eventFrom('pre-token-generation/v3/client-credentials.json', (e) => void (e.client = { id: 'zzzzzzzzzzzzzzzzzzzzzzzzzz' }));

    // Act / Assess
    expect(matchesRule(rule, other)).toBe(true);
    expect(matchesRule(rule, unnamed)).toBe(true);
  });

  it('stays quiet for the expected machine client and for user tokens', () => {
    // Prepare
    const expected = eventFrom('pre-token-generation/v3/client-credentials.json');

    // Act / Assess
    expect(expected.client.name).toBe('reporting-service');
    expect(matchesRule(rule, expected)).toBe(false);
    expect(matchesRule(rule, eventFrom('pre-token-generation/v3/authentication.json'))).toBe(false);
  });
});

describe('Detection: sign-up denial burst', () => {
  const burst = correlation('sign-up-denial-burst.yml');
  const denied = eventFrom('pre-signup/sign-up-denied-blocked-domain.json');

  it('fires on 10 denials within 5 minutes', () => {
    // Prepare
    const events = Array.from({ length: 10 }, (_, index) => at(denied, index * 25, index));

    // Act
    const alerts = evaluateCorrelation(burst, BY_NAME, events);

    // Assess
    expect(alerts).toEqual([{ group: { stage: 'dev' }, count: 10, at: events[9]!.time }]);
  });

  it('stays quiet for 10 denials spread over an hour, and for 30 allowed sign-ups', () => {
    // Prepare
    const spread = Array.from({ length: 10 }, (_, index) => at(denied, index * 400, index));
    const allowed = Array.from({ length: 30 }, (_, index) => at(eventFrom('pre-signup/sign-up-allowed.json'), index, index));

    // Act / Assess
    expect(evaluateCorrelation(burst, BY_NAME, spread)).toEqual([]);
    expect(evaluateCorrelation(burst, BY_NAME, allowed)).toEqual([]);
  });
});

describe('Detection: sign-up spike per domain', () => {
  const spike = correlation('sign-up-spike-per-domain.yml');
  const allowed = eventFrom('pre-signup/sign-up-allowed.json');

  it('fires for the domain with 20 sign-up attempts within 10 minutes', () => {
    // Prepare
    const events = [
      ...Array.from({ length: 20 }, (_, index) => at(allowed, index * 20, index)),
      ...Array.from({ length: 5 }, (_, index) => at({ ...allowed, user: { ...allowed.user, emailDomain: 'other.example' } }, index, 100 + index)),
    ];

    // Act
    const alerts = evaluateCorrelation(spike, BY_NAME, events);

    // Assess
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ group: { 'user.emailDomain': allowed.user.emailDomain }, count: 20 });
  });

  it('stays quiet for 19 attempts from one domain, and for 20 attempts spread over 20 domains', () => {
    // Prepare
    const nineteen = Array.from({ length: 19 }, (_, index) => at(allowed, index, index));
    const spread = Array.from({ length: 20 }, (_, index) => at({ ...allowed, user: { ...allowed.user, emailDomain: `d${index}.example` } }, index, index));

    // Act / Assess
    expect(evaluateCorrelation(spike, BY_NAME, nineteen)).toEqual([]);
    expect(evaluateCorrelation(spike, BY_NAME, spread)).toEqual([]);
  });
});
