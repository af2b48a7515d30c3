/**
 * A Cognito `userAuthEvents` log record -> one AuthEvent (before the PII policy).
 *
 * Pure: time, stage and config come in through the context, like the trigger
 * steps (lib/triggers/definition.ts). The mapping:
 *
 * | eventType      | category / action            | Pass        | Fail     | InProgress |
 * |----------------|------------------------------|-------------|----------|------------|
 * | SignIn         | signin / authenticate        | succeeded   | failed   | attempted  |
 * | SignUp         | signup / self_signup         | allowed     | denied   | allowed    |
 * | ForgotPassword | account / password_reset     | succeeded   | failed   | attempted  |
 * | PasswordChange | account / password_change    | succeeded   | failed   | attempted  |
 *
 * A risk decision of BLOCK makes the outcome `denied` (reason RISK_BLOCKED)
 * whatever the response. An in-progress sign-in is `signin.authenticate`
 * `attempted`, not `signin.attempt`: the failed sign-in inference pairs
 * pre-authentication attempts with successes, and a log record must not open a
 * second attempt for the same sign-in. Other event types (ResendCode...) have no
 * AuthEvent action yet and are skipped as unsupported.
 */
import { AUTH_EVENT_SCHEMA_VERSION, Action, Category, Outcome, type AuthEvent } from '../auth-event/schema.ts';
import { canonicalDigest } from '../event-id.ts';
import { COGNITO, providerTypeOf } from '../identity.ts';
import { MAX_FIELD_LENGTH, capped, withoutUndefined, type TriggerContext } from '../triggers/definition.ts';
import type { CognitoLogRecord } from './record.ts';
import { own } from '../own.ts';
import { AuthtrailError } from '../errors.ts';

/** A record we read but cannot express as an AuthEvent. */
export class UnsupportedCognitoLogEventError extends AuthtrailError {
  readonly code = 'UNSUPPORTED_COGNITO_LOG_EVENT' as const;
  readonly eventType: string;
  constructor(eventType: string) {
    super(`Cognito log eventType "${eventType.slice(0, 64)}" has no AuthEvent mapping`);
    this.name = 'UnsupportedCognitoLogEventError';
    this.eventType = eventType;
  }
}

/** trigger.source of log-derived events: tells them apart from trigger events in every query. */
export const COGNITO_LOG_SOURCE_PREFIX = 'CognitoLog_' as const;

export const CognitoLogReason = {
  RiskBlocked: 'RISK_BLOCKED',
  CognitoReportedFailure: 'COGNITO_REPORTED_FAILURE',
} as const;

type Kind = { category: AuthEvent['category']; action: AuthEvent['action']; pass: AuthEvent['outcome']; fail: AuthEvent['outcome']; inProgress: AuthEvent['outcome'] };

const KINDS: Record<string, Kind> = {
  SignIn: { category: Category.SignIn, action: Action.Authenticate, pass: Outcome.Succeeded, fail: Outcome.Failed, inProgress: Outcome.Attempted },
  SignUp: { category: Category.SignUp, action: Action.SelfSignUp, pass: Outcome.Allowed, fail: Outcome.Denied, inProgress: Outcome.Allowed },
  ForgotPassword: { category: Category.Account, action: Action.PasswordReset, pass: Outcome.Succeeded, fail: Outcome.Failed, inProgress: Outcome.Attempted },
  PasswordChange: { category: Category.Account, action: Action.PasswordChange, pass: Outcome.Succeeded, fail: Outcome.Failed, inProgress: Outcome.Attempted },
};

/**
 * Cognito's event id is unique per event and survives redelivery of the log
 * record, so the id needs no time bucket: the same record read twice (a Lambda
 * retry, a replayed subscription) is the same AuthEvent.
 */
export const cognitoLogEventIdFor = (stage: string, userPoolId: string, cognitoEventId: string): string =>
  canonicalDigest({ stage, userPoolId, origin: 'cognito-log', eventId: cognitoEventId });

const identityProviderOf = (
  idpName: string | undefined,
  configured: Record<string, 'SAML' | 'OIDC'>,
): AuthEvent['identityProvider'] => {
  if (idpName === undefined || idpName === 'Cognito' || idpName === 'COGNITO') return COGNITO;
  const name = idpName.slice(0, MAX_FIELD_LENGTH);
  return { type: 'federated', name, providerType: providerTypeOf(name, configured) };
};

const outcomeOf = (kind: Kind, response: string | undefined): AuthEvent['outcome'] => {
  switch (response?.toLowerCase()) {
    case 'pass':
      return kind.pass;
    case 'fail':
      return kind.fail;
    default:
      return kind.inProgress;
  }
};

export const authEventOfCognitoLog = (record: CognitoLogRecord, context: TriggerContext): AuthEvent => {
  const message = record.message;
  const kind = KINDS[message.eventType];
  if (kind === undefined) throw new UnsupportedCognitoLogEventError(message.eventType);

  const blocked = message.riskDecision?.toLowerCase() === 'block';
  const outcome = blocked ? Outcome.Denied : outcomeOf(kind, message.eventResponse);
  const reason =
    blocked
      ? { code: CognitoLogReason.RiskBlocked, message: 'Cognito threat protection blocked the request' }
      : outcome === Outcome.Denied || outcome === Outcome.Failed
        ? { code: CognitoLogReason.CognitoReportedFailure, message: `Cognito logged ${message.eventType} with response ${message.eventResponse ?? 'Fail'}` }
        : undefined;

  const clientId = message.clientId ?? null;
  const clientName = clientId === null ? undefined : own(context.config.clients, clientId);
  const region = message.userPoolId.slice(0, message.userPoolId.indexOf('_'));
  // eventTimestamp is the event time the documented record gives as a timestamp (creationDate is a Java date string).
  const at = record.eventTimestamp;
  const challenges = message.challenges.map((challenge) => `${challenge.challengeName}:${challenge.challengeResponse}`).join(', ');
  const network = withoutUndefined({
    ip: capped(message.ipAddress),
    city: capped(message.city),
    country: capped(message.country),
  });

  return {
    schemaVersion: AUTH_EVENT_SCHEMA_VERSION,
    id: cognitoLogEventIdFor(context.stage, message.userPoolId, message.eventId),
    time: context.now.toISOString(),
    stage: context.stage,
    category: kind.category,
    action: kind.action,
    outcome,
    ...(reason === undefined ? {} : { reason }),
    trigger: { source: `${COGNITO_LOG_SOURCE_PREFIX}${message.eventType}`, version: message.version ?? null },
    userPool: { id: message.userPoolId, region },
    client: clientName === undefined ? { id: clientId } : { id: clientId, name: clientName },
    user: withoutUndefined({ sub: capped(message.userSub), username: capped(message.userName) }),
    identityProvider: identityProviderOf(message.idpName, context.config.identityProviders),
    groups: [],
    ...(message.deviceName === undefined ? {} : { device: { newDeviceUsed: null, name: capped(message.deviceName) ?? '' } }),
    ...(Object.keys(network).length === 0 ? {} : { network }),
    ...(message.riskDecision === undefined
      ? {}
      : {
          risk: {
            decision: capped(message.riskDecision) ?? '',
            level: capped(message.riskLevel) ?? null,
            compromisedCredentials: message.compromisedCredentialDetected ?? null,
          },
        }),
    cognitoLog: withoutUndefined({
      eventId: message.eventId,
      eventType: message.eventType,
      eventResponse: message.eventResponse ?? null,
      at: at.toISOString(),
      challenges: challenges === '' ? undefined : capped(challenges),
    }),
    pipeline: context.pipeline,
  };
};
