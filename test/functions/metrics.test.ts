import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { operatorCallback, SECRETS, startTestBridge, type TestBridge, textUpdate, visitorOf } from '../support/bridge';
import { databaseEngines } from '../support/databases';

/** The Embedded Metric Format specification, as a schema: what CloudWatch needs to extract metrics. */
const emfSchema = z
  .looseObject({
    _aws: z.strictObject({
      Timestamp: z.number().int().positive(),
      CloudWatchMetrics: z
        .array(
          z.strictObject({
            Namespace: z.string().min(1).max(255),
            Dimensions: z.array(z.array(z.string().min(1)).min(1).max(30)),
            Metrics: z
              .array(z.strictObject({ Name: z.string().min(1).max(255), Unit: z.enum(['Count', 'Milliseconds', 'None']) }))
              .min(1)
              .max(100),
          }),
        )
        .length(1),
    }),
  })
  .superRefine((record, ctx) => {
    const directive = record._aws.CloudWatchMetrics[0]!;
    // Every dimension and every metric named in the directive must be a top-level member of the right type.
    for (const name of directive.Dimensions.flat())
      if (typeof record[name] !== 'string') ctx.addIssue({ code: 'custom', message: `dimension ${name} missing` });
    for (const m of directive.Metrics)
      if (typeof record[m.Name] !== 'number') ctx.addIssue({ code: 'custom', message: `metric ${m.Name} missing` });
  });

describe.each(databaseEngines())('delivery metrics (EMF) on $name', (engine) => {
  let bridge: TestBridge;
  const records = () => bridge.parsedLogs().filter((l) => '_aws' in l);

  beforeAll(async () => {
    bridge = await startTestBridge(engine, { STAGE: 'test' });
  });
  afterAll(() => bridge.close());

  it('writes one valid EMF record per relayed request: relayed, deferred, configuration error, failed — without ids, texts or secrets', async () => {
    const chatId = 6_100_001;
    expect((await bridge.postUpdate(textUpdate(6_100_001, chatId, 'secret plans for the party'))).statusCode).toBe(200);
    const visitorId = await visitorOf(bridge.db, chatId);
    bridge.webim.script({ status: 401, body: { error: 'unauthorized' } });
    expect((await bridge.postUpdate(textUpdate(6_100_002, chatId, 'second message text'))).statusCode).toBe(503);
    expect((await bridge.postCallback(operatorCallback(visitorId, 'm-1', 'operator answer text'))).statusCode).toBe(200);
    expect((await bridge.postCallback(operatorCallback('nobody', 'm-2', 'to no one'))).statusCode).toBe(200);
    expect((await bridge.postUpdate(textUpdate(1, 1, 'x'), { secret: 'wrong' })).statusCode).toBe(401);

    const all = records();
    expect(all).toHaveLength(4); // the unauthenticated request relays nothing and counts nothing
    for (const r of all) expect(emfSchema.safeParse(r).success).toBe(true);
    const pick = (r: Record<string, unknown>) => ({
      Direction: r.Direction,
      Relayed: r.Relayed,
      Deferred: r.Deferred,
      Failed: r.Failed,
      ConfigurationErrors: r.ConfigurationErrors,
    });
    expect(all.map(pick)).toEqual([
      { Direction: 'telegram_to_webim', Relayed: 1, Deferred: 0, Failed: 0, ConfigurationErrors: 0 },
      { Direction: 'telegram_to_webim', Relayed: 0, Deferred: 1, Failed: 0, ConfigurationErrors: 1 },
      { Direction: 'webim_to_telegram', Relayed: 1, Deferred: 0, Failed: 0, ConfigurationErrors: 0 },
      { Direction: 'webim_to_telegram', Relayed: 0, Deferred: 0, Failed: 1, ConfigurationErrors: 0 },
    ]);
    expect(all.every((r) => r.Stage === 'test')).toBe(true);
    expect(typeof all[0]?.UpstreamLatency).toBe('number');
    const text = JSON.stringify(all);
    for (const s of ['secret plans', 'second message', 'operator answer', visitorId, String(chatId), ...Object.values(SECRETS)])
      expect(text).not.toContain(s);
  });

  it('a rating counted writes Ratings 1 and its RatingScore (averaged by the dashboard); a second press of the prompt writes neither', async () => {
    const chatId = 6_100_101;
    expect((await bridge.postUpdate(textUpdate(6_100_101, chatId, '/start'))).statusCode).toBe(200);
    const press = (updateId: number, score: number) => ({
      update_id: updateId,
      callback_query: {
        id: `cq-${updateId}`,
        from: { id: chatId, is_bot: false, first_name: 'Test' },
        chat_instance: '-1',
        data: `rt:${score}:77`,
        message: { message_id: 501, date: 1795339980, chat: { id: chatId, type: 'private', first_name: 'Test' }, text: 'Rate us' },
      },
    });
    const before = records().length;
    expect((await bridge.postUpdate(press(6_100_102, 2))).statusCode).toBe(200);
    expect((await bridge.postUpdate(press(6_100_103, 5))).statusCode).toBe(200);
    const [rated, again] = records().slice(before);
    expect(emfSchema.safeParse(rated).success).toBe(true);
    expect(rated).toMatchObject({ Direction: 'telegram_to_webim', Relayed: 1, Ratings: 1, RatingScore: 2 });
    expect((rated?._aws as { CloudWatchMetrics: { Metrics: unknown[] }[] }).CloudWatchMetrics[0]?.Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'Ratings', Unit: 'Count' },
        { Name: 'RatingScore', Unit: 'None' },
      ]),
    );
    expect(again).not.toHaveProperty('Ratings');
    expect(again).not.toHaveProperty('RatingScore');
  });
});
