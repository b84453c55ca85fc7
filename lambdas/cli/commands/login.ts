// `zepp-lake login`: a Zepp account's tokens into the 0600 token file (the password from the configuration or
// the prompt, never from an option).

import { type Command, Option } from 'commander';
import { hostUrlOption } from '../option-parsers.ts';
import { loginZepp } from '../sync-command.ts';
import { CliError, type CliWiring, type Opts } from '../wiring.ts';

export function registerLoginCommand(program: Command, wiring: CliWiring): Command {
  return program
    .command('login')
    .description('log in to a Zepp account and store its tokens in the 0600 token file')
    .addOption(new Option('--email <email>', 'account e-mail').env('ZEPP_LAKE_EMAIL'))
    .addOption(hostUrlOption())
    .action(async (o: Opts, cmd: Command) => {
      const rt = wiring.runtimeOf(cmd);
      const email = o.email as string | undefined;
      if (!email) throw new CliError('no e-mail: pass --email or set ZEPP_LAKE_EMAIL');
      const password = wiring.config.password ?? (await wiring.promptHidden('Zepp password: '));
      const user = await loginZepp(rt, { email, password, host: o.host as string | undefined });
      console.log(`logged in: user ${user.userId}; tokens stored in ${rt.homeDir}/tokens.json (mode 0600)`);
    });
}
