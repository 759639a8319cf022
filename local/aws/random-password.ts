import { randomInt } from 'node:crypto';
import { AwsError } from './errors';

export interface PasswordOptions {
  length: number;
  excludeCharacters: string;
  excludeNumbers: boolean;
  excludePunctuation: boolean;
  excludeUppercase: boolean;
  excludeLowercase: boolean;
  includeSpace: boolean;
  requireEachIncludedType: boolean;
}

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** GetRandomPassword's generator: a uniform draw from the allowed characters, one of each type when required. */
export function randomPassword(options: PasswordOptions): string {
  const keep = (chars: string): string =>
    [...chars].filter((char) => !options.excludeCharacters.includes(char)).join('');
  const groups = [
    options.excludeLowercase ? '' : 'abcdefghijklmnopqrstuvwxyz',
    options.excludeUppercase ? '' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    options.excludeNumbers ? '' : '0123456789',
    options.excludePunctuation ? '' : PUNCTUATION,
    options.includeSpace ? ' ' : '',
  ]
    .map(keep)
    .filter((group) => group.length > 0);
  if (groups.length === 0) {
    throw new AwsError(
      'InvalidParameterException',
      'The password cannot be generated: every character type is excluded.',
    );
  }
  if (options.requireEachIncludedType && options.length < groups.length) {
    throw new AwsError(
      'InvalidParameterException',
      'The password length is too short to include each required character type.',
    );
  }
  const pick = (chars: string): string => chars[randomInt(chars.length)];
  const all = groups.join('');
  const chars = options.requireEachIncludedType ? groups.map(pick) : [];
  while (chars.length < options.length) chars.push(pick(all));
  // Shuffle so the required characters are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}
