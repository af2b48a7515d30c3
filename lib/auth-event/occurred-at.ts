/**
 * When an auth event happened, as the SIEM and the lake should file it: the
 * source's own timestamp where the source has one (Cognito's log record,
 * CloudTrail's eventTime), else `time`, when the trigger ran, which for a
 * trigger is the moment of the event itself. `time` of a log or CloudTrail
 * event is when authtrail read it, minutes later, or days later in a replay or
 * a recovery: filing by it would put the event in the wrong window and the
 * wrong day.
 */
import type { AuthEvent } from './schema.ts';

export const occurredAt = (event: AuthEvent): string => event.cognitoLog?.at ?? event.cloudTrail?.at ?? event.time;
