// What the browser tests share: the real server (`custodian serve --demo`)
// and a real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core), each fresh per test file.
//
// Without Chromium or the release binary the browser tests skip with a
// message, except under CI=true, where they fail instead.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = process.env.CUSTODIAN_CHROMIUM ?? '/usr/bin/chromium';
export const BINARY = process.env.CUSTODIAN_BIN ?? join(REPO, 'target/release/custodian');
export const SCREENSHOTS = join(REPO, 'docs/screenshots');
export const IN_CI = process.env.CI === 'true';

export const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true },
};

/**
 * Why the browser tests cannot run here, or null when they can. Under
 * CI=true a missing piece is an error, never a skip.
 */
export function missing() {
  const why = [];
  if (!existsSync(CHROMIUM)) why.push(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  if (!process.env.CUSTODIAN_UI_URL && !existsSync(BINARY)) why.push(`no server binary at ${BINARY} (cargo build --release -p custodian)`);
  if (why.length === 0) return null;
  const message = `browser tests: ${why.join('; ')}`;
  if (IN_CI) throw new Error(`${message}; CI=true, so this fails instead of skipping`);
  console.log(`# SKIP ${message}`);
  return message;
}

/**
 * Starts `custodian serve --demo` on a free loopback port in a fresh
 * directory and resolves when it prints its URL. With CUSTODIAN_UI_URL set,
 * uses that server instead (and CUSTODIAN_UI_DB for its keys).
 */
export async function startServer() {
  if (process.env.CUSTODIAN_UI_URL) {
    const db = process.env.CUSTODIAN_UI_DB ?? '';
    return { url: process.env.CUSTODIAN_UI_URL, db, keys: `${db}.keys`, stop: async () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'custodian-ui-'));
  const db = join(dir, 'demo.db');
  const child = spawn(BINARY, ['serve', '--demo', '--db', db, '--addr', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no URL within 180 s:\n${out}`)), 180_000);
    const look = (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before printing its URL:\n${out}`));
    });
  });
  return {
    url,
    db,
    keys: `${db}.keys`,
    output: () => out,
    stop: async () => {
      child.removeAllListeners('exit');
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh Chromium with a fresh profile directory, at one of VIEWPORTS. */
export async function startBrowser(viewportName) {
  const profile = mkdtempSync(join(tmpdir(), 'custodian-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    ...VIEWPORTS[viewportName],
  });
  context.setDefaultTimeout(20_000);
  const errors = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  // Failed requests are listed by URL (the console's own message names
  // none); a test that asks for a 404 on purpose takes it off the list.
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    errors,
    stop: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Writes a screenshot of the page as it is to docs/screenshots/NAME.png. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false, animations: 'disabled' });
}
