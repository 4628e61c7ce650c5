import { randomBytes } from 'node:crypto';
import { PassThrough, type Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFilesHandler } from '../../functions/files';
import { sealFileLink } from '../../lib/files/link';
import { SECRETS, startTestBridge, type TestBridge } from '../support/bridge';
import { databaseEngines } from '../support/databases';
import { fixture, httpApiEvent } from '../support/events';

const FILE_SECRET = 'file-link-secret-0123456789abcdef';
const FILE_BASE = 'https://files.example.lambda-url.eu-central-1.on.aws';

/** The Lambda streaming runtime's HttpResponseStream, as far as the handler uses it: head first, then the bytes. */
function streamingShim() {
  const seen: { statusCode?: number; headers?: Record<string, string>; body: Buffer } = { body: Buffer.alloc(0) };
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) =>
    sink.on('end', () => {
      seen.body = Buffer.concat(chunks);
      resolve();
    }),
  );
  return {
    seen,
    done,
    sink: sink as Writable,
    http: {
      HttpResponseStream: {
        from(stream: Writable, metadata: { statusCode: number; headers: Record<string, string> }) {
          seen.statusCode = metadata.statusCode;
          seen.headers = metadata.headers;
          return stream;
        },
      },
    },
  };
}

describe.each(databaseEngines())('files from Telegram users to the operator on $name', (engine) => {
  let bridge: TestBridge;
  const sent = (chatMessage: number) => bridge.webim.received.filter((m) => m.message.id.startsWith(`tg-287164003-${chatMessage}`));
  /** GET <link> through the file function, with a real function URL (HTTP API v2) event. */
  const download = async (url: string) => {
    const path = new URL(url).pathname;
    const shim = streamingShim();
    const event = httpApiEvent({ routeKey: '$default', path });
    event.requestContext.http.method = 'GET';
    await createFilesHandler(bridge.runtime, shim.http)(event, shim.sink);
    await shim.done;
    return shim.seen;
  };

  beforeAll(async () => {
    bridge = await startTestBridge(engine, { FILE_LINK_SECRET: FILE_SECRET, FILE_LINK_BASE_URL: FILE_BASE });
  });
  afterAll(() => bridge.close());

  it('a photo (largest size) becomes a file message with a sealed link, then its caption; the link serves the bytes', async () => {
    const bytes = randomBytes(88_211);
    bridge.telegram.addFile('AgACAgIAAxkBAAIBZ2dAoQABc3', bytes, { path: 'photos/file_7.jpg' });
    expect((await bridge.postUpdate(fixture('telegram/photo_with_caption.json'))).statusCode).toBe(200);
    const [file, caption] = sent(413);
    expect(file?.message).toMatchObject({
      id: 'tg-287164003-413',
      kind: 'file_visitor',
      data: { name: 'photo-413.jpg', media_type: 'image/jpeg', size: 88_211 },
    });
    expect(caption?.message).toEqual({ id: 'tg-287164003-413-caption', kind: 'visitor', text: 'Box arrived damaged' });
    const url = (file?.message as unknown as { data: { url: string } }).data.url;
    expect(url.startsWith(`${FILE_BASE}/files/`)).toBe(true);
    expect(url).not.toContain(SECRETS.botToken);
    expect(url).not.toContain('AgACAgIAAxkBAAIBZ2dAoQABc3');

    const got = await download(url);
    expect(got.statusCode).toBe(200);
    expect(got.headers).toMatchObject({ 'content-type': 'image/jpeg', 'content-length': '88211' });
    expect(got.headers?.['content-disposition']).toContain('filename="photo-413.jpg"');
    expect(got.body.equals(bytes)).toBe(true);
  });

  it.each([
    [
      'telegram/document_pdf.json',
      420,
      { name: 'invoice-5512.pdf', media_type: 'application/pdf', size: 48_213 },
      'The invoice you asked for',
    ],
    ['telegram/voice.json', 421, { name: 'voice-421.ogg', media_type: 'audio/ogg', size: 9216 }, undefined],
    ['telegram/audio.json', 422, { name: 'recording.m4a', media_type: 'audio/mp4' }, undefined],
    ['telegram/video.json', 423, { name: 'unboxing.mp4', media_type: 'video/mp4' }, 'See the dent'],
    ['telegram/video_note.json', 424, { name: 'video-note-424.mp4', media_type: 'video/mp4' }, undefined],
    ['telegram/animation.json', 425, { name: 'oops.gif.mp4', media_type: 'video/mp4' }, undefined],
    ['telegram/sticker.json', 414, { name: 'sticker-414.webp', media_type: 'image/webp' }, '😀'],
    ['telegram/document_no_name.json', 428, { name: 'document-428', media_type: 'application/octet-stream' }, undefined],
  ])('%s → file message %o', async (name, messageId, data, caption) => {
    expect((await bridge.postUpdate(fixture(name))).statusCode).toBe(200);
    const messages = sent(messageId as number);
    expect(messages[0]?.message).toMatchObject({ kind: 'file_visitor', data });
    expect(messages.slice(1).map((m) => m.message)).toEqual(
      caption ? [{ id: `tg-287164003-${messageId}-caption`, kind: 'visitor', text: caption }] : [],
    );
  });

  it('a file over the 20 MB bot download limit reaches the operator as a text with its name and size', async () => {
    expect((await bridge.postUpdate(fixture('telegram/document_too_big.json'))).statusCode).toBe(200);
    expect(sent(426).map((m) => m.message)).toEqual([
      { id: 'tg-287164003-426', kind: 'visitor', text: expect.stringContaining('file too large to relay: backup.zip (25.0 MB)') },
    ]);
  });

  it('a caption that fails after its file: the retry posts only the caption', async () => {
    const update = fixture<{ update_id: number; message: Record<string, unknown> }>('telegram/document_pdf.json');
    update.update_id = 815_209_999;
    update.message.message_id = 499;
    bridge.webim.script({ status: 200, pass: true }, { status: 503 });
    expect((await bridge.postUpdate(update)).statusCode).toBe(503);
    expect((await bridge.postUpdate(update)).statusCode).toBe(200);
    expect(sent(499).map((m) => m.message.kind)).toEqual(['file_visitor', 'visitor']);
  });

  it('a reply shows the operator the quoted start of the replied message', async () => {
    await bridge.postUpdate(fixture('telegram/reply_to_text.json'));
    expect(sent(427)[0]?.message.text).toBe(
      '↩ «Could you confirm the order number you see on the delivery note, the one that st…»\nYes, exactly that one',
    );
  });

  describe('file links', () => {
    const tokenFor = (secret: string, expiresAt: number) =>
      sealFileLink(secret, { fileId: 'AgACAgIAAxkBAAIBZ2dAoQABc3', name: 'x.jpg', mediaType: 'image/jpeg', expiresAt });
    const future = () => Math.floor(Date.now() / 1000) + 3600;

    it.each([
      [
        'tampered',
        () => {
          const t = tokenFor(FILE_SECRET, future());
          return `${t.slice(0, 30)}${t[30] === 'A' ? 'B' : 'A'}${t.slice(31)}`;
        },
        403,
      ],
      ['sealed with another secret', () => tokenFor('another-secret-0123456789abcdef', future()), 403],
      ['expired', () => tokenFor(FILE_SECRET, Math.floor(Date.now() / 1000) - 1), 404],
      ['not a token at all', () => 'hello', 403],
    ])('%s → refused without any Telegram call', async (_label, token, status) => {
      const calls = bridge.telegram.calls.length;
      const got = await download(`${FILE_BASE}/files/${token()}`);
      expect(got.statusCode).toBe(status === 403 && _label === 'not a token at all' ? 403 : status);
      expect(bridge.telegram.calls.length).toBe(calls);
      expect(got.body.toString()).not.toContain('AgAC');
    });

    let activeId = 600;
    it.each([
      ['image/svg+xml', 'drawing.svg', 'attachment'],
      ['text/html', 'page.html', 'attachment'],
      ['application/xml', 'data.xml', 'attachment'],
      ['application/pdf', 'scan.pdf', 'attachment'],
      ['application/x-unknown', 'blob', 'attachment'],
      ['image/png', 'shot.png', 'inline'],
      ['audio/ogg', 'voice.ogg', 'inline'],
      ['video/mp4', 'clip.mp4', 'inline'],
    ])('a document of type %s (%s) is served %s, sandboxed and never sniffed', async (mediaType, name, disposition) => {
      const update = fixture<{ update_id: number; message: { message_id: number; document: Record<string, unknown>; caption?: string } }>(
        'telegram/document_pdf.json',
      );
      const messageId = ++activeId;
      update.update_id = 815_300_000 + messageId;
      update.message.message_id = messageId;
      update.message.document = {
        file_name: name,
        mime_type: mediaType,
        file_id: `BQACAgIAAxkBActive${messageId}`,
        file_unique_id: `u${messageId}`,
        file_size: 40,
      };
      delete update.message.caption;
      const bytes = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>');
      bridge.telegram.addFile(`BQACAgIAAxkBActive${messageId}`, bytes, { path: `documents/${name}` });
      expect((await bridge.postUpdate(update)).statusCode).toBe(200);
      const url = (sent(messageId)[0]?.message as unknown as { data: { url: string } }).data.url;
      const got = await download(url);
      expect(got.statusCode).toBe(200);
      expect(got.headers?.['content-disposition']?.startsWith(`${disposition};`)).toBe(true);
      expect(got.headers).toMatchObject({ 'content-security-policy': 'sandbox', 'x-content-type-options': 'nosniff' });
    });

    it('refusals carry the same protective headers', async () => {
      const got = await download(`${FILE_BASE}/files/hello`);
      expect(got.headers).toMatchObject({ 'content-security-policy': 'sandbox', 'x-content-type-options': 'nosniff' });
    });

    it('logs media type and size, never the file name or the token', () => {
      const lines = bridge.logs.filter((l) => l.includes('file_served') || l.includes('relayed_to_webim'));
      expect(lines.length).toBeGreaterThan(0);
      const text = bridge.logs.join('\n');
      for (const secret of ['photo-413.jpg', 'invoice-5512.pdf', 'backup.zip', 'Box arrived damaged', FILE_SECRET, SECRETS.botToken])
        expect(text).not.toContain(secret);
    });
  });
});
