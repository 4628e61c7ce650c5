import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { defaultRuntime, type Runtime } from '../lib/app/runtime';
import { type FileAnswer, openFileAnswer, refuse } from '../lib/files/serve';

/** The response-streaming API of Lambda's Node.js runtime (a global there, absent elsewhere). */
interface StreamingRuntime {
  streamifyResponse(handler: (event: APIGatewayProxyEventV2, stream: Writable) => Promise<void>): unknown;
  HttpResponseStream: { from(stream: Writable, metadata: { statusCode: number; headers: Record<string, string> }): Writable };
}
declare const awslambda: StreamingRuntime | undefined;

/**
 * GET /files/<token> on a Lambda function URL in RESPONSE_STREAM mode: a buffered response is
 * capped at 6 MB, a streamed one is not, and the file passes through without being held whole in
 * memory. Logs the status, media type and size — never the file's name or the token.
 */
export function createFilesHandler(runtime: Runtime, http: Pick<StreamingRuntime, 'HttpResponseStream'>) {
  return async (event: APIGatewayProxyEventV2, responseStream: Writable): Promise<void> => {
    const started = performance.now();
    const log = runtime.log.child({ route: 'files', request_id: event.requestContext?.requestId });
    const token = /^\/files\/([^/]+)$/.exec(event.rawPath ?? '')?.[1];
    let answer: FileAnswer;
    if (event.requestContext?.http?.method !== 'GET' || !token) {
      answer = { status: 404, headers: { 'content-type': 'application/json' }, reason: 'not_a_file_link' };
    } else {
      try {
        const ctx = await runtime.context();
        answer = await openFileAnswer({ ...ctx, log }, token);
      } catch (error) {
        // Settings or the database unavailable: the desk may retry; the invocation itself succeeds.
        log.error('file_not_served', { reason: 'bridge_unavailable', error });
        answer = refuse(503, 'bridge_unavailable');
      }
    }
    const stream = http.HttpResponseStream.from(responseStream, { statusCode: answer.status, headers: answer.headers });
    if (answer.body) await pipeline(answer.body, stream);
    else {
      stream.end(JSON.stringify({ error: answer.reason === 'link_expired' ? 'link_expired' : 'not_found' }));
    }
    log.info('file_served', {
      status: answer.status,
      reason: answer.reason,
      media_type: answer.headers['content-type'],
      size: answer.headers['content-length'],
      duration_ms: Math.round(performance.now() - started),
    });
  };
}

const streaming = typeof awslambda !== 'undefined' && typeof awslambda?.streamifyResponse === 'function' ? awslambda : undefined;
export const handler = streaming ? streaming.streamifyResponse(createFilesHandler(defaultRuntime(), streaming)) : undefined;
