import { describe, expect, it } from 'vitest';
import { classifyWebimError, WebimApiError, WebimNetworkError } from '../../../lib/webim/errors';
import { buildVisitorMessage, userTextFor, webimCallbackSchema, webimMessageIdFor } from '../../../lib/webim/wire';
import { fixture } from '../../support/events';

describe('Webim wire format', () => {
  it('builds the visitor message body of the assumed Custom Channel format', () => {
    expect(
      buildVisitorMessage({ visitorId: 'v-1', name: 'Ivan Petrov', login: 'ivan_p', messageId: webimMessageIdFor(5, 9), text: 'Hello' }),
    ).toEqual({
      event: 'new_message',
      visitor: { id: 'v-1', fields: { name: 'Ivan Petrov', login: 'ivan_p' } },
      message: { id: 'tg-5-9', kind: 'visitor', text: 'Hello' },
    });
    expect(buildVisitorMessage({ visitorId: 'v', messageId: 'm', text: 't' }).visitor.fields).toEqual({});
  });

  it('parses the callback fixtures', () => {
    const op = webimCallbackSchema.parse(fixture('webim/operator_message.json'));
    expect(op).toMatchObject({
      event: 'new_message',
      message: { id: '8c1f0a52e36b4f0b9d1c2a7e5f3b6d10', kind: 'operator', text: 'Hi! How can I help?' },
    });
    const plain = webimCallbackSchema.parse(fixture('webim/plain_string_message.json'));
    expect(plain).toMatchObject({ event: 'new_message', message: { kind: 'operator', text: 'Your parcel is on its way' } });
    expect(webimCallbackSchema.parse({ visitor_id: 17, message: { id: 5, text: 'x' } })).toMatchObject({
      visitor_id: '17',
      message: { id: '5', kind: 'operator' },
    });
    expect(webimCallbackSchema.safeParse({ message: 5 }).success).toBe(false);
  });

  it('decides per kind what reaches the user', () => {
    const msg = (kind: string, text = 'x') => ({ kind, text, id: '1', data: undefined });
    expect(userTextFor(msg('operator'), { forwardInfo: false })).toEqual({ text: 'x' });
    expect(userTextFor(msg('operator', '  '), { forwardInfo: false })).toEqual({ skip: 'empty_text' });
    expect(userTextFor(msg('info'), { forwardInfo: false })).toEqual({ skip: 'info_not_forwarded' });
    expect(userTextFor(msg('info'), { forwardInfo: true })).toEqual({ text: 'x' });
    expect(userTextFor(msg('for_operator'), { forwardInfo: true })).toEqual({ skip: 'for_operator' });
    expect(userTextFor(msg('keyboard'), { forwardInfo: true })).toEqual({ text: 'x' });
    expect(userTextFor(msg('keyboard', ''), { forwardInfo: false })).toEqual({ text: '' }); // the relay adds the prompt in the user's language
    expect(userTextFor(msg('quiz'), { forwardInfo: true })).toEqual({ skip: 'kind_quiz' });
  });

  it.each([
    [new WebimApiError(500), 'transient'],
    [new WebimApiError(503), 'transient'],
    [new WebimApiError(429), 'transient'],
    [new WebimApiError(408), 'transient'],
    [new WebimNetworkError('timeout'), 'transient'],
    [new WebimApiError(400, 'bad_request'), 'permanent'],
    [new WebimApiError(422, 'invalid_message'), 'permanent'],
    [new WebimApiError(401, 'unauthorized'), 'configuration'],
    [new WebimApiError(403), 'configuration'],
    [new WebimApiError(404), 'configuration'],
    [new TypeError('oops'), 'permanent'],
  ])('classifies %s as %s', (error, kind) => {
    expect(classifyWebimError(error).kind).toBe(kind);
  });
});
