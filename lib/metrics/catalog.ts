/**
 * The metric catalog: every custom metric authtrail emits (CloudWatch Embedded
 * Metric Format through Powertools Metrics, namespace `authtrail`), its unit and
 * the dimension sets it is published under. The emitting code, the dashboards,
 * the alarms and the local preview all read this one module.
 *
 * Dimensions stay low-cardinality: the stage, the trigger function, a denial
 * reason code, the client's name from the stage config (`unknown` otherwise),
 * the identity provider type, the token event version and source. Never a user
 * id, a username, an email or a client id.
 */
import type { AuthEvent } from '../auth-event/schema.ts';
import { triggerNameFor } from '../cognito/trigger-sources.ts';

export const METRICS_NAMESPACE = 'authtrail' as const;
/** Powertools' `service` dimension: with `stage`, on every dimension set of every metric. */
export const SERVICE_NAME = 'authtrail' as const;

/** Dimension names. `service` and `stage` are on every set (Powertools default dimensions). */
export const Dimension = {
  Service: 'service',
  Stage: 'stage',
  Trigger: 'trigger',
  Outcome: 'outcome',
  Reason: 'reason',
  Client: 'client',
  Provider: 'provider',
  NewDevice: 'newDevice',
  TokenVersion: 'tokenVersion',
  TokenSource: 'tokenSource',
} as const;
export type Dimension = (typeof Dimension)[keyof typeof Dimension];

/** The value of the client dimension when the config names no client (or there is none). */
export const UNKNOWN = 'unknown' as const;

export const MetricUnitName = { Count: 'Count', Milliseconds: 'Milliseconds', Seconds: 'Seconds' } as const;
export type MetricUnitName = (typeof MetricUnitName)[keyof typeof MetricUnitName];

export const MetricName = {
  // pipeline (triggers)
  EventsPublished: 'EventsPublished',
  PublishFailures: 'PublishFailures',
  SpilledEvents: 'SpilledEvents',
  PublishLatency: 'PublishLatency',
  // auth activity (triggers)
  SignUps: 'SignUps',
  SignUpsDenied: 'SignUpsDenied',
  SignIns: 'SignIns',
  NewDeviceSignIns: 'NewDeviceSignIns',
  TokensIssued: 'TokensIssued',
  SignInAttempts: 'SignInAttempts',
  SignInsDenied: 'SignInsDenied',
  PolicyErrors: 'PolicyErrors',
  // failed sign-in inference (failed-sign-ins consumer)
  FailedSignIns: 'FailedSignIns',
  // SIEM forwarder
  SiemDelivered: 'SiemDelivered',
  SiemRejected: 'SiemRejected',
  SiemFailed: 'SiemFailed',
  SiemRetried: 'SiemRetried',
  SiemRequests: 'SiemRequests',
  // CloudTrail (cloudtrail-events)
  CloudTrailSignInFailures: 'CloudTrailSignInFailures',
  // spill recovery (recover-spilled)
  RecoveredEvents: 'RecoveredEvents',
  RecoveryBacklog: 'RecoveryBacklog',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

export interface MetricDefinition {
  unit: MetricUnitName;
  /** Dimension sets besides `service` and `stage`, which every set includes; `[]` is the service+stage set. */
  dimensionSets: readonly (readonly Dimension[])[];
  /** Which function emits it. */
  emittedBy: 'triggers' | 'siem-forwarder' | 'failed-sign-ins' | 'recover-spilled' | 'cloudtrail-events';
  description: string;
}

const D = Dimension;
export const METRICS = {
  EventsPublished: { unit: 'Count', dimensionSets: [[]], emittedBy: 'triggers', description: 'AuthEvents the bus accepted' },
  PublishFailures: { unit: 'Count', dimensionSets: [[]], emittedBy: 'triggers', description: 'Invocations whose publish failed (events spilled)' },
  SpilledEvents: { unit: 'Count', dimensionSets: [[]], emittedBy: 'triggers', description: 'AuthEvents written to the spill log for recover-spilled' },
  PublishLatency: {
    unit: 'Milliseconds',
    dimensionSets: [[], [D.Trigger]],
    emittedBy: 'triggers',
    description: 'Time spent publishing one invocation’s events, failures included',
  },
  SignUps: {
    unit: 'Count',
    dimensionSets: [[D.Outcome], [D.Client], [D.Provider]],
    emittedBy: 'triggers',
    description: 'Sign-ups seen by pre sign-up, allowed or denied',
  },
  SignUpsDenied: {
    unit: 'Count',
    dimensionSets: [[], [D.Reason]],
    emittedBy: 'triggers',
    description: 'Sign-ups denied by the policy, by reason code',
  },
  SignIns: {
    unit: 'Count',
    dimensionSets: [[], [D.Client], [D.Provider], [D.NewDevice]],
    emittedBy: 'triggers',
    description: 'Successful sign-ins (post authentication)',
  },
  NewDeviceSignIns: {
    unit: 'Count',
    dimensionSets: [[], [D.Client]],
    emittedBy: 'triggers',
    description: 'Sign-ins Cognito flagged as from a new device',
  },
  TokensIssued: {
    unit: 'Count',
    dimensionSets: [[], [D.Client], [D.TokenVersion], [D.TokenSource]],
    emittedBy: 'triggers',
    description: 'Token generations (pre token generation)',
  },
  SignInAttempts: {
    unit: 'Count',
    dimensionSets: [[], [D.Client]],
    emittedBy: 'triggers',
    description: 'Sign-in attempts seen by pre authentication, before the password check',
  },
  SignInsDenied: {
    unit: 'Count',
    dimensionSets: [[], [D.Reason]],
    emittedBy: 'triggers',
    description: 'Sign-in attempts the sign-in policy denied, by reason code',
  },
  PolicyErrors: {
    unit: 'Count',
    dimensionSets: [[], [D.Trigger]],
    emittedBy: 'triggers',
    description: 'Invocations whose policy step threw: denied or allowed as the trigger decides (docs/configuration.md), never silently',
  },
  FailedSignIns: {
    unit: 'Count',
    dimensionSets: [[], [D.Client]],
    emittedBy: 'failed-sign-ins',
    description: 'Attempts with no successful sign-in within the window (inferred downstream of the bus)',
  },
  SiemDelivered: { unit: 'Count', dimensionSets: [[]], emittedBy: 'siem-forwarder', description: 'Events the SIEM accepted' },
  SiemRejected: { unit: 'Count', dimensionSets: [[]], emittedBy: 'siem-forwarder', description: 'Events the SIEM refused: sent to the SIEM DLQ' },
  SiemFailed: {
    unit: 'Count',
    dimensionSets: [[]],
    emittedBy: 'siem-forwarder',
    description: 'Messages not delivered this time, handed back to SQS for redelivery',
  },
  SiemRetried: {
    unit: 'Count',
    dimensionSets: [[]],
    emittedBy: 'siem-forwarder',
    description: 'Messages received again after an earlier failed attempt (SQS ApproximateReceiveCount > 1)',
  },
  SiemRequests: { unit: 'Count', dimensionSets: [[]], emittedBy: 'siem-forwarder', description: 'HTTP requests to the SIEM, retries included' },
  CloudTrailSignInFailures: {
    unit: 'Count',
    dimensionSets: [[], [D.Reason]],
    emittedBy: 'cloudtrail-events',
    description: 'Sign-ins and MFA answers Cognito refused, as CloudTrail recorded them, by reason (wrong password, unknown user, lockout, wrong code)',
  },
  RecoveredEvents: { unit: 'Count', dimensionSets: [[]], emittedBy: 'recover-spilled', description: 'Spilled AuthEvents re-published by a recovery run' },
  RecoveryBacklog: {
    unit: 'Seconds',
    dimensionSets: [[]],
    emittedBy: 'recover-spilled',
    description: 'Log time not yet searched for spilled events after a recovery run (0: caught up)',
  },
} as const satisfies Record<MetricName, MetricDefinition>;

/** The dimensions every set starts with, in EMF order. */
export const BASE_DIMENSIONS = [Dimension.Service, Dimension.Stage] as const;

export type DimensionValues = Partial<Record<Dimension, string>>;

/** One data point: the emitter publishes it under every dimension set METRICS gives its metric. */
export interface MetricPoint {
  name: MetricName;
  value: number;
  dimensions: DimensionValues;
}

/** The narrow sink the triggers record to: EMF on AWS, nothing (or counters) locally. */
export interface MetricsRecorder {
  count(name: MetricName, value: number): void;
  /** Data points with dimensions (auth activity, publish latency). Must not throw. */
  record?(points: readonly MetricPoint[]): void;
}

/** The dimension values of one AuthEvent: config names and enums only, never personal data. */
const dimensionsOf = (event: AuthEvent): DimensionValues => ({
  [D.Client]: event.client.name ?? UNKNOWN,
  [D.Provider]: event.identityProvider.providerType,
  ...(event.reason === undefined ? {} : { [D.Reason]: event.reason.code }),
  ...(event.token === undefined ? {} : { [D.TokenVersion]: event.token.version, [D.TokenSource]: event.token.source }),
});

const newDeviceOf = (event: AuthEvent): string =>
  event.device?.newDeviceUsed === true ? 'true' : event.device?.newDeviceUsed === false ? 'false' : UNKNOWN;

/** The auth-activity points one AuthEvent stands for. */
export const authEventMetrics = (event: AuthEvent): MetricPoint[] => {
  if (event.outcome === 'error') {
    return [{ name: MetricName.PolicyErrors, value: 1, dimensions: { [D.Trigger]: triggerNameFor(event.trigger.source) ?? UNKNOWN } }];
  }
  const dimensions = dimensionsOf(event);
  switch (event.category) {
    case 'signup':
      return [
        { name: MetricName.SignUps, value: 1, dimensions: { ...dimensions, [D.Outcome]: event.outcome } },
        ...(event.outcome === 'denied'
          ? [{ name: MetricName.SignUpsDenied, value: 1, dimensions: { [D.Reason]: event.reason?.code ?? UNKNOWN } }]
          : []),
      ];
    case 'signin':
      if (event.outcome === 'failed') return [{ name: MetricName.FailedSignIns, value: 1, dimensions }];
      if (event.outcome === 'attempted' || event.outcome === 'denied') {
        return [
          { name: MetricName.SignInAttempts, value: 1, dimensions },
          ...(event.outcome === 'denied'
            ? [{ name: MetricName.SignInsDenied, value: 1, dimensions: { [D.Reason]: event.reason?.code ?? UNKNOWN } }]
            : []),
        ];
      }
      if (event.outcome !== 'succeeded') return [];
      return [
        { name: MetricName.SignIns, value: 1, dimensions: { ...dimensions, [D.NewDevice]: newDeviceOf(event) } },
        ...(event.device?.newDeviceUsed === true ? [{ name: MetricName.NewDeviceSignIns, value: 1, dimensions }] : []),
      ];
    case 'token':
      // A token the sign-in policy refused counts as a denied sign-in, by reason: no token was issued.
      if (event.outcome === 'denied') {
        return [{ name: MetricName.SignInsDenied, value: 1, dimensions: { [D.Reason]: event.reason?.code ?? UNKNOWN } }];
      }
      return [{ name: MetricName.TokensIssued, value: 1, dimensions }];
    case 'account':
      // No metric counts account events (confirmations, password resets and changes, CloudTrail's user and
      // group changes): they reach the events log, the SIEM and the detections only. A case, so it stays a decision.
      return [];
    default:
      return noMetricFor(event.category);
  }
};

/** Reached by no Category while each has its case above: a new Category makes the call in the switch fail to compile. */
const noMetricFor = (_category: never): MetricPoint[] => [];

/** The dimension sets (besides `service` and `stage`) a point is published under, with their values; sets missing a value are skipped. */
export const dimensionSetsOf = (point: MetricPoint): Record<string, string>[] =>
  (METRICS[point.name].dimensionSets as readonly (readonly Dimension[])[]).flatMap((set) => {
    const values: Record<string, string> = {};
    for (const name of set) {
      const value = point.dimensions[name];
      if (value === undefined || value === '') return [];
      values[name] = value;
    }
    return [values];
  });

/**
 * The point of a sign-in step Cognito refused, read from CloudTrail; none for other events. Not FailedSignIns:
 * the inference also infers the same wrong password from its trigger attempt, and one failure would count twice.
 */
export const cloudTrailFailureMetrics = (event: AuthEvent): MetricPoint[] =>
  event.cloudTrail !== undefined && event.category === 'signin' && event.outcome === 'failed'
    ? [{ name: MetricName.CloudTrailSignInFailures, value: 1, dimensions: { [D.Reason]: event.reason?.code ?? UNKNOWN } }]
    : [];

/** The publish-latency point of one trigger invocation. */
export const publishMetrics = (trigger: string, elapsedMs: number): MetricPoint[] => [
  { name: MetricName.PublishLatency, value: Math.round(elapsedMs * 100) / 100, dimensions: { [D.Trigger]: trigger } },
];
