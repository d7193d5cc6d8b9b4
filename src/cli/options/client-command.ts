import type { Command } from 'commander';
import { action } from '../action.js';
import { VERSION } from '../version.js';
import { commandHelpFooter } from './help-footer.js';
import { OptionCommand, type OptionEvent, type OptionGroup } from './option-command.js';
import { profileSpec } from './options-file.js';
import type { CommandKind } from './state.js';

export interface ClientCommandSpec {
  kind: CommandKind;
  description: string;
  usage: string;
  groups: OptionGroup[];
  /** resolves the recorded options and runs the command, to its exit code */
  run(events: readonly OptionEvent[]): Promise<number>;
}

/** `mqtt pub` / `mqtt sub`: the option groups, mosquitto-style help and errors, and the action. */
export function clientCommand(spec: ClientCommandSpec): Command {
  const mosquitto = `mosquitto_${spec.kind}`;
  const cmd: OptionCommand = new OptionCommand(spec.kind)
    .description(spec.description)
    .usage(spec.usage)
    .helpOption('--help', `show this help and exit (status 0; ${mosquitto} exits 1)`)
    .version(`mqtt ${spec.kind} version ${VERSION}`, '--version', `print the version and exit (status 0; ${mosquitto} exits 1)`)
    .addGroups(spec.groups)
    .addHelpText('after', commandHelpFooter(spec.kind));
  cmd.action(
    action(async () => {
      cmd.checkNoOperands();
      // `mqtt --profile NAME pub …`: the profile comes first, before the command's own options
      const profile = cmd.parent?.getOptionValue('profile') as string | undefined;
      const first = profile === undefined ? undefined : profileSpec(spec.groups);
      return spec.run(first ? [{ spec: first, value: profile }, ...cmd.events] : cmd.events);
    }),
  );
  return cmd;
}
