/**
 * Where the SIEM credentials come from, and their checks. A message here may
 * name a setting or a field, never a value.
 *
 * - Deployed: one JSON secret, in Secrets Manager (AUTHTRAIL_SIEM_SECRET_ID) or
 *   an SSM SecureString (AUTHTRAIL_SIEM_SECRET_PARAMETER), read through Powertools
 *   Parameters, cached per container for AUTHTRAIL_SIEM_SECRET_MAX_AGE_SECONDS
 *   (default 300), so a rotation reaches warm containers within minutes:
 *   `{"webhookSecrets": ["whsec_…", …], "hecToken": "…", "authHeader": {"name": "…", "value": "…"}}`.
 * - Local runs: AUTHTRAIL_SIEM_SECRET (one or more `whsec_…`, space- or
 *   comma-separated), each format's credential variable (AUTHTRAIL_SIEM_HEC_TOKEN:
 *   lib/siem/formats/<name>.ts, `credentials`), AUTHTRAIL_SIEM_AUTH_HEADER
 *   ("Name: value"); without AUTHTRAIL_SIEM_SECRET, a fixed public local secret
 *   that the local receiver knows too.
 */
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import { ConfigError, messageOf } from '../errors.ts';
import { parseJson } from '../json-parse.ts';
import type { SiemCredentials } from './delivery.ts';
import { FORMAT_CREDENTIALS, type FormatCredentialKey } from './formats/index.ts';
import { parseSecretList, secretKey, webhookSecretFrom } from './signing.ts';
import { formatIssues } from '../config/load.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Local runs only, and public: the local receiver and forwarder agree on it without set-up. */
export const LOCAL_SIEM_SECRET = webhookSecretFrom(Buffer.from('authtrail-local-siem-secret-not-a-secret', 'utf8'));

export const SIEM_SECRET_ENV = 'AUTHTRAIL_SIEM_SECRET';
/** The local receiver's admin token (`npm run siem`): its /_admin/ endpoints are off without one. */
export const SIEM_ADMIN_TOKEN_ENV = 'AUTHTRAIL_SIEM_ADMIN_TOKEN';

const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name');

/** One optional field per credential a registered format needs (`hecToken`): a format brings its own, here by derivation. */
const formatCredentialFields = Object.fromEntries(
  FORMAT_CREDENTIALS.map(({ key }) => [key, z.string().min(1).optional()]),
) as Record<FormatCredentialKey, z.ZodOptional<z.ZodString>>;

const SiemSecretSchema = z.strictObject({
  webhookSecrets: z.array(z.string()).min(1),
  ...formatCredentialFields,
  authHeader: z.strictObject({ name: HeaderName, value: z.string().min(1) }).optional(),
});

const checked = (credentials: SiemCredentials, origin: string): SiemCredentials => {
  credentials.webhookSecrets.forEach((secret, index) => {
    try {
      secretKey(secret);
    } catch (error) {
      throw new ConfigError(`${origin}: webhookSecrets[${index}]: ${messageOf(error)}`, { cause: error });
    }
  });
  return credentials;
};

/** Parses the deployed secret's JSON text; errors name fields only. */
export const credentialsFromSecretText = (text: string, origin: string): SiemCredentials => {
  let json: unknown;
  try {
    json = parseJson(text, origin);
  } catch (error) {
    // parseJson's message names the position only, never the text (the secret).
    throw new ConfigError(messageOf(error), { cause: error });
  }
  const parsed = SiemSecretSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`${origin} does not hold the SIEM secret: ${formatIssues(parsed.error.issues)}`);
  }
  return checked(parsed.data, origin);
};

/** The webhook secrets a local run signs or verifies with: the variable's list, else the built-in local secret. */
export const webhookSecretsFromEnv = (env: Env, secretEnv = SIEM_SECRET_ENV): { secrets: string[]; builtIn: boolean } => {
  const list = parseSecretList(env[secretEnv] ?? '');
  return list.length > 0 ? { secrets: list, builtIn: false } : { secrets: [LOCAL_SIEM_SECRET], builtIn: true };
};

/** Credentials of local runs, from the environment (never from argv: it shows in `ps`). */
export const credentialsFromEnv = (env: Env, secretEnv = SIEM_SECRET_ENV): { credentials: SiemCredentials; builtIn: boolean } => {
  const { secrets, builtIn } = webhookSecretsFromEnv(env, secretEnv);
  const header = env.AUTHTRAIL_SIEM_AUTH_HEADER;
  let authHeader: SiemCredentials['authHeader'];
  if (header !== undefined && header !== '') {
    const colon = header.indexOf(':');
    const name = header.slice(0, colon).trim();
    if (colon <= 0 || !HeaderName.safeParse(name).success) {
      throw new ConfigError('AUTHTRAIL_SIEM_AUTH_HEADER must look like "Name: value"');
    }
    authHeader = { name, value: header.slice(colon + 1).trim() };
  }
  const credentials: SiemCredentials = {
    webhookSecrets: secrets,
    // Each format's credentials from the variable it names (AUTHTRAIL_SIEM_HEC_TOKEN for `splunk-hec`).
    ...Object.fromEntries(FORMAT_CREDENTIALS.filter(({ env: name }) => env[name]).map(({ key, env: name }) => [key, env[name]])),
    ...(authHeader === undefined ? {} : { authHeader }),
  };
  return { credentials: checked(credentials, secretEnv), builtIn };
};

export interface CredentialsSource {
  /** Cached by Powertools for maxAge; the same object until the secret's text changes, so callers rebuild only then. */
  load(): Promise<SiemCredentials>;
}

/** Where the deployed secret may be: one of the two must be set (the forwarder's env schema, and this module's own check). */
export const SIEM_SECRET_ONE_OF = {
  variables: ['AUTHTRAIL_SIEM_SECRET_ID', 'AUTHTRAIL_SIEM_SECRET_PARAMETER'],
  message: 'Set AUTHTRAIL_SIEM_SECRET_ID (Secrets Manager) or AUTHTRAIL_SIEM_SECRET_PARAMETER (SSM SecureString)',
} as const;

/** Where the deployed secret is, parsed from the environment at cold start (lib/runtime/siem-forwarder.ts). */
export interface CredentialsSourceSettings {
  secretId?: string | undefined;
  parameter?: string | undefined;
  /** How long Powertools caches the secret, in seconds. */
  maxAgeSeconds: number;
}

/** The deployed source: Secrets Manager or SSM, whichever the settings name. */
export const credentialsSourceFrom = ({ secretId, parameter, maxAgeSeconds: maxAge }: CredentialsSourceSettings): CredentialsSource => {
  if (!secretId && !parameter) {
    throw new ConfigError(SIEM_SECRET_ONE_OF.message);
  }
  const origin = secretId ? `secret ${secretId}` : `parameter ${parameter}`;
  let last: { raw: string; credentials: SiemCredentials } | undefined;
  return {
    load: async () => {
      const raw = secretId
        ? await getSecret<string>(secretId, { maxAge })
        : await getParameter<string>(parameter as string, { decrypt: true, maxAge });
      if (typeof raw !== 'string') throw new ConfigError(`${origin} is missing or not a string`);
      if (last?.raw !== raw) last = { raw, credentials: credentialsFromSecretText(raw, origin) };
      return last.credentials;
    },
  };
};
