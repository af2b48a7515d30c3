/**
 * A CloudTrail record of a Cognito user pool, as EventBridge's default bus
 * delivers it: an envelope with source `aws.cognito-idp` and detail-type
 * `AWS API Call via CloudTrail` (user pool API calls: InitiateAuth,
 * AdminDisableUser...) or `AWS Service Event via CloudTrail` (hosted UI and
 * managed login endpoints: Token_POST, Login_GET...), whose `detail` is the
 * CloudTrail record itself.
 *
 * Sources: Cognito developer guide, "Logging Amazon Cognito API calls with AWS
 * CloudTrail" and "Example Amazon Cognito events"; EventBridge user guide,
 * "AWS service event metadata" and "Events from AWS services via CloudTrail".
 *
 * Cognito hides private fields: it writes the string
 * `HIDDEN_DUE_TO_SECURITY_REASONS` in place of a value, of an array of values
 * (endpoint parameters are arrays), and of a whole map where the API takes one
 * (`authParameters`, `userAttributes`). So only the envelope fields we key on
 * are checked strictly; every other part is `unknown` and read through the
 * readers below, which return a value only when it is really there.
 */
import * as z from 'zod';

export const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS' as const;

export const COGNITO_IDP_SOURCE = 'aws.cognito-idp' as const;
export const COGNITO_IDP_EVENT_SOURCE = 'cognito-idp.amazonaws.com' as const;

export const CloudTrailDetailType = {
  ApiCall: 'AWS API Call via CloudTrail',
  ServiceEvent: 'AWS Service Event via CloudTrail',
} as const;

/** Longest string we look at; anything longer is cut before it is used. */
const MAX_TEXT = 2048;

export const CloudTrailRecordSchema = z.looseObject({
  eventVersion: z.string().max(16).optional(),
  eventID: z.string().min(1).max(128),
  eventTime: z.iso.datetime({ offset: true }),
  eventSource: z.literal(COGNITO_IDP_EVENT_SOURCE),
  eventName: z.string().min(1).max(128),
  eventType: z.string().max(64).optional(),
  awsRegion: z.string().max(64).optional(),
  // Everything below may be missing, null, a string where a map is expected, or hidden.
  userIdentity: z.unknown().optional(),
  sourceIPAddress: z.unknown().optional(),
  userAgent: z.unknown().optional(),
  errorCode: z.unknown().optional(),
  errorMessage: z.unknown().optional(),
  requestParameters: z.unknown().optional(),
  responseElements: z.unknown().optional(),
  additionalEventData: z.unknown().optional(),
});
export type CloudTrailRecord = z.infer<typeof CloudTrailRecordSchema>;

/** The EventBridge envelope around one record (the fields we rely on; the rest is ignored). */
export const CloudTrailEnvelopeSchema = z.looseObject({
  source: z.literal(COGNITO_IDP_SOURCE),
  'detail-type': z.enum([CloudTrailDetailType.ApiCall, CloudTrailDetailType.ServiceEvent]),
  detail: CloudTrailRecordSchema,
});

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `value` when it is a map; undefined when it is missing, null, hidden (a string) or anything else. */
export const mapOf = (value: unknown): Record<string, unknown> | undefined => (isPlainObject(value) ? value : undefined);

/** A member of a map, own properties only: a key such as `__proto__` or `constructor` reads nothing inherited. */
export const memberOf = (map: unknown, key: string): unknown => {
  const object = mapOf(map);
  return object !== undefined && Object.hasOwn(object, key) ? object[key] : undefined;
};

/**
 * A string that is really there: not empty, not hidden, cut to a sane length.
 * Endpoint parameters arrive as one-element arrays (`client_id: ["..."]`): the
 * first element is read.
 */
export const textOf = (value: unknown): string | undefined => {
  const candidate = Array.isArray(value) ? value[0] : value;
  if (typeof candidate !== 'string') return undefined;
  const text = candidate.trim();
  if (text === '' || text === HIDDEN) return undefined;
  return text.slice(0, MAX_TEXT);
};

/** A number, or digits as text (`"status": 200.0` and `"302"` both occur). */
export const numberOf = (value: unknown): number | undefined => {
  const candidate = Array.isArray(value) ? value[0] : value;
  const number = typeof candidate === 'string' && /^\d{1,6}(\.\d+)?$/.test(candidate) ? Number(candidate) : candidate;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
};

/** The text at a path of maps: `textAt(record, 'requestParameters', 'clientId')`. */
export const textAt = (root: unknown, ...path: string[]): string | undefined => {
  let value = root;
  for (const key of path) value = memberOf(value, key);
  return textOf(value);
};

/** A user pool id as AWS writes them (`us-east-1_Example`), else undefined. */
export const userPoolIdOf = (value: unknown): string | undefined => {
  const text = textOf(value);
  return text !== undefined && /^[\w-]{1,50}_[0-9A-Za-z]{1,50}$/.test(text) ? text : undefined;
};

/** The user pool the record names: the API's `userPoolId`, or the endpoint's `additionalEventData.userPoolId`. */
export const recordUserPoolId = (record: CloudTrailRecord): string | undefined =>
  userPoolIdOf(memberOf(record.requestParameters, 'userPoolId')) ??
  userPoolIdOf(memberOf(record.additionalEventData, 'userPoolId'));

/** The app client: the API's `clientId`, or the endpoint's `client_id` parameter. */
export const recordClientId = (record: CloudTrailRecord): string | undefined =>
  textAt(record.requestParameters, 'clientId') ??
  textAt(record.additionalEventData, 'requestParameters', 'client_id') ??
  textAt(record.requestParameters, 'client_id');
