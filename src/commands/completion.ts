import { Argument, Command } from 'commander';
import { action } from '../cli/action.js';
import { completionScript, SHELLS, type Shell } from '../cli/completion.js';

const HELP_AFTER = `
Install (or use the files in the package's completions/ folder):
  bash  mqtt completion bash > ~/.local/share/bash-completion/completions/mqtt
        (or in ~/.bashrc: source <(mqtt completion bash))
  zsh   mqtt completion zsh > ~/.zfunc/_mqtt, with fpath=(~/.zfunc $fpath) before compinit
        (or in ~/.zshrc, after compinit: source <(mqtt completion zsh))
  fish  mqtt completion fish > ~/.config/fish/completions/mqtt.fish`;

export function completionCommand(): Command {
  return new Command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .helpOption('--help', 'show help')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELLS))
    .addHelpText('after', HELP_AFTER)
    .action(
      action(async (_opts, cmd) => {
        let root = cmd;
        while (root.parent) root = root.parent;
        process.stdout.write(completionScript(root, cmd.processedArgs[0] as Shell));
        return 0;
      }),
    );
}
