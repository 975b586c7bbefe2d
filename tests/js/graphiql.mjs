// GraphiQL as a person meets it: opened in headless Chromium with every request to another host
// blocked (and recorded), as on a council network without CDN access. It chooses a persona,
// runs the query in the editor, switches persona with the drop-down, and saves screenshots.
//
// Usage: node graphiql.mjs <service base URL> <directory for screenshots>
// Prints one JSON object: what it saw. Exits non-zero if GraphiQL did not work.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error('usage: node graphiql.mjs <base URL> <screenshot directory>');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const seen = { elsewhere: [], errors: [], results: {}, headers: {}, personas: [], docs: '' };
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const host = new URL(base).host;
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.host === host) {
      return route.continue();
    }
    seen.elsewhere.push(url.href);
    return route.abort('blockedbyclient');
  });
  page.on('pageerror', (err) => seen.errors.push(`page: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      seen.errors.push(`console: ${msg.text()}`);
    }
  });

  // The result pane's text once it holds `words`.
  const result = async (words) => {
    await page.waitForFunction(
      (w) => (document.querySelector('.result-window')?.textContent ?? '').includes(w),
      words,
      { timeout: 30_000 },
    );
    return page.locator('.result-window').innerText();
  };

  await page.goto(`${base}/graphql?persona=lead`);
  await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
  seen.personas = await page.locator('#hub-persona option').allInnerTexts();
  seen.headers.lead = await page.locator('.graphiql-editor-tool').innerText().catch(() => '');
  await page.screenshot({ path: join(shots, 'graphiql-lead-loaded.png') });

  // The schema loaded (by introspection, from this service): the documentation explorer
  // lists the root types.
  await page.locator('button[aria-label="Show Documentation Explorer"]').click();
  await page.waitForSelector('.graphiql-doc-explorer', { timeout: 30_000 });
  await page.waitForFunction(
    () => (document.querySelector('.graphiql-doc-explorer')?.textContent ?? '').includes('Mutation'),
    null,
    { timeout: 30_000 },
  );
  seen.docs = (await page.locator('.graphiql-doc-explorer').innerText()).slice(0, 300);
  await page.screenshot({ path: join(shots, 'graphiql-lead-docs.png') });
  await page.locator('button[aria-label="Hide Documentation Explorer"]').click();
  await page.locator('.graphiql-execute-button').click();
  seen.results.lead = await result('Central London');
  await page.screenshot({ path: join(shots, 'graphiql-lead-result.png') });

  // Another persona from the drop-down: the page reloads with its token.
  await page.selectOption('#hub-persona', 'partner');
  await page.waitForURL(/persona=partner/, { timeout: 30_000 });
  await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
  await page.locator('.graphiql-execute-button').click();
  seen.results.partner = await result('Local Government Association');
  await page.screenshot({ path: join(shots, 'graphiql-partner-result.png') });
} catch (err) {
  seen.errors.push(`driver: ${err.message}`);
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
process.exit(seen.errors.length === 0 && seen.elsewhere.length === 0 ? 0 : 1);
