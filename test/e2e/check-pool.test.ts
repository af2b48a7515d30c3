/**
 * `npm run check-pool` against cognito-local, which implements DescribeUserPool,
 * ListUserPoolClients and DescribeUserPoolClient (WriteAttributes included), and
 * at the SDK boundary (aws-sdk-client-mock) for what it does not have: client
 * secrets' ages (ListUserPoolClientSecrets), refresh-token rotation, pagination.
 */
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListUserPoolClientSecretsCommand,
  ListUserPoolClientsCommand,
  UpdateUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheckPoolCli, type CheckPoolOptions } from '../../local/cli/check-pool-cli.ts';
import { golden } from '../helpers/fixtures.ts';
import { startCognitoLocal, type CognitoLocal } from './cognito-local.ts';

const NOW = new Date('2026-11-27T10:00:00.000Z');
/** Loopback or mocked only: no AWS call ever leaves the machine. */
const FakeAws = { region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
let cognito: CognitoLocal | undefined;
let idp: CognitoIdentityProviderClient;
let dir: string;

beforeAll(async () => {
  // No triggers: only the pool and client API is used. The Lambda endpoint is a closed port.
  cognito = await startCognitoLocal({ lambdaEndpoint: 'http://127.0.0.1:9', triggers: {} });
  idp = new CognitoIdentityProviderClient({ endpoint: cognito.endpoint, ...FakeAws, maxAttempts: 1 });
  dir = mkdtempSync(join(tmpdir(), 'authtrail-check-pool-'));
}, 60_000);

afterAll(async () => {
  idp?.destroy();
  await cognito?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 30_000);

const run = async (overrides: Partial<CheckPoolOptions> & Pick<CheckPoolOptions, 'userPoolId' | 'cognito'>) => {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCheckPoolCli({
    stage: 'dev',
    eventsFile: undefined,
    storeDir: join(dir, 'no-store'),
    unusedDays: 90,
    maxSecretAgeDays: 180,
    json: true,
    now: NOW,
    stdout: { write: (text: string) => stdout.push(text) },
    stderr: { write: (text: string) => stderr.push(text) },
    ...overrides,
  });
  const report = stdout.length > 0 && overrides.json !== false ? (JSON.parse(stdout.join('')) as { findings: { code: string; severity: string; clientId?: string; message: string }[] }) : undefined;
  return { code, report, stdout: stdout.join(''), stderr: stderr.join('') };
};

const newPool = async () => {
  const pool = await idp.send(
    new CreateUserPoolCommand({
      PoolName: 'authtrail-check-pool',
      UsernameAttributes: ['email'],
      Schema: [
        { Name: 'tenant_id', AttributeDataType: 'String', Mutable: true },
        { Name: 'plan', AttributeDataType: 'String', Mutable: true },
      ],
    }),
  );
  return pool.UserPool?.Id as string;
};

describe('check-pool against cognito-local', () => {
  it('fails on a client that lets users write custom:tenant_id, naming that client and attribute only', async () => {
    // Prepare
    const userPoolId = await newPool();
    const client = (name: string, writeAttributes?: string[]) =>
      idp.send(new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: name, ...(writeAttributes === undefined ? {} : { WriteAttributes: writeAttributes }) }));
    const forgeable = (await client('forgeable', ['email', 'custom:tenant_id'])).UserPoolClient?.ClientId;
    await client('explicit', ['email', 'name']);
    await client('default');

    // Act
    const { code, report } = await run({ userPoolId, cognito: idp });

    // Assess
    expect(code).toBe(1);
    const failures = report?.findings.filter((finding) => finding.severity === 'fail');
    expect(failures).toEqual([
      {
        severity: 'fail',
        code: 'CLAIM_SOURCE_WRITABLE',
        clientId: forgeable,
        message: `forgeable (${forgeable}): users can write custom:tenant_id, which token claims come from: remove it from WriteAttributes`,
      },
    ]);
  });

  it('passes once the client no longer lists the claim source, and says so in text', async () => {
    // Prepare
    const userPoolId = await newPool();
    const created = await idp.send(new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: 'web-app', WriteAttributes: ['email', 'custom:plan'] }));
    const clientId = created.UserPoolClient?.ClientId as string;
    const before = await run({ userPoolId, cognito: idp });
    await idp.send(new UpdateUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId, ClientName: 'web-app', WriteAttributes: ['email'] }));

    // Act
    const after = await run({ userPoolId, cognito: idp, json: false });

    // Assess
    expect(before.code).toBe(1);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('ok: no app client lets users write a claim source');
    expect(after.stdout).toContain('REFRESH_TOKEN_ROTATION_OFF');
  });

  it('reports a client with no sign-in in the events log within the window, and not one with a recent sign-in', async () => {
    // Prepare
    const userPoolId = await newPool();
    const used = (await idp.send(new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: 'used', WriteAttributes: ['email'] }))).UserPoolClient?.ClientId as string;
    const unused = (await idp.send(new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: 'unused', WriteAttributes: ['email'] }))).UserPoolClient?.ClientId as string;
    const signIn = golden('post-authentication/sign-in-web.json');
    const log = join(dir, 'events.ndjson');
    writeFileSync(
      log,
      [
        JSON.stringify({ 'detail-type': 'AuthEvent signin.authenticate', detail: { ...signIn, client: { id: used }, time: '2026-11-20T10:00:00.000Z' } }),
        JSON.stringify({ 'detail-type': 'AuthEvent signin.authenticate', detail: { ...signIn, client: { id: unused }, time: '2026-01-02T10:00:00.000Z' } }),
        'not json',
      ].join('\n') + '\n',
    );

    // Act
    const { code, report, stderr } = await run({ userPoolId, cognito: idp, eventsFile: log });

    // Assess
    expect(code).toBe(0);
    expect(report?.findings.filter((finding) => finding.code === 'UNUSED_CLIENT').map((finding) => finding.clientId)).toEqual([unused]);
    expect(stderr).toBe(`1 line(s) of ${log} were not AuthEvents and were not read\n`);
  });

  it('refuses a pool id that is not one, before any call, with exit code 2', async () => {
    // Act
    const { code, stderr } = await run({ userPoolId: 'not a pool', cognito: idp });

    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe('--user-pool-id must be a user pool id such as eu-west-1_AbC123\n');
  });
});

describe('check-pool at the SDK boundary: what cognito-local does not model', () => {
  it('reads every page of clients and reports old secrets, revocation, rotation, existence errors and MFA', async () => {
    // Prepare
    const client = new CognitoIdentityProviderClient({ ...FakeAws });
    const mock = mockClient(client);
    const userPoolId = 'eu-west-1_AbC123';
    mock.on(DescribeUserPoolCommand).resolves({ UserPool: { Id: userPoolId, MfaConfiguration: 'OFF' } });
    mock
      .on(ListUserPoolClientsCommand, { UserPoolId: userPoolId, MaxResults: 60, NextToken: undefined })
      .resolves({ UserPoolClients: [{ ClientId: 'hardened' }], NextToken: 'page-2' })
      .on(ListUserPoolClientsCommand, { UserPoolId: userPoolId, MaxResults: 60, NextToken: 'page-2' })
      .resolves({ UserPoolClients: [{ ClientId: 'legacy' }] });
    mock.on(DescribeUserPoolClientCommand, { UserPoolId: userPoolId, ClientId: 'hardened' }).resolves({
      UserPoolClient: {
        UserPoolId: userPoolId,
        ClientId: 'hardened',
        ClientName: 'web-app',
        WriteAttributes: ['email'],
        EnableTokenRevocation: true,
        RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 10 },
        PreventUserExistenceErrors: 'ENABLED',
      },
    });
    mock.on(DescribeUserPoolClientCommand, { UserPoolId: userPoolId, ClientId: 'legacy' }).resolves({
      UserPoolClient: {
        UserPoolId: userPoolId,
        ClientId: 'legacy',
        ClientName: 'reporting-service',
        ClientSecret: 'secret-value',
        CreationDate: new Date('2020-01-01T00:00:00Z'),
        EnableTokenRevocation: false,
        PreventUserExistenceErrors: 'LEGACY',
      },
    });
    mock.on(ListUserPoolClientSecretsCommand).resolves({
      ClientSecrets: [
        { ClientSecretId: 'legacy--1', ClientSecretCreateDate: new Date('2025-01-01T00:00:00Z') },
        { ClientSecretId: 'legacy--2', ClientSecretCreateDate: new Date('2026-03-01T00:00:00Z') },
      ],
    });

    // Act
    const { code, report } = await run({ userPoolId, cognito: client });

    // Assess
    expect(code).toBe(0);
    expect(report?.findings.map((finding) => `${finding.clientId ?? '-'} ${finding.code}`)).toEqual([
      'legacy OLD_CLIENT_SECRET',
      'legacy TOKEN_REVOCATION_OFF',
      'legacy REFRESH_TOKEN_ROTATION_OFF',
      'legacy USER_EXISTENCE_ERRORS_SHOWN',
      '- MFA_OFF',
    ]);
    // The newest secret counts (2026-03-01: 271 days before NOW), not the client's creation in 2020.
    expect(report?.findings[0]?.message).toBe('reporting-service (legacy): client secret is 271 days old (more than 180): rotate it');
    mock.restore();
  });
});
