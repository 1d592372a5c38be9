// UI-level checks through the browser, in code-server with the packaged .vsix installed: what a person sees.
// Suggest rows, hover text, Problems panel rows (and a quick fix that clears one), the Secrets view with lock
// icons and no write action, then with a writable server, Create Secret. Screenshots go to test-results/
// (tree.png, completion.png, hover.png, problems.png, tree-writable.png).
// Run alone: node test/ui/ui.mjs [--keep]   (after `npm run build && npm run package`)
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { extensionId, testResultsDir, vsixPath } from '../../scripts/vscode/paths.mjs';
import {
  copyWorkspace,
  createRunDir,
  delay,
  installVsix,
  launchBrowser,
  listFiles,
  removeRunDir,
  startCodeServer,
  workbenchUrl,
  writeUserSettings,
} from '../../scripts/vscode/server.mjs';
import { scanForCanary, testWorkspace, workspaceCanaries } from '../../scripts/vscode/workspace.mjs';

/** The keys Kestra OSS loads from the test workspace (see test/integration/helpers.ts). */
const VISIBLE_KEYS = ['API_TOKEN', 'DB_CREDENTIALS', 'DB_PASSWORD', 'SLACK_CHANNEL', 'SMTP_CONFIG'];
const uiSettings = { 'workbench.editor.enablePreview': false, 'breadcrumbs.enabled': false };
const SELECTORS = {
  workbench: '.monaco-workbench',
  editor: '.editor-instance .monaco-editor .view-lines',
  suggestRows: '.editor-widget.suggest-widget.visible .monaco-list-row',
  hover: '.monaco-hover:not(.hidden) .monaco-hover-content',
  problemRows: '.markers-panel .monaco-list-row',
  activityBarItem: '.part.activitybar .action-item a.action-label[aria-label^="Kestra Secrets"]',
  activityBarItemOpen: '.part.activitybar .action-item.checked a.action-label[aria-label^="Kestra Secrets"]',
  treeRows: '.part.sidebar .customview-tree .monaco-list-row',
  lockIcons: '.part.sidebar .customview-tree .custom-view-tree-node-item-icon.codicon-lock',
  quickInput: '.quick-input-widget .quick-input-box input',
  quickInputRows: '.quick-input-widget .quick-input-list .monaco-list-row',
  quickFixRows: '.action-widget .monaco-list-row.action',
};

function log(message) {
  console.log(`[ui] ${message}`);
}

/** Waits until the extension host logged our activation (activation is not in the DOM). */
async function waitForActivation(run, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  const logsDir = join(run.userDataDir, 'logs');
  while (Date.now() < deadline) {
    for (const session of existsSync(logsDir) ? readdirSync(logsDir) : []) {
      for (const host of readdirSync(join(logsDir, session)).filter((name) => name.startsWith('exthost'))) {
        const file = join(logsDir, session, host, 'remoteexthost.log');
        if (existsSync(file) && readFileSync(file, 'utf8').includes(`_doActivateExtension ${extensionId}`)) return;
      }
    }
    await delay(250);
  }
  throw new Error(`${extensionId} was not activated within ${timeoutMs / 1000} s`);
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator(SELECTORS.quickInput);
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator(SELECTORS.quickInputRows).first().waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
}

async function openFile(page, relativePath) {
  await page.keyboard.press('Control+P');
  const input = page.locator(SELECTORS.quickInput);
  await input.waitFor({ state: 'visible' });
  await input.fill(relativePath);
  await page.locator(SELECTORS.quickInputRows).first().waitFor({ state: 'visible' });
  await delay(300);
  await page.keyboard.press('Enter');
  const name = relativePath.split('/').pop();
  await page.locator(`.tabs-container .tab.active[aria-label^="${name}"]`).waitFor({ state: 'visible', timeout: 15_000 });
  await page.locator(SELECTORS.editor).first().click();
}

/** Waits until a rendered line of the active editor contains `text`. */
async function waitForEditorLine(page, text, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let lines = [];
  while (Date.now() < deadline) {
    lines = await page
      .locator('.editor-instance .view-line')
      .evaluateAll((elements) => elements.map((element) => (element.textContent ?? '').replace(/\u00a0/g, ' ')));
    if (lines.some((line) => line.includes(text))) return;
    await delay(200);
  }
  assert.fail(`no editor line contains ${text}:\n${lines.join('\n')}`);
}

/** Moves the cursor with "Go to Line/Column" (Ctrl+G), 1-based like the editor shows. */
async function goTo(page, line, column) {
  await page.keyboard.press('Control+G');
  const input = page.locator(SELECTORS.quickInput);
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  await delay(200);
}

function lineAndColumnOf(workspace, relativePath, needle, offset = 0) {
  const lines = readFileSync(join(workspace, relativePath), 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes(needle));
  assert.ok(index >= 0, `${needle} not in ${relativePath}`);
  return { line: index + 1, column: lines[index].indexOf(needle) + offset + 1 };
}

async function texts(locator) {
  return (await locator.allInnerTexts()).map((text) => text.trim());
}

async function screenshot(page, name) {
  mkdirSync(testResultsDir, { recursive: true });
  const path = join(testResultsDir, name);
  await page.screenshot({ path });
  log(`screenshot ${path}`);
}

/**
 * Copies our extension's logs and the extension hosts' own, of every window session so far, next to the failure's
 * screenshot: what the extension saw (configuration, store, errors) is then on record after the run folder is gone.
 */
function keepExtensionLogs(run, name) {
  const logsDir = join(run.userDataDir, 'logs');
  const target = join(testResultsDir, name);
  const wanted = (file) => file.endsWith('.log') && (file.includes(`/${extensionId}/`) || basename(file) === 'remoteexthost.log');
  try {
    for (const file of (existsSync(logsDir) ? listFiles(logsDir) : []).filter(wanted)) {
      const copy = join(target, relative(logsDir, file));
      mkdirSync(dirname(copy), { recursive: true });
      copyFileSync(file, copy);
    }
    log(`logs ${target}`);
  } catch (error) {
    log(`could not keep the logs: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function assertNoCanaryOnScreen(pageText, where) {
  for (const canary of workspaceCanaries(testWorkspace)) {
    assert.ok(!pageText.includes(canary), `${where} shows (part of) the canary secret value`);
  }
}

const checks = [
  {
    name: "typing {{ secret(' lists exactly the visible keys in the suggest widget",
    async run({ page }) {
      await openFile(page, 'flows/company.team/typing.yml');
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type(`    description: "{{ secret('`, { delay: 30 });
      const rows = page.locator(SELECTORS.suggestRows);
      await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
      await delay(500);
      const labels = await texts(page.locator(`${SELECTORS.suggestRows} .label-name`));
      // Ctrl+Space on an open suggest widget shows the focused item's details, as a person would look at them.
      await page.keyboard.press('Control+Space');
      await delay(800);
      await screenshot(page, 'completion.png');
      assert.deepEqual([...labels].sort(), [...VISIBLE_KEYS].sort());
      assertNoCanaryOnScreen(await page.locator('body').innerText(), 'the suggest widget');
      await page.keyboard.press('Escape');
    },
  },
  {
    name: "subkey=' lists the fields of the JSON secret",
    async run({ page }) {
      await page.keyboard.type(`DB_CREDENTIALS', subkey='`, { delay: 30 });
      const rows = page.locator(SELECTORS.suggestRows);
      await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
      await delay(300);
      const labels = await texts(page.locator(`${SELECTORS.suggestRows} .label-name`));
      assert.deepEqual([...labels].sort(), ['password', 'user']);
      await page.keyboard.press('Escape');
      await runCommand(page, 'File: Revert File');
      await delay(300);
    },
  },
  {
    name: 'Insert Secret Reference picks a key and types its reference',
    async run({ page }) {
      await openFile(page, 'flows/company.team/typing.yml');
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('    description: ', { delay: 20 });
      await runCommand(page, 'Kestra Secrets: Insert Secret Reference');
      const input = page.locator(SELECTORS.quickInput);
      await page.locator(SELECTORS.quickInputRows).first().waitFor({ state: 'visible' });
      const offered = await texts(page.locator(`${SELECTORS.quickInputRows} .label-name`));
      for (const key of VISIBLE_KEYS) assert.ok(offered.includes(key), `${key} offered; got ${offered.join(', ')}`);
      await input.fill('DB_PASSWORD');
      await delay(300);
      await page.keyboard.press('Enter');
      await page.locator(SELECTORS.quickInput).waitFor({ state: 'hidden' });
      await waitForEditorLine(page, "description: {{ secret('DB_PASSWORD') }}");
      await runCommand(page, 'File: Revert File');
      await delay(300);
    },
  },
  {
    name: 'hover shows the metadata of a secret, never its value',
    async run({ page, workspace }) {
      await openFile(page, 'flows/company.team/etl.yml');
      const { line, column } = lineAndColumnOf(workspace, 'flows/company.team/etl.yml', "secret('DB_CREDENTIALS'", "secret('DB".length);
      await goTo(page, line, column);
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      const hover = page.locator(SELECTORS.hover).first();
      await hover.waitFor({ state: 'visible', timeout: 15_000 });
      await delay(300);
      const text = await hover.innerText();
      await screenshot(page, 'hover.png');
      assert.match(text, /DB_CREDENTIALS/);
      assert.match(text, /read-only/i);
      assert.match(text, /user/);
      assertNoCanaryOnScreen(await page.locator('body').innerText(), 'the hover');
      await page.keyboard.press('Escape');
    },
  },
  {
    name: 'the Problems panel lists each missing key and sub-key on its line',
    async run({ page, workspace }) {
      await page.keyboard.press('Control+Shift+M');
      const rows = page.locator(SELECTORS.problemRows);
      await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
      await delay(1000);
      const labels = await rows.evaluateAll((elements) => elements.map((element) => element.getAttribute('aria-label') ?? ''));
      await screenshot(page, 'problems.png');
      const expectations = [
        ['MISSING_KEY', lineAndColumnOf(workspace, 'flows/company.team/etl.yml', "'MISSING_KEY'", 1)],
        ["sub-key 'port'", lineAndColumnOf(workspace, 'flows/company.team/etl.yml', "subkey='port'", "subkey='".length)],
        ['DB_PASWORD', lineAndColumnOf(workspace, 'flows/company.team.sub/report.yml', "'DB_PASWORD'", 1)],
      ];
      for (const [text, { line, column }] of expectations) {
        const row = labels.find((label) => label.includes(text));
        assert.ok(row, `a Problems row about ${text}; rows: ${labels.join(' | ')}`);
        assert.match(row, new RegExp(`line ${line} and character ${column}\\b`), row);
      }
      for (const label of labels) assertNoCanaryOnScreen(label, 'a Problems row');
    },
  },
  {
    name: 'a quick fix makes its problem disappear',
    async run({ page, workspace }) {
      await openFile(page, 'flows/company.team.sub/report.yml');
      const { line, column } = lineAndColumnOf(workspace, 'flows/company.team.sub/report.yml', 'DB_PASWORD', 2);
      await goTo(page, line, column);
      await page.keyboard.press('Control+.');
      const fixes = page.locator(SELECTORS.quickFixRows);
      await fixes.first().waitFor({ state: 'visible', timeout: 15_000 });
      const titles = await texts(fixes);
      const index = titles.findIndex((title) => title.includes('DB_PASSWORD'));
      assert.ok(index >= 0, `a fix to DB_PASSWORD among: ${titles.join(' | ')}`);
      // The action widget blocks pointer events around it: choose with the keyboard, as people do.
      for (let step = 0; step < index; step++) await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      const problems = page.locator(SELECTORS.problemRows);
      const deadline = Date.now() + 15_000;
      let labels = [];
      while (Date.now() < deadline) {
        labels = await problems.evaluateAll((elements) => elements.map((element) => element.getAttribute('aria-label') ?? ''));
        if (!labels.some((label) => label.includes('DB_PASWORD'))) break;
        await delay(250);
      }
      assert.ok(!labels.some((label) => label.includes('DB_PASWORD')), 'the DB_PASWORD problem is still listed');
      await runCommand(page, 'File: Revert File');
    },
  },
  {
    name: 'the Kestra Secrets view shows every secret with a lock, and no write action',
    async run({ page }) {
      await runCommand(page, 'View: Hide Panel');
      await showSecretsView(page);
      await widenSidebar(page, 460);
      await expandUntilShown(page, VISIBLE_KEYS);
      // One more level: the fields of the JSON secrets (names only, never values).
      const labels = await expandUntilShown(page, [...VISIBLE_KEYS, 'user', 'password', 'host']);
      await page.mouse.move(900, 700);
      await delay(300);
      await screenshot(page, 'tree.png');
      for (const key of VISIBLE_KEYS) assert.ok(labels.includes(key), `the tree shows ${key}; rows: ${labels.join(', ')}`);
      const locks = await page.locator(SELECTORS.lockIcons).count();
      assert.ok(locks >= VISIBLE_KEYS.length, `${locks} lock icons for ${VISIBLE_KEYS.length} read-only secrets`);
      const titleActions = await page
        .locator('.part.sidebar .title-actions .action-label')
        .evaluateAll((elements) => elements.map((element) => element.getAttribute('aria-label') ?? ''));
      assert.ok(!titleActions.some((label) => /create/i.test(label)), `no Create action when read-only: ${titleActions.join(', ')}`);
      assertNoCanaryOnScreen(await page.locator('body').innerText(), 'the Secrets view');
    },
  },
  {
    name: "the explorer's context menu of a .env offers Encode .env File",
    async run({ page }) {
      await page.keyboard.press('Control+Shift+E');
      const row = page.locator('.explorer-folders-view .monaco-list-row[aria-label=".env"]');
      await row.waitFor({ state: 'visible' });
      await row.click({ button: 'right' });
      const items = page.locator('.monaco-menu .action-label');
      await items.first().waitFor({ state: 'visible' });
      const labels = await texts(items);
      await page.keyboard.press('Escape');
      assert.ok(labels.includes('Encode .env File'), `menu: ${labels.filter(Boolean).join(' | ')}`);
      assert.ok(!labels.includes('Decode Encoded Env File'), 'decode is for encoded files only');
    },
  },
  {
    name: 'the command palette offers no create/edit/delete while the backend is read-only',
    async run({ page }) {
      await page.keyboard.press('F1');
      const input = page.locator(SELECTORS.quickInput);
      await input.waitFor({ state: 'visible' });
      await input.fill('>Kestra Secrets:');
      await page.locator(SELECTORS.quickInputRows).first().waitFor({ state: 'visible' });
      await delay(500);
      const entries = await texts(page.locator(`${SELECTORS.quickInputRows} .label-name`));
      await page.keyboard.press('Escape');
      assert.ok(entries.length > 0, 'Kestra Secrets commands are in the palette');
      const writes = entries.filter((entry) => /\b(create|edit|delete)\b/i.test(entry));
      assert.deepEqual(writes, []);
    },
  },
  {
    name: 'with a writable Kestra server, Create Secret appears in the view and the palette',
    async run({ page, run }) {
      const fake = await startFakeKestraServer();
      try {
        await reloadWithSettings(page, run, { ...uiSettings, 'kestraSecrets.server': { url: fake.url, tenant: 'main' } });
        await widenSidebar(page, 460);
        await expandUntilShown(page, ['TEAM_DB', 'SUB_ONLY']);
        const create = page.locator('.part.sidebar .title-actions .action-label[aria-label^="Create Secret"]');
        await create.waitFor({ state: 'visible', timeout: 20_000 });
        await page.mouse.move(900, 700);
        await screenshot(page, 'tree-writable.png');
        await page.keyboard.press('F1');
        await page.locator(SELECTORS.quickInput).fill('>Kestra Secrets: Create Secret');
        await page.locator(SELECTORS.quickInputRows).first().waitFor({ state: 'visible' });
        const entries = await texts(page.locator(`${SELECTORS.quickInputRows} .label-name`));
        await page.keyboard.press('Escape');
        assert.ok(entries.includes('Kestra Secrets: Create Secret'), `palette: ${entries.join(' | ')}`);
        assert.equal(await page.locator(SELECTORS.lockIcons).count(), 0, 'no lock on a writable server');
      } finally {
        writeUserSettings(run, uiSettings);
        await fake.stop();
      }
    },
  },
];

/**
 * Writes the user settings on disk and reloads the window, which re-reads them, until the Secrets view shows a Kestra
 * server. Now and then (3 of about 20 runs) the reloaded window still had the settings from before the write: its
 * extension host was started with them and no configuration change followed (the logs of every host, kept on
 * failure, show no "Settings changed"), while a further reload read them. So a window that comes back with the env
 * store is reloaded once more; a second miss fails the check.
 */
async function reloadWithSettings(page, run, settings) {
  const serverRow = page.locator(SELECTORS.treeRows, { hasText: 'Kestra server' }).first();
  for (let attempt = 1; ; attempt++) {
    writeUserSettings(run, settings);
    await page.reload();
    await page.locator(SELECTORS.activityBarItem).waitFor({ state: 'visible', timeout: 60_000 });
    await delay(1500);
    await showSecretsView(page);
    const shown = await serverRow.waitFor({ state: 'visible', timeout: 15_000 }).then(
      () => true,
      () => false,
    );
    if (shown) return;
    if (attempt === 2) throw new Error('after two reloads, the window still had not read the user settings written on disk');
    log('the reloaded window kept the settings from before the write; reloading once more');
  }
}

/**
 * Opens the Secrets view and waits for its rows. Its activity bar item toggles the side bar: a click on it while the
 * view is open (a reload restores the view that was open) would close it.
 */
async function showSecretsView(page) {
  if ((await page.locator(SELECTORS.activityBarItemOpen).count()) === 0) await page.locator(SELECTORS.activityBarItem).click();
  await page.locator(SELECTORS.treeRows).first().waitFor({ state: 'visible', timeout: 20_000 });
}

/** The loopback Kestra Enterprise fake of test/fakes (TypeScript, loaded through tsx). */
async function startFakeKestraServer() {
  const { tsImport } = await import('tsx/esm/api');
  const { startKestraServer } = await tsImport('../fakes/kestraServer.ts', import.meta.url);
  return startKestraServer({
    edition: 'ee',
    readOnly: false,
    secrets: [
      { namespace: 'company.team', key: 'TEAM_DB' },
      { namespace: 'company.team.sub', key: 'SUB_ONLY' },
    ],
  });
}

/** Expands collapsed rows of the Secrets view (children load asynchronously) until `labels` all show. */
async function expandUntilShown(page, labels, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let shown = [];
  while (Date.now() < deadline) {
    shown = await texts(page.locator(`${SELECTORS.treeRows} .label-name`));
    if (labels.every((label) => shown.includes(label))) break;
    const collapsed = page.locator(`${SELECTORS.treeRows}[aria-expanded="false"]`);
    for (let index = (await collapsed.count()) - 1; index >= 0; index--) {
      await collapsed
        .nth(index)
        .locator('.monaco-tl-twistie')
        .click()
        .catch(() => undefined);
    }
    await delay(300);
  }
  return shown;
}

/** Drags the sidebar's edge so that the tree's descriptions fit in the screenshot. */
async function widenSidebar(page, width) {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width - 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 8 });
  await page.mouse.up();
  await delay(300);
}

export async function runUiChecks({ keep = false, onCleanup = () => () => undefined } = {}) {
  if (!existsSync(vsixPath)) throw new Error(`${vsixPath} is missing: run npm run package first`);
  const run = createRunDir('ui');
  if (!keep) onCleanup(() => removeRunDir(run));
  writeUserSettings(run, uiSettings);
  installVsix(run, vsixPath);
  const workspace = copyWorkspace(run, testWorkspace);
  const server = await startCodeServer(run, { folder: workspace, logLevel: 'trace' });
  const stopServer = onCleanup(() => server.stop());
  const browser = await launchBrowser(run);
  const closeBrowser = onCleanup(() => browser.close());
  const { page } = browser;
  page.setDefaultTimeout(20_000);
  let failures = 0;
  try {
    await page.goto(workbenchUrl(server, workspace));
    await page.locator(SELECTORS.workbench).waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
    await delay(1500);
    await page.locator('.part.editor').click();
    await openFile(page, 'flows/company.team/typing.yml');
    await waitForActivation(run);
    await delay(2000);
    for (const check of checks) {
      const started = Date.now();
      try {
        await check.run({ page, workspace, run });
        log(`✔ ${check.name} (${Date.now() - started} ms)`);
      } catch (error) {
        failures++;
        log(`✖ ${check.name}: ${error instanceof Error ? error.message : String(error)}`);
        await screenshot(page, `failure-${checks.indexOf(check) + 1}.png`).catch(() => undefined);
        keepExtensionLogs(run, `failure-${checks.indexOf(check) + 1}-logs`);
        await page.keyboard.press('Escape').catch(() => undefined);
      }
    }
  } finally {
    await browser.close();
    closeBrowser();
    await server.stop();
    stopServer();
  }
  const leaks = scanForCanary(
    [run.userDataDir, workspace],
    workspaceCanaries(testWorkspace),
    (path) => path.startsWith(workspace) && /\/\.env(_encoded)?$/.test(path),
  );
  for (const leak of leaks) log(`✖ CANARY LEAK: ${leak}`);
  log(`${checks.length - failures} passing, ${failures} failing`);
  return { ok: failures === 0 && leaks.length === 0, failures, leaks };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const cleanups = [];
  const onCleanup = (cleanup) => {
    cleanups.push(cleanup);
    return () => cleanups.splice(cleanups.indexOf(cleanup), 1);
  };
  let ok = false;
  try {
    ({ ok } = await runUiChecks({ keep: process.argv.includes('--keep'), onCleanup }));
  } catch (error) {
    console.error(`[ui] ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
  process.exit(ok ? 0 : 1);
}
