import type { OutboundVisitorMessage } from '../../lib/webim/wire';
import { startHttpFake, type ScriptedResponse } from './http-fake';

/**
 * A fake Webim Custom Channel endpoint: checks `Authorization: Token <token>`, records accepted
 * visitor messages, answers {"result":"ok"} unless a failure is scripted.
 */
export async function startFakeWebim(options: { accessToken: string }) {
  const scripted: ScriptedResponse[] = [];
  const received: OutboundVisitorMessage[] = [];
  const fake = await startHttpFake((req) => {
    if (req.headers.authorization !== `Token ${options.accessToken}`) return { status: 401, body: { error: 'unauthorized', desc: 'bad token' } };
    // A GET is a health probe: it creates nothing (the Custom Channel takes messages by POST).
    if (req.method !== 'POST') return { status: 405, body: { error: 'method_not_allowed', desc: 'POST messages here' } };
    const next = scripted.shift();
    if (next && !next.pass) return next;
    received.push(req.body as OutboundVisitorMessage);
    return { status: 200, body: { result: 'ok' }, delayMs: next?.delayMs, after: next?.after };
  });
  return {
    url: `${fake.url}/custom-channel/messages`,
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
