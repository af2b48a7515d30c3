import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTH_EVENT_JSON_SCHEMA_FILE, authEventJsonSchemaText } from '../../lib/auth-event/json-schema.ts';
import { AuthEventSchema } from '../../lib/auth-event/schema.ts';
import { PIPELINE_VERSION } from '../../lib/version.ts';
import { ROOT, golden } from '../helpers/fixtures.ts';

describe('Schema: AuthEvent v1', () => {
  it('matches the committed JSON Schema for SIEM parsers (run `npm run schema` after changing it)', () => {
    // Act
    const committed = readFileSync(join(ROOT, AUTH_EVENT_JSON_SCHEMA_FILE), 'utf8');

    // Assess
    expect(committed).toBe(authEventJsonSchemaText());
  });

  it('documents every top-level field in docs/auth-event.md', () => {
    // Prepare
    const doc = readFileSync(join(ROOT, 'docs', 'auth-event.md'), 'utf8');

    // Assess
    for (const field of Object.keys(AuthEventSchema.shape)) expect(doc).toContain(`\`${field}\``);
  });

  it('rejects unknown fields and a malformed id', () => {
    // Prepare
    const event = golden('post-authentication/sign-in-web.json');

    // Act
    const extra = AuthEventSchema.safeParse({ ...event, ip: '203.0.113.9' });
    const badId = AuthEventSchema.safeParse({ ...event, id: 'not-an-id' });

    // Assess
    expect(extra.success).toBe(false);
    expect(badId.success).toBe(false);
  });

  it('stamps the package version into pipeline.version', () => {
    // Act
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

    // Assess
    expect(PIPELINE_VERSION).toBe(pkg.version);
  });
});
