// The web UI in a real headless Chromium against the real server
// (`custodian serve --demo`): every page is opened and clicked through at a
// desktop and a phone viewport, what it shows is checked, and a screenshot of
// each is written to docs/screenshots/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { missing, screenshot, startBrowser, startServer } from './harness.mjs';
import { keyId, toBase64, toHex } from '../src/crypto.js';
import * as ed from '@noble/ed25519';

const skip = missing();

const DAY_MS = 86400000;
const dayNumber = (date) => Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse('1968-01-01T00:00:00Z')) / DAY_MS);

/** Waits until the text of `selector` matches `pattern`, and returns that text. */
async function textOf(page, selector, pattern, timeout = 20_000) {
  try {
    const handle = await page.waitForFunction(
      ([sel, source, flags]) => {
        const text = document.querySelector(sel)?.textContent;
        return text !== undefined && new RegExp(source, flags).test(text) ? text : null;
      },
      [selector, pattern.source, pattern.flags],
      { timeout },
    );
    return await handle.jsonValue();
  } catch (e) {
    const now = await page.evaluate((sel) => document.querySelector(sel)?.textContent ?? '(no such element)', selector);
    throw new Error(`${selector} never matched ${pattern}; it reads: ${now.slice(0, 400)}`);
  }
}

/** Takes the failed requests a test caused on purpose off the browser's error list. */
function expected(browser, pattern) {
  const keep = browser.errors.filter((e) => !pattern.test(e));
  browser.errors.splice(0, browser.errors.length, ...keep);
}

/** The page fits the viewport's width: nothing to scroll sideways but inside a table or code box. */
async function fitsWidth(page) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width + 1, `the page is ${scroll} px wide in a ${width} px viewport`);
}

describe('the web UI in Chromium', { skip: skip ?? false }, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  for (const viewport of ['desktop', 'phone']) {
    describe(`at the ${viewport} viewport`, () => {
      let browser;
      let page;
      let redacted = null; // the index of a leaf the public may not read
      const open = async (hash) => {
        await page.goto(`${server.url}/${hash}`);
        await page.waitForSelector('main:not([aria-busy])');
      };
      before(async () => {
        browser = await startBrowser(viewport);
        page = browser.page;
      });
      after(async () => {
        await browser?.stop();
      });

      test('the page and its assets are served with types and validators', async () => {
        const response = await page.goto(`${server.url}/`);
        assert.equal(response.status(), 200);
        assert.match(response.headers()['content-type'], /^text\/html/);
        assert.ok(response.headers().etag);
        assert.match(response.headers()['content-security-policy'], /script-src 'self'/);
        const missingAsset = await page.evaluate(async () => {
          const r = await fetch('/ui/nothing.js');
          return { status: r.status, body: await r.json() };
        });
        assert.equal(missingAsset.status, 404);
        assert.equal(missingAsset.body.error.code, 'not_found');
        expected(browser, /^HTTP 404 \/ui\/nothing\.js$/);
      });

      test('registry: NPT status moves with the date slider; the CTBT gap is listed', async () => {
        await open('#/registry');
        await textOf(page, '#npt-h', /NPT status on \d{4}/);
        const slider = page.locator('#at-slider');
        await slider.fill(String(dayNumber('1991-06-01')));
        await textOf(page, '#npt-h', /1991-06-01/);
        assert.match(await textOf(page, 'tr[data-state="FRA"] td.npt', /./), /Not a party/);
        await slider.fill(String(dayNumber('1993-01-01')));
        await textOf(page, '#npt-h', /1993-01-01/);
        assert.match(await textOf(page, 'tr[data-state="FRA"] td.npt', /./), /nuclear-weapon State/);
        // The keyboard moves it a day.
        await slider.focus();
        await page.keyboard.press('ArrowRight');
        await textOf(page, '#at-shown', /1993-01-02/);
        assert.match(page.url(), /at=1993-01-02/);
        // A state's sources and treaty dates open from its code.
        await page.locator('tr[data-state="FRA"] .state-toggle').click();
        assert.match(await textOf(page, '#state-FRA', /France/), /NPT.*party/s);
        await fitsWidth(page);

        await open('#/registry?at=2024-06-01');
        assert.match(await textOf(page, '#ctbt', /Annex 2/), /Missing:.*USA/s);
        // Where the readings of the facts differ, each is a column.
        await page.locator('#status-filter').selectOption('differs');
        await textOf(page, '#npt-count', /\d+ of \d+ states/);
        assert.match(await textOf(page, 'tr[data-state="PRK"]', /./), /differs by reading/);
        await page.locator('#status-filter').selectOption('');
        await fitsWidth(page);
        // The date control stays on top while the table scrolls under it.
        await page.evaluate(() => window.scrollTo(0, document.querySelector('#npt').offsetTop - 120));
        await screenshot(page, `registry-${viewport}`);
      });

      test('items: custody and control differ for a shared weapon; its history opens', async () => {
        await open('#/items?at=2026-06-02');
        const row = 'tr[data-item="b61-est-deu-buechel"]';
        await textOf(page, row, /custody ≠ control/);
        assert.equal((await page.textContent(`${row} td.custodian`)).trim(), 'USA');
        assert.match(await page.textContent(`${row} td.controller`), /^DEU/);
        assert.match(await page.textContent(`tr[data-item="b61-est-bel-kleine-brogel"]`), /abroad/);
        assert.doesNotMatch(await page.textContent(`tr[data-item="b61-est-bel-kleine-brogel"]`), /custody ≠ control/);
        await page.locator(`${row} .item-toggle`).click();
        assert.match(await textOf(page, '#hist-b61-est-deu-buechel', /item\./), /item\.deploy_abroad/);
        await fitsWidth(page);
        await screenshot(page, `items-${viewport}`);
        // Grouped by controller, DEU is a group of its own.
        await page.locator('input[name=group-by][value=controller]').check();
        await textOf(page, 'main', /Controller DEU/);
      });

      test('findings: two interpretations, two verdicts, with reasoning and leaves', async () => {
        await open('#/findings?at=2026-06-02');
        const card = 'section.finding[data-obligation="npt-art-2"][data-subject="DEU"]';
        await textOf(page, card, /./);
        const verdicts = await page.$$eval(`${card} article.verdict-col`, (cols) => cols.map((c) => [c.dataset.interpretation, c.dataset.verdict]));
        assert.equal(verdicts.length, 2, JSON.stringify(verdicts));
        assert.deepEqual(new Set(verdicts.map((v) => v[1])), new Set(['complies', 'violates']));
        assert.ok(await page.$(`${card} ol.reasoning li`));
        const leaf = page.locator(`${card} a.leaf`).first();
        assert.match(await leaf.getAttribute('href'), /^#\/log\?index=\d+$/);
        await fitsWidth(page);
        await page.evaluate((sel) => window.scrollTo(0, document.querySelector(sel).getBoundingClientRect().top + window.scrollY - 8), card);
        await screenshot(page, `findings-${viewport}`);
      });

      test('escrow: commitments, verified reveals and the undeclared-site finding', async () => {
        await open('#/escrow');
        await textOf(page, 'section.declaration', /Commitment/);
        assert.match(await page.textContent('section.declaration'), /reveals verify against the commitment/);
        assert.match(await textOf(page, '#escrow-findings', /undeclared/), /undeclared/);
        await fitsWidth(page);
        await screenshot(page, `escrow-${viewport}`);
      });

      test('log explorer: the checkpoint and a proof verify in the browser; tampering fails', async () => {
        await open('#/log');
        await textOf(page, '#checkpoint-verdict', /Signature verified/);
        assert.match(await page.textContent('#checkpoint-verdict'), /the key the server states/);
        await textOf(page, '#proof-verdict', /Inclusion verified/);
        await page.locator('#entry-index').fill('1');
        await page.locator('#entry-index').press('Enter');
        await textOf(page, '#entry h3', /Entry 1$/);
        await textOf(page, '#proof-verdict', /Inclusion verified: entry 1 /);
        await fitsWidth(page);
        await screenshot(page, `log-${viewport}`);

        for (const target of ['signature', 'proof', 'leaf']) {
          await page.locator('#tamper-target').selectOption(target);
          await page.locator('#tamper').click();
          await textOf(page, '#proof-verdict', /NOT verified|Not verified/);
          if (target === 'signature') await textOf(page, '#checkpoint-verdict', /NOT verified/);
          await textOf(page, '#tamper-result', /NOT verified/);
        }
        await page.evaluate(() => window.scrollTo(0, document.querySelector('#entry-h').getBoundingClientRect().top + window.scrollY - 8));
        await screenshot(page, `log-tampered-${viewport}`);
        await page.locator('#untamper').click();
        await textOf(page, '#proof-verdict', /Inclusion verified/);
        await textOf(page, '#checkpoint-verdict', /Signature verified/);

        // A leaf of facility accounts is redacted for the public, and its
        // inclusion still verifies (its hash is public).
        redacted = await page.evaluate(async () => {
          const cp = await (await fetch('/api/v1/checkpoint')).json();
          const page = await (await fetch(`/api/v1/entries?from=0&to=${cp.tree_size}`)).json();
          return page.entries.find((e) => e.redacted || e.submission === null)?.index ?? null;
        });
        assert.notEqual(redacted, null, 'the showcase log has leaves of facility accounts');
        await open(`#/log?index=${redacted}`);
        await textOf(page, '#entry', /Redacted/);
        await textOf(page, '#proof-verdict', /Inclusion verified/);

        // A pinned key is used and named; a wrong one fails.
        const vkey = await page.evaluate(async () => (await (await fetch('/api/v1/checkpoint')).json()).verifier_key);
        await page.locator('#pin-key').fill(vkey);
        await page.getByRole('button', { name: 'Pin', exact: true }).click();
        await textOf(page, '#checkpoint-verdict', /Signature verified.*the key you pinned/s);
        await page.locator('#pin-key').fill('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
        await page.getByRole('button', { name: 'Pin', exact: true }).click();
        await textOf(page, '#checkpoint-verdict', /NOT verified/);
        await page.getByRole('button', { name: 'Unpin' }).click();
        await textOf(page, '#checkpoint-verdict', /Signature verified/);
      });

      test('accountancy: hidden from the public; after signing in as the inspector, Page alarms', async () => {
        await open('#/accountancy');
        await textOf(page, 'main', /visible to their state and the inspectorate/);
        await open('#/signin');
        await screenshot(page, `signin-${viewport}`);
        // A key the log does not know is refused by the server, and forgotten.
        const seed = Uint8Array.from({ length: 32 }, (_, i) => i + 7);
        const stranger = `PRIVATE+KEY+nobody+${toHex(keyId('nobody', ed.getPublicKey(seed)))}+${toBase64(Uint8Array.of(1, ...seed))}`;
        await page.locator('#key-text').fill(stranger);
        await page.locator('#signin-form button[type=submit]').click();
        await textOf(page, '#signin-status', /refused a read signed by nobody/);
        await textOf(page, '#who', /Public view/);
        expected(browser, /^HTTP 401 \/api\/v1\/checkpoint$/);
        await page.locator('#key-text').fill('');
        const keyFile = readdirSync(server.keys).find((f) => /^inspector.*\.key$/.test(f));
        assert.ok(keyFile, `no inspector key in ${server.keys}`);
        await page.locator('#key-file').setInputFiles(join(server.keys, keyFile));
        await page.locator('#signin-form button[type=submit]').click();
        await page.waitForURL(/#\/accountancy/);
        await textOf(page, '#who', /Signed in as inspector/);
        const alarm = await textOf(page, '[id^="page-alarm-"]', /Page/);
        assert.match(alarm, /ALARM at balance \d+/);
        assert.ok((await page.$$('svg.chart')).length >= 3, 'three charts');
        assert.ok(await page.$('svg.chart .alarm'), 'the alarm is marked on a chart');
        assert.ok(await page.$('svg.chart .threshold'), 'the threshold h is drawn');
        // An MBA with fewer than two closed inventories is not evaluated (422), and says so.
        expected(browser, /^HTTP 422 \/api\/v1\/accountancy\/mbas\/\w+\/evaluation$/);
        await fitsWidth(page);
        await page.evaluate(() => window.scrollTo(0, document.querySelector('[id^="page-alarm-"]').getBoundingClientRect().top + window.scrollY - 8));
        await screenshot(page, `accountancy-${viewport}`);

        // Signed in, the inspector reads the leaf the public could not.
        await open(`#/log?index=${redacted}`);
        await textOf(page, '#entry-json', /"actor"/);
        await textOf(page, '#proof-verdict', /Inclusion verified/);

        await open('#/signin');
        await textOf(page, '#signed-in', /Signed in as inspector/);
        await page.locator('#signout').click();
        await textOf(page, '#who', /Public view/);
      });

      test('no script errors on any page', () => {
        assert.deepEqual(browser.errors, []);
      });
    });
  }
});
