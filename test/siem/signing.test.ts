/**
 * Standard Webhooks, checked against the official `standardwebhooks` package
 * (an independent implementation of the spec), in both directions.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { encodeEvents } from '../../lib/siem/formats/index.ts';
import { credentialsFromEnv, credentialsFromSecretText, LOCAL_SIEM_SECRET } from '../../lib/siem/secrets.ts';
import { messageIdFor, secretKey, signatureHeaders, verifySignature } from '../../lib/siem/signing.ts';
import { goldenEvents, newSecret } from './helpers.ts';

const body = encodeEvents('ndjson', goldenEvents()).body;
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('Signing: our signatures verify with standardwebhooks', () => {
  it('a signed NDJSON batch verifies', () => {
    // Prepare
    const secret = newSecret();

    // Act
    const headers = signatureHeaders([secretKey(secret)], 'msg_1', nowSeconds(), body);

    // Assess
    expect(() => new Webhook(secret).verify(body, { ...headers }, { jsonParse: false })).not.toThrow();
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('with two active secrets (rotation), a receiver holding either one verifies', () => {
    // Prepare
    const [oldSecret, newOne, other] = [newSecret(), newSecret(), newSecret()];

    // Act
    const headers = signatureHeaders([secretKey(oldSecret), secretKey(newOne)], 'msg_2', nowSeconds(), body);

    // Assess
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(body, { ...headers }, { jsonParse: false })).not.toThrow();
    expect(() => new Webhook(newOne).verify(body, { ...headers }, { jsonParse: false })).not.toThrow();
    expect(() => new Webhook(other).verify(body, { ...headers }, { jsonParse: false })).toThrow(/No matching signature/);
  });

  it('a changed body, id or timestamp no longer verifies', () => {
    // Prepare
    const secret = newSecret();
    const ts = nowSeconds();
    const headers = { ...signatureHeaders([secretKey(secret)], 'msg_3', ts, body) };
    const webhook = new Webhook(secret);

    // Act / Assess
    expect(() => webhook.verify(`${body} `, headers, { jsonParse: false })).toThrow();
    expect(() => webhook.verify(body, { ...headers, 'webhook-id': 'msg_4' }, { jsonParse: false })).toThrow();
    expect(() => webhook.verify(body, { ...headers, 'webhook-timestamp': String(ts + 1) }, { jsonParse: false })).toThrow();
  });

  it('message ids are the same for the same batch and differ for another one', () => {
    // Act
    const first = messageIdFor(['ndjson', 'a', 'b']);

    // Assess
    expect(messageIdFor(['ndjson', 'a', 'b'])).toBe(first);
    expect(messageIdFor(['ndjson', 'a', 'c'])).not.toBe(first);
    expect(messageIdFor(['ocsf', 'a', 'b'])).not.toBe(first);
    expect(first).toMatch(/^msg_[A-Za-z0-9_-]{27}$/);
  });
});

describe('Signing: our verifier accepts what standardwebhooks signs, and nothing else', () => {
  it('accepts a standardwebhooks signature', () => {
    // Prepare
    const secret = newSecret();
    const timestamp = new Date();
    const signature = new Webhook(secret).sign('msg_sw', timestamp, body);
    const ts = Math.floor(timestamp.getTime() / 1000);

    // Act
    const verdict = verifySignature({
      keys: [secretKey(secret)],
      headers: { 'webhook-id': 'msg_sw', 'webhook-timestamp': String(ts), 'webhook-signature': signature },
      body,
      nowSeconds: ts,
    });

    // Assess
    expect(verdict).toEqual({ ok: true, id: 'msg_sw', timestamp: ts });
  });

  it.each([
    ['stale (6 minutes old)', -360, 'more than 300 s'],
    ['from the future (6 minutes ahead)', 360, 'more than 300 s'],
  ])('rejects a timestamp %s', (_, offset, reason) => {
    // Prepare
    const secret = newSecret();
    const ts = nowSeconds() + offset;
    const headers = signatureHeaders([secretKey(secret)], 'msg_5', ts, body);

    // Act
    const verdict = verifySignature({ keys: [secretKey(secret)], headers: { ...headers }, body, nowSeconds: nowSeconds() });

    // Assess
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringContaining(reason) });
  });

  it('rejects a signature made with another secret, and missing headers', () => {
    // Prepare
    const headers = signatureHeaders([secretKey(newSecret())], 'msg_6', nowSeconds(), body);

    // Act
    const wrong = verifySignature({ keys: [secretKey(newSecret())], headers: { ...headers }, body, nowSeconds: nowSeconds() });
    const missing = verifySignature({ keys: [secretKey(newSecret())], headers: {}, body, nowSeconds: nowSeconds() });

    // Assess
    expect(wrong).toEqual({ ok: false, reason: 'no webhook-signature matches' });
    expect(missing).toMatchObject({ ok: false, reason: expect.stringContaining('missing') });
  });
});

describe('Signing: secrets', () => {
  it('the built-in local secret is a valid whsec_ secret standardwebhooks accepts', () => {
    // Act / Assess
    expect(() => new Webhook(LOCAL_SIEM_SECRET)).not.toThrow();
    expect(credentialsFromEnv({}).builtIn).toBe(true);
  });

  it('reads several secrets from the environment, space- or comma-separated', () => {
    // Prepare
    const [a, b] = [newSecret(), newSecret()];

    // Act
    const { credentials, builtIn } = credentialsFromEnv({ AUTHTRAIL_SIEM_SECRET: `${a}, ${b}`, AUTHTRAIL_SIEM_AUTH_HEADER: 'X-Api-Key: k1' });

    // Assess
    expect(builtIn).toBe(false);
    expect(credentials).toEqual({ webhookSecrets: [a, b], authHeader: { name: 'X-Api-Key', value: 'k1' } });
  });

  it('names what is wrong with a deployed secret without ever quoting it', () => {
    // Prepare
    const leaked = 'whsec_dG9vc2hvcnQ=';
    const notJson = `{"webhookSecrets": ["${newSecret()}"`;

    // Act
    const tooShort = () => credentialsFromSecretText(JSON.stringify({ webhookSecrets: [leaked] }), 'secret authtrail/dev/siem');
    const broken = () => credentialsFromSecretText(notJson, 'secret authtrail/dev/siem');

    // Assess
    expect(tooShort).toThrow('secret authtrail/dev/siem: webhookSecrets[0]: a webhook secret must hold at least 24 bytes');
    expect(tooShort).not.toThrow(leaked);
    expect(broken).toThrow(/^secret authtrail\/dev\/siem is not valid JSON: it ends early \(after \d+ characters\)$/);
    expect(broken).not.toThrow(/whsec_/);
  });
});
