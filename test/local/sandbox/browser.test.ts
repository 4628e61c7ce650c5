import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordsOf } from '../../../lib/i18n/catalogue';
import { type Sandbox, startSandbox } from '../../../local/sandbox/sandbox';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const ARTIFACTS = path.join(process.cwd(), 'test-artifacts');
/** With UPDATE_SCREENSHOTS=1 the pictures in docs/ are taken anew (check them in); otherwise they land in test-artifacts/ only. */
const DOCS = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(process.cwd(), 'docs') : ARTIFACTS;
const ru = wordsOf('ru');
const en = wordsOf('en');

if (!hasChromium) {
  console.warn(`[sandbox browser test] skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
}

/** The sandbox page in real headless Chromium: the full cycle and the fault switches, as a person would use them. */
describe.skipIf(!hasChromium)('sandbox page in headless Chromium', () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let page: Page;
  const tgChat = () => page.getByTestId('tg-chat');
  const deskChat = () => page.getByTestId('desk-chat');
  const logRow = (selector: string) => page.locator(`[data-testid="event-log"] li${selector}`);

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, dataDir: null, quiet: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(15_000);
    await page.goto(sandbox.pageUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  it('relays a message to the operator desk and the reply back to the user', async () => {
    await page.getByTestId('tg-start').click();
    // Ivan's Telegram is in Russian: the welcome is the Russian catalogue's.
    await expect.poll(() => tgChat().innerText()).toContain(ru.user.welcome);

    await page.getByTestId('tg-input').fill('Where is my order 5512?');
    await page.getByTestId('tg-send').click();
    await expect.poll(() => deskChat().innerText()).toContain('Where is my order 5512?');
    await expect.poll(() => page.getByTestId('visitor').first().innerText()).toContain('Ivan Petrov');
    await expect.poll(() => logRow('[data-kind="chat_registered"]').count()).toBeGreaterThan(0);

    await page.getByTestId('desk-input').fill('It ships tomorrow.');
    await page.getByTestId('desk-send').click();
    await expect.poll(() => tgChat().innerText()).toContain('It ships tomorrow.');
    await expect.poll(() => logRow('[data-kind="callback_delivered"][data-status="200"]').count()).toBe(1);
    // The picture for the README: one full cycle, no error in the log.
    expect(await page.locator('[data-testid="event-log"] li .s4, [data-testid="event-log"] li .s5').count()).toBe(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-readme.png') });
  });

  it('shows the delivery statistics, updated after a message, with an inline chart', async () => {
    const relayed = () =>
      page.locator('[data-testid="stats-table"] tr[data-direction="telegram_to_webim"] td[data-outcome="relayed"]').innerText();
    const fromApi = async () =>
      (
        (await (await fetch(`${sandbox.bridge.url}/sandbox/api/stats`)).json()) as {
          windows: { counts: Record<string, Record<string, number>> }[];
        }
      ).windows[0]!.counts.telegram_to_webim!.relayed!;
    const before = await fromApi();
    await expect.poll(async () => Number(await relayed())).toBe(before); // the panel shows what the bridge counted
    await page.getByTestId('tg-input').fill('Counted, never stored');
    await page.getByTestId('tg-send').click();
    await expect.poll(async () => Number(await relayed())).toBe(before + 1);
    expect(await page.locator('[data-testid="stats-chart"] svg rect').count()).toBe(48);
    expect(await page.getByTestId('stats').innerText()).not.toContain('Counted, never stored');
    await page.getByTestId('stats').screenshot({ path: path.join(ARTIFACTS, 'sandbox-stats.png') });
  });

  it('files both ways: a photo from the user shows on the desk, a PDF from the desk arrives with its name, a tampered link fails', async () => {
    await page.getByTestId('tg-input').fill('Here is the damage');
    await page.getByTestId('tg-file').selectOption('photo');
    const image = page.getByTestId('desk-chat-image').last();
    await expect.poll(() => image.count()).toBeGreaterThan(0);
    // The desk loads it through the bridge's own /files route, and it is a real image.
    await expect
      .poll(() =>
        image.evaluate(
          (img) =>
            (img as unknown as { complete: boolean; naturalWidth: number }).complete &&
            (img as unknown as { naturalWidth: number }).naturalWidth,
        ),
      )
      .toBe(160);
    const src = await image.getAttribute('src');
    expect(src).toMatch(/\/files\/[A-Za-z0-9_-]{40,}$/);
    await expect.poll(() => deskChat().innerText()).toContain('Here is the damage');

    await page.getByTestId('desk-input').fill('Your invoice');
    await page.getByTestId('desk-file').selectOption('pdf');
    await expect
      .poll(() =>
        page
          .getByTestId('tg-chat-file')
          .last()
          .innerText()
          .catch(() => ''),
      )
      .toContain('invoice-5512.pdf');
    await expect.poll(() => tgChat().innerText()).toContain('Your invoice');
    const pdf = await page.evaluate(
      async (href) => new Uint8Array(await (await fetch(href)).arrayBuffer()).slice(0, 5).join(','),
      (await page.getByTestId('tg-chat-file').last().getAttribute('href')) as string,
    );
    expect(pdf).toBe('37,80,68,70,45'); // "%PDF-"

    const tampered = `${src!.slice(0, -6)}${src!.slice(-6, -5) === 'A' ? 'B' : 'A'}${src!.slice(-5)}`;
    const status = await page.evaluate(async (href) => (await fetch(href)).status, tampered);
    expect(status).toBe(403);
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-files.png') });
  });

  it('"Webim down": the bridge answers 503, Telegram redelivers, the message arrives once after recovery', async () => {
    await page.getByTestId('fault-webim-down').check();
    await page.getByTestId('tg-input').fill('Sent while Webim is down');
    await page.getByTestId('tg-send').click();
    await expect.poll(() => logRow('[data-source="telegram"][data-kind="update_delivered"][data-status="503"]').count()).toBeGreaterThan(0);
    await expect.poll(() => tgChat().innerText()).toContain('↻ retrying');
    expect(await deskChat().innerText()).not.toContain('Sent while Webim is down');

    await page.getByTestId('fault-webim-down').uncheck();
    await expect.poll(() => deskChat().innerText(), { timeout: 20_000 }).toContain('Sent while Webim is down');
    await expect.poll(() => tgChat().innerText()).not.toContain('↻ retrying');
    expect((await deskChat().innerText()).split('Sent while Webim is down').length - 1).toBe(1);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-cycle.png') });
  });

  it('the Telegram pane keeps following new messages after an image arrives', async () => {
    await page.getByTestId('desk-file').selectOption('photo');
    await expect.poll(() => tgChat().locator('img').count()).toBeGreaterThan(0);
    for (let i = 0; i < 6; i++) {
      await page.getByTestId('desk-input').fill(`after the image ${i}`);
      await page.getByTestId('desk-send').click();
    }
    await expect.poll(() => tgChat().innerText()).toContain('after the image 5');
    await expect.poll(() => tgChat().evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(40);
  });

  it('"Resend last update" is recognised as a duplicate and changes nothing', async () => {
    const before = await deskChat().locator('[data-from="visitor"]').count();
    await page.getByTestId('dup-update').click();
    await expect.poll(() => logRow('[data-kind="request_done"][data-outcome="duplicate"]').count()).toBeGreaterThan(0);
    expect(await deskChat().locator('[data-from="visitor"]').count()).toBe(before);
  });

  it('"Telegram rate-limits": the bridge waits retry_after and delivers; long replies arrive split and in order', async () => {
    await page.getByTestId('fault-rate-limit').check();
    const long = Array.from({ length: 90 }, (_, i) => `line ${String(i).padStart(2, '0')} ${'·'.repeat(50)}`).join('\n');
    await page.getByTestId('desk-input').fill('Checking the rate limit');
    await page.getByTestId('desk-send').click();
    await expect.poll(() => logRow('[data-kind="send_message"][data-status="429"]').count()).toBeGreaterThan(0);
    await expect.poll(() => logRow('[data-kind="telegram_retry"]').count()).toBeGreaterThan(0);
    await expect.poll(() => tgChat().innerText(), { timeout: 10_000 }).toContain('Checking the rate limit');
    await page.getByTestId('fault-rate-limit').uncheck();

    const visitorId = sandbox.webim.visitors[0]!.visitorId;
    sandbox.webim.reply(visitorId, long); // 90 lines ≈ 5 000 characters, typed through the API
    await expect.poll(() => tgChat().locator('[data-from="bot"]').last().innerText(), { timeout: 20_000 }).toContain('line 89');
    const botLines = await tgChat().locator('[data-from="bot"]').allInnerTexts();
    const parts = botLines.filter((t) => t.startsWith('line '));
    expect(parts).toHaveLength(2);
    expect(parts[0]).toContain('line 00');
    expect(parts[1]).toContain('line 89');
  });

  it('"Telegram down": a reply shows as queued on the desk, Webim is not asked to retry, and it arrives when Telegram is back', async () => {
    await page.getByTestId('fault-telegram-down').check();
    await page.getByTestId('desk-input').fill('Your refund is on its way');
    await page.getByTestId('desk-send').click();
    await expect.poll(() => deskChat().innerText(), { timeout: 15_000 }).toContain('queued');
    expect(await tgChat().innerText()).not.toContain('Your refund is on its way');
    await page.getByTestId('fault-telegram-down').uncheck();
    await expect.poll(() => tgChat().innerText(), { timeout: 20_000 }).toContain('Your refund is on its way');
    await expect.poll(() => deskChat().innerText()).toContain('✓ delivered');
  }, 60_000);

  it('buttons: the operator asks with buttons, the user presses one, the desk sees the choice and the message shows it', async () => {
    await page.getByTestId('desk-input').fill('Did this solve your problem?');
    await page.getByTestId('desk-buttons').click();
    await expect.poll(() => tgChat().getByTestId('tg-button').count()).toBe(3);
    await tgChat().getByTestId('tg-button').filter({ hasText: 'Call me back' }).click();
    await expect.poll(() => deskChat().innerText()).toContain('▸ pressed “Call me back”');
    await expect.poll(() => tgChat().innerText()).toContain(ru.user.chosen('Call me back'));
    await expect.poll(() => tgChat().getByTestId('tg-button').count()).toBe(0);
  });

  it('ratings and reactions: the bot shows 👀 on a delivered message, a 👍 on a reply and a rating after the chat is closed reach the desk', async () => {
    await page.getByTestId('tg-input').fill('Is my parcel on its way?');
    await page.getByTestId('tg-send').click();
    await expect.poll(() => tgChat().getByTestId('tg-bot-reaction').last().innerText()).toBe('👀');
    await page.getByTestId('desk-input').fill('Yes, it left this morning');
    await page.getByTestId('desk-send').click();
    const reply = tgChat().locator('[data-from="bot"]').filter({ hasText: 'Yes, it left this morning' });
    await expect.poll(() => reply.count()).toBe(1);
    await reply.getByTestId('tg-react').filter({ hasText: '👍' }).click();
    await expect.poll(() => deskChat().locator('[data-from="note"]').last().innerText()).toContain('👍');
    await expect.poll(() => reply.getByTestId('tg-react').filter({ hasText: '👍' }).getAttribute('aria-pressed')).toBe('true');

    await page.getByTestId('desk-close').click();
    await expect.poll(() => tgChat().getByTestId('tg-button').filter({ hasText: '⭐' }).count()).toBe(5);
    await tgChat().getByTestId('tg-button').filter({ hasText: '4 ⭐' }).click();
    await expect.poll(() => deskChat().innerText()).toContain('⭐ rated the operator ★★★★☆');
    await expect.poll(() => tgChat().innerText()).toContain('★★★★☆');
    await expect.poll(() => tgChat().getByTestId('tg-button').count()).toBe(0);
    await expect.poll(() => page.getByTestId('stats-ratings').innerText()).toMatch(/^Ratings, 7 days: 1, average 4\.0 of 5/);
  });

  it('a deep-link start and a sticker reach the desk with their context', async () => {
    await page.getByTestId('tg-start-link').click();
    await expect.poll(() => deskChat().innerText()).toContain(ru.desk.startedFromLink('spring-sale-7', 'ru'));
    await expect.poll(() => page.getByTestId('visitor').last().innerText()).toContain('from spring-sale-7');
    await page.getByTestId('tg-file').selectOption('sticker');
    await expect.poll(() => deskChat().innerText()).toContain('👍');
  });

  it('"user blocked the bot": Telegram answers 403 and the bridge stops writing to that user', async () => {
    await page.getByTestId('fault-blocked').check();
    await expect.poll(() => logRow('[data-kind="chat_block_state_changed"]').count()).toBeGreaterThan(0);
    await page.getByTestId('desk-input').fill('Are you still there?');
    await page.getByTestId('desk-send').click();
    await expect.poll(() => logRow('[data-kind="message_not_delivered"]').count()).toBeGreaterThan(0);
    expect(await tgChat().innerText()).not.toContain('Are you still there?');
    // The desk says so: the reply is marked, and the bridge's note (only operators see it) explains.
    await expect.poll(() => deskChat().innerText()).toContain('⚠ not delivered');
    await expect
      .poll(() => deskChat().locator('[data-from="note"]').last().innerText())
      .toContain(ru.desk.notDelivered(ru.desk.undeliveredWhy.blocked));
    expect(await deskChat().innerText()).not.toContain('✓ acknowledged');
    await page.getByTestId('fault-blocked').uncheck();
    await expect.poll(() => deskChat().locator('[data-from="note"]').last().innerText()).toContain(ru.desk.unblocked);
  });

  it('a new user ("+ user"): the desk follows the user being written as, the reply reaches them; picking a visitor shows their chat', async () => {
    page.once('dialog', (dialog) => void dialog.accept('Olga'));
    await page.getByTestId('add-user').click();
    const olga = () => sandbox.telegram.users.find((u) => u.firstName === 'Olga');
    await expect.poll(() => olga()?.chatId).toBeDefined();
    await expect.poll(() => page.locator('[data-testid^="user-tab-"][aria-pressed="true"]').innerText()).toContain('Olga');
    // Before Olga writes, the desk shows nobody else's conversation.
    await expect.poll(() => deskChat().innerText()).toContain('Olga has not written yet');
    await page.getByTestId('tg-input').fill('Olga here: my card was charged twice');
    await page.getByTestId('tg-send').click();
    await expect.poll(() => deskChat().innerText()).toContain('Olga here: my card was charged twice');
    await expect.poll(() => page.locator('[data-testid="visitor"][aria-pressed="true"]').innerText()).toContain('Olga');
    await page.getByTestId('desk-input').fill('Olga, the second charge is refunded.');
    await page.getByTestId('desk-send').click();
    await expect.poll(() => tgChat().innerText()).toContain('Olga, the second charge is refunded.');
    const olgaLines = () => olga()!.lines.map((l) => l.text);
    expect(olgaLines()).toContain('Olga, the second charge is refunded.');
    expect(sandbox.telegram.users[0]!.lines.map((l) => l.text)).not.toContain('Olga, the second charge is refunded.');
    // Her buttons and her "blocked" show on her side.
    await page.getByTestId('desk-buttons').click();
    await expect.poll(() => tgChat().getByTestId('tg-button').count()).toBe(3);
    // The reverse: picking Ivan's visitor on the desk shows Ivan's Telegram chat.
    await page.getByTestId('visitor').filter({ hasText: 'Ivan' }).click();
    await expect.poll(() => page.locator('[data-testid^="user-tab-"][aria-pressed="true"]').innerText()).toContain('Ivan');
    await expect.poll(() => tgChat().innerText()).toContain('It ships tomorrow.');
  });

  it('each user reads the bridge in their Telegram language; the desk reads Russian; switching the language switches the words', async () => {
    // Maria's Telegram is in English.
    await page.locator('[data-testid^="user-tab-"]').filter({ hasText: 'Maria' }).click();
    expect(await page.getByTestId('tg-language').inputValue()).toBe('en');
    await page.getByTestId('tg-start-link').click();
    await expect.poll(() => tgChat().innerText()).toContain(en.user.welcome);
    await expect.poll(() => deskChat().innerText()).toContain(ru.desk.startedFromLink('spring-sale-7', 'en'));
    await page.getByTestId('desk-buttons').click();
    await expect.poll(() => tgChat().getByTestId('tg-button').count()).toBe(3);
    await tgChat().getByTestId('tg-button').filter({ hasText: 'No' }).click();
    await expect.poll(() => tgChat().innerText()).toContain(en.user.chosen('No'));
    await page.getByTestId('desk-close').click();
    await expect.poll(() => tgChat().innerText()).toContain(en.user.chatClosed);
    await page.screenshot({ path: path.join(DOCS, 'sandbox-en.png') });

    // Ivan switches his Telegram to English, then back to Russian.
    await page.locator('[data-testid^="user-tab-"]').filter({ hasText: 'Ivan' }).click();
    await page.getByTestId('tg-language').selectOption('en');
    await expect.poll(() => page.locator('[data-testid^="user-tab-"][aria-pressed="true"]').innerText()).toContain('Ivan · en');
    await page.getByTestId('tg-start').click();
    await expect.poll(() => tgChat().locator('[data-from="bot"]').last().innerText()).toContain(en.user.welcome);
    await page.getByTestId('tg-language').selectOption('ru');
    await page.getByTestId('tg-start').click();
    await expect.poll(() => tgChat().locator('[data-from="bot"]').last().innerText()).toContain(ru.user.welcome);
    await page.getByTestId('desk-close').click();
    // The closing text, then the rating question (RATING_PROMPT is on), both in Russian.
    await expect.poll(() => tgChat().locator('[data-from="bot"]').last().innerText()).toContain(ru.user.ratingQuestion);
    await expect.poll(() => tgChat().locator('[data-from="bot"]').nth(-2).innerText()).toContain(ru.user.chatClosed);

    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: path.join(DOCS, 'sandbox.png'), fullPage: true });
    expect(existsSync(path.join(DOCS, 'sandbox.png'))).toBe(true);
  });

  it('both composers keep a usable text box: whole placeholders at 1440 px, and at phone width', async () => {
    /** How much of each text box's placeholder fits (1: all of it), and the box's width. */
    // Runs in the page (a script: the test's own types know no DOM).
    const placeholdersFit = (p: Page) =>
      p.evaluate(`['tg-input', 'desk-input'].map((id) => {
        const input = document.getElementById(id);
        const style = getComputedStyle(input);
        const ctx = document.createElement('canvas').getContext('2d');
        ctx.font = style.fontSize + ' ' + style.fontFamily;
        const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return { id, width: input.getBoundingClientRect().width, fits: ctx.measureText(input.placeholder).width <= room };
      })`) as Promise<{ id: string; width: number; fits: boolean }[]>;
    for (const box of await placeholdersFit(page)) expect(box, box.id).toMatchObject({ fits: true });

    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    try {
      await phone.goto(sandbox.pageUrl);
      await phone.getByTestId('tg-input').waitFor();
      for (const box of await placeholdersFit(phone)) {
        expect(box.width, box.id).toBeGreaterThan(200);
        expect(box, box.id).toMatchObject({ fits: true });
      }
      // Nothing wider than the screen: no sideways scrolling.
      expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await phone.getByTestId('tg-input').fill('Writing from a phone');
      await phone.getByTestId('tg-send').click();
      await expect.poll(() => phone.getByTestId('desk-chat').innerText()).toContain('Writing from a phone');
      await phone.screenshot({ path: path.join(DOCS, 'sandbox-phone.png'), fullPage: true });
    } finally {
      await phone.close();
    }
  });
});
