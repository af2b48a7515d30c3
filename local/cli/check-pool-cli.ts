/**
 * `npm run check-pool`: reads an existing user pool's app clients through the
 * Cognito API and checks them against the stage config (local/cognito/pool-check.ts).
 * Exit 1 when a client lets users write an attribute a claim comes from, 0
 * otherwise (hygiene findings are reported either way), 2 for bad flags or config.
 *
 * Calls, all read-only (an IAM policy for it needs only these): DescribeUserPool,
 * ListUserPoolClients, DescribeUserPoolClient, ListUserPoolClientSecrets (for the
 * secret's age; pools or emulators without it fall back to the client's creation).
 */
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListUserPoolClientSecretsCommand,
  ListUserPoolClientsCommand,
  type UserPoolClientType,
} from '@aws-sdk/client-cognito-identity-provider';
import { existsSync } from 'node:fs';
import { AuthEventSchema } from '../../lib/auth-event/schema.ts';
import { assertStageName, configFileFor, loadStageConfigFile } from '../../lib/config/load.ts';
import { ConfigError, messageOf } from '../../lib/errors.ts';
import { checkPool, lastSignInsOf, type ClientFacts, type Finding, type PoolFacts } from '../cognito/pool-check.ts';
import { RuleTarget } from '../../lib/routing/rules.ts';
import { linesFrom } from '../sinks/ndjson-cursor.ts';
import { storePaths } from '../sinks/local-store.ts';

interface Writable {
  write(text: string): unknown;
}

const POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;

/** The newest secret's creation time, or the client's when the API cannot say (older SDKs, cognito-local). */
const secretCreatedAt = async (cognito: CognitoIdentityProviderClient, client: UserPoolClientType): Promise<Date | undefined> => {
  try {
    const { ClientSecrets = [] } = await cognito.send(
      new ListUserPoolClientSecretsCommand({ UserPoolId: client.UserPoolId, ClientId: client.ClientId }),
    );
    const dates = ClientSecrets.flatMap((secret) => (secret.ClientSecretCreateDate === undefined ? [] : [secret.ClientSecretCreateDate.getTime()]));
    if (dates.length > 0) return new Date(Math.max(...dates));
  } catch {
    // Not supported here: the secret is as old as the client.
  }
  return client.CreationDate;
};

const clientFactsOf = async (cognito: CognitoIdentityProviderClient, client: UserPoolClientType): Promise<ClientFacts> => {
  const hasSecret = client.ClientSecret !== undefined && client.ClientSecret !== '';
  return {
    clientId: client.ClientId ?? '',
    clientName: client.ClientName,
    writeAttributes: client.WriteAttributes,
    hasSecret,
    secretCreatedAt: hasSecret ? await secretCreatedAt(cognito, client) : undefined,
    enableTokenRevocation: client.EnableTokenRevocation,
    refreshTokenRotation: client.RefreshTokenRotation?.Feature,
    preventUserExistenceErrors: client.PreventUserExistenceErrors,
  };
};

/** The pool and every app client, as the API describes them. */
export const readPool = async (cognito: CognitoIdentityProviderClient, userPoolId: string): Promise<PoolFacts> => {
  const { UserPool } = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }));
  const clients: ClientFacts[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken: nextToken }));
    for (const summary of page.UserPoolClients ?? []) {
      const { UserPoolClient } = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: summary.ClientId }));
      if (UserPoolClient !== undefined) clients.push(await clientFactsOf(cognito, UserPoolClient));
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return { userPoolId, mfaConfiguration: UserPool?.MfaConfiguration, clients };
};

/** The AuthEvents of an events log (bus envelopes with the event in `detail`, or bare events); other lines are counted, not read. */
export const eventsOfLog = (file: string): { events: { category: string; action: string; outcome: string; time: string; client: { id: string | null } }[]; skipped: number } => {
  const events = [];
  let skipped = 0;
  for (const line of linesFrom(file, 0)) {
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      skipped += 1;
      continue;
    }
    const candidate = typeof value === 'object' && value !== null && 'detail' in value ? (value as { detail: unknown }).detail : value;
    const parsed = AuthEventSchema.safeParse(candidate);
    if (parsed.success) events.push(parsed.data);
    else skipped += 1;
  }
  return { events, skipped };
};

const formatFinding = (finding: Finding): string => `${finding.severity === 'fail' ? 'FAIL' : 'warn'}  ${finding.code}  ${finding.message}`;

export interface CheckPoolOptions {
  stage: string;
  userPoolId: string;
  /** Events log for the unused-client check; undefined: the stage's local one when it exists. */
  eventsFile: string | undefined;
  storeDir: string;
  unusedDays: number;
  maxSecretAgeDays: number;
  json: boolean;
  now: Date;
  cognito: CognitoIdentityProviderClient;
  stdout: Writable;
  stderr: Writable;
}

export const runCheckPoolCli = async (options: CheckPoolOptions): Promise<number> => {
  let config;
  try {
    assertStageName(options.stage);
    config = loadStageConfigFile(configFileFor(options.stage, 'config'));
    if (!POOL_ID.test(options.userPoolId)) throw new ConfigError('--user-pool-id must be a user pool id such as eu-west-1_AbC123');
    if (options.eventsFile !== undefined && !existsSync(options.eventsFile)) throw new ConfigError(`--events: no file ${options.eventsFile}`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    options.stderr.write(`${messageOf(error)}\n`);
    return 2;
  }
  const localLog = storePaths(options.storeDir, options.stage)[RuleTarget.EventsLog];
  const eventsFile = options.eventsFile ?? (existsSync(localLog) ? localLog : undefined);
  const log = eventsFile === undefined ? undefined : eventsOfLog(eventsFile);

  const pool = await readPool(options.cognito, options.userPoolId);
  const findings = checkPool(pool, config.tokens, {
    now: options.now,
    unusedDays: options.unusedDays,
    maxSecretAgeDays: options.maxSecretAgeDays,
    lastSignIns: log === undefined ? undefined : lastSignInsOf(log.events),
  });
  const failed = findings.some((finding) => finding.severity === 'fail');
  if (options.json) {
    options.stdout.write(`${JSON.stringify({ userPoolId: pool.userPoolId, clients: pool.clients.length, eventsLog: eventsFile ?? null, findings })}\n`);
  } else {
    options.stdout.write(`authtrail check-pool · stage ${options.stage} · ${pool.userPoolId} · ${pool.clients.length} app client(s)\n`);
    for (const finding of findings) options.stdout.write(`${formatFinding(finding)}\n`);
    if (eventsFile === undefined) options.stdout.write('(no events log: the unused-client check was skipped; pass --events <file>)\n');
    options.stdout.write(failed ? 'FAILED: an app client lets users write a claim source\n' : 'ok: no app client lets users write a claim source\n');
  }
  if (log !== undefined && log.skipped > 0) options.stderr.write(`${log.skipped} line(s) of ${eventsFile} were not AuthEvents and were not read\n`);
  return failed ? 1 : 0;
};
