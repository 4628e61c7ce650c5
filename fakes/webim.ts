import type { OutboundVisitorMessage } from '../lib/webim/wire';
import { type ScriptedResponse, startHttpFake } from './http-fake';

/**
 * A fake Webim Custom Channel endpoint: checks `Authorization: Token <token>`, records accepted
 * visitor messages, answers {"result":"ok"} unless a failure is scripted.
 */
export async function startFakeWebim(options: { accessToken: string }) {
  const scripted: ScriptedResponse[] = [];
  const received: OutboundVisitorMessage[] = [];
  /** Operator files this Webim serves at /files/<name> (as its file host), and scripted answers per path. */
  const files = new Map<string, { bytes: Buffer; contentType: string }>();
  const fileScripts = new Map<string, ScriptedResponse[]>();
  const fake = await startHttpFake((req) => {
    if (req.method === 'GET' && req.path.startsWith('/files/')) {
      const scripted = fileScripts.get(req.path)?.shift();
      if (scripted) return scripted;
      const file = files.get(req.path);
      return file ? { status: 200, rawBody: file.bytes, contentType: file.contentType } : { status: 404, body: { error: 'not_found' } };
    }
    if (req.headers.authorization !== `Token ${options.accessToken}`)
      return { status: 401, body: { error: 'unauthorized', desc: 'bad token' } };
    // A GET is a health probe: it creates nothing (the Custom Channel takes messages by POST).
    if (req.method !== 'POST') return { status: 405, body: { error: 'method_not_allowed', desc: 'POST messages here' } };
    const next = scripted.shift();
    if (next && !next.pass) return next;
    received.push(req.body as OutboundVisitorMessage);
    return { status: 200, body: { result: 'ok' }, delayMs: next?.delayMs, after: next?.after };
  });
  return {
    url: `${fake.url}/custom-channel/messages`,
    /** Serves a file at `<origin>/files/<name>`; returns its URL. */
    addFile(name: string, bytes: Buffer, contentType: string) {
      files.set(`/files/${name}`, { bytes, contentType });
      return `${fake.url}/files/${name}`;
    },
    /** The next GETs of a file path get these answers first. */
    scriptFile(name: string, ...responses: ScriptedResponse[]) {
      fileScripts.set(`/files/${name}`, [...(fileScripts.get(`/files/${name}`) ?? []), ...responses]);
    },
    origin: fake.url,
    received,
    /** Every request, accepted or not. */
    requests: fake.requests,
    script(...responses: ScriptedResponse[]) {
      scripted.push(...responses);
    },
    close: fake.close,
  };
}

export type FakeWebim = Awaited<ReturnType<typeof startFakeWebim>>;
