import { Command, CommanderError } from 'commander';
import { commandPath } from './action.js';
import { CliError } from './errors.js';
import { VERSION } from './version.js';


/** The commands that read `mqtt --profile NAME` (their option groups have --profile). */
const PROFILE_COMMANDS = ['pub', 'sub', 'rr', 'ctrl'];

/**
 * Each subcommand's factory by its name, its module loaded on demand: a one-shot `mqtt pub` then
 * neither loads nor initialises the broker's security, passwd's hashing or ctrl's dynsec client.
 */
const SUBCOMMANDS: Record<string, () => Promise<() => Command>> = {
  pub: async () => (await import('../commands/pub.js')).pubCommand,
  sub: async () => (await import('../commands/sub.js')).subCommand,
  rr: async () => (await import('../commands/rr.js')).rrCommand,
  test: async () => (await import('../commands/test.js')).testCommand,
  passwd: async () => (await import('../commands/passwd.js')).passwdCommand,
  broker: async () => (await import('../commands/broker.js')).brokerCommand,
  bench: async () => (await import('../commands/bench.js')).benchCommand,
  sniff: async () => (await import('../commands/sniff.js')).sniffCommand,
  ctrl: async () => (await import('../commands/ctrl.js')).ctrlCommand,
  completion: async () => (await import('../commands/completion.js')).completionCommand,
};

/**
 * The command tree: used to run, and to generate completions and man pages. With `only`, just
 * that subcommand is added: a one-shot `mqtt pub` does not load or build every other command
 * (most of its start-up); help, version and unknown words get the whole tree.
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('mqtt')
    .description('MQTT toolkit: publish, subscribe, request/response, broker test, broker, password files, benchmark, sniffer')
    .version(VERSION, '--version', 'print the version and exit')
    .helpOption('--help', 'show help')
    .option('--profile <name>', 'options for pub, sub, rr and ctrl from $XDG_CONFIG_HOME/mqtt/profiles/<name> (see mqtt pub --help)')
    .showHelpAfterError(false)
    // options after a subcommand belong to it (`mqtt pub --version`, `-m --version`)
    .enablePositionalOptions();
  // `completion` prints the whole tree, so it always gets it
  const alone = only !== undefined && only !== 'completion' && Object.hasOwn(SUBCOMMANDS, only);
  const loaders = alone ? [SUBCOMMANDS[only]!] : Object.values(SUBCOMMANDS);
  for (const make of await Promise.all(loaders.map((load) => load()))) program.addCommand(make());
  program.hook('preSubcommand', (_root, sub) => {
    if (program.getOptionValue('profile') !== undefined && !PROFILE_COMMANDS.includes(sub.name())) {
      throw new CliError(`Error: --profile is for ${PROFILE_COMMANDS.join(', ')}, not ${sub.name()}.`, 1);
    }
  });
  configureErrors(program);
  return program;
}

/**
 * Commander would print "error: …" and exit; we want mosquitto's shape instead:
 * "Error: …" then "Use 'mqtt pub --help' to see usage.", exit 1, and no process.exit here.
 * Applied to the whole tree, nested subcommands (`mqtt bench pub`) included.
 */
function configureErrors(cmd: Command): void {
  const usageHint = `Use '${commandPath(cmd)} --help' to see usage.`;
  cmd.exitOverride((err: CommanderError) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      throw new CommanderError(0, err.code, err.message);
    }
    throw err;
  });
  cmd.configureOutput({
    outputError: (str, write) => {
      const line = str.trim().replace(/^error: /, '');
      write(`Error: ${line.charAt(0).toUpperCase()}${line.slice(1)}\n${usageHint}\n`);
    },
  });
  for (const sub of cmd.commands) configureErrors(sub);
}
