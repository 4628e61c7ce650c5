import { crc32, deflateSync } from 'node:zlib';

/** The sample files a sandbox user or operator can send: made here, so the sandbox needs no assets. */
export const SAMPLES = ['photo', 'pdf', 'voice', 'sticker'] as const;
export type SampleKind = (typeof SAMPLES)[number];

export interface SampleFile {
  name: string;
  mediaType: string;
  bytes: Buffer;
}

/** A small PNG: a colour gradient with a stripe, so it is visibly an image when shown inline. */
function gradientPng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3;
      const stripe = Math.abs(y - height / 2) < 4;
      raw[o] = stripe ? 255 : Math.round((x / width) * 255);
      raw[o + 1] = stripe ? 255 : Math.round((y / height) * 200) + 30;
      raw[o + 2] = stripe ? 255 : 230;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A one-page PDF with a line of text. */
function simplePdf(text: string): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${`BT /F1 18 Tf 40 100 Td (${text}) Tj ET`.length} >>\nstream\nBT /F1 18 Tf 40 100 Td (${text}) Tj ET\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A 160×100 gradient as a real JPEG (2 KB), made once with a canvas: the sandbox needs no image encoder. */
const USER_PHOTO_JPEG =
  '/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABhY3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAABUAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAAAAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9YWVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADb/2wBDAAoHBwgHBgoICAgLCgoLDhgQDg0NDh0VFhEYIx8lJCIfIiEmKzcvJik0KSEiMEExNDk7Pj4+JS5ESUM8SDc9Pjv/2wBDAQoLCw4NDhwQEBw7KCIoOzs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozv/wAARCABkAKADASIAAhEBAxEB/8QAGgABAQEBAQEBAAAAAAAAAAAAAgEABgQFA//EACEQAQEAAAYDAQEBAAAAAAAAAAEAAgQFVKLRFVOjBhYU/8QAFwEBAQEBAAAAAAAAAAAAAAAAAwIGBf/EAB8RAQEAAwADAAMBAAAAAAAAAAEAAgNRBFKRBYHwEf/aAAwDAQACEQMRAD8A9gSCgTC1K2LCoTCgSCJZQqEwoEwjWUKhIKBMIllCoSCwSCNZQqEwoEgjWUKhMKBMIllCoSCgTCNZQqEwoEgiWUKhMKBMI1lC44JhQJBaVbKhUJhQJhEsoVCQUCYRrKFQmFAkEayhUJhQJBEsoVCYUCYRrKFQkFAmESyhUJhQJBGsoVCYUCQRrKFQmFAmESyhccEwvpn5nV9p9MHcj83q+0+mDu0Lu1+x9s2ePt9X43zQkF9I/OattPpg7kfndV2v0w9xu3D2JDRt9X5fOCYX0D89qm1+mHuR+f1Ta/TD3G7cOkpp2er8vnhML3mg6ntvph7kaFqW254e43Zj2Q1Z+reAJhe40PUdtzw9yNE1Hb88Pcbnj2Q1Z8bxBIL2mi6ht+eHuRo+f9HPD3Q5nZTXly8YTC9ZpGe9HPD3I0nPejlh7jciQwy5eQJheo0rO+nkdyNLznp5HcayGLy8oTC9Jpub9XI7kadmvVyO41lMW84SC9Bp+a9XI7kZDM+vkRv+yBfp/SaRu/nj6t/R6Tu/nj6uECYXYfD19bjH5Dbw/v3dz/RaVuvni6r/AEOlbr54uriAkFD4uHWs87bw/v3dr5/S9188XVfPaZufni6uMCQUPjYdrPM2cLsvO6bueGLq3nNN3PDF1cgEwpdGNZ5WfC63zenbjhi6r5nT9xwxdXJhMKHVjWeRny6nzGQ9/DF1Xy+R9/DF1cwEgodZWbsrpvLZH38MXVvK5L3cXq5wJhQ4lZsyuh8nk/dxeq+Synu4vVz4TClkM2+75HKe3i9V8hlfbxer4YTChaxb7X+/Lezi2/25f2cW+QEgoc2sLjwmFAkFo1ssFQmFAmESyBYJhQJhGswVCQUCYRLIFQmFAkEazBUJhQJhGsgVCQUCYRLKFQkFgkEayhUJhQJBEsoVCYUCYRrKFxwTCgTC0q2WCoSCgTCJZQqEgoEwjWUKhMKBII1lCoTCgTCJZQqEgoEwjWUKhIKBMI1lCoTCgSCJZQqEwoEwjWUKhIKBMIllC44mWtaZsoTJFrRspMkWtEykyZa0bKSJlrRspMkWtEykyZa0bKSJlrRMpImWtGykyRa0TKX/2Q==';

/** A sample file of a kind; `who` goes into the name so the two sides' samples differ. */
export function sampleFile(kind: SampleKind, who: 'user' | 'operator'): SampleFile {
  switch (kind) {
    case 'photo':
      // A user's photo is a JPEG, as Telegram keeps every photo; the operator's stays a PNG (sent as it is).
      return who === 'user'
        ? { name: 'user-photo.jpg', mediaType: 'image/jpeg', bytes: Buffer.from(USER_PHOTO_JPEG, 'base64') }
        : { name: 'operator-photo.png', mediaType: 'image/png', bytes: gradientPng(160, 100) };
    case 'pdf':
      return {
        name: who === 'operator' ? 'invoice-5512.pdf' : 'receipt.pdf',
        mediaType: 'application/pdf',
        bytes: simplePdf(who === 'operator' ? 'Invoice 5512 - sandbox' : 'Receipt - sandbox'),
      };
    case 'voice':
      // Not real Opus audio: the sandbox shows the relay, not a player.
      return { name: `${who}-voice.ogg`, mediaType: 'audio/ogg', bytes: Buffer.concat([Buffer.from('OggS'), Buffer.alloc(4000, 7)]) };
    case 'sticker':
      // A 1×1 lossless WebP (Telegram's static sticker format); the emoji travels as the caption.
      return {
        name: 'sticker.webp',
        mediaType: 'image/webp',
        bytes: Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64'),
      };
  }
}
