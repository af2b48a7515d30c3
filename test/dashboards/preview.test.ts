/**
 * The local preview as an operator runs it: `npm start`'s replay fills a local
 * store, `npm run dashboards` renders the dashboards from it into a page and a
 * PNG, and the real browser (Debian's chromium, headless) opens the page and
 * lays the charts out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARDS } from '../../dashboards/cloudformation.ts';
import { BrowserNotFoundError, browserEnv, dumpDom, findBrowser, locateBrowser } from '../../dashboards/preview/chromium.ts';
import { readLocalData, type LocalData } from '../../dashboards/preview/local-data.ts';
import { runQuery } from '../../dashboards/preview/logs-insights.ts';
import { widgetData } from '../../dashboards/preview/render-html.ts';
import { queryNamed } from '../../dashboards/queries.ts';
import type { Widget } from '../../dashboards/widgets.ts';
import type { AuthEvent } from '../../lib/auth-event/schema.ts';
import { ROOT } from '../helpers/fixtures.ts';

const store = mkdtempSync(join(tmpdir(), 'authtrail-dashboards-'));
const out = join(store, 'out');
let data: LocalData;
let events: AuthEvent[];
let run: { status: number | null; stdout: string; stderr: string };

const node = (...args: string[]) =>
  spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, AUTHTRAIL_PII_HASH_KEY: 'preview-test-key-0123456789' },
  });

beforeAll(() => {
  // Prepare: the browser is found (or installed) once, here, rather than inside a timed child process
  findBrowser();
  const replay = node('bin/replay.ts', '--store', store, '--json', '--fresh', 'events/');
  expect(replay.status, replay.stderr).toBe(0);
  data = readLocalData(store, 'dev');
  events = data.envelopes.map((envelope) => envelope.detail as AuthEvent);

  // Act
  run = node('bin/dashboards.ts', '--store', store, '--out', out);
}, 900_000);

afterAll(() => rmSync(store, { recursive: true, force: true }));

const metricWidget = (dashboard: keyof typeof DASHBOARDS, title: string): Widget & { type: 'metric' } => {
  const widget = DASHBOARDS[dashboard]({ stage: 'dev', region: 'eu-west-1', userPoolId: 'local', clients: {}, alarmTopicArn: '' }).widgets.find(
    (candidate): candidate is Widget & { type: 'metric' } => candidate.type === 'metric' && candidate.properties.title === title,
  );
  if (widget === undefined) throw new Error(`no widget ${title}`);
  return widget;
};

describe('Preview: npm run dashboards', () => {
  it('writes the page and a PNG of it from the local store', () => {
    // Assess
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(join(out, 'index.html'));
    const png = readFileSync(join(out, 'dashboards.png'));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(1600);
    expect(png.readUInt32BE(20)).toBeGreaterThan(2000);
    expect(png.length).toBeGreaterThan(50_000);
  });

  it('draws the charts in the real browser: every chart with local data is laid out with bars', async () => {
    // Act
    const dom = await dumpDom(join(out, 'index.html'));

    // Assess
    const attribute = (name: string) => Number(new RegExp(`data-${name}="(\\d+)"`).exec(dom)?.[1] ?? Number.NaN);
    expect(attribute('charts-expected')).toBeGreaterThanOrEqual(12);
    expect(attribute('charts-drawn')).toBe(attribute('charts-expected'));
    expect(attribute('bars-drawn')).toBeGreaterThanOrEqual(30);
    expect(dom).toContain('authtrail-dev-auth-activity');
    expect(dom).toContain('authtrail-dev-pipeline-health');
    expect(dom).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  }, 60_000);

  it('charts what the triggers would emit for the replayed events', () => {
    // Act
    const outcomes = widgetData(metricWidget('auth-activity', 'Sign-ups by outcome'), data);
    const reasons = widgetData(metricWidget('auth-activity', 'Sign-up denials by reason'), data);
    const latency = widgetData(metricWidget('pipeline-health', 'Trigger duration p99 (ms)'), data);

    // Assess
    const signUps = events.filter((event) => event.category === 'signup');
    expect(outcomes).toEqual({
      kind: 'series',
      series: expect.arrayContaining([
        { label: 'allowed', value: signUps.filter((event) => event.outcome === 'allowed').length },
        { label: 'denied', value: signUps.filter((event) => event.outcome === 'denied').length },
      ]),
    });
    expect(reasons.kind === 'series' && reasons.series.map((series) => series.label).sort()).toEqual(
      signUps.flatMap((event) => (event.reason ? [event.reason.code] : [])).sort(),
    );
    expect(latency).toEqual({ kind: 'aws-only', reason: 'AWS/Lambda metrics exist on AWS only' });
  });

  it('runs the Logs Insights widgets’ queries on the local events log', () => {
    // Act
    const denied = runQuery(queryNamed('denied-sign-ups-by-domain-and-reason').query, data.envelopes);
    const oneUser = runQuery(
      queryNamed('everything-about-one-user').query.replace('REPLACE-WITH-USER-SUB', events.find((event) => event.category === 'signin')!.user.sub!),
      data.envelopes,
    );

    // Assess
    expect(denied.columns).toEqual(['detail.user.emailDomain', 'detail.reason.code', 'denials']);
    expect(denied.rows).toEqual(
      expect.arrayContaining([
        ['blocked.example', 'EMAIL_DOMAIN_BLOCKED', 1],
        ['mailinator.com', 'DISPOSABLE_EMAIL_DOMAIN', 1],
      ]),
    );
    expect(oneUser.rows.length).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
  });
});

describe('Preview: finding the browser', () => {
  it('takes CHROME_PATH first, and names it when it points at nothing', () => {
    // Prepare
    const browser = findBrowser();

    // Act
    const chosen = locateBrowser({ CHROME_PATH: browser });
    const missing = () => locateBrowser({ CHROME_PATH: join(store, 'no-such-browser') });

    // Assess
    expect(chosen).toBe(browser);
    expect(missing).toThrow(BrowserNotFoundError);
    expect(missing).toThrow(/CHROME_PATH names no executable file/);
  });
});

describe('Preview: the browser runs on the real clock', () => {
  it('drops libfaketime from the preload it passes to the browser and keeps every other library', () => {
    // Act
    const faked = browserEnv({ LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', FAKETIME: '+400d', HOME: '/root' });
    const mixed = browserEnv({ LD_PRELOAD: '/opt/libkeep.so /usr/lib/faketime/libfaketimeMT.so.1:/opt/libother.so' });

    // Assess
    expect(faked).toEqual({ FAKETIME: '+400d', HOME: '/root' });
    expect(mixed).toEqual({ LD_PRELOAD: '/opt/libkeep.so:/opt/libother.so' });
  });
});
