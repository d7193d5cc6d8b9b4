import type { Command } from 'commander';
import type { SubConfig } from '../cli/options/sub-config.js';
import { checkClientOptions, processContext, resolveClientConfig, type ResolveContext } from '../cli/options/client-config.js';
import { clientCommand } from '../cli/options/client-command.js';
import { connectionGroup } from '../cli/options/connection.js';
import type { OptionEvent, OptionGroup } from '../cli/options/option-command.js';
import { optionsFileGroup } from '../cli/options/options-file.js';
import { outputGroup } from '../cli/options/output.js';
import { collectOptions, parseArgv } from '../cli/options/pipeline.js';
import { propertiesGroup } from '../cli/options/properties.js';
import { checkSubscriptionTopics, resolveSubscribe, subscribeGroup } from '../cli/options/subscribe.js';
import { tlsGroup } from '../cli/options/tls.js';
import { willGroup } from '../cli/options/will.js';
import { runSub } from './sub-run.js';

const SUB_GROUPS: OptionGroup[] = [subscribeGroup, outputGroup, connectionGroup, willGroup, tlsGroup, propertiesGroup];
// -o and --profile read files of these same options (and may name more files)
SUB_GROUPS.push(optionsFileGroup(() => SUB_GROUPS));

export function subCommand(): Command {
  return clientCommand({
    kind: 'sub',
    description: 'Subscribe to topics and print the messages received: a drop-in mosquitto_sub.',
    usage: '{-t topic ... | -L URL} [options]',
    groups: SUB_GROUPS,
    run: async (events) => runSub(await resolveSubEvents(events, processContext())),
  });
}

/** The SubConfig for recorded command-line options (defaults file and environment included). */
export async function resolveSubEvents(argvEvents: readonly OptionEvent[], ctx: ResolveContext): Promise<SubConfig> {
  const state = collectOptions('sub', SUB_GROUPS, argvEvents, ctx);
  const checked = checkClientOptions(state, () => checkSubscriptionTopics(state));
  const subscribe = resolveSubscribe(state);
  return { client: await resolveClientConfig(state, checked, ctx), ...subscribe };
}

/** The SubConfig for `mqtt sub <argv…>`, as the command would run it. */
export function resolveSubArgs(argv: readonly string[], ctx: ResolveContext): Promise<SubConfig> {
  return resolveSubEvents(parseArgv('sub', SUB_GROUPS, argv), ctx);
}
