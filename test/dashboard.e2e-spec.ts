import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ProcessManagerService } from 'nestjs-process-manager';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { type SampleUnderTest, startSample, waitForProcess } from './support/sample-app.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');
/** `UPDATE_SCREENSHOTS=1` also copies the screenshots into the sample's docs, for the README. */
const DOCS = join(process.cwd(), 'apps', 'sample', 'docs');
const hasChromium = existsSync(CHROMIUM);
const XSS = '<img src=x onerror=window.__xss=1>';

/** What the functions run inside the page use (the specs compile without the DOM's types). */
interface BrowserWindow {
  getComputedStyle(node: unknown): { whiteSpace: string; backgroundColor: string };
  document: {
    querySelector(selector: string): {
      textContent: string | null;
      insertAdjacentHTML(position: string, html: string): void;
    } | null;
  };
  __xss?: unknown;
}

if (!hasChromium) {
  console.warn(`Skipping the dashboard browser test: ${CHROMIUM} is missing (apt-get install -y chromium).`);
}

async function launch(): Promise<Browser> {
  return chromium.launch({
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
}

async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') await copyFile(path, join(DOCS, name));
}

async function listen(sample: SampleUnderTest): Promise<string> {
  await sample.app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(sample.app.getHttpServer().address() as AddressInfo).port}`;
}

(hasChromium ? describe : describe.skip)('the operations dashboard in headless Chromium', () => {
  let database: TestDatabase;
  let sample: SampleUnderTest;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    // Slow enough to see an order move through its states, fast enough for a test.
    sample = await startSample(database.url, {
      serviceDelayMs: { min: 100, max: 200 },
      paymentTimeout: 3_000,
    });
    baseUrl = await listen(sample);
    // A few finished instances around the ones each test makes, as in a real list.
    const background = [
      sample.http.post('/orders').send({ items: [{ sku: 'LAMP-3', qty: 1 }], total: 19.9 }),
      sample.http.post('/orders').send({ items: [{ sku: 'DESK-1', qty: 1 }], total: 240 }),
      sample.http.post('/group-checkouts').send({ guests: ['ann', 'ben'] }),
    ];
    for (const started of await Promise.all(background))
      await waitForProcess(sample.http, started.body.processId, 'completed', undefined, 15_000);
    browser = await launch();
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

  const detail = () => page.locator('#detail');
  const headStatus = () => detail().locator('.detail-head [data-status]').first();

  async function openDashboard(hash = ''): Promise<void> {
    await page.goto(`${baseUrl}/process-manager/${hash}`);
    await page.locator('#overview [data-type="order-fulfilment"]').waitFor();
  }

  async function placeOrder(
    simulate: object,
    sku = 'BOOK-42',
  ): Promise<{ orderId: string; processId: string }> {
    const { body } = await sample.http
      .post('/orders')
      .send({ items: [{ sku, qty: 1 }], total: 25, simulate })
      .expect(201);
    return body;
  }

  it('an operator finds an order by its key, reads why it is stuck, and retries its dead letter', async () => {
    // The order starts from the sample's demo panel, as a user would.
    await page.goto(`${baseUrl}/demo/`);
    await page.locator('#order-form select[name="completion"]').selectOption('crash');
    await page.getByTestId('start-order').click();
    const started = page.locator('#started li').first();
    await started.getByTestId('open-in-dashboard').waitFor();
    const orderId = (await started.locator('.mono').textContent())!;
    const processId = (await started.getAttribute('data-process-id'))!;
    await waitFor(async () => {
      const { body } = await sample.http.get(`/orders/${orderId}`).expect(200);
      return body;
    });

    await openDashboard();
    await page.locator('#search').fill(orderId);
    await page.getByRole('button', { name: 'Find' }).click();
    const row = page.locator(`#process-rows tr[data-process-id="${processId}"]`);
    await row.waitFor();
    await page.locator('#process-rows tr').nth(1).waitFor({ state: 'detached' });
    await row.click();
    await expect(detail().getByTestId('detail-key').textContent()).resolves.toBe(orderId);

    const deadLetter = detail().locator('.dead-letters > li');
    await deadLetter.waitFor({ timeout: 15_000 });
    await expect(deadLetter.locator('strong').textContent()).resolves.toBe('OrderShipped');
    await expect(deadLetter.locator('.error-block').textContent()).resolves.toContain(
      `Simulated crash while completing order ${orderId}`,
    );
    // Long errors wrap inside their card instead of running off it.
    await expect(
      deadLetter
        .locator('.error-block')
        .evaluate((node) => (globalThis as unknown as BrowserWindow).getComputedStyle(node).whiteSpace),
    ).resolves.toBe('pre-wrap');
    await expect(headStatus().getAttribute('data-status')).resolves.toBe('running');
    await expect(detail().locator('svg .node.current').getAttribute('data-state')).resolves.toBe('ship');
    await expect(detail().locator('#timeline > li .message').allTextContents()).resolves.toEqual([
      'OrderPlaced',
      'OrderValidated',
      'InventoryReserved',
      'PaymentCharged',
    ]);
    // The tab's count refreshes on its own poll, after the instance's panel.
    await page.locator('#dead-letter-count').filter({ hasText: /^1$/ }).waitFor();
    await page
      .locator('#overview [data-type="order-fulfilment"] [data-count="dead"] .count-value')
      .filter({ hasText: '1' })
      .waitFor();
    await page.getByRole('button', { name: 'clear' }).click();
    await page.locator('#process-rows tr').nth(3).waitFor();
    await expect(page.locator('#process-rows tr.selected').getAttribute('data-process-id')).resolves.toBe(
      new URL(page.url()).hash.replace('#process=', ''),
    );
    await screenshot(page, 'dashboard.png');

    await detail().locator('#reason').fill('shipping label bug fixed');
    await detail().locator('.actions [data-action="retry"]').click();
    await detail().locator('.detail-head [data-status="completed"]').waitFor({ timeout: 15_000 });
    await detail().locator('.dead-letters').waitFor({ state: 'detached' });
    const operatorRow = detail().locator('#timeline > li.operator');
    await expect(operatorRow.locator('.message').textContent()).resolves.toBe('Retried by an operator');
    await expect(operatorRow.locator('.note').textContent()).resolves.toBe(
      'Retry of 1 dead letter (OrderShipped): shipping label bug fixed (by sample operator)',
    );
    await expect(detail().locator('#timeline > li .message').last().textContent()).resolves.toBe(
      'OrderShipped',
    );
    await expect(detail().getByTestId('state-json').textContent()).resolves.toContain('trackingNumber');
    await page.locator('#dead-letter-count:empty').waitFor({ state: 'attached' });
    await screenshot(page, 'dashboard-instance.png');
    expect(pageErrors).toEqual([]);
  });

  it('refreshes the list and the open instance by itself, without rebuilding what did not change', async () => {
    await openDashboard();
    const { processId } = await placeOrder({});
    const row = page.locator(`#process-rows tr[data-process-id="${processId}"]`);
    await row.waitFor();
    await row.click();
    await detail().locator('#timeline > li').first().waitFor();
    // Marks the first timeline entry's element: a flicker-free refresh keeps the very same node.
    await detail()
      .locator('#timeline > li')
      .first()
      .evaluate((node) => node.setAttribute('data-marker', 'kept'));
    await row.locator('[data-status="completed"]').waitFor({ timeout: 15_000 });
    await detail().locator('.detail-head [data-status="completed"]').waitFor();
    await expect(detail().locator('#timeline > li').count()).resolves.toBe(5);
    await expect(detail().locator('#timeline > li').first().getAttribute('data-marker')).resolves.toBe(
      'kept',
    );
    await expect(detail().locator('svg .node.current').getAttribute('data-state')).resolves.toBe('completed');
    expect(pageErrors).toEqual([]);
  });

  it('acknowledges a failure, which then looks acknowledged', async () => {
    await page.goto(`${baseUrl}/demo/`);
    await page.locator('#voiding-form input[name="published"]').check();
    await page.getByTestId('start-voiding').click();
    const link = page.locator('#started li').first().getByTestId('open-in-dashboard');
    await link.waitFor();
    const processId = (await page.locator('#started li').first().getAttribute('data-process-id'))!;
    await waitForProcess(sample.http, processId, 'failed');
    await link.click();
    await page.waitForURL(/process-manager\/#process=/);

    await detail().locator('.detail-head [data-status="failed"]').waitFor({ timeout: 15_000 });
    await expect(headStatus().getAttribute('data-failure')).resolves.toBe('failed');
    await expect(detail().locator('.last-error').textContent()).resolves.toContain('published report');
    const acknowledge = detail().locator('.actions [data-action="acknowledge"]');
    await acknowledge.click();
    await detail().getByTestId('acknowledged').waitFor();
    await expect(acknowledge.isDisabled()).resolves.toBe(true);
    await expect(acknowledge.getAttribute('title')).resolves.toBe('Already acknowledged');
    await expect(headStatus().getAttribute('class')).resolves.toContain('acknowledged');
    await expect(detail().locator('#timeline > li.operator .message').last().textContent()).resolves.toBe(
      'Failure acknowledged by an operator',
    );
    await page
      .locator(`#process-rows tr[data-process-id="${processId}"] [data-testid="acknowledged"]`)
      .waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('shows a cleanly compensated order apart from a failure, and draws only transitions that exist', async () => {
    const { processId } = await placeOrder({ payment: 'decline' });
    await waitForProcess(sample.http, processId, 'failed', 'compensated', 15_000);
    await openDashboard(`#process=${processId}`);
    await detail().locator('.detail-head [data-failure="compensated"]').waitFor();
    await expect(headStatus().textContent()).resolves.toBe('compensated');
    await expect(detail().locator('.failure-kind').textContent()).resolves.toContain('undone');
    const compensatedColour = await headStatus().evaluate(
      (node) => (globalThis as unknown as BrowserWindow).getComputedStyle(node).backgroundColor,
    );
    await expect(detail().locator('[data-step="reserve"] .step-status').textContent()).resolves.toBe(
      'compensated',
    );

    // The saga's validate → cancelled edge goes over the row, not through the `compensated` state.
    const through = await detail()
      .locator('svg')
      .evaluate((svg: unknown) => {
        interface Shape {
          getTotalLength(): number;
          getPointAtLength(at: number): { x: number; y: number };
          getBBox(): { x: number; y: number; width: number; height: number };
        }
        const root = svg as { querySelector(selector: string): Shape | null };
        const edge = root.querySelector('.edge[data-from="validate"][data-to="cancelled"] path')!;
        const box = root.querySelector('.node[data-state="compensated"] rect')!.getBBox();
        const length = edge.getTotalLength();
        return Array.from({ length: 101 }, (_, index) =>
          edge.getPointAtLength((length * index) / 100),
        ).filter(({ x, y }) => x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.height)
          .length;
      });
    expect(through).toBe(0);

    const failedRow = page
      .locator('#process-rows tr[data-type="document-voiding"] [data-failure="failed"]')
      .first();
    await failedRow.waitFor();
    const failedColour = await failedRow.evaluate(
      (node) => (globalThis as unknown as BrowserWindow).getComputedStyle(node).backgroundColor,
    );
    expect(compensatedColour).not.toBe(failedColour);
    expect(pageErrors).toEqual([]);
  });

  it('lists every dead letter in its own tab', async () => {
    const { processId } = await placeOrder({ completion: 'crash' });
    await waitFor(async () => {
      const { body } = await sample.http.get('/dead-letters').expect(200);
      return body.items.some((letter: { processId?: string }) => letter.processId === processId);
    });
    await openDashboard();
    await page.getByRole('button', { name: /Dead letters/ }).click();
    const letter = page.locator(`#dead-letter-rows > li[data-process-id="${processId}"]`);
    await letter.waitFor();
    await expect(letter.locator('strong').textContent()).resolves.toBe('OrderShipped');
    await letter.locator('summary', { hasText: 'payload' }).click();
    await expect(letter.locator('details pre').first().textContent()).resolves.toContain('trackingNumber');
    await screenshot(page, 'dashboard-dead-letters.png');
    await letter.getByRole('button', { name: 'Retry' }).click();
    await waitForProcess(sample.http, processId, 'completed');
    await page.locator('#dead-letters-empty').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('reschedules a timer and edits a state with a reason, the diff in the timeline', async () => {
    const { processId } = await placeOrder({ payment: 'timeout' });
    await waitForProcess(sample.http, processId, 'running', 'charge');
    // The payment's timeout is seconds away: move it out of the way first, as a script would.
    const processes = sample.app.get(ProcessManagerService);
    const [timer] = await processes.timers(processId);
    await processes.rescheduleTimer(processId, timer!.name!, new Date(Date.now() + 3600_000));

    await openDashboard(`#process=${processId}`);
    const row = detail().locator(`tr[data-timer="${timer!.name}"]`);
    await row.waitFor();
    await row.getByTestId('timer-at').fill('2031-06-01T09:30');
    await detail().locator('#reason').fill('provider answers tomorrow');
    await row.getByRole('button', { name: 'Reschedule' }).click();
    const due = new Date('2031-06-01T09:30').toISOString();
    await row.getByTestId('timer-due').filter({ hasText: due }).waitFor();
    await detail()
      .locator('#timeline > li[data-outcome="repaired"] .note')
      .filter({ hasText: `rescheduled to ${due}: provider answers tomorrow` })
      .waitFor();

    await detail().locator('.state-repair summary').click();
    const editor = detail().getByTestId('state-editor');
    const state = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
    await editor.fill(JSON.stringify({ ...state, operatorNote: 'checked by phone' }, null, 2));
    await detail().getByRole('button', { name: 'Preview diff…' }).click();
    await detail().getByTestId('state-diff').locator('[data-path="operatorNote"]').waitFor();
    await detail().locator('#reason').fill('customer called');
    await detail().getByRole('button', { name: 'Confirm edit' }).click();
    const edited = detail()
      .locator('#timeline > li[data-outcome="repaired"] .note')
      .filter({ hasText: 'State edited: customer called' });
    await edited.waitFor();
    await expect(edited.textContent()).resolves.toContain(
      JSON.stringify([{ path: 'operatorNote', to: 'checked by phone' }]),
    );
    await detail().getByTestId('state-json').filter({ hasText: 'checked by phone' }).waitFor();
    await screenshot(page, 'dashboard-repairs.png');
    await processes.cancel(processId, 'test over');
    expect(pageErrors).toEqual([]);
  });

  it('renders hostile data as text: nothing in a state, key or error executes', async () => {
    const { processId } = await placeOrder({ payment: 'timeout' }, XSS);
    await waitForProcess(sample.http, processId, 'running', 'charge');
    await sample.http
      .post(`/orders/${(await sample.http.get(`/processes/${processId}`)).body.correlationKey}/cancel`)
      .send({ reason: `<script>window.__xss=2</script>${XSS}` });
    await openDashboard(`#process=${processId}`);
    const state = detail().getByTestId('state-json');
    await state.filter({ hasText: '__xss=2' }).waitFor();
    await expect(state.textContent()).resolves.toContain(XSS);
    await expect(detail().locator('img').count()).resolves.toBe(0);
    await expect(page.locator('#main script').count()).resolves.toBe(0);
    await expect(
      page.evaluate(() => (globalThis as unknown as BrowserWindow).__xss),
    ).resolves.toBeUndefined();
    // The CSP's Trusted Types make any HTML string sink throw, should a future change reach for one.
    await expect(
      page.evaluate(() => {
        try {
          (globalThis as unknown as BrowserWindow).document
            .querySelector('#detail')!
            .insertAdjacentHTML('beforeend', '<b>x</b>');
          return 'parsed';
        } catch (error) {
          return (error as Error).name;
        }
      }),
    ).resolves.toBe('TypeError');
    expect(pageErrors.filter((error) => !/TrustedHTML|Trusted Type/i.test(error))).toEqual([]);
  });
});

(hasChromium ? describe : describe.skip)('the dashboard behind DASHBOARD_TOKEN', () => {
  let database: TestDatabase;
  let sample: SampleUnderTest;
  let browser: Browser;

  beforeAll(async () => {
    database = await createTestDatabase();
    sample = await startSample(database.url, { dashboard: { token: 'open-sesame' } });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await sample?.close();
    await database?.drop();
  });

  it('asks for the token once, then sends it on every call for the rest of the session', async () => {
    const baseUrl = await listen(sample);
    const page = await browser.newPage();
    const refused: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 401) refused.push(new URL(response.url()).pathname);
    });
    await page.goto(`${baseUrl}/process-manager/`);
    await page.locator('#sign-in').waitFor();
    await expect(page.locator('#main').isHidden()).resolves.toBe(true);
    await page.locator('#token').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#sign-in-error', { hasText: 'That token was refused.' }).waitFor();

    await page.locator('#token').fill('open-sesame');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#overview [data-type="order-fulfilment"]').waitFor();
    await page.reload();
    await page.locator('#overview [data-type="order-fulfilment"]').waitFor();
    await expect(page.locator('#sign-in').isHidden()).resolves.toBe(true);
    expect(refused).toEqual(['/process-manager/api/session', '/process-manager/api/session']);
  });
});

async function waitFor<T>(condition: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error('Timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
