import type { ReactionType, ReactionTypeEmoji } from '@grammyjs/types';

/**
 * The emoji a bot may set as a reaction (Bot API `ReactionTypeEmoji`): any other emoji is refused
 * by setMessageReaction with 400 REACTION_INVALID, so a setting naming one is refused at load.
 */
export const REACTION_EMOJI: readonly ReactionTypeEmoji['emoji'][] = [
  '👍',
  '👎',
  '❤',
  '🔥',
  '🥰',
  '👏',
  '😁',
  '🤔',
  '🤯',
  '😱',
  '🤬',
  '😢',
  '🎉',
  '🤩',
  '🤮',
  '💩',
  '🙏',
  '👌',
  '🕊',
  '🤡',
  '🥱',
  '🥴',
  '😍',
  '🐳',
  '❤‍🔥',
  '🌚',
  '🌭',
  '💯',
  '🤣',
  '⚡',
  '🍌',
  '🏆',
  '💔',
  '🤨',
  '😐',
  '🍓',
  '🍾',
  '💋',
  '🖕',
  '😈',
  '😴',
  '😭',
  '🤓',
  '👻',
  '👨‍💻',
  '👀',
  '🎃',
  '🙈',
  '😇',
  '😨',
  '🤝',
  '✍',
  '🤗',
  '🫡',
  '🎅',
  '🎄',
  '☃',
  '💅',
  '🤪',
  '🗿',
  '🆒',
  '💘',
  '🙉',
  '🦄',
  '😘',
  '💊',
  '🙊',
  '😎',
  '👾',
  '🤷‍♂',
  '🤷',
  '🤷‍♀',
  '😡',
];

/** Whether a bot may react with this emoji. */
export const isReactionEmoji = (value: string): value is ReactionTypeEmoji['emoji'] =>
  (REACTION_EMOJI as readonly string[]).includes(value);

/** The reactions of `next` not in `previous` (a user's reaction change: what was added, or removed). */
export function reactionsAdded(previous: readonly ReactionType[], next: readonly ReactionType[]): ReactionType[] {
  const key = (r: ReactionType) => JSON.stringify(r);
  const before = new Set(previous.map(key));
  return next.filter((r) => !before.has(key(r)));
}
