/** The JSON Schema of AuthEvent for SIEM parsers, derived from the zod schema (never written by hand). */
import * as z from 'zod';
import { AuthEventSchema } from './schema.ts';

export const AUTH_EVENT_JSON_SCHEMA_FILE = 'docs/auth-event.schema.json';

export const authEventJsonSchema = (): Record<string, unknown> => ({
  $id: 'https://github.com/authtrail/authtrail/docs/auth-event.schema.json',
  title: 'AuthEvent',
  ...z.toJSONSchema(AuthEventSchema, { target: 'draft-2020-12', io: 'output' }),
});

export const authEventJsonSchemaText = (): string => `${JSON.stringify(authEventJsonSchema(), null, 2)}\n`;
