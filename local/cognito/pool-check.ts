/**
 * The user pool checks of `npm run check-pool`, over what the Cognito API
 * describes (DescribeUserPool, DescribeUserPoolClient) and what the events log
 * recorded. Pure: the CLI (local/cli/check-pool-cli.ts) does the I/O.
 *
 * One check fails the command: an app client that lets users write an attribute
 * a token claim comes from (tokens.claims of the stage config), since a user
 * could then choose the claim (SignUp and UpdateUserAttributes honour the
 * client's WriteAttributes). The others report the hygiene the Cognito security
 * best practices ask for: unused clients locked down, client secrets rotated,
 * refresh-token rotation and revocation on, user existence errors prevented,
 * MFA on.
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-attributes.html#user-pool-settings-attribute-permissions-and-scopes
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-security-best-practices.html
 */
import type { StageConfig } from '../../lib/config/schema.ts';

/**
 * The standard attributes a client without its own WriteAttributes may write: Cognito
 * returns no WriteAttributes then, and lets the client write every standard attribute
 * (custom ones only when listed).
 */
export const STANDARD_WRITABLE_ATTRIBUTES = [
  'address', 'birthdate', 'email', 'family_name', 'gender', 'given_name', 'locale', 'middle_name', 'name', 'nickname',
  'phone_number', 'picture', 'preferred_username', 'profile', 'updated_at', 'website', 'zoneinfo',
] as const;

export interface ClientFacts {
  clientId: string;
  clientName: string | undefined;
  /** As DescribeUserPoolClient returns them: undefined when the client keeps Cognito's default. */
  writeAttributes: readonly string[] | undefined;
  hasSecret: boolean;
  /** When the newest secret was made (ListUserPoolClientSecrets), else when the client was. */
  secretCreatedAt: Date | undefined;
  enableTokenRevocation: boolean | undefined;
  refreshTokenRotation: string | undefined;
  preventUserExistenceErrors: string | undefined;
}

export interface PoolFacts {
  userPoolId: string;
  mfaConfiguration: string | undefined;
  clients: readonly ClientFacts[];
}

export const FindingCode = {
  ClaimSourceWritable: 'CLAIM_SOURCE_WRITABLE',
  UnusedClient: 'UNUSED_CLIENT',
  OldClientSecret: 'OLD_CLIENT_SECRET',
  TokenRevocationOff: 'TOKEN_REVOCATION_OFF',
  RefreshTokenRotationOff: 'REFRESH_TOKEN_ROTATION_OFF',
  UserExistenceErrorsShown: 'USER_EXISTENCE_ERRORS_SHOWN',
  MfaOff: 'MFA_OFF',
} as const;
export type FindingCode = (typeof FindingCode)[keyof typeof FindingCode];

export interface Finding {
  /** `fail` makes the command exit 1; `warn` is reported. */
  severity: 'fail' | 'warn';
  code: FindingCode;
  clientId?: string;
  message: string;
}

export interface PoolCheckOptions {
  now: Date;
  /** Clients with no sign-in in this many days are reported; needs `lastSignIns`. */
  unusedDays: number;
  maxSecretAgeDays: number;
  /** Last successful sign-in per client id, from the events log; undefined: the check is skipped. */
  lastSignIns: ReadonlyMap<string, Date> | undefined;
}

const DAY_MS = 86_400_000;

/** The attributes the stage's claims are read from. */
export const claimSources = (tokens: StageConfig['tokens']): string[] =>
  [...new Set(tokens.claims.flatMap((rule) => (rule.from === 'attribute' ? [rule.attribute] : [])))].sort();

/** What a client lets users write, as Cognito applies its WriteAttributes. */
export const writableBy = (client: Pick<ClientFacts, 'writeAttributes'>): readonly string[] =>
  client.writeAttributes === undefined || client.writeAttributes.length === 0 ? STANDARD_WRITABLE_ATTRIBUTES : client.writeAttributes;

const nameOf = (client: ClientFacts): string => (client.clientName === undefined ? client.clientId : `${client.clientName} (${client.clientId})`);

const clientFindings = (client: ClientFacts, sources: readonly string[], options: PoolCheckOptions): Finding[] => {
  const findings: Finding[] = [];
  const add = (severity: Finding['severity'], code: FindingCode, message: string) =>
    findings.push({ severity, code, clientId: client.clientId, message: `${nameOf(client)}: ${message}` });
  const writable = writableBy(client);
  const forgeable = sources.filter((attribute) => writable.includes(attribute));
  if (forgeable.length > 0) {
    add('fail', FindingCode.ClaimSourceWritable, `users can write ${forgeable.join(', ')}, which token claims come from: remove ${forgeable.length > 1 ? 'them' : 'it'} from WriteAttributes`);
  }
  if (options.lastSignIns !== undefined) {
    const last = options.lastSignIns.get(client.clientId);
    if (last === undefined || options.now.getTime() - last.getTime() > options.unusedDays * DAY_MS) {
      add('warn', FindingCode.UnusedClient, `no sign-in in the last ${options.unusedDays} days${last === undefined ? '' : ` (last ${last.toISOString()})`}: delete it, or deny it with signIn.allowedClients`);
    }
  }
  if (client.hasSecret && client.secretCreatedAt !== undefined) {
    const ageDays = Math.floor((options.now.getTime() - client.secretCreatedAt.getTime()) / DAY_MS);
    if (ageDays > options.maxSecretAgeDays) add('warn', FindingCode.OldClientSecret, `client secret is ${ageDays} days old (more than ${options.maxSecretAgeDays}): rotate it`);
  }
  if (client.enableTokenRevocation === false) add('warn', FindingCode.TokenRevocationOff, 'token revocation is off: refresh tokens cannot be revoked');
  if (client.refreshTokenRotation !== 'ENABLED') add('warn', FindingCode.RefreshTokenRotationOff, 'refresh-token rotation is off: a stolen refresh token stays usable until it expires');
  if (client.preventUserExistenceErrors !== 'ENABLED') add('warn', FindingCode.UserExistenceErrorsShown, 'PreventUserExistenceErrors is not ENABLED: sign-in errors reveal which users exist');
  return findings;
};

export const checkPool = (pool: PoolFacts, tokens: StageConfig['tokens'], options: PoolCheckOptions): Finding[] => {
  const sources = claimSources(tokens);
  const findings = pool.clients.flatMap((client) => clientFindings(client, sources, options));
  if (pool.mfaConfiguration !== 'ON' && pool.mfaConfiguration !== 'OPTIONAL') {
    findings.push({ severity: 'warn', code: FindingCode.MfaOff, message: `${pool.userPoolId}: MFA is ${pool.mfaConfiguration ?? 'not configured'}` });
  }
  return findings;
};

/** The last successful sign-in per client, from AuthEvents (post authentication `signin.authenticate` succeeded). */
export const lastSignInsOf = (events: Iterable<{ category: string; action: string; outcome: string; time: string; client: { id: string | null } }>): Map<string, Date> => {
  const last = new Map<string, Date>();
  for (const event of events) {
    if (event.category !== 'signin' || event.action !== 'authenticate' || event.outcome !== 'succeeded' || event.client.id === null) continue;
    const at = new Date(event.time);
    const seen = last.get(event.client.id);
    if (seen === undefined || at > seen) last.set(event.client.id, at);
  }
  return last;
};
