/**
 * End to end through a Cognito emulator. cognito-local (./cognito-local.ts) stands
 * in for the user pool and invokes our trigger functions through
 * serverless-offline's Lambda API (../integration/offline-stack.ts), whose bus
 * routes the AuthEvents to the local store (events log, SIEM queue). The AWS SDK's
 * CognitoIdentityProvider client drives it as an app would: create the pool and
 * an app client, sign up (allowed, and denied by policy), confirm, sign in (with
 * the right password, and a wrong one), refresh tokens.
 *
 * cognito-local does not fire pre authentication, so the suite invokes it through
 * the Lambda API right before each InitiateAuth, in the shape and order Cognito
 * would. Then the failed sign-in consumer (lib/inference/) runs downstream of the
 * bus and puts what it infers back on it, and the local forwarder delivers the
 * SIEM queue, signed, to the local SIEM receiver.
 *
 * Ports: AUTHTRAIL_TEST_COGNITO_PORT, AUTHTRAIL_TEST_LAMBDA_PORT,
 * AUTHTRAIL_TEST_EVENTBRIDGE_PORT, AUTHTRAIL_TEST_EVENTBRIDGE_PUBSUB_PORT (free
 * ones when unset). Everything started is stopped in afterAll, also on failure.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { runCheckPoolCli } from '../../local/cli/check-pool-cli.ts';
import { runLocalInference } from '../../local/inference/local-consumer.ts';
import { createEventBridgePublisher } from '../../lib/publish/eventbridge.ts';
import { RuleTarget } from '../../lib/routing/rules.ts';
import { deliverToLocalReceiver } from '../../local/siem/local-siem.ts';
import type { StoredRecord } from '../../local/siem/receiver.ts';
import { TEST_PII_KEY, devConfig } from '../helpers/fixtures.ts';
import { sleep } from '../helpers/process-group.ts';
import { FAKE_AWS_ENV, startOffline, type OfflineStack } from '../integration/offline-stack.ts';
import { startCognitoLocal, type CognitoLocal } from './cognito-local.ts';
import { namesFor } from '../../lib/naming.ts';

const STAGE = 'dev';
const CONFIG = devConfig();
const { functionName, busName } = namesFor(STAGE);
const DELIVERY_TIMEOUT_MS = 15_000;
const PASSWORD = 'Corr3ct-Horse-Battery!';

// Her tenant and plan are set by an administrator (AdminUpdateUserAttributes), never by her: the claims
// come only from tokens.adminOnlyAttributes, which no app client may write (see the pool's clients below).
const CAROL = { email: 'carol@gmail.com', tenant: 'acme', plan: 'free' };
const DENIED = { email: 'temp.user@mailinator.com' };

let offline: OfflineStack | undefined;
let cognito: CognitoLocal | undefined;
let idp: CognitoIdentityProviderClient;
let lambda: LambdaClient;
let poolId: string;
let webClientId: string;
let mobileClientId: string;

const credentials = { accessKeyId: FAKE_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  offline = await startOffline({ stage: STAGE, piiKey: TEST_PII_KEY });
  cognito = await startCognitoLocal({
    lambdaEndpoint: offline.lambdaEndpoint,
    triggers: {
      PreSignUp: functionName('pre-signup'),
      PostConfirmation: functionName('post-confirmation'),
      PostAuthentication: functionName('post-authentication'),
      PreTokenGeneration: functionName('pre-token-generation'),
    },
  });
  idp = new CognitoIdentityProviderClient({ endpoint: cognito.endpoint, region: FAKE_AWS_ENV.AWS_REGION, credentials, maxAttempts: 1 });
  lambda = new LambdaClient({ endpoint: offline.lambdaEndpoint, region: FAKE_AWS_ENV.AWS_REGION, credentials, maxAttempts: 1 });
  const pool = await idp.send(
    new CreateUserPoolCommand({
      PoolName: 'authtrail-e2e',
      UsernameAttributes: ['email'],
      // As the stack's pool: the sign-up code goes by email (cognito-local logs it instead).
      AutoVerifiedAttributes: ['email'],
      Schema: [
        { Name: 'tenant_id', AttributeDataType: 'String', Mutable: true },
        { Name: 'plan', AttributeDataType: 'String', Mutable: true },
      ],
    }),
  );
  poolId = pool.UserPool?.Id as string;
  // As the stack's clients (serverless.yml): explicit WriteAttributes that leave out every claim source.
  const client = (name: string) =>
    idp.send(
      new CreateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientName: name,
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        ReadAttributes: ['email', 'email_verified', ...CONFIG.tokens.adminOnlyAttributes],
        WriteAttributes: ['email'],
      }),
    );
  webClientId = (await client('web-app')).UserPoolClient?.ClientId as string;
  mobileClientId = (await client('mobile-app')).UserPoolClient?.ClientId as string;
}, 120_000);

afterAll(async () => {
  idp?.destroy();
  lambda?.destroy();
  await Promise.allSettled([cognito?.stop(), offline?.stop()]);
}, 30_000);

// ---------------------------------------------------------------- helpers

const stack = (): OfflineStack => {
  if (offline === undefined) throw new Error('the offline stack did not start');
  return offline;
};

const eventsIn = (target: RuleTarget): AuthEvent[] =>
  stack()
    .read(target)
    .map((envelope) => envelope.detail as AuthEvent)
    .filter((event) => typeof event.schemaVersion === 'string');

/** Waits until the target holds an event the predicate accepts; the bus delivers asynchronously. */
const awaitEvent = async (target: RuleTarget, predicate: (event: AuthEvent) => boolean): Promise<AuthEvent> => {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  for (;;) {
    const event = eventsIn(target).find(predicate);
    if (event !== undefined) return event;
    if (Date.now() > deadline) {
      throw new Error(`no matching event at ${target} after ${DELIVERY_TIMEOUT_MS / 1000} s; it holds:\n${JSON.stringify(eventsIn(target), null, 1)}`);
    }
    await sleep(50);
  }
};

const isFor = (sub: string) => (event: AuthEvent) => event.user.sub === sub;

/** The ID token's claims: the JWT's payload, base64url JSON. */
const claimsOf = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;

/** The last code cognito-local "emailed" (it logs them) for a user. */
const lastCodeFor = (username: string): string => {
  const boxes = (cognito as CognitoLocal).output().split('Confirmation Code Delivery').slice(1);
  const box = boxes.reverse().find((text) => text.includes(username));
  const code = box?.match(/Code:\s+(\d+)/)?.[1];
  if (code === undefined) throw new Error(`cognito-local logged no code for ${username}:\n${(cognito as CognitoLocal).output().slice(-3000)}`);
  return code;
};

/**
 * Pre authentication as Cognito would send it before InitiateAuth checks the
 * password, in cognito-local's dialect (version "0", region "local"): cognito-local
 * does not fire this trigger itself.
 */
const preAuthenticationPayload = async (email: string, clientId: string, clientMetadata: Record<string, string>) => {
  const user = await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: email }));
  const userAttributes = Object.fromEntries((user.UserAttributes ?? []).map((attribute) => [attribute.Name, attribute.Value]));
  return {
    version: '0',
    callerContext: { awsSdkVersion: '2.1693.0', clientId },
    region: 'local',
    userPoolId: poolId,
    triggerSource: 'PreAuthentication_Authentication',
    userName: user.Username,
    request: { userAttributes: { ...userAttributes, 'cognito:user_status': user.UserStatus }, validationData: clientMetadata },
    response: {},
  };
};

const invokePreAuthentication = async (payload: unknown) => {
  const output = await lambda.send(
    new InvokeCommand({ FunctionName: functionName('pre-authentication'), InvocationType: 'RequestResponse', Payload: JSON.stringify(payload) }),
  );
  expect(output.FunctionError).toBeUndefined();
  return JSON.parse(Buffer.from(output.Payload ?? new Uint8Array()).toString('utf8')) as unknown;
};

/** Sign-in as a client would, with pre authentication first, as Cognito orders it. */
const signIn = async (email: string, password: string, clientId: string, clientMetadata: Record<string, string>) => {
  await invokePreAuthentication(await preAuthenticationPayload(email, clientId, clientMetadata));
  return idp.send(
    new InitiateAuthCommand({
      ClientId: clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: email, PASSWORD: password },
      ClientMetadata: clientMetadata,
    }),
  );
};

// ---------------------------------------------------------------- the journey, in order

describe('e2e: a user journey through cognito-local, our functions, the bus, the log store and the SIEM', () => {
  let carolSub: string;
  let refreshToken: string;

  it('signs up through pre-signup, and the allowed sign-up lands in the log store', async () => {
    // Act
    const signUp = await idp.send(
      new SignUpCommand({
        ClientId: webClientId,
        Username: CAROL.email,
        Password: PASSWORD,
        UserAttributes: [{ Name: 'email', Value: CAROL.email }],
      }),
    );
    await idp.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: poolId,
        Username: CAROL.email,
        UserAttributes: [
          { Name: 'custom:tenant_id', Value: CAROL.tenant },
          { Name: 'custom:plan', Value: CAROL.plan },
        ],
      }),
    );

    // Assess
    expect(signUp.UserConfirmed).toBe(false);
    carolSub = signUp.UserSub as string;
    const event = await awaitEvent(RuleTarget.EventsLog, (candidate) => candidate.category === 'signup' && candidate.user.emailDomain === 'gmail.com');
    expect(event).toMatchObject({
      action: 'self_signup',
      outcome: 'allowed',
      trigger: { source: 'PreSignUp_SignUp', version: '0' },
      userPool: { id: poolId, region: 'local' },
      client: { id: webClientId },
    });
  });

  it('denies a disposable email domain by policy: Cognito refuses with our message, and the denial is recorded', async () => {
    // Act
    const signUp = idp.send(
      new SignUpCommand({ ClientId: webClientId, Username: DENIED.email, Password: PASSWORD, UserAttributes: [{ Name: 'email', Value: DENIED.email }] }),
    );

    // Assess
    await expect(signUp).rejects.toMatchObject({ name: 'UserLambdaValidationException' });
    await expect(signUp).rejects.toThrow(/failed with error .*mailinator\.com/);
    const event = await awaitEvent(RuleTarget.EventsLog, (candidate) => candidate.user.emailDomain === 'mailinator.com');
    expect(event).toMatchObject({ category: 'signup', outcome: 'denied', reason: { code: 'DISPOSABLE_EMAIL_DOMAIN' } });
  });

  it('confirms the sign-up through post-confirmation: an account.confirm_signup event', async () => {
    // Act
    await idp.send(new ConfirmSignUpCommand({ ClientId: webClientId, Username: CAROL.email, ConfirmationCode: lastCodeFor(CAROL.email) }));

    // Assess
    const event = await awaitEvent(RuleTarget.EventsLog, (candidate) => candidate.category === 'account' && isFor(carolSub)(candidate));
    expect(event).toMatchObject({ action: 'confirm_signup', outcome: 'succeeded', user: { status: 'CONFIRMED' } });
  });

  it('signs in: attempt, then success, then an ID token carrying the configured claims', async () => {
    // Act
    const auth = await signIn(CAROL.email, PASSWORD, webClientId, { app_version: 'web-2026.11.1', platform: 'web' });

    // Assess
    const tokens = auth.AuthenticationResult;
    expect(tokens?.IdToken).toBeDefined();
    refreshToken = tokens?.RefreshToken as string;
    // tokens.claims of config/dev.json: tenant from custom:tenant_id (id and access), plan from custom:plan (id),
    // both set by the administrator above.
    // cognito-local sends pre token generation V1_0, which customises the ID token only.
    expect(claimsOf(tokens?.IdToken as string)).toMatchObject({ sub: carolSub, email: CAROL.email, tenant: CAROL.tenant, plan: CAROL.plan });
    const forCarol = isFor(carolSub);
    const attempt = await awaitEvent(RuleTarget.EventsLog, (event) => forCarol(event) && event.action === 'attempt');
    const success = await awaitEvent(RuleTarget.EventsLog, (event) => forCarol(event) && event.action === 'authenticate');
    const token = await awaitEvent(RuleTarget.EventsLog, (event) => forCarol(event) && event.action === 'issue');
    expect(attempt).toMatchObject({ category: 'signin', outcome: 'attempted', client: { id: webClientId }, clientContext: { values: { platform: 'web' } } });
    expect(success).toMatchObject({ category: 'signin', outcome: 'succeeded', client: { id: webClientId } });
    expect(token).toMatchObject({ category: 'token', outcome: 'issued', token: { version: 'V1_0', claimsAdded: expect.arrayContaining(['tenant', 'plan']) } });
  });

  it('refuses a wrong password; the retried attempt keeps its id, and no success follows', async () => {
    // Prepare: on her phone this time. Cognito retries a slow trigger with the same payload: invoked twice here.
    const payload = await preAuthenticationPayload(CAROL.email, mobileClientId, { platform: 'android' });

    // Act
    await invokePreAuthentication(payload);
    await invokePreAuthentication(payload);
    const wrong = idp.send(
      new InitiateAuthCommand({
        ClientId: mobileClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: CAROL.email, PASSWORD: 'not-her-password' },
        ClientMetadata: { platform: 'android' },
      }),
    );

    // Assess: Cognito answers NotAuthorizedException; cognito-local InvalidPasswordException.
    const refusal = await wrong.then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(['NotAuthorizedException', 'InvalidPasswordException']).toContain(refusal?.name);
    await awaitEvent(RuleTarget.EventsLog, (event) => event.action === 'attempt' && event.client.id === mobileClientId);
    await sleep(500);
    const attempts = eventsIn(RuleTarget.EventsLog).filter((event) => event.action === 'attempt' && event.client.id === mobileClientId);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]?.id).toBe(attempts[0]?.id);
    expect(eventsIn(RuleTarget.EventsLog).filter((event) => event.action === 'authenticate' && event.client.id === mobileClientId)).toEqual([]);
  });

  it('refreshes tokens through pre-token-generation: a token.refresh event', async () => {
    // Act
    const refreshed = await idp.send(
      new InitiateAuthCommand({ ClientId: webClientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: refreshToken } }),
    );

    // Assess
    expect(claimsOf(refreshed.AuthenticationResult?.IdToken as string)).toMatchObject({ tenant: CAROL.tenant });
    const event = await awaitEvent(RuleTarget.EventsLog, (candidate) => isFor(carolSub)(candidate) && candidate.action === 'refresh');
    expect(event).toMatchObject({ category: 'token', outcome: 'issued', token: { source: 'RefreshTokens' } });
  });

  it('infers the failed sign-in downstream of the bus, and the SIEM receives every category with the right outcome', async () => {
    // Prepare: the consumer reads the events log and puts what it infers back on the offline bus.
    const { storeDir, eventBridgeEndpoint } = stack();
    const windowSeconds = CONFIG.signIn.failedSignInWindowSeconds;
    const bus = new EventBridgeClient({ endpoint: eventBridgeEndpoint, region: FAKE_AWS_ENV.AWS_REGION, credentials, maxAttempts: 1 });
    const sink = createEventBridgePublisher({ client: bus, busName, deadlineMs: 5_000 });
    const latest = Math.max(...eventsIn(RuleTarget.EventsLog).map((event) => Date.parse(event.time)));

    // Act: once the window has passed (the test moves the consumer's clock rather than waiting two minutes)
    let inferred;
    try {
      inferred = await runLocalInference({ storeDir, stage: STAGE, windowSeconds, now: new Date(latest + (windowSeconds + 1) * 1000), sink });
    } finally {
      bus.destroy();
    }
    const failed = await awaitEvent(RuleTarget.SiemQueue, (event) => event.outcome === 'failed');
    const siem = await deliverToLocalReceiver({ stage: STAGE, storeDir, siem: CONFIG.siem, env: {} });

    // Assess
    expect(inferred.failed).toHaveLength(1);
    expect(failed).toMatchObject({
      category: 'signin',
      action: 'authenticate',
      outcome: 'failed',
      client: { id: mobileClientId },
      user: { sub: carolSub },
      reason: { code: 'NO_SUCCESS_WITHIN_WINDOW' },
    });
    expect(siem.delivery).toMatchObject({ failed: 0, rejected: 0 });
    const received = readFileSync(siem.storeFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as StoredRecord).record as unknown as AuthEvent);
    const seen = new Set(received.map((event) => `${event.category}.${event.action} ${event.outcome}`));
    expect([...seen].sort()).toEqual(
      [
        'account.confirm_signup succeeded',
        'signin.attempt attempted',
        'signin.authenticate failed',
        'signin.authenticate succeeded',
        'signup.self_signup allowed',
        'signup.self_signup denied',
        'token.issue issued',
        'token.refresh issued',
      ].sort(),
    );
    // The retried attempt arrived once.
    expect(received.filter((event) => event.action === 'attempt' && event.client.id === mobileClientId)).toHaveLength(1);
    expect(received.find((event) => event.outcome === 'failed')?.id).toBe(failed.id);
  });

  it('lets no app client of the pool write a claim source: check-pool reads the clients and passes', async () => {
    // Prepare
    const out: string[] = [];

    // Act
    const code = await runCheckPoolCli({
      stage: STAGE,
      userPoolId: poolId,
      eventsFile: undefined,
      storeDir: join(tmpdir(), 'authtrail-e2e-no-store'),
      unusedDays: 90,
      maxSecretAgeDays: 180,
      json: true,
      now: new Date(),
      cognito: idp,
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => out.push(text) },
    });

    // Assess
    const report = JSON.parse(out.join('')) as { clients: number; findings: { code: string }[] };
    expect(code).toBe(0);
    expect(report.clients).toBe(2);
    expect(report.findings.map((finding) => finding.code)).not.toContain('CLAIM_SOURCE_WRITABLE');
  });
});
