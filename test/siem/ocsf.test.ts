/**
 * OCSF records against the official OCSF 1.3.0 schema (vendored in
 * test/fixtures/ocsf/1.3.0/), validated by the rules of the OCSF server
 * (./ocsf-validator.ts), for every AuthEvent the pipeline produces from the
 * fixtures (./pipeline-events.ts). The validator is itself tested on records
 * the schema rejects, so a pass means something.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { OCSF_VERSION, toOcsf } from '../../lib/siem/ocsf.ts';
import { loadOcsfSchema, OCSF_SCHEMA_DIR } from './ocsf-validator.ts';
import { cloudTrailEvents, cognitoLogEvents, pipelineEvents, type SourcedEvent } from './pipeline-events.ts';
import { golden } from './helpers.ts';

const schema = loadOcsfSchema(OCSF_SCHEMA_DIR);
/** A record as it goes over the wire. */
const wire = (record: unknown): Record<string, any> => JSON.parse(JSON.stringify(record));

let events: SourcedEvent[] = [];
beforeAll(async () => {
  events = await pipelineEvents();
});

describe('OCSF: every pipeline record validates against the official schema', () => {
  it('claims the version of the vendored schema, one Security Lake takes (<= 1.3)', () => {
    // Assess
    expect(OCSF_VERSION).toBe(schema.version);
    expect(schema.version).toBe('1.3.0');
  });

  it('0 errors and no wrong enum caption for every record of every fixture (triggers, quirks, Cognito logs under both IP policies, CloudTrail records, inferred failures)', () => {
    // Act
    const failures = events.flatMap(({ source, event }) => {
      const { errors, warnings } = schema.validate(wire(toOcsf(event)));
      const siblings = warnings.filter((warning) => warning.code !== 'attribute_recommended_missing');
      return [...errors, ...siblings].map((issue) => `${source}: ${issue.code} at ${issue.path}: ${issue.message}`);
    });

    // Assess
    expect(events.length).toBe(31 + 15 + 7 + 7 + 21 + 1); // goldens, quirks accepted, 7 Cognito log records twice, 21 CloudTrail records published, 1 inferred failure
    expect(new Set(events.map(({ event }) => toOcsf(event).class_uid))).toEqual(new Set([3001, 3002]));
    expect(failures).toEqual([]);
  });

  it('fills the recommended attributes authtrail has data for', () => {
    // Act
    // CloudTrail never names the user (only the sub, as user.uid): its records are exempt from user.name alone.
    const missing = new Set(
      events.flatMap(({ source, event }) =>
        schema
          .validate(wire(toOcsf(event)))
          .warnings.filter((warning) => warning.code === 'attribute_recommended_missing')
          .map((warning) => warning.path.replace(/\[\d+\]/g, '[]'))
          .filter((path) => !(source.startsWith('cloudtrail ') && path === 'user.name')),
      ),
    );

    // Assess: none of these is ever missing
    for (const path of ['message', 'status', 'status_id', 'metadata.log_provider', 'metadata.log_name', 'timezone_offset', 'auth_protocol_id', 'logon_type_id', 'is_remote', 'service.name', 'user.name', 'user.type_id', 'cloud.region']) {
      expect(missing).not.toContain(path);
    }
  });
});

describe('OCSF validator: rejects what the schema rejects', () => {
  const valid = () => wire(toOcsf(golden('post-authentication/sign-in-web.json')));

  it('accepts the reference record', () => {
    // Act / Assess
    expect(schema.validate(valid()).errors).toEqual([]);
  });

  it.each([
    ['a profile attribute without the profile declared', (r: Record<string, any>) => void (r.metadata.profiles = []), 'attribute_unknown', 'cloud'],
    ['an unknown attribute, nested', (r: Record<string, any>) => void (r.user.nickname = 'x'), 'attribute_unknown', 'user.nickname'],
    ['a missing required attribute', (r: Record<string, any>) => void delete r.severity_id, 'attribute_required_missing', 'severity_id'],
    ['null for a required attribute', (r: Record<string, any>) => void (r.time = null), 'attribute_required_missing', 'time'],
    ['a string where a long goes', (r: Record<string, any>) => void (r.time = '2026-11-27'), 'attribute_wrong_type', 'time'],
    ['an object where an array goes', (r: Record<string, any>) => void (r.metadata.labels = 'replay'), 'attribute_wrong_type', 'metadata.labels'],
    ['an activity the class does not define', (r: Record<string, any>) => Object.assign(r, { activity_id: 7, type_uid: 300207 }), 'attribute_enum_value_unknown', 'activity_id'],
    ['a wrong type_uid', (r: Record<string, any>) => void (r.type_uid = 300203), 'type_uid_incorrect', 'type_uid'],
    ['an endpoint with only a location', (r: Record<string, any>) => void (r.src_endpoint = { location: { country: 'IE' } }), 'constraint_failed', 'src_endpoint'],
    ['an actor with only the IdP', (r: Record<string, any>) => void (r.actor = { idp: { name: 'Cognito' } }), 'constraint_failed', 'actor'],
    ['neither service nor dst_endpoint', (r: Record<string, any>) => void delete r.service, 'constraint_failed', ''],
    ['an IP that is a network', (r: Record<string, any>) => void (r.src_endpoint = { ip: '192.0.2.0/24' }), 'attribute_string_regex_mismatch', 'src_endpoint.ip'],
    ['another version', (r: Record<string, any>) => void (r.metadata.version = '1.2.0'), 'version_incorrect', 'metadata.version'],
    ['an unknown profile', (r: Record<string, any>) => void r.metadata.profiles.push('kerberos'), 'profile_unknown', 'metadata.profiles[1]'],
    ['an observable naming no attribute', (r: Record<string, any>) => void (r.observables = [{ name: 'user.shoe_size', type_id: 4 }]), 'observable_name_invalid_reference', 'observables[0].name'],
    ['an unknown observable type', (r: Record<string, any>) => void (r.observables = [{ name: 'user.name', type_id: 1234 }]), 'attribute_enum_value_unknown', 'observables[0].type_id'],
  ])('%s', (_, change, code, path) => {
    // Prepare
    const record = valid();
    change(record);

    // Act
    const { errors } = schema.validate(record);

    // Assess
    expect(errors.map((issue) => [issue.code, issue.path])).toContainEqual([code, path]);
  });

  it('resolves attribute paths through objects, arrays and profiles, and open objects', () => {
    // Assess
    expect(schema.hasAttributePath(3002, 'user.groups.name')).toBe(true);
    expect(schema.hasAttributePath(3002, 'unmapped.anything.at.all')).toBe(true);
    expect(schema.hasAttributePath(3002, 'user.shoe_size')).toBe(false);
    expect(schema.hasAttributePath(3002, 'cloud.region')).toBe(false);
    expect(schema.hasAttributePath(3002, 'cloud.region', ['cloud'])).toBe(true);
    expect(schema.hasAttributePath(3001, 'logon_type_id')).toBe(false);
  });

  it('warns when an enum caption does not match its id', () => {
    // Prepare
    const record = { ...valid(), status: 'Failure' };

    // Act / Assess
    expect(schema.validate(record).warnings.map((issue) => issue.code)).toContain('attribute_enum_sibling_incorrect');
  });
});

describe('OCSF: semantics the schema cannot check', () => {
  it('a Cognito log record: event time from Cognito, processing time apart, ISO country code, no endpoint when the IP is masked', async () => {
    // Prepare: line 1, a sign-in from 192.0.2.44 in Dublin, Ireland
    const [masked] = await cognitoLogEvents('mask');
    const [kept] = await cognitoLogEvents('keep');

    // Act
    const [fromMasked, fromKept] = [toOcsf(masked!), toOcsf(kept!)];

    // Assess
    const loggedAt = kept!.cognitoLog?.at as string;
    expect(Date.parse(loggedAt)).toBe(1795773492345); // the record's eventTimestamp (AWS's documented event time)
    expect(fromKept.time).toBe(Date.parse(loggedAt));
    expect(fromKept.time).not.toBe(Date.parse(kept!.time));
    expect(fromKept.metadata).toMatchObject({ original_time: loggedAt, processed_time: Date.parse(kept!.time), log_provider: 'Amazon Cognito' });
    expect(fromKept.src_endpoint).toEqual({ ip: '192.0.2.44', location: { city: 'Dublin', country: 'IE' } });
    expect(fromKept.observables).toContainEqual({ name: 'src_endpoint.ip', type_id: 2, type: 'IP Address', value: '192.0.2.44' });
    expect(fromMasked).not.toHaveProperty('src_endpoint');
    expect(fromMasked.unmapped.network).toEqual({ ip: '192.0.2.0/24', city: 'Dublin', country: 'Ireland' });
    expect(fromKept.is_mfa).toBe(false); // "Password:Success": a single factor
  });

  it('a CloudTrail record: event time from CloudTrail (eventTime), not when authtrail read it; CloudTrail as the log', async () => {
    // Prepare: sign-in.ndjson line 1, a wrong password at 2026-11-27T09:58:40Z, read by the ingester on the fixture clock
    const sourced = await cloudTrailEvents();
    const wrongPassword = sourced.find(({ source }) => source === 'cloudtrail sign-in.ndjson line 1 InitiateAuth')!.event;

    // Act
    const record = toOcsf(wrongPassword);

    // Assess
    expect(wrongPassword.cloudTrail?.at).toBe('2026-11-27T09:58:40.000Z');
    expect(wrongPassword.time).not.toBe(wrongPassword.cloudTrail?.at);
    expect(record.time).toBe(Date.parse('2026-11-27T09:58:40Z'));
    expect(record.metadata).toMatchObject({
      original_time: wrongPassword.cloudTrail?.at,
      processed_time: Date.parse(wrongPassword.time),
      log_name: 'CloudTrail management events',
      log_provider: 'AWS CloudTrail',
    });
  });

  it('maps every country Cognito names in the samples to its alpha-2 code', async () => {
    // Act
    const countries = (await cognitoLogEvents('keep')).map((event) => [event.network?.country, toOcsf(event).src_endpoint?.location?.country]);

    // Assess
    expect(countries.filter(([name]) => name !== undefined)).toEqual([
      ['Ireland', 'IE'],
      ['Portugal', 'PT'],
      ['Romania', 'RO'],
      ['Germany', 'DE'],
      ['Portugal', 'PT'],
    ]);
  });

  it.each([
    ['pre-authentication/sign-in-attempt-web.json', 6, 'Preauth', 0],
    ['post-authentication/sign-in-web.json', 1, 'Logon', 1],
    ['pre-token-generation/v2/authentication-admin.json', 99, 'Token Issue', 1],
    ['pre-token-generation/v2/refresh-tokens.json', 99, 'Token Refresh', 1],
    ['pre-token-generation/v3/client-credentials.json', 1, 'Logon', 1],
  ])('%s -> Authentication activity %i %s', (file, activityId, activityName, statusId) => {
    // Act
    const ocsf = toOcsf(golden(file));

    // Assess
    expect(ocsf).toMatchObject({ class_uid: 3002, activity_id: activityId, activity_name: activityName, type_uid: 300200 + activityId, status_id: statusId });
  });

  it('one sign-in is one Logon: the attempt before it is a Preauth', () => {
    // Act
    const logons = ['pre-authentication/sign-in-attempt-web.json', 'post-authentication/sign-in-web.json'].map((file) => toOcsf(golden(file)).activity_name);

    // Assess
    expect(logons).toEqual(['Preauth', 'Logon']);
  });

  it('an admin action without an app client has no actor rather than an empty one', () => {
    // Act
    const ocsf = toOcsf(golden('pre-signup/admin-create-user.json'));

    // Assess
    expect(ocsf).not.toHaveProperty('actor');
    expect(ocsf.unmapped.identity_provider).toBeDefined();
    expect(ocsf.user_result).toEqual(ocsf.user);
  });
});
