import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { type SampleUnderTest, startSample } from './support/sample-app.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  console.warn(`Skipping the dashboard browser test: ${CHROMIUM} is missing (apt-get install -y chromium).`);
}

(hasChromium ? describe : describe.skip)('dashboard in headless Chromium', () => {
  let database: TestDatabase;
  let sample: SampleUnderTest;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    // Slow enough to see the order move through its states, fast enough for a test.
    sample = await startSample(database.url, {
      serviceDelayMs: { min: 100, max: 200 },
      paymentTimeout: 3_000,
    });
    await sample.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(sample.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
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
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await sample?.close();
    await database?.drop();
  });

  it('starts an order, sees it complete and opens its timeline', async () => {
    await page.goto(baseUrl);
    await page.getByRole('heading', { name: 'Processes' }).waitFor();
    await page.locator('#health.pill-up').waitFor();

    await page.getByTestId('start-order').click();
    await page.waitForURL(/#process=[0-9a-f-]{36}$/);
    const processId = new URL(page.url()).hash.replace('#process=', '');

    const row = page.locator(`tr[data-process-id="${processId}"]`);
    await row.locator('[data-status="completed"]').waitFor({ timeout: 15_000 });
    await row.click();

    const detail = page.locator('#detail');
    await detail.locator('.detail-head [data-status="completed"]').waitFor();
    const timeline = detail.locator('#timeline > li');
    await expect(timeline.count()).resolves.toBe(5);
    await expect(timeline.locator('.message').allTextContents()).resolves.toEqual([
      'OrderPlaced',
      'OrderValidated',
      'InventoryReserved',
      'PaymentCharged',
      'OrderShipped',
    ]);
    await expect(detail.locator('svg .node.current').getAttribute('data-state')).resolves.toBe('completed');
    await expect(detail.getByTestId('state-json').textContent()).resolves.toContain('trackingNumber');

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('shows a crashing order in the dead letters and completes it with Retry', async () => {
    await page.goto(baseUrl);
    await page.locator('#order-form select[name="completion"]').selectOption('crash');
    await page.getByTestId('start-order').click();
    await page.waitForURL(/#process=[0-9a-f-]{36}$/);

    const detail = page.locator('#detail');
    const deadLetter = detail.locator('.dead-letters > li');
    await deadLetter.waitFor({ timeout: 15_000 });
    await expect(deadLetter.textContent()).resolves.toMatch(
      /OrderShipped · dead after 5 attempt\(s\): .*Simulated crash/,
    );
    await expect(
      detail.locator('.detail-head [data-status]').first().getAttribute('data-status'),
    ).resolves.toBe('running');
    await expect(detail.locator('svg .node.current').getAttribute('data-state')).resolves.toBe('ship');

    await detail.getByRole('button', { name: 'Retry' }).click();
    await detail.locator('.detail-head [data-status="completed"]').waitFor();
    await expect(detail.locator('.dead-letters').count()).resolves.toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('cancels an order in flight from its detail: the saga undoes what it did', async () => {
    await page.goto(baseUrl);
    await page.locator('#order-form select[name="completion"]').selectOption('');
    await page.locator('#order-form select[name="payment"]').selectOption('timeout');
    await page.getByTestId('start-order').click();
    await page.waitForURL(/#process=[0-9a-f-]{36}$/);

    const detail = page.locator('#detail');
    await detail.locator('.detail-head .state-chip', { hasText: /^charge$/ }).waitFor({ timeout: 15_000 });
    await detail.getByRole('button', { name: 'Cancel order' }).click();
    await detail.locator('.detail-head [data-status="cancelled"]').waitFor({ timeout: 15_000 });
    await expect(detail.locator('svg .node.current').getAttribute('data-state')).resolves.toBe('cancelled');
    await expect(
      detail
        .locator('svg .node.visited')
        .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-state'))),
    ).resolves.toEqual(expect.arrayContaining(['reserve_compensating', 'cancelled']));
    expect(pageErrors).toEqual([]);
  });

  it('shows a rejected voiding as failed and acknowledges it', async () => {
    await page.goto(baseUrl);
    await page.locator('#voiding-form input[name="published"]').check();
    await page.getByTestId('start-voiding').click();
    await page.waitForURL(/#process=[0-9a-f-]{36}$/);

    const detail = page.locator('#detail');
    await detail.locator('.detail-head [data-status="failed"]').waitFor({ timeout: 15_000 });
    await expect(detail.locator('.last-error').textContent()).resolves.toContain('published report');

    await detail.getByRole('button', { name: 'Acknowledge' }).click();
    await detail.getByText('failure acknowledged').waitFor();
    await expect(detail.getByRole('button', { name: 'Acknowledge' }).isDisabled()).resolves.toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
