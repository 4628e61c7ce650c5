/** Reads a multipart/form-data body (the uploads the fake and the simulated Bot API receive): text fields and one file part, as bytes. */
export function parseMultipart(raw: Buffer, boundary: string) {
  const fields: Record<string, string> = {};
  let file: { field: string; name: string; contentType: string; bytes: Buffer } | undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  let start = raw.indexOf(delimiter);
  while (start !== -1) {
    const next = raw.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = raw.subarray(start + delimiter.length + 2, next - 2); // the CRLFs around each part
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const body = part.subarray(split + 4);
    const name = /name="([^"]+)"/.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    if (filename !== undefined)
      file = { field: name, name: filename, contentType: /Content-Type: (.+)/i.exec(head)?.[1]?.trim() ?? '', bytes: Buffer.from(body) };
    else fields[name] = body.toString('utf8');
    start = next;
  }
  return { fields, file };
}

/** The boundary of a multipart/form-data Content-Type, if it is one. */
export const multipartBoundary = (contentType: string | undefined): string | undefined =>
  /^multipart\/form-data; boundary=(.+)$/.exec(contentType ?? '')?.[1];
