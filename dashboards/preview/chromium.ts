/**
 * Headless Chromium (Debian's `chromium` package, /usr/bin/chromium) driven
 * from its command line: a PNG of a page, or the page's DOM after its scripts
 * ran. Each run gets a fresh profile directory, removed afterwards, and no
 * network besides the file it opens.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = process.env.AUTHTRAIL_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM);

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--hide-scrollbars',
  '--force-device-scale-factor=1',
];

const run = async (args: string[], timeoutMs: number): Promise<string> => {
  if (!chromiumAvailable()) {
    throw new Error(`${CHROMIUM} not found: apt-get update && apt-get install -y chromium (or set AUTHTRAIL_CHROMIUM)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'authtrail-chromium-'));
  try {
    return await new Promise<string>((done, fail) =>
      execFile(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args], { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) =>
        error ? fail(new Error(`chromium failed: ${error.message}\n${stderr.slice(-2000)}`)) : done(stdout),
      ),
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
};

/** Writes a PNG of the HTML file, `width` x `height` CSS pixels. */
export const screenshot = async (htmlFile: string, pngFile: string, width: number, height: number, timeoutMs = 60_000): Promise<void> => {
  await run([`--window-size=${width},${height}`, `--screenshot=${pngFile}`, pathToFileURL(htmlFile).href], timeoutMs);
};

/** The serialized DOM of the HTML file once its load handlers ran. */
export const dumpDom = (htmlFile: string, timeoutMs = 60_000): Promise<string> =>
  run(['--window-size=1600,1200', '--virtual-time-budget=2000', '--dump-dom', pathToFileURL(htmlFile).href], timeoutMs);
