import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFilesHandler } from '../../functions/files';
import { startTestBridge, type TestBridge } from '../support/bridge';
import { databaseEngines } from '../support/databases';
import { fixture, httpApiEvent } from '../support/events';
import { allTextInDatabase } from '../support/privacy';

describe.each(databaseEngines())('files leave nothing behind on $name', (engine) => {
  let bridge: TestBridge;
  beforeAll(async () => {
    bridge = await startTestBridge(engine, {
      FILE_LINK_SECRET: 'privacy-file-link-secret-123',
      FILE_LINK_BASE_URL: 'https://files.example.com',
    });
  });
  afterAll(() => bridge.close());

  it('after files both ways: no bytes, captions or names in any database column or log line', async () => {
    // user → operator: a document with a caption, fetched through its link
    const userBytes = randomBytes(4096);
    bridge.telegram.addFile('BQACAgIAAxkBAAIBcGdAo1', userBytes, { path: 'documents/file_9.pdf' });
    expect((await bridge.postUpdate(fixture('telegram/document_pdf.json'))).statusCode).toBe(200);
    const link = (
      bridge.webim.received.find((m) => m.message.kind === ('file_visitor' as never))?.message as unknown as { data: { url: string } }
    ).data.url;
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const event = httpApiEvent({ routeKey: '$default', path: new URL(link).pathname });
    event.requestContext.http.method = 'GET';
    await createFilesHandler(bridge.runtime, { HttpResponseStream: { from: (s) => s } })(event, sink);
    expect(Buffer.concat(chunks).equals(userBytes)).toBe(true);

    // operator → user: a file with a text
    const [{ visitor_id: visitorId }] = (await bridge.db.sql`SELECT visitor_id FROM chat_mapping WHERE chat_id = 287164003`) as unknown as [
      { visitor_id: string },
    ];
    const operatorBytes = randomBytes(4096);
    const url = bridge.webim.addFile('contract-secret-name.pdf', operatorBytes, 'application/pdf');
    const callback = {
      event: 'new_message',
      visitor_id: visitorId,
      message: {
        id: 'priv-1',
        kind: 'file_operator',
        text: 'Sign page three please',
        data: { url, name: 'contract-secret-name.pdf', media_type: 'application/pdf' },
      },
    };
    expect((await bridge.postCallback(callback)).statusCode).toBe(200);
    expect(bridge.telegram.uploads.at(-1)?.bytes.equals(operatorBytes)).toBe(true);

    const stored = await allTextInDatabase(bridge);
    const logs = bridge.logs.join('\n');
    for (const leak of [
      'invoice-5512.pdf',
      'The invoice you asked for',
      'contract-secret-name.pdf',
      'Sign page three please',
      'BQACAgIAAxkBAAIBcGdAo1',
      new URL(link).pathname.split('/').pop() as string,
    ]) {
      expect(stored).not.toContain(leak);
      expect(logs).not.toContain(leak);
    }
    for (const bytes of [userBytes, operatorBytes]) {
      expect(stored).not.toContain(bytes.subarray(0, 64).toString('hex'));
      expect(logs).not.toContain(bytes.subarray(0, 64).toString('base64'));
    }
    expect(logs).toContain('"media_type":"application/pdf"');
  });
});
