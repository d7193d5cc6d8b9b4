import type { Option } from 'commander';
import { propertyOptionArity } from '../property-option.js';

/** Joins the words of one -D; argv elements cannot contain NUL, so it cannot clash with data. */
export const PROPERTY_WORD_SEPARATOR = '\u0000';

// commander's own test for "this word is an option, not an optional value"
function looksLikeOption(word: string): boolean {
  return word.length > 1 && word[0] === '-' && !/^-(\d+|\d*\.\d+)(e[+-]?\d+)?$/.test(word);
}

/**
 * `-D command property value` takes three words and `-D command user-property key value` four,
 * which commander (fixed arity) cannot express: each -D's words become one argv element before
 * commander parses. Values of other options are skipped so that `-m -D` stays a message.
 * When fewer words are left than needed, what is there is joined and -D's parser reports it.
 */
export function joinPropertyWords(argv: readonly string[], options: readonly Option[]): string[] {
  const byFlag = new Map<string, Option>();
  for (const option of options) {
    if (option.short) byFlag.set(option.short, option);
    if (option.long) byFlag.set(option.long, option);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      out.push(...argv.slice(i));
      break;
    }
    out.push(word);
    const option = byFlag.get(word);
    if (!option || i + 1 >= argv.length) continue;
    if (option.long === '--property') {
      const rest = argv.slice(i + 1);
      const n = Math.min(propertyOptionArity(rest), rest.length);
      out.push(rest.slice(0, n).join(PROPERTY_WORD_SEPARATOR));
      i += n;
    } else if (option.required || (option.optional && !looksLikeOption(argv[i + 1]))) {
      out.push(argv[++i]);
    }
  }
  return out;
}

/**
 * The words of one -D value: NUL-joined from argv, or (from the defaults file or --property=…)
 * space-separated, the last word taking the rest of the line.
 */
export function splitPropertyWords(value: string): string[] {
  if (value.includes(PROPERTY_WORD_SEPARATOR)) return value.split(PROPERTY_WORD_SEPARATOR);
  const words = value.trim().split(/ +/);
  const arity = propertyOptionArity(words);
  return words.length > arity ? [...words.slice(0, arity - 1), words.slice(arity - 1).join(' ')] : words;
}
