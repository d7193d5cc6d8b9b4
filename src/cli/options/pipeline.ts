import type { ResolveContext } from './client-config.js';
import { readDefaultsFile } from './defaults-file.js';
import { OptionCommand, parseWords, type OptionEvent, type OptionGroup } from './option-command.js';
import { initialState, type CommandKind, type OptionState } from './state.js';

/**
 * Builds the option state in the agreed order: defaults, then the defaults file, then the
 * environment, then the command line. Each option is applied where it occurs, like mosquitto's
 * line-by-line processing, so the file and argv share one set of rules (a -t in the file adds
 * to sub's topics, -m in both is "Only one type of message…", later values win).
 */
export function collectOptions(kind: CommandKind, groups: OptionGroup[], argvEvents: readonly OptionEvent[], ctx: ResolveContext): OptionState {
  const state = initialState(kind);
  const build = () => new OptionCommand(kind).addGroups(groups);
  for (const words of readDefaultsFile(kind, ctx.env)) {
    for (const { spec, value } of parseWords(build, words)) spec.apply(state, value);
  }
  applyEnvironment(state, ctx.env);
  for (const { spec, value } of argvEvents) spec.apply(state, value);
  return state;
}

/** MQTT_PASSWORD: a password that stays off the process list (used only with a username). */
function applyEnvironment(state: OptionState, env: ResolveContext['env']): void {
  const password = env.MQTT_PASSWORD;
  if (password === undefined || password === '') return;
  state.conn.password = password;
  state.conn.passwordFromEnv = true;
  state.conn.passwordPrompt = false;
}

/** Parses argv words with a fresh command made of these groups (tests, tools). */
export function parseArgv(kind: CommandKind, groups: OptionGroup[], argv: readonly string[]): OptionEvent[] {
  return parseWords(() => new OptionCommand(kind).addGroups(groups), [...argv]);
}
