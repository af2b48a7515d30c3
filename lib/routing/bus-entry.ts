/**
 * How an AuthEvent travels on EventBridge: source `authtrail.cognito`,
 * detail-type `AuthEvent <category>.<action>`, the event itself as detail. The
 * AWS publisher and the local bus use the same mapping.
 */
import { AUTH_EVENT_SOURCE, type AuthEvent } from '../auth-event/schema.ts';

export const detailTypeOf = (event: Pick<AuthEvent, 'category' | 'action'>): string =>
  `AuthEvent ${event.category}.${event.action}`;

export interface BusEntry {
  Source: typeof AUTH_EVENT_SOURCE;
  DetailType: string;
  Detail: string;
  Time: Date;
}

export const toBusEntry = (event: AuthEvent): BusEntry => ({
  Source: AUTH_EVENT_SOURCE,
  DetailType: detailTypeOf(event),
  Detail: JSON.stringify(event),
  Time: new Date(event.time),
});

/** The envelope EventBridge delivers to rule targets, as rules see it. */
export interface BusEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: AuthEvent;
}

export const toBusEnvelope = (event: AuthEvent, account: string, region: string): BusEnvelope => ({
  version: '0',
  id: event.id,
  'detail-type': detailTypeOf(event),
  source: AUTH_EVENT_SOURCE,
  account,
  time: event.time,
  region,
  resources: [],
  detail: event,
});
