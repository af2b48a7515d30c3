/**
 * The SIEM detections (Sigma) in both taxonomies: dashboards/detections/*.yml
 * over AuthEvent field names, dashboards/detections/ocsf/*.yml over OCSF field
 * names. Each rule runs (test/helpers/sigma.ts) on events the real pipeline
 * produced from the fixtures: trigger payloads of events/ replayed through the
 * trigger handlers, Cognito log records through the ingester, the same records
 * mapped to OCSF by lib/siem/ocsf.ts. Where a case needs more or other events
 * (ten sign-ups, another user, a risk), the *input* payload is varied before it
 * goes through the pipeline; no AuthEvent is edited by hand. Every rule fires on
 * its positives and stays silent on its negatives, in both taxonomies, and the
 * pySigma pipelines of dashboards/detections/pipelines/ map every field the
 * rules read for the logsource they declare.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { occurredAt } from '../../lib/auth-event/occurred-at.ts';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import {
  evaluateCorrelation,
  fieldsOfRule,
  matchesRule,
  parseSigma,
  type SigmaCorrelationRule,
  type SigmaDetectionRule,
  type SigmaRule,
} from '../helpers/sigma.ts';
import { OCSF_PROFILES, toOcsf } from '../../lib/siem/ocsf.ts';
import { loadOcsfSchema, OCSF_SCHEMA_DIR } from '../siem/ocsf-validator.ts';
import { ROOT } from '../helpers/fixtures.ts';
import { sampleLines } from '../cognito-logs/helpers.ts';
import { golden } from '../siem/helpers.ts';
import { cloudTrailEventsOf, cognitoLogEvents, pipelineEvents, replayFixture } from '../siem/pipeline-events.ts';
import { deliveries, type FixtureFile } from '../cloudtrail/helpers.ts';
import { authEventHasField } from './references.ts';

const DIR = join(ROOT, 'dashboards', 'detections');
const yamlFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.yml')).sort();
const FILES = yamlFiles(DIR);

interface Taxonomy {
  name: 'AuthEvent' | 'OCSF';
  dir: string;
  service: string;
  /** An AuthEvent as this taxonomy's record. */
  record: (event: AuthEvent) => Record<string, any>;
  timeOf: (record: Record<string, any>) => number;
}

const TAXONOMIES: Taxonomy[] = [
  // A SIEM files an AuthEvent at the time it happened (HEC's envelope time, the Sentinel DCR's TimeGenerated: docs/siem.md).
  { name: 'AuthEvent', dir: DIR, service: 'authevent', record: (event) => event, timeOf: (record) => Date.parse(occurredAt(record as AuthEvent)) },
  { name: 'OCSF', dir: join(DIR, 'ocsf'), service: 'ocsf', record: (event) => JSON.parse(JSON.stringify(toOcsf(event))), timeOf: (record) => record.time },
];

const rulesOf = (taxonomy: Taxonomy, file: string): SigmaRule[] => parseSigma(readFileSync(join(taxonomy.dir, file), 'utf8'));
const documentsOf = (taxonomy: Taxonomy, file: string) => readFileSync(join(taxonomy.dir, file), 'utf8').split(/^---$/m).map((text) => load(text) as Record<string, any>);
const allRules = (taxonomy: Taxonomy) => yamlFiles(taxonomy.dir).flatMap((file) => rulesOf(taxonomy, file));
const byName = (taxonomy: Taxonomy) =>
  new Map(allRules(taxonomy).flatMap((rule) => (rule.kind === 'detection' && rule.name ? [[rule.name, rule] as const] : [])));

/** Whether the rule file fires on the events: its detection rule on any event, or its correlation. */
const fires = (taxonomy: Taxonomy, file: string, events: readonly AuthEvent[]): boolean => {
  const records = events.map(taxonomy.record);
  const rules = rulesOf(taxonomy, file);
  const correlation = rules.find((rule): rule is SigmaCorrelationRule => rule.kind === 'correlation');
  if (correlation !== undefined) return evaluateCorrelation(correlation, byName(taxonomy), records, taxonomy.timeOf).length > 0;
  const detection = rules[0] as SigmaDetectionRule;
  return records.some((record) => matchesRule(detection, record));
};

const WEB_CLIENT = '3n4b5urk1ft4fl3mg5e62d9ado';

/** `count` sign-ups of one fixture through the pipeline, `spacing` seconds apart, each by another (new) user. */
const signUps = async (file: string, count: number, spacing: number, domainOf: (index: number) => string | undefined = () => undefined) => {
  const events: AuthEvent[] = [];
  for (let index = 0; index < count; index += 1) {
    events.push(
      ...(await replayFixture(file, {
        secondsLater: index * spacing,
        change: (payload) => {
          payload.userName = `0000${index.toString(16).padStart(4, '0')}-5021-70f3-a61d-0c7f2e9b3d84`;
          const domain = domainOf(index);
          const email = String(payload.request.userAttributes.email);
          payload.request.userAttributes.email = `user${index}@${domain ?? email.split('@')[1]}`;
        },
      })),
    );
  }
  return events;
};

/** A Cognito log sample line with an input changed, as the ingester publishes it. */
const cognitoLog = async (line: number, change: (message: Record<string, any>) => void = () => undefined): Promise<AuthEvent[]> => {
  const record = JSON.parse(sampleLines()[line] as string);
  change(record.message);
  return cognitoLogEvents('mask', [JSON.stringify(record)]);
};

/** The first delivery of a CloudTrail fixture file whose record failed with `errorCode`. */
const failedCall = (file: FixtureFile, eventName: string, errorCode: string): Record<string, any> => {
  const found = deliveries(file).find((envelope) => envelope.detail.eventName === eventName && envelope.detail.errorCode === errorCode);
  if (found === undefined) throw new Error(`no failed ${eventName} (${errorCode}) in events/cloudtrail/${file}`);
  return found;
};

const BURST_START = Date.parse('2026-11-27T10:00:00Z');

/**
 * `count` copies of a CloudTrail delivery through the real ingester, `spacing` seconds apart, each its own
 * CloudTrail event (eventID, request id, envelope id), with `vary` changing the record per copy.
 */
const cloudTrailBurst = (base: Record<string, any>, count: number, spacing: number, vary: (detail: Record<string, any>, index: number) => void = () => undefined) =>
  cloudTrailEventsOf(
    Array.from({ length: count }, (_, index) => {
      const envelope = structuredClone(base);
      const at = new Date(BURST_START + index * spacing * 1000).toISOString().replace('.000Z', 'Z');
      const suffix = (0xb000 + index).toString(16);
      envelope.id = `${String(envelope.id).slice(0, -4)}${suffix}`;
      envelope.time = at;
      envelope.detail.eventTime = at;
      envelope.detail.eventID = `${String(envelope.detail.eventID).slice(0, -4)}${suffix}`;
      envelope.detail.requestID = `${String(envelope.detail.requestID).slice(0, -4)}${suffix}`;
      vary(envelope.detail, index);
      return envelope;
    }),
  );

/** Another user (Cognito sub) per index. */
const userNumber = (index: number) => `0000${index.toString(16).padStart(4, '0')}-5021-70f3-a61d-0c7f2e9b3d84`;

interface Case {
  positives: Record<string, AuthEvent[]>;
  negatives: Record<string, AuthEvent[]>;
}
const CASES = new Map<string, Case>();

beforeAll(async () => {
  const aliceNewDevice = await replayFixture('post-authentication/sign-in-web.json', { change: (payload) => void (payload.request.newDeviceUsed = true) });
  const aliceAdminTokens = await replayFixture('pre-token-generation/v2/authentication-admin.json', { secondsLater: 30 });
  const aliceAdminTokensLater = await replayFixture('pre-token-generation/v2/authentication-admin.json', { secondsLater: 600 });
  CASES.set('new-device-privileged-group.yml', {
    positives: { 'alice (admins): new-device sign-in, tokens 30 s later': [...aliceNewDevice, ...aliceAdminTokens] },
    negatives: {
      'bob (staff only): new-device sign-in and his tokens': [
        ...(await replayFixture('post-authentication/sign-in-new-device-mobile.json')),
        ...(await replayFixture('pre-token-generation/v2/authenticate-device.json')),
      ],
      'alice: known device, admin tokens': [...(await replayFixture('post-authentication/sign-in-web.json')), ...aliceAdminTokens],
      'alice: new device, admin tokens 10 min later': [...aliceNewDevice, ...aliceAdminTokensLater],
    },
  });
  CASES.set('risky-password-change.yml', {
    positives: {
      'password change rated AccountTakeover': await cognitoLog(5, (message) => void (message.riskDecision = 'AccountTakeover')),
      'password change with compromised credentials': await cognitoLog(5, (message) => void (message.compromisedCredentialDetected = 'true')),
    },
    negatives: { 'password change without risk': await cognitoLog(5), 'sign-in rated AccountTakeover': await cognitoLog(1) },
  });
  CASES.set('disposable-domain-attempt.yml', {
    positives: { 'sign-up denied for a disposable domain': [golden('pre-signup/sign-up-denied-disposable-domain.json')] },
    negatives: {
      'sign-up denied for a blocked domain': [golden('pre-signup/sign-up-denied-blocked-domain.json')],
      'allowed sign-up': [golden('pre-signup/sign-up-allowed.json')],
    },
  });
  const m2mAs = (clientId: string) =>
    replayFixture('pre-token-generation/v3/client-credentials.json', {
      change: (payload) => {
        payload.userName = clientId;
        payload.callerContext.clientId = clientId;
      },
    });
  CASES.set('client-credentials-unexpected-client.yml', {
    positives: { 'client credentials for web-app': await m2mAs(WEB_CLIENT), 'client credentials for an unnamed client': await m2mAs('zzzzzzzzzzzzzzzzzzzzzzzzzz') },
    negatives: {
      'client credentials for reporting-service': [golden('pre-token-generation/v3/client-credentials.json')],
      'user tokens': [golden('pre-token-generation/v3/authentication.json')],
    },
  });
  CASES.set('sign-up-denial-burst.yml', {
    positives: { '10 denied sign-ups within 5 min': await signUps('pre-signup/sign-up-denied-blocked-domain.json', 10, 25) },
    negatives: {
      '10 denied sign-ups over an hour': await signUps('pre-signup/sign-up-denied-blocked-domain.json', 10, 400),
      '30 allowed sign-ups within a minute': await signUps('pre-signup/sign-up-allowed.json', 30, 1),
    },
  });
  const wrongPassword = failedCall('sign-in.ndjson', 'InitiateAuth', 'NotAuthorizedException');
  const unknownUser = failedCall('sign-in.ndjson', 'InitiateAuth', 'UserNotFoundException');
  const wrongCode = failedCall('sign-in.ndjson', 'RespondToAuthChallenge', 'CodeMismatchException');
  const wrongCodeManagedLogin = failedCall('managed-login.ndjson', 'mfa_totp_POST', 'CodeMismatchException');
  const fromNetwork = (network: string) => (detail: Record<string, any>, index: number) => {
    detail.sourceIPAddress = `${network}.${10 + index}`;
    if (detail.additionalEventData?.sub !== undefined) detail.additionalEventData.sub = userNumber(index);
  };
  CASES.set('sign-in-failure-burst-per-network.yml', {
    positives: {
      'spraying: 20 wrong passwords for 20 users from one /24 within 4 min': await cloudTrailBurst(wrongPassword, 20, 12, fromNetwork('198.51.100')),
      'stuffing: 10 wrong passwords and 10 unknown users from one /24': [
        ...(await cloudTrailBurst(wrongPassword, 10, 10, fromNetwork('198.51.100'))),
        ...(await cloudTrailBurst(unknownUser, 10, 10, (detail, index) => fromNetwork('198.51.100')(detail, index + 10))),
      ],
    },
    negatives: {
      '19 wrong passwords from one /24': await cloudTrailBurst(wrongPassword, 19, 12, fromNetwork('198.51.100')),
      '20 wrong passwords from 20 networks': await cloudTrailBurst(wrongPassword, 20, 12, (detail, index) => fromNetwork(`198.51.${index}`)(detail, index)),
      '20 wrong passwords from one /24 over an hour': await cloudTrailBurst(wrongPassword, 20, 200, fromNetwork('198.51.100')),
      '20 wrong MFA codes from one /24': await cloudTrailBurst(wrongCode, 20, 12, fromNetwork('198.51.100')),
    },
  });
  CASES.set('mfa-failure-burst.yml', {
    positives: { '5 wrong MFA codes for one user within 5 min': await cloudTrailBurst(wrongCode, 5, 60) },
    negatives: {
      '4 wrong MFA codes for one user': await cloudTrailBurst(wrongCode, 4, 60),
      '5 wrong MFA codes for 5 users': await cloudTrailBurst(wrongCode, 5, 60, (detail, index) => void (detail.additionalEventData.sub = userNumber(index))),
      '5 wrong MFA codes for one user over an hour': await cloudTrailBurst(wrongCode, 5, 900),
      '5 wrong managed-login codes, no user known': await cloudTrailBurst(wrongCodeManagedLogin, 5, 60),
      '5 wrong passwords for one user': await cloudTrailBurst(wrongPassword, 5, 60),
    },
  });
  CASES.set('sign-up-spike-per-domain.yml', {
    positives: { '20 sign-ups from one domain within 10 min': await signUps('pre-signup/sign-up-allowed.json', 20, 20) },
    negatives: {
      '19 sign-ups from one domain': await signUps('pre-signup/sign-up-allowed.json', 19, 20),
      '20 sign-ups from 20 domains': await signUps('pre-signup/sign-up-allowed.json', 20, 1, (index) => `d${index}.example`),
    },
  });
});

describe('Detections: the Sigma files', () => {
  it('the same eight detections in both taxonomies, every document with a unique id', () => {
    // Assess
    expect(FILES).toEqual([
      'client-credentials-unexpected-client.yml',
      'disposable-domain-attempt.yml',
      'mfa-failure-burst.yml',
      'new-device-privileged-group.yml',
      'risky-password-change.yml',
      'sign-in-failure-burst-per-network.yml',
      'sign-up-denial-burst.yml',
      'sign-up-spike-per-domain.yml',
    ]);
    expect(yamlFiles(join(DIR, 'ocsf'))).toEqual(FILES);
    const ids = TAXONOMIES.flatMap(allRules).map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(TAXONOMIES.flatMap((taxonomy) => allRules(taxonomy).filter((rule) => taxonomy.name === 'AuthEvent').map((rule) => [rule.title, rule] as const)))(
    'AuthEvent rule "%s" reads only fields the AuthEvent has',
    (_, rule) => {
      // Act
      const fields = fieldsOfRule(rule);

      // Assess
      expect(fields.length).toBeGreaterThan(0);
      expect(fields.filter((field) => !authEventHasField(field))).toEqual([]);
    },
  );

  it.each(TAXONOMIES.map((taxonomy) => [taxonomy.name, taxonomy] as const))(
    '%s rules: every detection document has the logsource product authtrail, service of its taxonomy',
    (_, taxonomy) => {
      // Act
      const logsources = FILES.flatMap((file) => documentsOf(taxonomy, file)).filter((doc) => doc.detection !== undefined).map((doc) => doc.logsource);

      // Assess
      expect(logsources).toHaveLength(9);
      for (const logsource of logsources) expect(logsource).toMatchObject({ product: 'authtrail', service: taxonomy.service });
    },
  );

  it('OCSF rules read only attributes of the OCSF 1.3.0 classes they select (official schema), or keys authtrail writes under unmapped', async () => {
    // Prepare
    const schema = loadOcsfSchema(OCSF_SCHEMA_DIR);
    const taxonomy = TAXONOMIES[1] as Taxonomy;
    const records = (await pipelineEvents()).map(({ event }) => taxonomy.record(event));
    const hasPath = (record: unknown, path: string): boolean =>
      path.split('.').reduce<unknown[]>((values, part) => values.flatMap((value) => {
        const next = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
        return next === undefined ? [] : Array.isArray(next) ? next : [next];
      }), [record]).length > 0;

    // Act
    const fields = [...new Set(allRules(taxonomy).flatMap(fieldsOfRule))];
    const outside = fields.filter((field) =>
      field.startsWith('unmapped.') ? !records.some((record) => hasPath(record, field)) : !schema.classUids.some((uid) => schema.hasAttributePath(uid, field, OCSF_PROFILES)),
    );

    // Assess
    expect(fields.length).toBeGreaterThan(10);
    expect(outside).toEqual([]);
  });

  it('the evaluator refuses Sigma it does not implement instead of ignoring it', () => {
    // Assess
    expect(() => parseSigma('title: t\nid: x\ndetection:\n  s:\n    category|re: sign.*\n  condition: s\n')).toThrow(/unsupported modifier "re"/);
    expect(() => parseSigma('title: t\nid: x\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 5m\n  condition: {gte: 1}\n')).toThrow(/unsupported correlation type/);
    const rule = parseSigma('title: t\nid: x\ndetection:\n  s:\n    category: signup\n  condition: s or missing\n')[0] as SigmaDetectionRule;
    expect(() => matchesRule(rule, { category: 'signin' })).toThrow(/unknown selection "missing"/);
  });
});

describe.each(TAXONOMIES.map((taxonomy) => [taxonomy.name, taxonomy] as const))('Detections over %s field names, on pipeline events', (_, taxonomy) => {
  it.each(FILES)('%s fires on every positive', (file) => {
    // Prepare
    const { positives } = CASES.get(file) as Case;

    // Act
    const verdicts = Object.entries(positives).map(([name, events]) => [name, events.length > 0 && fires(taxonomy, file, events)]);

    // Assess
    expect(verdicts).toEqual(Object.keys(positives).map((name) => [name, true]));
  });

  it.each(FILES)('%s stays silent on every negative', (file) => {
    // Prepare
    const { negatives } = CASES.get(file) as Case;

    // Act
    const verdicts = Object.entries(negatives).map(([name, events]) => [name, events.length === 0 || fires(taxonomy, file, events)]);

    // Assess
    expect(verdicts).toEqual(Object.keys(negatives).map((name) => [name, false]));
  });
});

describe('Detections: pySigma pipelines for Splunk and Sentinel', () => {
  const pipelines = ['splunk.yml', 'sentinel.yml'].map((file) => ({ file, pipeline: load(readFileSync(join(DIR, 'pipelines', file), 'utf8')) as Record<string, any> }));

  it.each(pipelines.flatMap(({ file, pipeline }) => TAXONOMIES.map((taxonomy) => [file, taxonomy.name, pipeline, taxonomy] as const)))(
    '%s maps every field the %s rules read, for their logsource',
    (_, __, pipeline, taxonomy) => {
      // Prepare
      const forLogsource = (pipeline.transformations as Record<string, any>[]).filter((item) =>
        (item.rule_conditions ?? []).some((condition: Record<string, string>) => condition.type === 'logsource' && condition.product === 'authtrail' && condition.service === taxonomy.service),
      );
      const mapping = Object.assign({}, ...forLogsource.filter((item) => item.type === 'field_name_mapping').map((item) => item.mapping)) as Record<string, string>;

      // Act
      const unmapped = [...new Set(allRules(taxonomy).flatMap(fieldsOfRule))].filter((field) => mapping[field] === undefined);

      // Assess
      expect(forLogsource.some((item) => item.type === 'add_condition' || (item.type === 'set_state' && item.key === 'query_table'))).toBe(true);
      expect(unmapped).toEqual([]);
    },
  );
});
