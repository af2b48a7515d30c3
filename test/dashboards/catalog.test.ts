/** The metric catalog: which points an AuthEvent stands for, with which dimension values. */
import { describe, expect, it } from 'vitest';
import { authEventMetrics, dimensionSetsOf, MetricName, UNKNOWN } from '../../lib/metrics/catalog.ts';
import { golden } from '../siem/helpers.ts';

describe('Catalog: the points of an AuthEvent', () => {
  it('counts a denied sign-up by outcome, client, provider and reason code', () => {
    // Act
    const points = authEventMetrics(golden('pre-signup/sign-up-denied-disposable-domain.json'));

    // Assess
    expect(points.map((point) => point.name)).toEqual([MetricName.SignUps, MetricName.SignUpsDenied]);
    expect(points[0]!.dimensions).toMatchObject({ outcome: 'denied', provider: 'Cognito', reason: 'DISPOSABLE_EMAIL_DOMAIN' });
    expect(dimensionSetsOf(points[1]!)).toEqual([{}, { reason: 'DISPOSABLE_EMAIL_DOMAIN' }]);
  });

  it('names a client the config does not know "unknown", never by its id', () => {
    // Prepare
    const event = golden('post-authentication/sign-in-web.json');
    event.client = { id: 'zzzzzzzzzzzzzzzzzzzzzzzzzz' };

    // Act
    const [signIn] = authEventMetrics(event);

    // Assess
    expect(signIn!.dimensions.client).toBe(UNKNOWN);
    expect(JSON.stringify(dimensionSetsOf(signIn!))).not.toContain('zzzz');
  });

  it('counts a new-device sign-in twice: a sign-in with newDevice true, and a new-device sign-in', () => {
    // Act
    const points = authEventMetrics(golden('post-authentication/sign-in-new-device-mobile.json'));

    // Assess
    expect(points).toEqual([
      { name: MetricName.SignIns, value: 1, dimensions: { client: 'mobile-app', provider: 'Cognito', newDevice: 'true' } },
      { name: MetricName.NewDeviceSignIns, value: 1, dimensions: { client: 'mobile-app', provider: 'Cognito' } },
    ]);
  });

  it('counts a token by client, event version and source', () => {
    // Act
    const [token] = authEventMetrics(golden('pre-token-generation/v3/client-credentials.json'));

    // Assess
    expect(token).toMatchObject({ name: MetricName.TokensIssued, dimensions: { client: 'reporting-service', tokenVersion: 'V3_0', tokenSource: 'ClientCredentials' } });
    expect(dimensionSetsOf(token!)).toHaveLength(4);
  });

  it('counts sign-in attempts, policy denials by reason and inferred failures, each under its own metric', () => {
    // Prepare
    const signIn = golden('post-authentication/sign-in-web.json');
    const attempted = { ...signIn, outcome: 'attempted' as const };
    const denied = { ...signIn, outcome: 'denied' as const, reason: { code: 'USER_BLOCKED', message: 'x' } };
    const failed = { ...signIn, outcome: 'failed' as const };

    // Act
    const names = [attempted, denied, failed].map((event) => authEventMetrics(event).map((point) => point.name));

    // Assess
    expect(names).toEqual([['SignInAttempts'], ['SignInAttempts', 'SignInsDenied'], ['FailedSignIns']]);
    expect(authEventMetrics(denied)[1]?.dimensions).toEqual({ reason: 'USER_BLOCKED' });
  });
});
