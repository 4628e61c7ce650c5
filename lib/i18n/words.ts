/**
 * Every word the bridge itself writes, by audience. A catalogue (`ru.ts`, `en.ts`, …) implements
 * `Catalogue` in full: a word missing from one fails the typecheck. Words with parameters are
 * functions, so each language orders and inflects them its own way.
 *
 * Adding a word: add it here (with a line on where it shows), then to every catalogue file.
 * New features add their words at the end of the group they belong to, under a comment naming
 * the feature, so parallel additions do not touch the same lines.
 */

/** The kinds of Telegram file the bridge names to operators (as `TelegramFile['kind']`). */
export type FileKindWord = 'photo' | 'document' | 'voice' | 'audio' | 'video' | 'video_note' | 'animation' | 'sticker';

/** What the Telegram user reads: chosen by the user's `language_code` (fallback `DEFAULT_LANGUAGE`). */
export interface UserWords {
  /** The answer to `/start` (WELCOME_TEXT overrides it; empty turns it off). */
  welcome: string;
  /** Sent when the operator closes the chat (CHAT_CLOSED_TEXT). */
  chatClosed: string;
  /** Webim refused the user's message for good (UNDELIVERED_NOTICE_TEXT). */
  undelivered: string;
  /** Webim has been unreachable for a while; the messages wait (DELAY_NOTICE_TEXT). */
  delayed: string;
  /** Above an operator's buttons when the operator wrote no question of their own. */
  choosePrompt: string;
  /** Added under a keyboard once a button was pressed: the choice, as the user sees it afterwards. */
  chosen: (label: string) => string;
  /** Instead of an operator's file that could not be delivered (too large, gone, refused). */
  fileNotDelivered: (name: string) => string;

  // Ratings (what the user feels reaches the desk)
  /** The question above the five rating choices (buttons `1 ⭐` … `5 ⭐`), sent when the operator closes the chat (RATING_PROMPT). */
  ratingQuestion: string;
  /** Added under the question once the user chose: the rating, as the user sees it afterwards. */
  rated: (score: number) => string;
}

/** Why a reply did not reach the user, as an operator note says it (the reason codes are the bridge's). */
export interface UndeliveredWhy {
  blocked: string;
  chatNotFound: string;
  forbidden: string;
  /** Dead-lettered after repeated attempts; `detail` is the last reason code (or empty). */
  gaveUp: (detail: string) => string;
  /** Telegram refused the message; `detail` is the reason code. */
  refused: (detail: string) => string;
  // Telegram Business: a reply through a connected business account was refused.
  /** Telegram no longer knows the connection (the account disconnected the bot). */
  businessConnectionGone: string;
  /** The account disabled its connection to the bot. */
  businessConnectionDisabled: string;
  /** The account did not grant the bot the right to reply. */
  businessReplyNotAllowed: string;
  /** The customer's last message is older than the window Telegram allows a business bot to answer in. */
  businessReplyWindowClosed: string;
  /** The account excluded this chat from the bot. */
  businessChatExcluded: string;
  /** Business Mode is off for the bot in @BotFather. */
  businessModeOff: string;
}

/** What operators read in the desk: chosen by `DESK_LANGUAGE`. */
export interface DeskWords {
  /** The note when a reply could not be delivered; `why` is one of `undeliveredWhy`. */
  notDelivered: (why: string) => string;
  undeliveredWhy: UndeliveredWhy;
  /** The note when the user blocks the bot. */
  blocked: string;
  /** The note when the user unblocks the bot. */
  unblocked: string;
  /** The visible line for a `/start <payload>` deep link; `language` is the user's Telegram language code when known. */
  startedFromLink: (payload: string, language?: string) => string;
  /** Stands in for a file over Telegram's bot download limit. */
  fileTooLarge: (name: string, size: string) => string;
  /** A file described in text (no file links configured): `[photo: name]`. */
  fileAsText: (kind: FileKindWord, name: string) => string;
  /** A file kind on its own, as in a quote of a replied-to file: `[photo]`. */
  fileKind: Record<FileKindWord, string>;
  /** Put before the text of an edited message. */
  edited: string;
  /** The markers for messages that are not text (the caption follows the marker). */
  marker: MarkerWords;
  /** The admin chat's `/status` where no report is wired. */
  statusUnavailable: string;
  // Telegram Business (a company's own Telegram account connected to the bot).
  /** The visitor field naming the business account a customer wrote to; `handle` is `@username`, else `id <owner id>`. */
  businessAccount: (handle: string) => string;
  /** The account's owner wrote in the customer's chat themselves (BUSINESS_OWNER_NOTES=without_text). */
  businessOwnerWrote: string;
  /** The same, quoting what the owner wrote (BUSINESS_OWNER_NOTES=with_text). */
  businessOwnerQuoted: (text: string) => string;
  /** Messages of the customer's chat were deleted in Telegram; `ids` lists their ids. */
  businessDeleted: (ids: string) => string;

  // Ratings and reactions (what the user feels reaches the desk)
  /** The note when the user rated the closed chat, 1 (worst) … 5 (best). */
  rated: (score: number) => string;
  /** The note when the user reacted to a reply; `reply` is the Webim id of the reply. */
  reactionAdded: (reaction: string, reply: string) => string;
  /** The note when the user took a reaction to a reply back. */
  reactionRemoved: (reaction: string, reply: string) => string;
  /** Names a reaction that is no plain emoji: a custom emoji (a desk cannot show it), a paid star. */
  reactionCustomEmoji: string;
  reactionPaid: string;
}

/**
 * What the admin chat (ADMIN_CHAT_ID) reads: alerts and the `/status` headline, in
 * `DESK_LANGUAGE`. Ids, reason codes, setting names and counts only: never a message text or a value.
 */
export interface AdminWords {
  /** A message could not be delivered for good; `route` is `Telegram → Webim` or back, `ids` as `messageIds` gives them. */
  undelivered: (route: string, ids: string, reason: string) => string;
  /** The ids an alert names, joined by `, `; `none` when there are none. */
  chatId: (id: string) => string;
  visitorId: (id: string) => string;
  messageId: (id: string) => string;
  noIds: string;
  /** The database refuses the bridge (password, privilege, schema): every message is held. */
  databaseRefuses: (reason: string) => string;
  /** A configuration error; `where` names the upstream (`telegram`, `webim`, `ssm`, …) when known. Every message is held. */
  configurationError: (problem: string, where?: string) => string;
  /** The configuration problem when SSM refuses the bridge (permissions, KMS); `code` is AWS's error code. */
  ssmRefuses: (code: string) => string;
  /** The configuration problem when the reply queue refuses the bridge; `code` is AWS's error code. */
  queueRefuses: (code: string) => string;
  /** A setting named in a configuration error. */
  missingSetting: (name: string) => string;
  invalidSetting: (name: string) => string;
  /** The database has been unreachable for `duration`. */
  databaseUnreachable: (duration: string, reason: string) => string;
  /** Telegram or Webim has been failing for `duration`. */
  upstreamFailing: (upstream: 'Telegram' | 'Webim', duration: string, reason: string) => string;
  /** Telegram has been rate-limiting the bot for `duration`. */
  rateLimited: (duration: string, reason: string) => string;
  /** A duration under two minutes, and one of two minutes or more. */
  seconds: (n: number) => string;
  minutes: (n: number) => string;
  /** Added when the rate limit held back `n` alerts of the same kind since the last one. */
  heldBack: (n: number) => string;
  /** A connected Telegram Business account disconnected or disabled the bot. */
  businessLost: (account: string) => string;
  /** A connected Telegram Business account no longer lets the bot reply. */
  businessCannotReply: (account: string) => string;
  /** The headline of `/status`: healthy after `checks` checks, or how many failed. */
  statusHealthy: (checks: number) => string;
  statusProblems: (problems: number) => string;
}

/** Markers of non-text content, between square brackets in the desk. Coordinates come formatted. */
export interface MarkerWords {
  photo: string;
  animation: string;
  video: string;
  videoNote: string;
  voice: (seconds?: number) => string;
  audio: (title?: string) => string;
  document: (name?: string) => string;
  sticker: (emoji?: string) => string;
  venue: (place: string, coordinates?: string) => string;
  location: (coordinates: string) => string;
  contact: (name: string, phone: string) => string;
  poll: (question: string) => string;
  dice: (emoji: string, value: number) => string;
  story: string;
  game: (title: string) => string;
  invoice: (title: string) => string;
  paidMedia: string;
  checklist: string;
}

/** The bot's command menu (`setMyCommands`), per language. */
export interface CommandWords {
  /** The description of `/start` in Telegram's menu. */
  start: string;
}

/** One language, complete. */
export interface Catalogue {
  user: UserWords;
  desk: DeskWords;
  admin: AdminWords;
  commands: CommandWords;
}
