import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telegramError } from '../../fakes/telegram';
import { startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';

describe.each(databaseEngines())('operator files to the Telegram user on $name', (engine) => {
  let bridge: TestBridge;
  let next = 5_500_000;
  const newUser = async () => {
    const chatId = ++next;
    expect((await bridge.postUpdate(textUpdate(++next, chatId, '/start'))).statusCode).toBe(200);
    return { chatId, visitorId: await visitorOf(bridge.db, chatId) };
  };
  const fileCallback = (visitorId: string, id: string, data: Record<string, unknown>, text?: string, nested = false) => ({
    event: 'new_message',
    visitor_id: visitorId,
    message: { id, kind: 'file_operator', ...(text ? { text } : {}), data: nested ? { file: data } : data },
  });

  beforeAll(async () => {
    bridge = await startTestBridge(engine, { CHAT_CLOSED_TEXT: 'The operator closed this chat. Write again any time.' });
  });
  afterAll(() => bridge.close());

  it('a PDF with text: uploaded with sendDocument, name kept, text as caption, bytes identical', async () => {
    const { chatId, visitorId } = await newUser();
    const bytes = randomBytes(300_000);
    const url = bridge.webim.addFile('invoice-5512.pdf', bytes, 'application/pdf');
    const res = await bridge.postCallback(
      fileCallback(visitorId, 'f-1', { url, name: 'invoice-5512.pdf', media_type: 'application/pdf', size: bytes.length }, 'Your invoice'),
    );
    expect(res.statusCode).toBe(200);
    const [upload] = bridge.telegram.uploads.filter((u) => u.chatId === chatId);
    expect(upload).toMatchObject({
      method: 'sendDocument',
      field: 'document',
      name: 'invoice-5512.pdf',
      contentType: 'application/pdf',
      caption: 'Your invoice',
    });
    expect(upload?.bytes.equals(bytes)).toBe(true);
    // a redelivery changes nothing
    expect((await bridge.postCallback(fileCallback(visitorId, 'f-1', { url, name: 'invoice-5512.pdf' }, 'Your invoice'))).statusCode).toBe(
      200,
    );
    expect(bridge.telegram.uploads.filter((u) => u.chatId === chatId)).toHaveLength(1);
  });

  it.each([
    ['image/jpeg', 'photo.jpg', 50_000, 'sendPhoto', 'photo'],
    ['image/png', 'big.png', 10 * 1024 * 1024 + 1, 'sendDocument', 'document'],
    ['audio/ogg', 'note.ogg', 9_000, 'sendVoice', 'voice'],
    ['video/mp4', 'howto.mp4', 70_000, 'sendVideo', 'video'],
    ['application/zip', 'logs.zip', 1_000, 'sendDocument', 'document'],
  ])('%s (%s) → %s', async (type, name, size, method, field) => {
    const { chatId, visitorId } = await newUser();
    const url = bridge.webim.addFile(name, randomBytes(size), type);
    expect(
      (await bridge.postCallback(fileCallback(visitorId, `t-${name}`, { url, name, media_type: type }, undefined, true))).statusCode,
    ).toBe(200);
    expect(bridge.telegram.uploads.filter((u) => u.chatId === chatId).map((u) => [u.method, u.field, u.name])).toEqual([
      [method, field, name],
    ]);
  });

  it.each([
    ['audio/ogg', 'voice.ogg', 'sendVoice', 'Bad Request: VOICE_MESSAGES_FORBIDDEN'],
    ['image/jpeg', 'scan.jpg', 'sendPhoto', 'Bad Request: IMAGE_PROCESS_FAILED'],
    ['video/mp4', 'clip.mp4', 'sendVideo', 'Bad Request: wrong file identifier/HTTP URL specified'],
  ])('%s refused by Telegram (%s → 400): the same bytes go as a document, with the caption', async (type, name, method, description) => {
    const { chatId, visitorId } = await newUser();
    const bytes = randomBytes(4_000);
    const url = bridge.webim.addFile(name, bytes, type);
    bridge.telegram.script(method, telegramError(400, description));
    const res = await bridge.postCallback(
      fileCallback(visitorId, `refused-${name}`, { url, name, media_type: type, size: bytes.length }, 'Listen to this'),
    );
    expect(res.statusCode).toBe(200);
    const uploads = bridge.telegram.uploads.filter((u) => u.chatId === chatId);
    expect(uploads.map((u) => u.method)).toEqual([method, 'sendDocument']);
    expect(uploads[1]?.bytes.equals(bytes)).toBe(true);
    expect(bridge.telegram.deliveredTo(chatId)).toEqual([`[sendDocument ${name} | Listen to this]`]);
    expect(bridge.parsedLogs().find((l) => l.event === 'file_upload_refused' && l.method === method)).toMatchObject({
      fallback: 'sendDocument',
    });
  });

  it('refused as a voice note and as a document: the user still gets the name and the text', async () => {
    const { chatId, visitorId } = await newUser();
    const url = bridge.webim.addFile('memo.ogg', randomBytes(2_000), 'audio/ogg');
    bridge.telegram.script('sendVoice', telegramError(400, 'Bad Request: VOICE_MESSAGES_FORBIDDEN'));
    bridge.telegram.script('sendDocument', telegramError(400, 'Bad Request: file is too big'));
    const res = await bridge.postCallback(
      fileCallback(visitorId, 'refused-twice', { url, name: 'memo.ogg', media_type: 'audio/ogg' }, 'Call me back'),
    );
    expect(res.statusCode).toBe(200);
    const [note] = bridge.telegram.deliveredTo(chatId);
    expect(note).toContain('memo.ogg');
    expect(note).toContain('Call me back');
  });

  it('a text over 1024 characters follows the file as its own message, in order', async () => {
    const { chatId, visitorId } = await newUser();
    const url = bridge.webim.addFile('manual.pdf', randomBytes(1000), 'application/pdf');
    const long = 'Step. '.repeat(300).trim();
    expect(
      (await bridge.postCallback(fileCallback(visitorId, 'long-1', { url, name: 'manual.pdf', media_type: 'application/pdf' }, long)))
        .statusCode,
    ).toBe(200);
    expect(bridge.telegram.deliveredTo(chatId).slice(-2)).toEqual(['[sendDocument manual.pdf]', long]);
  });

  it.each([
    ['404 from the file host', (name: string) => bridge.webim.scriptFile(name, { status: 404 }), 'file_gone_404'],
    ['410 from the file host', (name: string) => bridge.webim.scriptFile(name, { status: 410 }), 'file_gone_410'],
    [
      'a redirect to a host that is not allowed',
      (name: string) => bridge.webim.scriptFile(name, { status: 302, headers: { location: 'https://evil.example.com/x.pdf' } }),
      'file_host_not_allowed',
    ],
  ])('%s → the user gets the name and a note; logged; acknowledged', async (_label, script, reason) => {
    const { chatId, visitorId } = await newUser();
    const name = `doc-${next}.pdf`;
    const url = bridge.webim.addFile(name, randomBytes(100), 'application/pdf');
    script(name);
    expect((await bridge.postCallback(fileCallback(visitorId, `p-${next}`, { url, name }))).statusCode).toBe(200);
    expect(bridge.telegram.deliveredTo(chatId).at(-1)).toMatch(
      new RegExp(`^📎 ${name.replace('.', '\\.')} — the operator sent a file that could not be delivered here\\.`),
    );
    expect(bridge.parsedLogs().some((l) => l.event === 'file_not_delivered' && l.reason === reason)).toBe(true);
  });

  it('a redirect within the allowed host is followed', async () => {
    const { chatId, visitorId } = await newUser();
    const bytes = randomBytes(2000);
    const target = bridge.webim.addFile('real.pdf', bytes, 'application/pdf');
    const url = bridge.webim.addFile('moved.pdf', Buffer.alloc(0), 'application/pdf');
    bridge.webim.scriptFile('moved.pdf', { status: 301, headers: { location: new URL(target).pathname } });
    expect((await bridge.postCallback(fileCallback(visitorId, 'redir-1', { url, name: 'real.pdf' }))).statusCode).toBe(200);
    expect(bridge.telegram.uploads.filter((u) => u.chatId === chatId)[0]?.bytes.equals(bytes)).toBe(true);
  });

  it('a file over 50 MB (by its stated size) is refused without downloading it', async () => {
    const { chatId, visitorId } = await newUser();
    const url = bridge.webim.addFile('huge.iso', Buffer.alloc(10), 'application/octet-stream');
    expect(
      (await bridge.postCallback(fileCallback(visitorId, 'huge-1', { url, name: 'huge.iso', size: 60 * 1024 * 1024 }))).statusCode,
    ).toBe(200);
    expect(bridge.telegram.deliveredTo(chatId).at(-1)).toContain('huge.iso');
    expect(bridge.parsedLogs().some((l) => l.event === 'file_not_delivered' && l.reason === 'file_too_large')).toBe(true);
  });

  it('a 5xx from the file host is transient: 503, then exactly one delivery after recovery', async () => {
    const { chatId, visitorId } = await newUser();
    const url = bridge.webim.addFile('later.pdf', randomBytes(500), 'application/pdf');
    bridge.webim.scriptFile('later.pdf', { status: 503 });
    const body = fileCallback(visitorId, 'later-1', { url, name: 'later.pdf' });
    expect((await bridge.postCallback(body)).statusCode).toBe(503);
    expect((await bridge.postCallback(body)).statusCode).toBe(200);
    expect((await bridge.postCallback(body)).statusCode).toBe(200);
    expect(bridge.telegram.uploads.filter((u) => u.chatId === chatId)).toHaveLength(1);
  });

  it('chat_closed sends CHAT_CLOSED_TEXT once', async () => {
    const { chatId, visitorId } = await newUser();
    const closed = { event: 'chat_closed', visitor_id: visitorId, chat_id: 90210 };
    expect((await bridge.postCallback(closed)).statusCode).toBe(200);
    expect((await bridge.postCallback(closed)).statusCode).toBe(200);
    expect(bridge.telegram.deliveredTo(chatId).filter((t) => t.startsWith('The operator closed'))).toHaveLength(1);
  });

  it('logs media type and size, never file names or texts', () => {
    const text = bridge.logs.join('\n');
    for (const s of ['invoice-5512.pdf', 'manual.pdf', 'Your invoice', 'Step. Step.']) expect(text).not.toContain(s);
  });
});
