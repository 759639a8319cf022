/** Recognising key-shaped text, so a leak scanner can check candidates against the simulators' hashes. */

/** Length of the random part of a simulator-issued Poelis key (32 bytes, base64url, no padding). */
export const POELIS_KEY_RANDOM_LENGTH = 43;
export const POELIS_KEY_PREFIX = 'poelis_api_';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const POELIS = /poelis_api_[A-Za-z0-9_-]+/g;

/**
 * Every UUID-shaped and `poelis_api_`-shaped substring of `text`, in order of first appearance.
 * A `poelis_api_` run longer than a simulator key also yields its key-length prefix, so a key
 * glued to following word characters is still found.
 */
export function keyShapedStrings(text: string): string[] {
  const keyLength = POELIS_KEY_PREFIX.length + POELIS_KEY_RANDOM_LENGTH;
  const hits: { index: number; value: string }[] = [];
  for (const match of text.matchAll(UUID)) hits.push({ index: match.index, value: match[0] });
  for (const match of text.matchAll(POELIS)) {
    const run = match[0];
    if (run.length > keyLength) hits.push({ index: match.index, value: run.slice(0, keyLength) });
    hits.push({ index: match.index, value: run });
  }
  // A stable sort keeps the key-length prefix ahead of its longer run.
  hits.sort((a, b) => a.index - b.index);
  return [...new Set(hits.map((hit) => hit.value))];
}
