/**
 * A CloudTrail record of a user pool -> one AuthEvent (before the PII policy).
 *
 * Pure, like the trigger steps: time, stage, config and the stage's pool id
 * come in through the context. What each event name means is in kinds.ts;
 * this module builds the common part: ids from CloudTrail's eventID, the user
 * (`additionalEventData.sub`; CloudTrail never carries the username of a user
 * pool request), the client, the caller's IP and user agent, and for calls
 * signed with AWS credentials the IAM principal as `actor`.
 *
 * Caveat kept in the event, not hidden: the IP and user agent are the caller's.
 * A back end calling AdminInitiateAuth shows its own address, not the user's.
 */
import { AUTH_EVENT_SCHEMA_VERSION, type AuthEvent } from '../auth-event/schema.ts';
import { canonicalDigest } from '../event-id.ts';
import { COGNITO } from '../identity.ts';
import { own } from '../own.ts';
import { capped, withoutUndefined, type TriggerContext } from '../triggers/definition.ts';
import { kindOf } from './kinds.ts';
import { recordClientId, recordUserPoolId, textAt, textOf, type CloudTrailRecord } from './record.ts';
import { AuthtrailError } from '../errors.ts';

/** trigger.source of CloudTrail-derived events: tells them apart from trigger and Cognito log events. */
export const CLOUDTRAIL_SOURCE_PREFIX = 'CloudTrail_' as const;

/** The pool of events whose record names none and whose context knows none. */
export const UNKNOWN_USER_POOL = 'unknown' as const;

/** A record we read but do not express as an AuthEvent (its event name has no mapping). */
export class UnmappedCloudTrailEventError extends AuthtrailError {
  readonly code = 'UNMAPPED_CLOUDTRAIL_EVENT' as const;
  readonly eventName: string;
  constructor(eventName: string) {
    super(`CloudTrail eventName "${eventName.slice(0, 64)}" has no AuthEvent mapping`);
    this.name = 'UnmappedCloudTrailEventError';
    this.eventName = eventName;
  }
}

export interface CloudTrailContext extends TriggerContext {
  /** The stage's user pool: the pool of records that name only their app client (InitiateAuth...). */
  userPoolId?: string;
}

/**
 * CloudTrail's eventID is unique per record and survives redelivery (a Lambda
 * retry, an EventBridge replay): the same record is the same AuthEvent, with no
 * time bucket.
 */
export const cloudTrailEventIdFor = (stage: string, eventId: string): string =>
  canonicalDigest({ stage, origin: 'cloudtrail', eventId });

/**
 * The AWS principal that signed the call. A user's own calls and the endpoints
 * are signed by no AWS identity (`userIdentity` has no ARN, its type is
 * missing or `Unknown`): they have no actor, the user is in `user`.
 */
const actorOf = (record: CloudTrailRecord): AuthEvent['actor'] => {
  const identity = record.userIdentity;
  const type = textAt(identity, 'type');
  const arn = textAt(identity, 'arn');
  const invokedBy = textAt(identity, 'invokedBy');
  if (arn === undefined && invokedBy === undefined && (type === undefined || type === 'Unknown')) return undefined;
  return withoutUndefined({
    type: capped(type) ?? 'Unknown',
    arn: capped(arn),
    accountId: capped(textAt(identity, 'accountId')),
    invokedBy: capped(invokedBy),
  });
};

/**
 * `sourceIPAddress` is an IP for calls from the internet, and a service name
 * (`cognito-idp.amazonaws.com`) when AWS made the call itself: only an address
 * goes into `network.ip`.
 */
const ipOf = (value: unknown): string | undefined => {
  const text = textOf(value);
  if (text === undefined) return undefined;
  return /^[0-9a-fA-F:.]{2,45}$/.test(text) && /[.:]/.test(text) ? text : undefined;
};

export const authEventOfCloudTrail = (record: CloudTrailRecord, context: CloudTrailContext): AuthEvent => {
  const kind = kindOf(record.eventName);
  const mapped = kind?.(record);
  if (mapped === undefined) throw new UnmappedCloudTrailEventError(record.eventName);

  const userPoolId = recordUserPoolId(record) ?? context.userPoolId ?? UNKNOWN_USER_POOL;
  const underscore = userPoolId.indexOf('_');
  const region = capped(record.awsRegion) ?? (underscore > 0 ? userPoolId.slice(0, underscore) : 'unknown');
  const clientId = capped(recordClientId(record)) ?? null;
  const clientName = clientId === null ? undefined : own(context.config.clients, clientId);
  const sub =
    textAt(record.additionalEventData, 'sub') ??
    textAt(record.additionalEventData, 'requestParameters', 'sub') ??
    textAt(record.responseElements, 'userSub');
  // Admin calls name the user acted on; Cognito usually hides it, and then there is nothing to copy.
  const username = textAt(record.requestParameters, 'username');
  const network = withoutUndefined({ ip: capped(ipOf(record.sourceIPAddress)), userAgent: capped(textOf(record.userAgent)) });
  const actor = actorOf(record);
  const errorCode = textOf(record.errorCode);

  return {
    schemaVersion: AUTH_EVENT_SCHEMA_VERSION,
    id: cloudTrailEventIdFor(context.stage, record.eventID),
    time: context.now.toISOString(),
    stage: context.stage,
    category: mapped.category,
    action: mapped.action,
    outcome: mapped.outcome,
    ...(mapped.reason === undefined ? {} : { reason: mapped.reason }),
    trigger: { source: `${CLOUDTRAIL_SOURCE_PREFIX}${record.eventName}`, version: record.eventVersion ?? null },
    userPool: { id: userPoolId, region },
    client: clientName === undefined ? { id: clientId } : { id: clientId, name: clientName },
    user: withoutUndefined({ sub: capped(sub), username: capped(username) }),
    identityProvider: mapped.federated === undefined ? COGNITO : { type: 'federated', name: 'SAML', providerType: 'SAML' },
    groups: [],
    ...(Object.keys(network).length === 0 ? {} : { network }),
    ...(actor === undefined ? {} : { actor }),
    cloudTrail: withoutUndefined({
      eventId: record.eventID,
      eventName: record.eventName,
      eventType: capped(record.eventType) ?? 'Unknown',
      at: new Date(record.eventTime).toISOString(),
      errorCode: errorCode === undefined ? undefined : errorCode.slice(0, 128),
      countedByTrigger: mapped.countedByTrigger,
    }),
    pipeline: context.pipeline,
  };
};
