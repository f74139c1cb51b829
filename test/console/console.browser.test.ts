// The web console in a real browser (Debian's chromium, driven by playwright-core) against a real changeflow
// (HTTP on 127.0.0.1, SQLite file, simulated fleets registered through the API). Screenshots go to
// test-artifacts/console/; with UPDATE_SCREENSHOTS=1 the detail view is also written to docs/console.png.

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fleet, startTestServer, TERMINAL, type TestServer } from '../support/local-server.ts';
import { artifactPath, launch, skipReason, type Browser } from './browser.ts';

const skip = skipReason();
if (skip) console.warn(skip);

let s: TestServer;
let browser: Browser;
const pages: { page: Page; errors: string[]; offsite: string[] }[] = [];

beforeAll(async () => {
  if (skip) return;
  s = await startTestServer();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});
afterEach(async () => {
  // no script error and no request anywhere but this changeflow, in every test
  for (const p of pages.splice(0)) {
    expect(p.errors, 'errors in the page').toEqual([]);
    expect(p.offsite, 'requests that left 127.0.0.1').toEqual([]);
    await p.page.close();
  }
});

async function open(hash = ''): Promise<Page> {
  const page = await browser.context.newPage();
  const entry = { page, errors: [] as string[], offsite: [] as string[] };
  page.on('pageerror', (e) => entry.errors.push(e.message));
  page.on('console', (m) => {
    // the browser logs every 4xx answer; the console shows those itself (and the tests check that it does)
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) entry.errors.push(m.text());
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.hostname !== '127.0.0.1') entry.offsite.push(r.url());
  });
  pages.push(entry);
  await page.goto(`${s.app.url}/${hash}`);
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: artifactPath(name), fullPage: true });
const status = (page: Page, st: string, timeout = 15_000) => page.locator(`#order-status[data-status="${st}"]`).waitFor({ timeout });
const actionButtons = (page: Page) => page.getByRole('toolbar', { name: 'Actions on this change order' }).getByRole('button').allTextContents();
const cells = (page: Page, service: string, batch: number) => page.locator(`[data-service="${service}"] [data-batch="${batch}"] button.cell`);
const cellStatuses = async (page: Page, service: string, batch: number) => cells(page, service, batch).evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
const register = (id: string, body: unknown) => s.api('PUT', `/v1/services/${id}`, body).then((r) => expect(r.status).toBeLessThan(300));

/** form controls without an accessible name */
const unlabelled = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('input, select, textarea'))
      .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      .map((el) => el.outerHTML.slice(0, 80)),
  );

describe.skipIf(skip !== undefined)('console in chromium', () => {
  it('submit a plan: dry run, the first batch finishes and the order waits, continue, it finishes', async () => {
    await register('config', { executor: { type: 'simulated', latencyMs: 120 }, targets: fleet('cfg', 2, '2.3.0') });
    await register('checkout', { executor: { type: 'simulated', latencyMs: 200 }, targets: fleet('co', 6, '2.3.0', (i) => [i < 2 ? 'canary' : 'zone=a']) });
    const plan = [
      'comment: release 2.4 of the checkout stack',
      'deployPlanItems:',
      '  - serviceId: config',
      '    priority: 5',
      '    deployment: HTTP_UPLOAD_DEPLOY',
      '    httpSrcUri: https://artifacts.example.com/config-2.4.0.tgz',
      '    version: "2.4.0"',
      '    containerExecMethod: SEQUENTIAL',
      '  - serviceId: checkout',
      '    priority: 1',
      '    deployment: HTTP_UPLOAD_DEPLOY',
      '    httpSrcUri: https://artifacts.example.com/checkout-2.4.0.zip',
      '    version: "2.4.0"',
      '    batches: [2, "50%", "100%"]',
      '    batchPauseOption: FirstBatchPause',
      '',
    ].join('\n');

    const page = await open('#/submit');
    await page.getByLabel('Plan (YAML or JSON)').fill(plan);
    await page.getByRole('button', { name: 'Dry run' }).click();
    const dry = page.locator('#dry-run');
    await dry.waitFor();
    expect(await dry.textContent()).toContain('2 services, 4 batches, 8 targets');
    expect(await dry.locator('table').nth(1).locator('tbody tr').allTextContents()).toEqual(['1 of 32co-1, co-2', '2 of 31co-3', '3 of 33co-4, co-5, co-6']);
    expect(await unlabelled(page)).toEqual([]);
    await shot(page, '01-dry-run.png');

    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.waitForURL(/#\/orders\/co-/);
    await status(page, 'WAITING_MANUAL');
    expect(await cellStatuses(page, 'config', 1)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await cellStatuses(page, 'checkout', 1)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await cellStatuses(page, 'checkout', 2)).toEqual(['PENDING']);
    // exactly the actions that apply while waiting before batch 2
    expect(await actionButtons(page)).toEqual(['Continue (release batch 2)', 'Abort', 'Abort and roll back', 'Roll back']);
    // hover: from/to version and message; click: the target's panel
    expect(await cells(page, 'checkout', 1).first().getAttribute('title')).toMatch(/^co-1: SUCCEEDED, 2\.3\.0 → 2\.4\.0/);
    await cells(page, 'checkout', 1).nth(1).click();
    const panel = page.getByRole('region', { name: 'Target co-2' });
    await panel.waitFor();
    expect(await panel.textContent()).toContain('2.3.0 → 2.4.0');
    expect(await panel.getByRole('button').allTextContents()).toEqual(['Close']); // nothing to retry, skip or cancel on a succeeded target
    await page.locator('table.timeline').getByText('waitingManual').first().waitFor();
    await shot(page, '02-waiting-manual.png');
    if (process.env.UPDATE_SCREENSHOTS) {
      mkdirSync(join(process.cwd(), 'docs'), { recursive: true });
      copyFileSync(artifactPath('02-waiting-manual.png'), join(process.cwd(), 'docs', 'console.png'));
    }

    await page.getByRole('button', { name: 'Continue (release batch 2)' }).click();
    await status(page, 'SUCCEEDED');
    await page.getByRole('button', { name: 'Delete' }).waitFor(); // offered once the finalizers have run
    expect(await actionButtons(page)).toEqual(['Roll back', 'Delete']);
    expect(await cellStatuses(page, 'checkout', 3)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(await page.locator('table.timeline').textContent()).toContain('continued');
    expect(await page.locator('table.report tbody tr').allTextContents()).toHaveLength(2);
    expect((await s.api('GET', '/v1/services/checkout/targets')).body.map((t: { version: string }) => t.version)).toEqual(Array(6).fill('2.4.0'));
    await shot(page, '03-succeeded.png');
  });

  it('pause and resume, then abort and roll back another order', async () => {
    await register('search', { executor: { type: 'simulated', latencyMs: 500 }, targets: fleet('se', 6, '1.0') });
    const r = await s.api('POST', '/v1/change-orders', 'deployPlanItems:\n  - serviceId: search\n    deployment: HTTP_UPLOAD_DEPLOY\n    httpSrcUri: https://example.com/search-2.0.zip\n    version: "2.0"\n    batchNumber: 3\n    batchWaitSeconds: 1\n');
    expect(r.status).toBe(201);
    const id = r.body.changeOrderId;
    const page = await open(`#/orders/${id}`);
    await status(page, 'RUNNING');
    expect(await actionButtons(page)).toEqual(['Pause', 'Abort', 'Abort and roll back', 'Roll back']);
    await page.getByRole('button', { name: 'Pause' }).click();
    await status(page, 'PAUSED');
    expect(await actionButtons(page)).toEqual(['Resume', 'Abort', 'Abort and roll back', 'Roll back']);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('#order-status:not([data-status="PAUSED"])').waitFor();
    // wait until the first batch has changed its targets, then abort and roll back
    await expect.poll(() => cellStatuses(page, 'search', 1), { timeout: 10_000 }).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    await page.getByRole('button', { name: 'Abort and roll back' }).click();
    const dialog = page.getByRole('dialog', { name: `Abort and roll back ${id}?` });
    await dialog.waitFor();
    // destructive: confirmed first; Escape would cancel
    await dialog.getByLabel('Reason (optional, recorded in the audit log)').fill('error rate up');
    await shot(page, '04-confirm-abort-rollback.png');
    await dialog.getByRole('button', { name: 'Abort and roll back' }).click();
    await status(page, 'STOPPED');
    const link = page.locator('#rolled-back-by');
    await link.waitFor();
    expect(await page.locator('table.timeline').textContent()).toContain('error rate up');
    await shot(page, '05-stopped.png');

    await link.click();
    await page.waitForURL(/-rollback/);
    await status(page, 'SUCCEEDED', 20_000);
    await page.locator('#source-order').waitFor();
    // a rollback order cannot itself be rolled back
    await page.getByRole('button', { name: 'Delete' }).waitFor();
    expect(await actionButtons(page)).toEqual(['Delete']);
    const targets = (await s.api('GET', '/v1/services/search/targets')).body as { id: string; version: string }[];
    expect(targets.every((t) => t.version === '1.0')).toBe(true);
    await shot(page, '06-rollback-succeeded.png');
  });

  it('failure suspension: a failed target is skipped from its panel, by keyboard', async () => {
    await register('payments', { executor: { type: 'simulated', latencyMs: 100, failTargets: ['pay-2'] }, targets: fleet('pay', 4, '1.0') });
    const r = await s.api('POST', '/v1/change-orders', 'deployPlanItems:\n  - serviceId: payments\n    deployment: RESTART\n    batchNumber: 2\n    onFailure: pause\n');
    const page = await open(`#/orders/${r.body.changeOrderId}`);
    await status(page, 'FAILURE_PAUSED');
    expect(await actionButtons(page)).toEqual(['Continue (release batch 1)', 'Abort', 'Abort and roll back', 'Roll back']);
    // the grid is one tab stop; arrow keys move within it; Enter opens the target
    await cells(page, 'payments', 1).first().focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-target'))).toBe('pay-2');
    await page.keyboard.press('Enter');
    const panel = page.getByRole('region', { name: 'Target pay-2' });
    await panel.waitFor();
    // Escape closes the panel and leaves focus on the target; Enter opens it again
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-target'))).toBe('pay-2');
    await page.keyboard.press('Enter');
    await panel.waitFor();
    expect(await panel.getByRole('button').allTextContents()).toEqual(['Retry pay-2', 'Skip pay-2', 'Cancel target pay-2', 'Close']);
    await panel.getByRole('button', { name: 'Skip pay-2' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Skip pay-2' }).click();
    await status(page, 'PARTIAL');
    expect(await cellStatuses(page, 'payments', 1)).toEqual(['SUCCEEDED', 'SKIPPED']);
    expect(await cellStatuses(page, 'payments', 2)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    await shot(page, '07-partial.png');
  });

  it('a bad plan shows every problem with its path; a file can be uploaded', async () => {
    const page = await open('#/submit');
    await page.getByLabel('Load a file (YAML or JSON)').setInputFiles({
      name: 'bad-plan.yaml',
      mimeType: 'application/yaml',
      buffer: Buffer.from('deployPlanItems:\n  - serviceId: config\n    deployment: JUMP\n    batchNumbr: 2\n  - serviceId: checkout\n    deployment: HTTP_UPLOAD_DEPLOY\n'),
    });
    await expect.poll(() => page.getByLabel('Plan (YAML or JSON)').inputValue()).toContain('batchNumbr');
    await page.getByRole('button', { name: 'Dry run' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('InvalidPlan');
    const paths = await alert.locator('tbody tr td:first-child').allTextContents();
    expect(paths).toEqual(expect.arrayContaining(['deployPlanItems[0].deployment', 'deployPlanItems[0].batchNumbr', 'deployPlanItems[1].httpSrcUri']));
    expect(await alert.textContent()).toContain('did you mean "batchNumber"?');
    expect(await page.getByLabel('Plan (YAML or JSON)').getAttribute('aria-invalid')).toBe('true');
    await shot(page, '08-bad-plan.png');
    // the same problems when submitting for real; nothing is created
    const before = (await s.api('GET', '/v1/change-orders?limit=200')).body.changeOrders.length;
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.getByRole('alert').getByText('The plan was not submitted').waitFor();
    expect((await s.api('GET', '/v1/change-orders?limit=200')).body.changeOrders.length).toBe(before);
  });

  it('the list filters by status and service and pages with nextCursor; services show their targets', async () => {
    for (const id of ['list-a', 'list-b']) {
      await register(id, { executor: { type: 'simulated' }, targets: fleet(id, 2) });
      const r = await s.api('POST', '/v1/change-orders', `deployPlanItems:\n  - serviceId: ${id}\n    deployment: RESTART\n`);
      await s.waitFor(`/v1/change-orders/${r.body.changeOrderId}`, (o) => TERMINAL.includes(o.status));
    }
    const page = await open('#/orders');
    await page.locator('table.orders tbody tr').first().waitFor();
    expect(await unlabelled(page)).toEqual([]);
    await shot(page, '09-list.png');

    await page.getByLabel('Status').focus();
    await page.getByLabel('Status').selectOption('PARTIAL');
    await page.waitForURL(/status=PARTIAL/);
    await expect.poll(() => page.locator('table.orders tbody tr .badge').allTextContents()).toEqual(['PARTIAL (7)']);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('filter-status'); // focus stays on the filter

    await page.goto(`${s.app.url}/#/orders`);
    await page.getByLabel('Service').locator('option[value="list-b"]').waitFor({ state: 'attached' });
    await page.getByLabel('Service').selectOption('list-b');
    await page.waitForURL(/serviceId=list-b/);
    await expect.poll(() => page.locator('table.orders tbody tr td:nth-child(3)').allTextContents()).toEqual(['list-b']);

    await page.goto(`${s.app.url}/#/orders?limit=1`);
    const firstRow = page.locator('table.orders tbody tr').first();
    await firstRow.waitFor();
    const first = await firstRow.getAttribute('data-order');
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => page.locator('table.orders tbody tr').first().getAttribute('data-order')).not.toBe(first);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => page.locator('table.orders tbody tr').first().getAttribute('data-order')).toBe(first);

    await page.getByRole('link', { name: 'Services' }).click();
    const svc = page.locator('details[data-service="checkout"]');
    await svc.waitFor();
    expect(await svc.locator('summary').textContent()).toContain('version 2.4.0');
    expect(await svc.locator('tbody tr').count()).toBe(6);
    expect(await svc.locator('tbody tr').first().locator('td').allTextContents()).toEqual(['co-1', 'canary', '2.4.0', '1', 'yes']);
    await shot(page, '10-services.png');
  });

  it('asks for a token when the API answers 401, keeps it in sessionStorage and sends it as a bearer token', async () => {
    const page = await browser.context.newPage();
    const entry = { page, errors: [] as string[], offsite: [] as string[] };
    pages.push(entry);
    page.on('pageerror', (e) => entry.errors.push(e.message));
    const seen: (string | undefined)[] = [];
    // a deployment behind a token: this stands in for it, in front of the real API
    await page.route('**/v1/**', async (route) => {
      const auth = route.request().headers().authorization;
      seen.push(auth);
      if (auth !== 'Bearer s3cret') return route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ error: { code: 'Unauthorized', message: 'a bearer token is required.' } }) });
      return route.continue();
    });
    await page.goto(`${s.app.url}/#/services`);
    const dialog = page.getByRole('dialog', { name: 'Sign in' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('a bearer token is required.');
    await dialog.getByLabel('API token').fill('s3cret');
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('details[data-service="checkout"]').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('changeflow.token'))).toBe('s3cret');
    expect(seen.at(-1)).toBe('Bearer s3cret');
    await page.getByRole('button', { name: 'Forget token' }).click();
    expect(await page.evaluate(() => sessionStorage.getItem('changeflow.token'))).toBeNull();
  });
});
