/**
 * Runs replayed payloads on a deployed stage: invokes each trigger function by
 * name (`authtrail-<stage>-<trigger>`) through the Lambda API. The events go to
 * the stage's bus as in production, tagged `pipeline.replay` so the SOC can
 * filter them out; the result's `events` stays empty because they are not
 * visible from here. AWS_ENDPOINT_URL_LAMBDA points it at serverless-offline.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ProblemCode, messageOf } from '../../lib/errors.ts';
import { failure, success, type Invoker } from './replay.ts';
import { namesFor } from '../../lib/naming.ts';

const DENIAL_NAMES = ['TriggerDeniedError', 'SignUpDeniedError'] as const;

const parsePayload = (bytes: Uint8Array | undefined): unknown => {
  const text = bytes === undefined ? '' : Buffer.from(bytes).toString('utf8');
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

export const createLambdaInvoker = (stage: string, client: LambdaClient): Invoker => async ({ file, trigger, source, payload }) => {
  const functionName = namesFor(stage).functionName(trigger);
  let output;
  try {
    output = await client.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: JSON.stringify(payload) }),
    );
  } catch (error) {
    return failure(file, source, ProblemCode.InvokeFailed, `${functionName}: ${(error as Error).name}: ${messageOf(error)}`);
  }
  const returned = parsePayload(output.Payload);
  if (output.FunctionError !== undefined) {
    const { errorType, errorMessage, trace } = (returned ?? {}) as { errorType?: string; errorMessage?: string; trace?: unknown };
    // A denied sign-up or sign-in is the policy working, as in the local replay. serverless-offline reports every
    // handler error as errorType "Error" (dherault/serverless-offline#1631); the error's name still heads its trace.
    // SignUpDeniedError: the name before the denial was generalised, still thrown by older deployments.
    const denied = DENIAL_NAMES.some(
      (name) => errorType === name || (errorType === 'Error' && Array.isArray(trace) && String(trace[0]).startsWith(`${name}:`)),
    );
    if (denied) return success(file, source, null, []);
    return failure(file, source, ProblemCode.HandlerFailed, `${functionName}: ${errorType ?? output.FunctionError}: ${errorMessage ?? ''}`);
  }
  return success(file, source, returned, []);
};
