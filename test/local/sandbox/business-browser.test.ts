import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../local/sandbox/sandbox';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The sandbox page's Telegram Business panel in real headless Chromium, used as a person would. */
describe.skipIf(!existsSync(CHROMIUM))('sandbox page: the Telegram Business panel', () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const bizChat = () => page.getByTestId('biz-chat');

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, dataDir: null, quiet: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
    page.on('pageerror', (error) => errors.push(error.message));
    page.setDefaultTimeout(15_000);
    await page.goto(sandbox.pageUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  it('connects the account, chats as a customer with the operator, shows the owner typing, and disconnects', async () => {
    await expect.poll(() => bizChat().innerText()).toContain('has not connected the bot');
    await page.getByTestId('biz-connect').click();
    await expect.poll(() => page.getByTestId('biz-connect').innerText()).toContain('Disconnect');

    await page.getByTestId('biz-input').fill('Are the tulips fresh?');
    await page.getByTestId('biz-send-customer').click();
    await expect.poll(() => sandbox.webim.visitors.some((v) => v.businessAccount && v.lines.length > 0)).toBe(true);
    const visitor = sandbox.webim.visitors.find((v) => v.businessAccount)!;
    sandbox.webim.reply(visitor.visitorId, 'Cut this morning');
    await expect.poll(() => bizChat().innerText()).toContain('Cut this morning');
    await expect.poll(() => bizChat().innerText()).toContain('read by the account');
    // The operator's answer is in the account's chat, not in the user's chat with the bot.
    expect(await page.getByTestId('tg-chat').innerText()).not.toContain('Cut this morning');

    await page.getByTestId('biz-input').fill('I can add a ribbon');
    await page.getByTestId('biz-send-owner').click();
    await expect.poll(() => bizChat().innerText()).toContain('(owner) I can add a ribbon');
    await expect.poll(() => visitor.lines.some((l) => l.from === 'note')).toBe(true);

    await page.getByTestId('biz-connect').click();
    await expect.poll(() => page.getByTestId('biz-connect').innerText()).toContain('Connect');
    expect(errors).toEqual([]);
  }, 60_000);
});
