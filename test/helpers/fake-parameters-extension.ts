/**
 * The AWS Parameters and Secrets Lambda Extension's HTTP interface on loopback:
 * `GET /systemsmanager/parameters/get?name=…&withDecryption=true` with the
 * function's session token in `X-Aws-Parameters-Secrets-Token`, answered with
 * the GetParameter result JSON (`{ Parameter: { Name, Type, Value, … } }`), as
 * documented in https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-integration-lambda-extensions.html.
 * Nothing local emulates the extension, so this stands in for it at its HTTP
 * boundary, and misbehaves on request the way the extension does when SSM
 * throttles or fails (an error status), or when it hangs.
 */
import type { ServerResponse } from 'node:http';
import { behaviourPlan, listenOnLoopback } from './loopback.ts';

export type ExtensionBehaviour =
  | { kind: 'serve' }
  /** SSM throttled the extension's GetParameter: it answers with an error status and SSM's error. */
  | { kind: 'throttle' }
  | { kind: 'server-error' }
  | { kind: 'hang' }
  | { kind: 'slow'; ms: number }
  | { kind: 'not-json' };

export interface FakeParametersExtension {
  port: number;
  /** Every request: the parameter asked for, and whether it carried the expected token. */
  requests: { name: string | null; withDecryption: string | null; tokenOk: boolean }[];
  plan(behaviours: ExtensionBehaviour[], fallback?: ExtensionBehaviour): void;
  close(): Promise<void>;
}

export const startFakeParametersExtension = async (options: {
  parameters: Record<string, string>;
  sessionToken: string;
}): Promise<FakeParametersExtension> => {
  const behaviours = behaviourPlan<ExtensionBehaviour>({ kind: 'serve' });
  const requests: FakeParametersExtension['requests'] = [];
  const answer = (response: ServerResponse, status: number, body: string) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(body);
  };

  const loopback = await listenOnLoopback(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const name = url.searchParams.get('name');
    const tokenOk = request.headers['x-aws-parameters-secrets-token'] === options.sessionToken;
    requests.push({ name, withDecryption: url.searchParams.get('withDecryption'), tokenOk });
    const behaviour = behaviours.next();
    if (behaviour.kind === 'hang') return;
    if (behaviour.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, behaviour.ms));
    if (response.destroyed) return;
    if (!tokenOk) return answer(response, 401, 'missing or wrong X-Aws-Parameters-Secrets-Token');
    if (url.pathname !== '/systemsmanager/parameters/get') return answer(response, 404, 'not found');
    if (behaviour.kind === 'throttle') return answer(response, 400, JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
    if (behaviour.kind === 'server-error') return answer(response, 500, 'internal error');
    if (behaviour.kind === 'not-json') return answer(response, 200, '<html>');
    const value = name === null ? undefined : options.parameters[name];
    if (value === undefined) return answer(response, 400, JSON.stringify({ __type: 'ParameterNotFound' }));
    answer(response, 200, JSON.stringify({ Parameter: { Name: name, Type: 'SecureString', Value: value, Version: 1, DataType: 'text' } }));
  });
  return { port: loopback.port, requests, plan: behaviours.plan, close: loopback.close };
};
