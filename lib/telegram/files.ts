import type { Message } from '@grammyjs/types';

/** A file a Telegram user sent, as the bridge relays it: photo, document, voice, audio, video, video note, animation, sticker. */
export interface TelegramFile {
  kind: 'photo' | 'document' | 'voice' | 'audio' | 'video' | 'video_note' | 'animation' | 'sticker';
  fileId: string;
  /** A sensible name even when Telegram gives none (`photo-<message_id>.jpg`). */
  name: string;
  mediaType: string;
  /** Bytes, when Telegram says. */
  size?: number;
}

/** Telegram's limit for files a bot may download (getFile). */
export const BOT_DOWNLOAD_LIMIT_BYTES = 20 * 1024 * 1024;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** The file of a message that is not an animation, if it carries one of the relayed kinds (the largest size of a photo). */
function fileOf(m: Message): TelegramFile | undefined {
  const id = m.message_id;
  if (Array.isArray(m.photo) && m.photo.length) {
    const largest = [...m.photo].sort((a, b) => (num(b.file_size) ?? b.width * b.height) - (num(a.file_size) ?? a.width * a.height))[0];
    if (largest && str(largest.file_id))
      return { kind: 'photo', fileId: largest.file_id, name: `photo-${id}.jpg`, mediaType: 'image/jpeg', size: num(largest.file_size) };
  }
  if (m.document && str(m.document.file_id)) {
    return {
      kind: 'document',
      fileId: m.document.file_id,
      name: str(m.document.file_name) ?? `document-${id}`,
      mediaType: str(m.document.mime_type) ?? 'application/octet-stream',
      size: num(m.document.file_size),
    };
  }
  if (m.voice && str(m.voice.file_id))
    return {
      kind: 'voice',
      fileId: m.voice.file_id,
      name: `voice-${id}.ogg`,
      mediaType: str(m.voice.mime_type) ?? 'audio/ogg',
      size: num(m.voice.file_size),
    };
  if (m.audio && str(m.audio.file_id)) {
    return {
      kind: 'audio',
      fileId: m.audio.file_id,
      name: str(m.audio.file_name) ?? `audio-${id}.mp3`,
      mediaType: str(m.audio.mime_type) ?? 'audio/mpeg',
      size: num(m.audio.file_size),
    };
  }
  if (m.video && str(m.video.file_id)) {
    return {
      kind: 'video',
      fileId: m.video.file_id,
      name: str(m.video.file_name) ?? `video-${id}.mp4`,
      mediaType: str(m.video.mime_type) ?? 'video/mp4',
      size: num(m.video.file_size),
    };
  }
  if (m.video_note && str(m.video_note.file_id))
    return {
      kind: 'video_note',
      fileId: m.video_note.file_id,
      name: `video-note-${id}.mp4`,
      mediaType: 'video/mp4',
      size: num(m.video_note.file_size),
    };
  if (m.sticker && str(m.sticker.file_id)) {
    // An animated (.tgs) or video (.webm) sticker is something a desk cannot show: its static
    // thumbnail goes instead, when Telegram gives one.
    const thumb = m.sticker.thumbnail;
    if ((m.sticker.is_animated || m.sticker.is_video) && thumb && str(thumb.file_id)) {
      return { kind: 'sticker', fileId: thumb.file_id, name: `sticker-${id}.webp`, mediaType: 'image/webp', size: num(thumb.file_size) };
    }
    const [ext, type] = m.sticker.is_animated
      ? ['tgs', 'application/x-tgsticker']
      : m.sticker.is_video
        ? ['webm', 'video/webm']
        : ['webp', 'image/webp'];
    return { kind: 'sticker', fileId: m.sticker.file_id, name: `sticker-${id}.${ext}`, mediaType: type, size: num(m.sticker.file_size) };
  }
  return undefined;
}

/** Animations (GIFs) arrive with both `animation` and `document`: the animation wins. */
export function fileOfMessage(m: Message): TelegramFile | undefined {
  if (m.animation && str(m.animation.file_id)) {
    const a = m.animation;
    return {
      kind: 'animation',
      fileId: a.file_id,
      name: str(a.file_name) ?? `animation-${m.message_id}.mp4`,
      mediaType: str(a.mime_type) ?? 'video/mp4',
      size: num(a.file_size),
    };
  }
  return fileOf(m);
}

/** Human size: 48 213 bytes → "47 KB", 22 020 096 → "21.0 MB". */
export function humanSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
