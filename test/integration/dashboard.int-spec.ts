import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { AppProcess } from './support/app-process.js';
import { dashboardSize } from './support/dashboard-size.js';
import { Suite } from './support/suite.js';

/**
 * The web dashboard in a real browser (Debian's Chromium driven by playwright-core) against the
 * real api, relay and worker processes: the key gate, creating tasks through the task-type form,
 * a task moving from NEW to COMPLETED on its page without a reload, cancelling, retrying from
 * the DLQ view, and a read-only key refused with the API's problem. Screenshots of every page go
 * to test-results/dashboard/ (printed at the end) for a reviewer to look at.
 */
const WRITER_KEY = 'dashboard-writer-key-0123456789';
const READER_KEY = 'dashboard-reader-key-0123456789';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = resolve('test-results/dashboard');
/** Long enough for a loaded machine; a status change normally shows within two polls. */
const LIVE_TIMEOUT_MS = 45_000;
const PRIORITIES = ['HIGH', 'MEDIUM', 'LOW'];

describe('dashboard', () => {
  let suite: Suite;
  let api: AppProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`);
    suite = await Suite.create('dashboard', { API_KEYS: WRITER_KEY, API_READ_ONLY_KEYS: READER_KEY });
    [api] = await Promise.all([suite.startProcess('api'), suite.startProcess('relay'), suite.startProcess('worker')]);
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Chromium's sandbox cannot start as root (CI containers run as root).
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content[- ]Security[- ]Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await suite?.teardown();
    console.log(`dashboard screenshots: ${SHOTS}`);
  }, 60_000);

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  /** Creates a task through the form of its type on the Task types view; returns its id. */
  async function createThroughForm(type: string, title: string, payload: Record<string, string>, maxAttempts?: string): Promise<string> {
    await page.goto(`${api.url}/dashboard/#/types?type=${type}`);
    const form = page.getByRole('form', { name: `Create a ${type} task` });
    await form.getByLabel('Title').fill(title);
    if (maxAttempts) await form.getByLabel('Max attempts').fill(maxAttempts);
    for (const [name, value] of Object.entries(payload)) {
      const field = form.locator(`[name="${name}"]`);
      if ((await field.evaluate((e) => e.tagName)) === 'SELECT') await field.selectOption(value);
      else await field.fill(value);
    }
    await form.getByRole('button', { name: `Create a ${type} task` }).click();
    const link = form.locator('a.created-task');
    await link.waitFor();
    const href = (await link.getAttribute('href'))!;
    return href.replace('#/tasks/', '');
  }

  async function statusShown(): Promise<string> {
    return (await page.locator('.status-line .badge').textContent()) ?? '';
  }

  it('serves the page with its own strict Content-Security-Policy', async () => {
    const response = await page.goto(`${api.url}/dashboard`);

    expect(response!.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/dashboard/');
    const csp = (await response!.allHeaders())['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('tells a wrong key apart, clearly, and lets the right one in', async () => {
    await page.goto(`${api.url}/dashboard/`);
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Open the dashboard' }).click();

    const refused = page.getByRole('alert').filter({ hasText: 'The API refused this key' });
    await refused.waitFor();
    expect(await refused.textContent()).toContain('The API key is not valid');
    expect(page.url()).not.toContain('not-a-key');
    await shot('01-wrong-key');

    await page.getByLabel('API key').fill(WRITER_KEY);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    expect(await page.evaluate("sessionStorage.getItem('task-dashboard.api-key')")).toBe(WRITER_KEY);
    expect(page.url()).not.toContain(WRITER_KEY);
  });

  it('creates a task through its type form and shows it move from NEW to COMPLETED live, without a reload', async () => {
    const id = await createThroughForm('sleep', 'Watch me run', { ms: '2500' });
    expect(await page.locator('form[aria-label="Create a sleep task"] .notice').textContent()).toContain('(NEW)');
    await shot('02-task-types');
    await page.locator('a.created-task').click();
    await page.getByRole('heading', { name: 'Watch me run' }).waitFor();
    // A marker on the window: a reload or a navigation away would lose it.
    await page.evaluate('window.stillTheSamePage = true');
    const seen = new Set([await statusShown()]);

    const deadline = Date.now() + LIVE_TIMEOUT_MS;
    while (!seen.has('COMPLETED') && Date.now() < deadline) {
      await page.waitForTimeout(200);
      seen.add(await statusShown());
    }

    expect(seen).toContain('COMPLETED');
    expect([...seen].some((s) => s !== 'COMPLETED')).toBe(true);
    expect(await page.evaluate('window.stillTheSamePage')).toBe(true);
    const timeline = page.getByRole('list', { name: 'Timeline, oldest first' });
    await timeline.locator('.event.status-completed').waitFor();
    expect(await timeline.locator('.event').first().textContent()).toContain('NEW');
    expect(await page.locator('figure.json').filter({ hasText: 'Result' }).textContent()).toContain('sleptMs');
    expect(await suite.taskStatus(id)).toBe('COMPLETED');
    await shot('03-task-completed');
  });

  it('cancels a task after a confirmation', async () => {
    const id = await createThroughForm('sleep', 'Cancel me', { ms: '60000' });
    await page.goto(`${api.url}/dashboard/#/tasks/${id}`);
    // From the keyboard: Escape keeps the task as it is, and focus goes back to the button.
    await page.getByRole('button', { name: 'Cancel…' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: /Cancel “Cancel me”/ });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel…');
    expect(await suite.taskStatus(id)).not.toBe('CANCELLED');

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await shot('04-cancel-confirmation');
    await dialog.getByRole('button', { name: 'Cancel the task' }).click();

    await page.locator('.status-line .badge', { hasText: 'CANCELLED' }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await suite.taskStatus(id)).toBe('CANCELLED');
    await page.getByRole('button', { name: 'Retry…' }).waitFor();
    await shot('05-task-cancelled');
  });

  it('lists tasks with the status filter', async () => {
    await page.goto(`${api.url}/dashboard/#/tasks`);
    await page.locator('tr[data-task-id]').first().waitFor();
    await page.getByLabel('Status').selectOption('CANCELLED');

    await page.waitForURL(/#\/tasks\?status=CANCELLED$/);
    await page.locator('tr[data-task-id]', { hasText: 'Cancel me' }).waitFor();
    expect(await page.locator('tr[data-task-id]').count()).toBe(1);
    await page.getByLabel('Status').selectOption('');
    await page.locator('tr[data-task-id]', { hasText: 'Watch me run' }).waitFor();
    await shot('06-tasks');
  });

  it('retries a failed task from the DLQ view', async () => {
    const id = await createThroughForm('fail', 'Fail for good', { permanent: 'true', message: 'broken on purpose' }, '1');
    const deadline = Date.now() + LIVE_TIMEOUT_MS;
    while ((await suite.taskStatus(id)) !== 'FAILED' && Date.now() < deadline) await page.waitForTimeout(200);
    expect(await suite.taskStatus(id)).toBe('FAILED');

    await page.goto(`${api.url}/dashboard/#/dlq`);
    const group = page.locator('tr[data-type="fail"][data-reason="permanent-error"]');
    await group.waitFor();
    expect(await group.textContent()).toContain('1');
    const row = page.locator(`tr[data-task-id="${id}"]`);
    await row.waitFor();
    await shot('07-dlq');
    await row.getByRole('button', { name: 'Retry Fail for good' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Retry', exact: true }).click();

    await page.getByRole('status').filter({ hasText: 'Sent 1 task back to NEW' }).first().waitFor();
    const events = await fetch(`${api.url}/api/v1/tasks/${id}/events`, { headers: { authorization: `Bearer ${WRITER_KEY}` } }).then(
      (r) => r.json() as Promise<{ items: { detail: string | null }[] }>,
    );
    expect(events.items.map((e) => e.detail)).toContainEqual(expect.stringContaining('retried by a user'));
  });

  it('shows the overview live: queues, counts, outbox and charts, updated without a reload', async () => {
    await page.goto(`${api.url}/dashboard/#/overview`);
    await page.locator('.summary', { hasText: 'waiting' }).waitFor();
    expect(await page.locator('.summary').textContent()).toMatch(/waiting, \d+ running, \d+ failed/);
    const completedCell = page
      .locator('tr', { has: page.getByRole('link', { name: 'COMPLETED', exact: true }) })
      .locator('td')
      .last();
    const completedBefore = Number(await completedCell.textContent());
    await page.evaluate('window.stillTheSamePage = true');

    // A burst through the API (not the page): the overview must show it on its own.
    const burst = Array.from({ length: 30 }, (_, i) => ({ type: 'sleep', title: `burst ${i}`, priority: PRIORITIES[i % 3], payload: { ms: 300 } }));
    const created = await fetch(`${api.url}/api/v1/tasks/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRITER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tasks: burst }),
    });
    expect(created.status).toBe(201);

    const deadline = Date.now() + LIVE_TIMEOUT_MS;
    while (Number(await completedCell.textContent()) < completedBefore + burst.length && Date.now() < deadline) await page.waitForTimeout(500);
    expect(Number(await completedCell.textContent())).toBe(completedBefore + burst.length);
    expect(await page.evaluate('window.stillTheSamePage')).toBe(true);
    await page.locator('.chart-summary', { hasText: 'Now' }).first().waitFor();
    await shot('08-overview');

    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('09-overview-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('pages through the tasks with the API cursor, forward and back', async () => {
    await page.goto(`${api.url}/dashboard/#/tasks`);
    const rows = page.locator('tr[data-task-id]');
    await rows.first().waitFor();
    const firstPage = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-task-id')));
    expect(firstPage).toHaveLength(20);

    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Page 2').waitFor();
    await page.locator(`tr[data-task-id="${firstPage[0]}"]`).waitFor({ state: 'detached' });
    const secondPage = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-task-id')));

    expect(secondPage.length).toBeGreaterThan(0);
    expect(secondPage.filter((id) => firstPage.includes(id))).toEqual([]);
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText('Page 1').waitFor();
    await page.locator(`tr[data-task-id="${firstPage[0]}"]`).waitFor();
  });

  it('works on a phone-sized screen', async () => {
    // The same tab (sessionStorage, and so the key, belongs to a tab), made narrow.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${api.url}/dashboard/#/overview`);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.locator('.summary', { hasText: 'waiting' }).waitFor();

    // Nothing wider than the screen: the page does not scroll sideways (tables scroll in their box).
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot('10-overview-phone');
    await page.goto(`${api.url}/dashboard/#/tasks`);
    await page.locator('tr[data-task-id]').first().waitFor();
    await shot('10-tasks-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('with a read-only key, shows the API refusing a write and disables the write buttons', async () => {
    await page.getByRole('button', { name: 'Forget key' }).click();
    await page.getByLabel('API key').fill(READER_KEY);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    // Signed in again, on the view the address names (the tasks, where the last test left off).
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    await page.getByLabel('Status').selectOption('CANCELLED');
    await page.locator('tr[data-task-id]', { hasText: 'Cancel me' }).getByRole('link').click();
    await page.getByRole('button', { name: 'Retry…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Retry the task' }).click();

    const problem = page.getByRole('alert').filter({ hasText: 'The API refused to retry' });
    await problem.waitFor();
    expect(await problem.textContent()).toContain('403 API_KEY_READ_ONLY');
    expect(await page.getByRole('button', { name: 'Retry…' }).isDisabled()).toBe(true);
    expect(await page.locator('#read-only-note').isVisible()).toBe(true);
    await shot('11-read-only');
  });

  it('ran without a Content-Security-Policy violation or a script error', () => {
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('measures its size and load time (printed, not judged: the machine is shared)', async () => {
    const size = dashboardSize();
    const loads: { domContentLoaded: number; load: number; firstData: number }[] = [];
    for (let i = 0; i < 5; i++) {
      // A new browser profile each time (nothing cached), with the key already in the tab's session.
      const cold = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const fresh = await cold.newPage();
      await fresh.addInitScript(`sessionStorage.setItem('task-dashboard.api-key', ${JSON.stringify(WRITER_KEY)})`);
      await fresh.goto(`${api.url}/dashboard/#/overview`);
      await fresh.locator('.summary', { hasText: 'waiting' }).waitFor();
      loads.push(
        await fresh.evaluate<{ domContentLoaded: number; load: number; firstData: number }>(`(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const firstData = performance.getEntriesByName('dashboard:first-stats')[0];
          return { domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, firstData: firstData ? firstData.startTime : NaN };
        })()`),
      );
      await cold.close();
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)].toFixed(0);
    console.log(
      `dashboard: ${size.files} files, ${size.bytes} bytes, ${size.gzipBytes} bytes gzipped; over ${loads.length} cold loads, median ` +
        `DOMContentLoaded ${median(loads.map((l) => l.domContentLoaded))} ms, load ${median(loads.map((l) => l.load))} ms, ` +
        `overview with its first stats ${median(loads.map((l) => l.firstData))} ms (each: ${loads.map((l) => l.firstData.toFixed(0)).join(', ')} ms)`,
    );
    expect(loads.every((l) => Number.isFinite(l.firstData))).toBe(true);
  });
});
