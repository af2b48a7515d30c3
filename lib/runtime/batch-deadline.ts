/**
 * The deadline of an SQS-batched function (the SIEM forwarder, the Security Lake writer): work stops early
 * enough that the function answers with its batch item failures instead of timing out, which would make SQS
 * redeliver the whole batch, what was done included.
 */
import type { Context } from 'aws-lambda';

/** A quarter of the remaining time, at most this (ms), is kept back for the DLQ sends and the response. */
const RESERVE_MAX_MS = 2_000;
const RESERVE_SHARE = 0.25;

/** Epoch ms by which the batch's work stops. */
export const deadlineFrom = (context: Pick<Context, 'getRemainingTimeInMillis'>, now: number): number => {
  const remaining = context.getRemainingTimeInMillis();
  return now + remaining - Math.min(RESERVE_MAX_MS, Math.floor(remaining * RESERVE_SHARE));
};
