import type { Command } from 'commander';
import type { PubConfig } from '../cli/options/pub-config.js';
import { checkClientOptions, processContext, resolveClientConfig, type ResolveContext } from '../cli/options/client-config.js';
import { clientCommand } from '../cli/options/client-command.js';
import { connectionGroup } from '../cli/options/connection.js';
import type { OptionEvent, OptionGroup } from '../cli/options/option-command.js';
import { optionsFileGroup } from '../cli/options/options-file.js';
import { collectOptions, parseArgv } from '../cli/options/pipeline.js';
import { propertiesGroup } from '../cli/options/properties.js';
import { publishGroup, resolvePublish } from '../cli/options/publish.js';
import { tlsGroup } from '../cli/options/tls.js';
import { willGroup } from '../cli/options/will.js';
import { runPub } from './pub-run.js';

const PUB_GROUPS: OptionGroup[] = [publishGroup, connectionGroup, willGroup, tlsGroup, propertiesGroup];
// -o and --profile read files of these same options (and may name more files)
PUB_GROUPS.push(optionsFileGroup(() => PUB_GROUPS));

export function pubCommand(): Command {
  return clientCommand({
    kind: 'pub',
    description: 'Publish a message (from -m, a file, stdin, or stdin line by line) and exit: a drop-in mosquitto_pub.',
    usage: '{-t topic | -L URL} {-m message | -f file | -s | -l | -n} [options]',
    groups: PUB_GROUPS,
    run: async (events) => runPub(await resolvePubEvents(events, processContext())),
  });
}

/** The PubConfig for recorded command-line options (defaults file and environment included). */
export async function resolvePubEvents(argvEvents: readonly OptionEvent[], ctx: ResolveContext): Promise<PubConfig> {
  const state = collectOptions('pub', PUB_GROUPS, argvEvents, ctx);
  const checked = checkClientOptions(state);
  const publish = resolvePublish(state);
  return { client: await resolveClientConfig(state, checked, ctx), ...publish };
}

/** The PubConfig for `mqtt pub <argv…>`, as the command would run it. */
export function resolvePubArgs(argv: readonly string[], ctx: ResolveContext): Promise<PubConfig> {
  return resolvePubEvents(parseArgv('pub', PUB_GROUPS, argv), ctx);
}
