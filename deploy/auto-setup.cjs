// The deploy hook's logic, apart from the Serverless plumbing so it can be tested with the real
// admin function: invoke `setup`, print the report, fail the deploy with a clear message if needed.

/** Decodes a Lambda Invoke answer (Payload as bytes or string). */
function decodePayload(payload) {
  if (payload === undefined || payload === null) return undefined;
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function runAutoSetup({ enabled, invoke, print, fail }) {
  if (!enabled) {
    print('auto-setup skipped (autoSetup=false): run `npx serverless invoke -f admin --data \'{"action":"setup"}\'` when ready');
    return undefined;
  }
  print('auto-setup: migrating the database, registering the Telegram webhook, checking everything…');
  let answer;
  try {
    answer = await invoke({ action: 'setup' });
  } catch (error) {
    return fail(
      `auto-setup could not invoke the admin function: ${error?.message ? error.message : String(error)}. The stack is deployed; fix the cause and run deploy again (or --param="autoSetup=false").`,
    );
  }
  const body = decodePayload(answer.Payload);
  if (answer.FunctionError) {
    const message = body && typeof body === 'object' ? body.errorMessage : String(body);
    return fail(
      `auto-setup failed: ${message}\nThe stack is deployed; fix the cause and run deploy again (or invoke the admin function's "setup" action).`,
    );
  }
  for (const line of body?.lines || []) print(line);
  return body;
}

module.exports = { runAutoSetup, decodePayload };
