#!/usr/bin/env node
/** npm run schema: writes docs/auth-event.schema.json from lib/auth-event/schema.ts. */
import { writeFileSync } from 'node:fs';
import { AUTH_EVENT_JSON_SCHEMA_FILE, authEventJsonSchemaText } from '../lib/auth-event/json-schema.ts';

writeFileSync(AUTH_EVENT_JSON_SCHEMA_FILE, authEventJsonSchemaText());
process.stderr.write(`wrote ${AUTH_EVENT_JSON_SCHEMA_FILE}\n`);
