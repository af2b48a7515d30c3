/**
 * One Cognito `userAuthEvents` log record, as user pools on the Plus feature
 * plan with threat protection deliver it (SetLogDeliveryConfiguration,
 * eventSource `userAuthEvents`, level INFO) to a CloudWatch log group. The shape
 * is the one the Cognito developer guide documents ("Exporting logs from Amazon
 * Cognito user pools", the example user-activity event):
 *
 * ```json
 * {"eventTimestamp": "1687297330677", "eventSource": "USER_ACTIVITY", "logLevel": "INFO",
 *  "message": {"version": "1", "eventId": "...", "eventType": "SignUp", "userSub": "...", "userName": "...",
 *              "userPoolId": "us-west-2_EXAMPLE", "clientId": "...", "creationDate": "Wed Jul 17 17:25:55 UTC 2024",
 *              "eventResponse": "InProgress", "riskLevel": "", "riskDecision": "PASS", "challenges": [],
 *              "deviceName": "Other, Other", "ipAddress": "192.0.2.1", "requestId": "...", "idpName": "",
 *              "compromisedCredentialDetected": "false", "city": "Seattle", "country": "United States",
 *              "eventFeedbackValue": "", "eventFeedbackDate": "", "eventFeedbackProvider": "", "hasContextData": "true"},
 *  "logSourceId": {"userPoolId": "us-west-2_EXAMPLE"}}
 * ```
 *
 * Flat: risk fields sit in `message`, booleans are the strings "true"/"false",
 * the event time is `eventTimestamp` (epoch milliseconds as text), there is no
 * user agent (only `deviceName`), and "some fields might be logged with null
 * values": an empty or null value is read as absent. Fields we do not use are
 * ignored, so a new Cognito field never drops an event.
 */
import * as z from 'zod';

/** What authtrail's first, reconstructed samples said instead of USER_ACTIVITY. */
const OLD_SAMPLE_EVENT_SOURCE = 'USER_AUTH_EVENTS';
export const USER_ACTIVITY = 'USER_ACTIVITY' as const;

/**
 * A text field that may be logged empty or null. Places may also read as the
 * word "null" (AdminListUserAuthEvents shows `"City": "null"`); a user may not
 * be called anything, so only places drop it.
 */
const text = (max = 2048, nullWordIsAbsent = false) =>
  z
    .string()
    .max(max)
    .nullish()
    .transform((value) =>
      value === null || value === undefined || value.trim() === '' || (nullWordIsAbsent && value === 'null') ? undefined : value,
    );

/** A flag as Cognito writes it: "true" / "false" (empty or null: not said). */
const Flag = z
  .enum(['true', 'false', 'True', 'False', ''])
  .nullish()
  .transform((value) => (value === null || value === undefined || value === '' ? undefined : value.toLowerCase() === 'true'));

/** Epoch milliseconds as text, as Cognito writes `eventTimestamp`. */
const EpochMillisText = z
  .string({ error: 'expected epoch milliseconds as a string of digits' })
  .regex(/^\d{1,15}$/, 'expected epoch milliseconds as a string of digits')
  .transform((value) => new Date(Number(value)));

const Challenge = z.looseObject({ challengeName: z.string().max(64), challengeResponse: z.string().max(64) });

export const CognitoLogMessageSchema = z.looseObject({
  version: z.union([z.string().max(16), z.number()]).nullish().transform((value) => (value === null || value === undefined || value === '' ? undefined : String(value))),
  eventId: z.string().min(1).max(256),
  eventType: z.string().min(1).max(64),
  eventResponse: text(64),
  userPoolId: z.string().regex(/^[\w-]+_[0-9A-Za-z]+$/, 'expected a user pool id such as "us-east-1_Example"'),
  clientId: text(),
  userSub: text(),
  userName: text(),
  idpName: text(),
  ipAddress: text(),
  deviceName: text(),
  city: text(2048, true),
  country: text(2048, true),
  riskDecision: text(),
  riskLevel: text(),
  requestId: text(),
  compromisedCredentialDetected: Flag,
  hasContextData: Flag,
  eventFeedbackValue: text(64),
  challenges: z
    .array(Challenge, { error: 'expected an array of {challengeName, challengeResponse} (the old samples wrote a string)' })
    .max(20)
    .nullish()
    .transform((value) => value ?? []),
});
export type CognitoLogMessage = z.infer<typeof CognitoLogMessageSchema>;

export const CognitoLogRecordSchema = z.looseObject({
  eventSource: z.literal(USER_ACTIVITY, {
    // Names the value only when it is the one we know: never echoes what a record carries.
    error: (issue) =>
      issue.input === OLD_SAMPLE_EVENT_SOURCE
        ? `"${OLD_SAMPLE_EVENT_SOURCE}" is the shape of authtrail's old reconstructed samples; Cognito writes "${USER_ACTIVITY}" (Exporting logs from Amazon Cognito user pools)`
        : `expected "${USER_ACTIVITY}" (a userAuthEvents record)`,
  }),
  logLevel: z.string().max(16).optional(),
  eventTimestamp: EpochMillisText,
  message: CognitoLogMessageSchema,
  logSourceId: z.looseObject({ userPoolId: z.string().max(64).optional() }).nullish(),
});
export type CognitoLogRecord = z.infer<typeof CognitoLogRecordSchema>;
