/** Sign-in events for the inference tests: the goldens, moved in time, with fresh ids. */
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { golden } from '../siem/helpers.ts';

export const WINDOW_SECONDS = 120;
export const T0 = Date.parse('2026-11-27T10:00:00.000Z');

/** Alice's attempt and success through the web client (the goldens), moved to `seconds` after T0, with fresh ids. */
const at = (file: string, seconds: number, id: string): AuthEvent => ({
  ...golden(file),
  id: id.padEnd(32, '0'),
  time: new Date(T0 + seconds * 1000).toISOString(),
});
export const attempt = (seconds: number, id: string) => at('pre-authentication/sign-in-attempt-web.json', seconds, id);
export const success = (seconds: number, id: string) => at('post-authentication/sign-in-web.json', seconds, id);
