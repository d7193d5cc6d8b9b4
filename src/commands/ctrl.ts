import type { Command } from 'commander';
import { optionsFileGroup, profileSpec } from '../cli/options/options-file.js';
import { checkClientOptions, processContext, resolveClientConfig, type ResolveContext } from '../cli/options/client-config.js';
import { connectionGroup } from '../cli/options/connection.js';
import { CliError } from '../cli/errors.js';
import { commandHelpFooter } from '../cli/options/help-footer.js';
import { OptionCommand, type OptionEvent, type OptionGroup } from '../cli/options/option-command.js';
import { collectOptions } from '../cli/options/pipeline.js';
import { tlsGroup } from '../cli/options/tls.js';
import { intArg } from '../cli/options/int-arg.js';
import type { ClientConfig } from '../client/config.js';
import type { QoS } from '../core/protocol/types.js';
import { action } from '../cli/action.js';
import { VERSION } from '../cli/version.js';
import { DYNSEC_USAGE, planDynsec, type DynsecPlan } from './ctrl-dynsec.js';
import { PromptInterrupted } from '../auth/password-prompt.js';
import { askNewPassword, Prompter, writeDynsecInit } from './ctrl-init.js';
import { runControlRequest } from './ctrl-run.js';

/** mosquitto_ctrl's own option besides the connection and TLS ones. */
const ctrlGroup: OptionGroup = {
  heading: 'Control:',
  specs: [
    {
      flags: '-v, --verbose',
      description: 'accepted, as by mosquitto_ctrl, where it changes nothing either',
      apply: () => {},
    },
    {
      flags: '-q, --qos <qos>',
      description: 'QoS of the request and of the response subscription, 0..2 (default: 1)',
      missing: '-q argument given but no QoS specified.',
      apply: (s, v) => void (s.qos = intArg(v!, 0, 2, () => `Invalid QoS given: ${v}`) as QoS),
    },
  ],
};

const CTRL_GROUPS: OptionGroup[] = [ctrlGroup, connectionGroup, tlsGroup, optionsFileGroup(() => CTRL_GROUPS)];

const GENERAL_USAGE = `mqtt ctrl is a tool for administering certain Mosquitto features (and mqtt broker's).
mqtt ctrl version ${VERSION}.

General usage: mqtt ctrl [connection options] <module> <module-command> <command-options>
For module specific help use: mqtt ctrl <module> help

Modules available: dynsec
`;

export function ctrlCommand(): Command {
  const cmd: OptionCommand = new OptionCommand('ctrl')
    .description(
      "Administer Mosquitto's dynamic security plugin (or mqtt broker serving it) over $CONTROL/dynamic-security/v1: a drop-in mosquitto_ctrl.",
    )
    .usage('[options] dynsec <command> [arguments]   (mqtt ctrl dynsec help: the commands)')
    .helpOption('--help', 'show this help and exit')
    .version(`mqtt ctrl version ${VERSION}`, '--version', 'print the version and exit')
    .addGroups(CTRL_GROUPS)
    // options belong before the module, as in mosquitto_ctrl: `createClient bob -p secret` is the command's -p
    .passThroughOptions()
    .addHelpText('after', commandHelpFooter('ctrl'));
  cmd.action(
    action(async () => {
      const reader = new Prompter();
      try {
        // `mqtt --profile NAME ctrl …`: the profile comes first, before the command's own options
        const profile = cmd.parent?.getOptionValue('profile') as string | undefined;
        const first = profile === undefined ? undefined : profileSpec(CTRL_GROUPS);
        const events = first ? [{ spec: first, value: profile }, ...cmd.events] : cmd.events;
        return await runCtrl(cmd.args, events, processContext(), reader);
      } catch (err) {
        // Ctrl-C at a password prompt
        if (err instanceof PromptInterrupted) return 1;
        throw err;
      } finally {
        reader.close();
      }
    }),
  );
  return cmd;
}

/** The connection settings of a ctrl invocation (defaults file, environment, argv), or a CliError. */
export async function resolveCtrlConfig(events: readonly OptionEvent[], ctx: ResolveContext, reader: Prompter): Promise<{ client: ClientConfig; qos: QoS; encrypted: boolean }> {
  const state = collectOptions('ctrl', CTRL_GROUPS, events, ctx);
  const checked = checkClientOptions(state);
  // mosquitto_ctrl asks for the password of a -u given without -P
  if (state.conn.username !== undefined && state.conn.password === undefined && !state.conn.passwordPrompt) state.conn.passwordPrompt = true;
  const client = await resolveClientConfig(state, checked, {
    ...ctx,
    promptPassword: async () => {
      const typed = await reader.read(`Password for ${state.conn.username}: `);
      if (typed === null || typed.length === 0) throw new CliError('Error getting password.', 1);
      return typed.toString('utf8');
    },
  });
  return { client, qos: state.qos, encrypted: state.tls.caFile !== undefined || state.tls.caPath !== undefined };
}

async function runCtrl(words: string[], events: readonly OptionEvent[], ctx: ResolveContext, reader: Prompter): Promise<number> {
  if (words.length < 2) {
    process.stdout.write(GENERAL_USAGE);
    return 1;
  }
  const [module, ...rest] = words;
  if (module!.toLowerCase() !== 'dynsec') {
    process.stderr.write(`Error: Module '${module}' not supported.\n`);
    return 10;
  }
  const plan: DynsecPlan = planDynsec(rest);
  switch (plan.kind) {
    case 'help':
      process.stdout.write(DYNSEC_USAGE);
      return 0;
    case 'error':
      process.stderr.write(`${plan.message}\n`);
      return plan.code;
    case 'init':
      return writeDynsecInit(plan, reader);
    case 'send': {
      let command = plan.command;
      if (plan.ask) {
        if (plan.ask.intro) process.stdout.write(plan.ask.intro);
        const asked = await askNewPassword(reader, plan.ask.prompt, plan.ask.verify);
        if (asked.password !== undefined) command = { ...command, [plan.ask.field]: asked.password };
        else if (!(plan.ask.emptyMeansNone && asked.error === 'Error: Empty password.')) {
          process.stderr.write(`${asked.error}\n`);
          return 1;
        }
      }
      const cfg = await resolveCtrlConfig(events, ctx, reader);
      return runControlRequest(cfg, { command });
    }
  }
}
