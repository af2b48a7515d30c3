/**
 * Headless Chromium (or Chrome) driven from its command line: a PNG of a page,
 * or the page's DOM after its scripts ran. Each run gets a fresh profile
 * directory, removed afterwards, and no network besides the file it opens.
 *
 * The browser is found, not assumed (findBrowser): `CHROME_PATH`, then the usual
 * install locations; on a Debian machine where we are root, Debian's `chromium`
 * is installed once, with one line saying so. Elsewhere the error names the
 * command to run. Hand-written because the packages that locate a browser
 * (chrome-launcher, puppeteer's) either download their own build, which this
 * project's machines cannot, or bring a driver protocol we do not need.
 */
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where Chromium and Chrome install themselves on Debian/Ubuntu, snap and macOS, in that order. */
export const BROWSER_LOCATIONS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
] as const;

/** What to run when no browser is there and we may not install one. */
export const INSTALL_COMMAND = 'sudo apt-get update && sudo apt-get install -y chromium (or set CHROME_PATH to a Chromium or Chrome binary)';

export class BrowserNotFoundError extends Error {
  readonly code = 'BROWSER_NOT_FOUND';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BrowserNotFoundError';
  }
}

const executable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** `CHROME_PATH` if set (it must then exist), else the first of BROWSER_LOCATIONS there is, else undefined. */
export const locateBrowser = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const chosen = env.CHROME_PATH;
  if (chosen !== undefined && chosen !== '') {
    if (!executable(chosen)) throw new BrowserNotFoundError(`CHROME_PATH names no executable file: ${chosen}`);
    return chosen;
  }
  return BROWSER_LOCATIONS.find(executable);
};

const canInstallWithApt = (): boolean => process.getuid?.() === 0 && executable('/usr/bin/apt-get');

const apt = (...args: string[]) =>
  spawnSync('/usr/bin/apt-get', args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });

/**
 * The browser's environment: ours without libfaketime. CI runs the suite under
 * `faketime` to prove no test depends on today's date; Chromium's processes stall
 * under that preload (measured: a one-line page's --dump-dom never returns),
 * and nothing the page shows comes from the browser's clock (the render time is
 * passed in by the caller).
 */
export const browserEnv = (env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => {
  const preload = (env.LD_PRELOAD ?? '').split(/[\s:]+/).filter((library) => library !== '' && !/faketime/i.test(library));
  const { LD_PRELOAD: _preload, ...rest } = env;
  return preload.length === 0 ? rest : { ...rest, LD_PRELOAD: preload.join(':') };
};

let found: string | undefined;

/**
 * The browser to drive. Installs Debian's chromium when none is found and this
 * process may (root, apt-get): one line on stderr says so. Throws
 * BrowserNotFoundError naming the command otherwise.
 */
export const findBrowser = (log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string => {
  found ??= locateBrowser();
  if (found !== undefined) return found;
  if (!canInstallWithApt()) throw new BrowserNotFoundError(`no Chromium or Chrome found; install one: ${INSTALL_COMMAND}`);
  log("authtrail: no Chromium or Chrome found; installing Debian's chromium once (apt-get install -y chromium)");
  const install = apt('install', '-y', '--no-install-recommends', 'chromium');
  // An empty or stale package list is the usual reason a fresh machine cannot find the package.
  const result = install.status === 0 ? install : (apt('update'), apt('install', '-y', '--no-install-recommends', 'chromium'));
  found = locateBrowser();
  if (result.status !== 0 || found === undefined) {
    throw new BrowserNotFoundError(`installing chromium failed (apt-get exit ${result.status}); install it by hand: ${INSTALL_COMMAND}`);
  }
  return found;
};

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
  const browser = findBrowser();
  const profile = mkdtempSync(join(tmpdir(), 'authtrail-chromium-'));
  try {
    return await new Promise<string>((done, fail) =>
      execFile(browser, [...FLAGS, `--user-data-dir=${profile}`, ...args], { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: browserEnv() }, (error, stdout, stderr) =>
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
