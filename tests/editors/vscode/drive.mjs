// Drive a real VS Code workbench (code-server) in headless Chromium the way a user would.
// Default scenario: open a Python file, wait for surefix's diagnostics, open the quick-fix
// menu on a range, screenshot it, apply the first (preferred) fix, save, then optionally run a
// palette command and wait for the notification it ends with, and with `report` open the model
// report from the palette and then from the status-bar item. With `expect`: open the file and
// wait for a notification containing that text (e.g. a server that cannot start). With `type`:
// type that text at the end of the file and save it, so the save's own actions run (organize
// imports and format on save, as the user settings say).
//
// The script gathers what it saw and prints it as one JSON line; the pytest side judges it.
// It fails (exit 1, plus an `error.png` screenshot) only when something never appears.
//
// Usage: node drive.mjs <config.json>
//   {base, folder, file, artifacts, modules, selectLines?, command?, commandTimeoutMs?, report?,
//    expect?, type?}
// `modules` is the node_modules folder holding playwright-core (the extension's dev deps).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { chromium } = createRequire(join(config.modules, 'noop.js'))('playwright-core');

const t0 = Date.now();
const log = (...parts) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...parts);
const WAIT = 60_000;
const PROGRESS_TITLE = 'surefix: retraining the local model';

// The browser can resolve nothing but loopback: the workbench must not reach the internet.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

async function openWorkbench(page) {
  await page.goto(`${config.base}/?folder=${encodeURIComponent(config.folder)}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.monaco-workbench', { timeout: WAIT });
  await page.waitForSelector('.part.statusbar', { timeout: WAIT });
  log('workbench loaded');
}

/** The workbench ignores keys for a moment after it appears: press until `selector` shows. */
async function pressUntil(page, key, selector) {
  for (let attempt = 0; attempt < 30; attempt++) {
    await page.keyboard.press(key);
    try {
      await page.waitForSelector(selector, { state: 'visible', timeout: 2000 });
      return;
    } catch {
      await page.keyboard.press('Escape');
    }
  }
  throw new Error(`${key} never opened ${selector}`);
}

async function openFile(page, relativePath) {
  await page.locator('.monaco-workbench').click({ position: { x: 640, y: 400 } });
  await pressUntil(page, 'Control+P', '.quick-input-widget input');
  await page.keyboard.type(relativePath);
  await page.waitForSelector('.quick-input-list .monaco-list-row', { timeout: WAIT });
  await page.keyboard.press('Enter');
  await page.waitForSelector('.editor-instance .view-lines', { timeout: WAIT });
  log('editor open:', relativePath);
}

async function waitForDiagnostics(page) {
  await page.waitForSelector(
    '.squiggly-warning, .squiggly-error, .squiggly-info, .squiggly-inline-unnecessary',
    { timeout: WAIT },
  );
  log('diagnostics rendered');
}

/** Selects lines 1..n (so every diagnostic on them is in the request) and presses Ctrl+. */
async function openQuickFixMenu(page, lines) {
  await page.locator('.editor-instance .view-lines').click();
  await page.keyboard.press('Control+Home');
  for (let i = 1; i < lines; i++) {
    await page.keyboard.press('Shift+ArrowDown');
  }
  await page.keyboard.press('Shift+End');
  await pressUntil(page, 'Control+.', '.action-widget .monaco-list-row.action');
  // The menu opens once every provider has answered; its rows are then final.
  const rows = page.locator('.action-widget .monaco-list-row.action');
  const titles = (await rows.allInnerTexts()).map((text) => text.trim());
  log('quick fixes:', JSON.stringify(titles));
  return titles;
}

/** Enter takes the highlighted first row. The edit shows as changed editor text (whether the
 * tab turns dirty depends on the workbench's save settings), then Ctrl+S writes it. */
async function applyFirstAndSave(page) {
  const lines = page.locator('.editor-instance .view-lines');
  const before = await lines.innerText();
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    (text) => document.querySelector('.editor-instance .view-lines')?.innerText !== text,
    before,
    { timeout: WAIT, polling: 100 },
  );
  await page.keyboard.press('Control+S');
  await page.waitForSelector('.tab.active:not(.dirty)', { timeout: WAIT });
  log('fix applied and saved');
}

async function statusText(page) {
  const items = await page.locator('.statusbar-item').allInnerTexts();
  return items.map((text) => text.trim()).find((text) => text.startsWith('surefix')) ?? null;
}

async function toastTexts(page) {
  const toasts = await page.locator('.notification-toast .notification-list-item-message').allInnerTexts();
  return toasts.map((text) => text.trim());
}

/** Waits for a notification that was not up before and passes `wanted`; all new ones. */
async function waitForNotification(page, before, wanted, timeout) {
  await page.waitForFunction(
    ({ seen, wanted }) => [...document.querySelectorAll('.notification-toast .notification-list-item-message')]
      .map((node) => node.textContent.trim())
      .some((text) => text && !seen.includes(text) && new RegExp(wanted).test(text)),
    { seen: [...before], wanted: wanted.source },
    { timeout, polling: 250 },
  );
  const after = (await toastTexts(page)).filter((text) => !before.has(text));
  log('notifications:', JSON.stringify(after));
  return after;
}

/** Runs a palette command and waits for a notification other than our own progress one:
 * the server's closing window/showMessage, or the error the extension shows. */
async function runPaletteCommand(page, title) {
  await page.locator('.editor-instance .view-lines').click();
  await pressUntil(page, 'Control+Shift+P', '.quick-input-widget input');
  await page.keyboard.type(title);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title });
  await row.first().waitFor({ state: 'visible', timeout: WAIT });
  const before = new Set(await toastTexts(page));
  await page.keyboard.press('Enter');
  log('ran:', title);
  const notOurProgress = new RegExp(`^(?!${PROGRESS_TITLE})`);
  return waitForNotification(page, before, notOurProgress, config.commandTimeoutMs ?? 300_000);
}

/** Runs a palette command that ends in no notification of its own. */
async function runQuietPaletteCommand(page, title) {
  await pressUntil(page, 'Control+Shift+P', '.quick-input-widget input');
  await page.keyboard.type(title);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title });
  await row.first().waitFor({ state: 'visible', timeout: WAIT });
  await page.keyboard.press('Enter');
  log('ran:', title);
}

async function tabTitles(page) {
  const tabs = await page.locator('.tabs-container .tab .label-name').allInnerTexts();
  return tabs.map((text) => text.trim());
}

/** The webview frame showing the report (the page's h1), once its content is in. */
async function reportFrame(page) {
  const deadline = Date.now() + WAIT;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const heading = await frame.locator('h1').first().innerText({ timeout: 200 }).catch(() => null);
      if (heading !== null && heading.includes('surefix model report')) {
        return frame;
      }
    }
    await page.waitForTimeout(250);
  }
  throw new Error('the report never appeared in a webview');
}

/** What the user sees of the report: the active tab, the page inside it, and no browser tab
 * or notification besides. */
async function seeReport(page, opened) {
  await page.waitForSelector('.tabs-container .tab.active', { timeout: WAIT });
  await page.waitForFunction(
    () => document.querySelector('.tabs-container .tab.active .label-name')?.textContent?.trim()
      === 'surefix model report',
    undefined,
    { timeout: WAIT, polling: 100 },
  );
  const frame = await reportFrame(page);
  const view = {
    activeTab: (await page.locator('.tabs-container .tab.active .label-name').innerText()).trim(),
    tabs: await tabTitles(page),
    heading: (await frame.locator('h1').first().innerText()).trim(),
    sections: (await frame.locator('h2').allInnerTexts()).map((text) => text.trim()),
    scripts: await frame.locator('script').count(),
    policy: await frame.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content'),
    inWebview: await page.locator('.webview, iframe.webview').count() > 0,
    pages: opened.length,
    notifications: await toastTexts(page),
  };
  log('report:', JSON.stringify(view));
  return view;
}

async function closeActiveTab(page) {
  const tab = page.locator('.tabs-container .tab.active');
  await tab.hover();
  await tab.locator('.tab-actions .action-label').first().click();
  await page.waitForFunction(
    () => ![...document.querySelectorAll('.tabs-container .tab .label-name')]
      .some((node) => node.textContent.trim() === 'surefix model report'),
    undefined,
    { timeout: WAIT, polling: 100 },
  );
}

/** The report from the palette, closed, then from the status-bar item. */
async function reportScenario(page, seen, opened) {
  await page.locator('.editor-instance .view-lines').click();
  await runQuietPaletteCommand(page, 'Notifications: Clear All Notifications');
  await page.waitForSelector('.notification-toast', { state: 'detached', timeout: WAIT });
  await runQuietPaletteCommand(page, 'Surefix: Show model report');
  seen.report = { palette: await seeReport(page, opened) };
  await page.screenshot({ path: join(config.artifacts, 'vscode-report.png') });
  await closeActiveTab(page);
  seen.report.afterClose = await tabTitles(page);
  await page.locator('.statusbar-item', { hasText: /surefix \S+ · data/ }).first().click();
  log('clicked the status-bar item');
  seen.report.statusBar = await seeReport(page, opened);
}

async function quickFixScenario(page, seen, opened) {
  await waitForDiagnostics(page);
  seen.titles = await openQuickFixMenu(page, config.selectLines ?? 1);
  await page.screenshot({ path: join(config.artifacts, 'vscode-quickfix.png') });
  await applyFirstAndSave(page);
  seen.status = await statusText(page);
  if (config.command) {
    seen.notifications = await runPaletteCommand(page, config.command);
    await page.screenshot({ path: join(config.artifacts, 'vscode-command.png') });
  }
  if (config.report) {
    await reportScenario(page, seen, opened);
  }
}

/** Types `config.type` at the end of the file and saves it: the tab turns clean once the
 * save's participants (code actions on save, the formatter) have run and the file is written. */
async function saveScenario(page, seen) {
  await waitForDiagnostics(page);
  await page.locator('.editor-instance .view-lines').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(config.type);
  await page.waitForSelector('.tab.active.dirty', { timeout: WAIT });
  await page.keyboard.press('Control+S');
  await page.waitForSelector('.tab.active:not(.dirty)', { timeout: WAIT });
  seen.saved = await page.locator('.editor-instance .view-lines').innerText();
  await page.screenshot({ path: join(config.artifacts, 'vscode-saved.png') });
  log('typed and saved');
}

async function notificationScenario(page, seen) {
  const escaped = config.expect.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  seen.notifications = await waitForNotification(page, new Set(), new RegExp(escaped), WAIT);
  await page.screenshot({ path: join(config.artifacts, 'vscode-notification.png') });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const opened = []; // pages the workbench opens besides its own (an external browser tab)
  context.on('page', (other) => {
    opened.push(other.url());
    log('a page opened outside the workbench:', other.url());
  });
  const seen = {};
  try {
    await openWorkbench(page);
    await openFile(page, config.file);
    if (config.expect) {
      await notificationScenario(page, seen);
    } else if (config.type !== undefined) {
      await saveScenario(page, seen);
    } else {
      await quickFixScenario(page, seen, opened);
    }
  } catch (error) {
    await page.screenshot({ path: join(config.artifacts, 'error.png') }).catch(() => {});
    console.error('FAIL:', error.stack || String(error));
    process.exitCode = 1;
  } finally {
    seen.external = opened;
    console.log(JSON.stringify(seen));
    await browser.close();
  }
}

await main();
