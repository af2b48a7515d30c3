/**
 * npm run dashboards -- [--stage dev] [--store .authtrail] [--out <dir>] [--png <file>] [--no-png] [--region eu-west-1]
 *
 * Renders the stage's CloudWatch dashboards (dashboards/) from the local store
 * that `npm start` fills into a static HTML page with inline SVG charts, and a
 * PNG of it through headless Chromium (/usr/bin/chromium). Prints both paths.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DASHBOARDS } from '../dashboards/cloudformation.ts';
import { namesFor } from '../dashboards/context.ts';
import { screenshot } from '../dashboards/preview/chromium.ts';
import { readLocalData } from '../dashboards/preview/local-data.ts';
import { renderPage } from '../dashboards/preview/render-html.ts';
import { parseCommandLine } from '../local/cli/args.ts';
import { configFileFor, loadStageConfigFile } from '../lib/config/load.ts';
import { DEFAULT_STORE_DIR } from '../local/sinks/local-store.ts';

const PAGE_WIDTH = 1600;

const usage = 'usage: npm run dashboards -- [--stage <stage>] [--store <dir>] [--out <dir>] [--png <file>] [--no-png] [--region <region>]';

const { values } = parseCommandLine(usage, {
  stage: { type: 'string', default: 'dev' },
  store: { type: 'string', default: DEFAULT_STORE_DIR },
  out: { type: 'string' },
  png: { type: 'string' },
  'no-png': { type: 'boolean', default: false },
  region: { type: 'string', default: 'eu-west-1' },
});

const main = async (): Promise<number> => {
  const stage = values.stage;
  const data = readLocalData(values.store, stage);
  const config = loadStageConfigFile(configFileFor(stage, 'config'));
  const ctx = { stage, region: values.region, userPoolId: 'local', clients: config.clients, alarmTopicArn: '' };
  const page = renderPage(
    Object.entries(DASHBOARDS).map(([title, render]) => ({ title: namesFor(stage).dashboard(title), body: render(ctx) })),
    data,
    new Date(),
  );
  const out = values.out ?? join(values.store, stage, 'dashboards');
  mkdirSync(out, { recursive: true });
  const htmlFile = resolve(out, 'index.html');
  writeFileSync(htmlFile, page.html);
  console.log(`page  ${htmlFile}  (${page.charts} charts from ${data.envelopes.length} events)`);
  if (!values['no-png']) {
    const pngFile = resolve(values.png ?? join(out, 'dashboards.png'));
    await screenshot(htmlFile, pngFile, PAGE_WIDTH, page.heightPx);
    console.log(`png   ${pngFile}`);
  }
  return 0;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`authtrail dashboards: ${(error as Error).message}`);
    process.exit(1);
  },
);
