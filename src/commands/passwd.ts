import { Command } from 'commander';
import { action } from '../cli/program.js';

export function passwdCommand(): Command {
  return new Command('passwd')
    .description('passwd (not yet implemented)')
    .helpOption('--help', 'show help')
    .action(action(async () => {
      process.stderr.write('Error: not implemented\n');
      return 1;
    }));
}
