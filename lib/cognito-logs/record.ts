/**
 * One Cognito `userAuthEvents` log record, as user pools on the Plus feature
 * plan deliver it (SetLogDeliveryConfiguration, eventSource `userAuthEvents`,
 * level INFO) to a CloudWatch log group: a JSON envelope
 * (`eventSource: "USER_AUTH_EVENTS"`, `logLevel`, `logSourceVersion`,
 * `eventTimestamp`) whose `message` object carries the threat-protection event
 * with the same content AdminListUserAuthEvents returns (eventId, eventType,
 * eventResponse, risk, IP, device name, city, country...).
 *
 * Cognito writes some values as strings that mean booleans or times
 * (`compromisedCredentialDetected: "false"`, epoch milliseconds as text), and
 * may add fields: the schema accepts both spellings and ignores what it does not
 * use, so a new Cognito field never drops an event.
 */
import * as z from 'zod';

/** What Cognito sends for a flag: a boolean, or its text. */
const Flag = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False'])]).transform((value) =>
  typeof value === 'boolean' ? value : value.toLowerCase() === 'true',
);

/** A timestamp: epoch milliseconds (number or digits), or an ISO 8601 string. */
const Timestamp = z.union([z.number(), z.string().min(1)]).transform((value, context) => {
  const date = typeof value === 'number' || /^\d+$/.test(value) ? new Date(Number(value)) : new Date(value);
  if (Number.isNaN(date.getTime())) {
    context.addIssue({ code: 'custom', message: 'not a timestamp' });
    return z.NEVER;
  }
  return date;
});

const Text = z.string().min(1).max(2048);

export const CognitoLogMessageSchema = z.looseObject({
  version: z.union([z.string(), z.number()]).transform(String).optional(),
  eventId: z.string().min(1).max(256),
  eventType: z.string().min(1).max(64),
  eventResponse: z.string().max(64).optional(),
  userPoolId: z.string().regex(/^[\w-]+_[0-9A-Za-z]+$/, 'expected a user pool id such as "us-east-1_Example"'),
  clientId: Text.optional(),
  userSub: Text.optional(),
  // Cognito spells it userName; accept the lower-case spelling too.
  userName: Text.optional(),
  username: Text.optional(),
  idpName: Text.optional(),
  creationDate: Timestamp.optional(),
  ipAddress: Text.optional(),
  deviceName: Text.optional(),
  city: Text.optional(),
  country: Text.optional(),
  riskDecision: Text.optional(),
  riskLevel: Text.optional(),
  compromisedCredentialDetected: Flag.optional(),
  challenges: Text.optional(),
});
export type CognitoLogMessage = z.infer<typeof CognitoLogMessageSchema>;

export const CognitoLogRecordSchema = z.looseObject({
  eventSource: z.literal('USER_AUTH_EVENTS'),
  logSourceVersion: z.union([z.string(), z.number()]).transform(String).optional(),
  logLevel: z.string().optional(),
  eventTimestamp: Timestamp.optional(),
  message: CognitoLogMessageSchema,
});
export type CognitoLogRecord = z.infer<typeof CognitoLogRecordSchema>;
