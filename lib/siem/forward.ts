/**
 * One forwarding step, shared by the Lambda forwarder and the local forwarder:
 * queue messages (EventBridge envelopes, as the SIEM rule puts them on the queue)
 * in, one verdict per message out. A message that is not an envelope of a valid
 * AuthEvent is rejected at once: no retry will make it valid.
 */
import * as z from 'zod';
import { AUTH_EVENT_SOURCE, AuthEventSchema, type AuthEvent } from '../auth-event/schema.ts';
import { formatIssues } from '../config/load.ts';
import { messageOf } from '../errors.ts';
import { parseJson } from '../json-parse.ts';
import { EventStatus, type DeliverOptions, type EventResult, type SiemSender } from './delivery.ts';

/** The envelope as the queue holds it (type BusEnvelope in lib/routing/bus-entry.ts). */
const BusEnvelopeSchema = z.looseObject({
  version: z.literal('0'),
  id: z.string(),
  'detail-type': z.string(),
  source: z.literal(AUTH_EVENT_SOURCE),
  detail: AuthEventSchema,
});

export const parseEnvelope = (body: string): { ok: true; event: AuthEvent } | { ok: false; reason: string } => {
  let json: unknown;
  try {
    json = parseJson(body, 'the message');
  } catch (error) {
    return { ok: false, reason: `invalid message: ${messageOf(error)}` };
  }
  const parsed = BusEnvelopeSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `invalid message: ${formatIssues(parsed.error.issues).slice(0, 400)}` };
  return { ok: true, event: parsed.data.detail };
};

export interface QueueMessage {
  /** SQS messageId, or the line's position locally. */
  messageId: string;
  body: string;
}

export type MessageVerdict = QueueMessage & { result: EventResult; eventId?: string | undefined };

export interface ForwardSummary {
  verdicts: MessageVerdict[];
  delivered: number;
  skipped: number;
  rejected: number;
  failed: number;
  requests: number;
}

export const forwardMessages = async (
  messages: readonly QueueMessage[],
  sender: SiemSender,
  options: DeliverOptions = {},
): Promise<ForwardSummary> => {
  const verdicts: MessageVerdict[] = [];
  const events: AuthEvent[] = [];
  const positions: number[] = [];
  for (const message of messages) {
    const parsed = parseEnvelope(message.body);
    if (parsed.ok) {
      positions.push(verdicts.length);
      events.push(parsed.event);
      verdicts.push({ ...message, eventId: parsed.event.id, result: { status: EventStatus.Skipped } });
    } else {
      verdicts.push({ ...message, result: { status: EventStatus.Rejected, reason: parsed.reason } });
    }
  }
  const report = events.length === 0 ? undefined : await sender.deliver(events, options);
  report?.results.forEach((result, index) => {
    const at = positions[index] as number;
    verdicts[at] = { ...(verdicts[at] as MessageVerdict), result };
  });
  const count = (status: EventStatus) => verdicts.filter((verdict) => verdict.result.status === status).length;
  return {
    verdicts,
    delivered: count(EventStatus.Delivered),
    skipped: count(EventStatus.Skipped),
    rejected: count(EventStatus.Rejected),
    failed: count(EventStatus.Failed),
    requests: report?.requests ?? 0,
  };
};
