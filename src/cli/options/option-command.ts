import { Command, CommanderError, Option, type ParseOptionsResult } from 'commander';
import { UsageError } from '../errors.js';
import { joinPropertyWords } from './property-argv.js';
import type { OptionState } from './state.js';

/** string: the value given; null: an optional value left out (-P); undefined: a flag. */
export type OptionValue = string | null | undefined;

/** One option, declared once: how commander shows it and what it does to the state. */
export interface OptionSpec {
  flags: string;
  description: string;
  /** mosquitto's words when the value is missing, e.g. "-q argument given but no QoS specified." */
  missing?: string;
  apply(state: OptionState, value: OptionValue): void;
}

/** Options shown together under one heading of --help. */
export interface OptionGroup {
  heading: string;
  specs: OptionSpec[];
}

export interface OptionEvent {
  spec: OptionSpec;
  value: OptionValue;
}

/**
 * A commander Command that records every option occurrence in order. Mosquitto processes its
 * options one after another (later values win, -t adds up, a second message mode is an error,
 * the first bad value is the one reported), so the resolve step replays these events instead of
 * reading commander's merged opts(). Missing values and unknown options get mosquitto's words.
 */
export class OptionCommand extends Command {
  readonly events: OptionEvent[] = [];
  private readonly specs = new Map<Option, OptionSpec>();

  constructor(name?: string) {
    super(name);
    // leftover words are reported by checkNoOperands() in mosquitto's words
    this.allowExcessArguments(true);
  }

  addGroups(groups: OptionGroup[]): this {
    for (const group of groups) {
      for (const spec of group.specs) {
        const option = new Option(spec.flags, spec.description).helpGroup(group.heading);
        this.addOption(option);
        this.specs.set(option, spec);
        this.on(`option:${option.name()}`, (value: OptionValue) => this.events.push({ spec, value }));
      }
    }
    return this;
  }

  parseOptions(argv: string[]): ParseOptionsResult {
    return super.parseOptions(joinPropertyWords(argv, this.options));
  }

  // Overrides commander's (untyped) hooks so its errors read like mosquitto's.
  unknownOption(flag: string): never {
    this.error(`error: Unknown option '${flag}'.`, { code: 'commander.unknownOption', exitCode: 1 });
  }

  optionMissingArgument(option: Option): never {
    const text = this.specs.get(option)?.missing ?? `${option.long ?? option.short} argument given but no value specified.`;
    this.error(`error: ${text}`, { code: 'commander.optionMissingArgument', exitCode: 1 });
  }

  /** Leftover words: mosquitto treats anything it does not know, options or not, as an option. */
  checkNoOperands(): void {
    if (this.args.length > 0) throw new UsageError(`Unknown option '${this.args[0]}'.`);
  }
}

/**
 * Parses words with a throwaway command (for the defaults file and for tests): commander's
 * output is silenced and its errors become UsageErrors carrying the same text.
 */
export function parseWords(build: () => OptionCommand, words: string[]): OptionEvent[] {
  const cmd = build();
  cmd.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  try {
    cmd.parse(words, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return [];
    const text = err.message.replace(/^error: /, '');
    throw new UsageError(text.charAt(0).toUpperCase() + text.slice(1));
  }
  cmd.checkNoOperands();
  return cmd.events;
}
