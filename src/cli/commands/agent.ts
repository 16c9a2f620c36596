import type { Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import type { AgentEnrollFlags } from '../agent/enroll.js';
import type { AgentRunFlags } from '../agent/run.js';
import type { AgentStatusFlags } from '../agent/status.js';
import { commandLineMessages } from '../command-line-messages.js';
import { addHelpAfter } from '../help-text.js';

/** Where every agent command finds the computer's enrollment. */
function withStateDir(command: Command): Command {
  return command.option(
    '--state-dir <dir>',
    say({
      en: 'where the device key and state live (default: the system location)',
      nb: 'hvor enhetsnøkkelen og tilstanden ligger (standard: systemets plassering)',
    }),
  );
}

export function registerAgent(program: Command): void {
  const agent = program.command('agent').description(
    say({
      en: "Let this computer escrow its own recovery keys in an organisation's library",
      nb: 'La denne datamaskinen deponere sine egne gjenopprettingsnøkler i en organisasjons bibliotek',
    }),
  );

  const enroll = agent
    .command('enroll')
    .description(
      say({
        en: 'Enroll this computer with an enrollment token: makes its key pair and registers it',
        nb: 'Registrer denne datamaskinen med et registreringstoken: lager nøkkelparet og melder den inn',
      }),
    )
    .requiredOption(
      '--server <url>',
      say({
        en: 'the Keyhold server, e.g. https://keyhold.example.org',
        nb: 'Keyhold-serveren, f.eks. https://keyhold.example.org',
      }),
    )
    .requiredOption(
      '--token <token>',
      say({
        en: 'an enrollment token from the organisation (khe_...)',
        nb: 'et registreringstoken fra organisasjonen (khe_...)',
      }),
    );
  withStateDir(enroll)
    .option(
      '--hardware-id <id>',
      say({
        en: "this computer's hardware identifier (default: the OS's own)",
        nb: 'maskinvare-ID-en til denne datamaskinen (standard: operativsystemets egen)',
      }),
    )
    .option(
      '--replace',
      say({
        en: 'this computer was enrolled before (a reinstall): replace that enrollment',
        nb: 'denne datamaskinen er registrert før (en ny installasjon): erstatt den registreringen',
      }),
    )
    .option(
      '--keep-both',
      say({
        en: 'this is a clone of an enrolled computer: keep both enrollments',
        nb: 'dette er en klone av en registrert datamaskin: behold begge registreringene',
      }),
    )
    .option(
      '--json',
      say(
        commandLineMessages.printJson(
          '{"enrolledDeviceId","deviceName","organisation","stateDir"}',
        ),
      ),
    );
  addHelpAfter(enroll, {
    examples: [
      'keyhold agent enroll --server https://keyhold.example.org --token khe_...',
      'keyhold agent enroll --server https://keyhold.example.org --token khe_... --replace',
    ],
  }).action(async (flags: AgentEnrollFlags) => {
    const { runAgentEnroll } = await import('../agent/enroll.js');
    await runAgentEnroll(flags);
  });

  const run = withStateDir(
    agent.command('run').description(
      say({
        en: "Escrow this computer's keys and rotate those the server asks for (one pass)",
        nb: 'Deponer nøklene til denne datamaskinen og roter dem serveren ber om (én runde)',
      }),
    ),
  )
    .option(
      '--every <duration>',
      say({
        en: 'keep running, one pass every 30m, 1h, 6h ...',
        nb: 'fortsett å kjøre, én runde hvert 30m, 1h, 6h ...',
      }),
    )
    .option(
      '--luks <device>',
      say({
        en: 'a LUKS2 device or image to escrow (Linux; remembered for later runs)',
        nb: 'en LUKS2-enhet eller et LUKS2-bilde som skal deponeres (Linux; huskes til senere kjøringer)',
      }),
    )
    .option(
      '--luks-key-file <file>',
      say({
        en: 'a file that opens the --luks volume: a key file, or the passphrase with no newline',
        nb: 'en fil som låser opp --luks-volumet: en nøkkelfil, eller passfrasen uten linjeskift',
      }),
    )
    .option(
      '--json',
      say(
        commandLineMessages.printJson(
          '{"outcome","escrowed","rotated","refused","message"?,"retryAfter"?}',
        ),
      ),
    );
  addHelpAfter(run, {
    examples: [
      'keyhold agent run',
      'keyhold agent run --every 1h',
      'keyhold agent run --luks /dev/nvme0n1p3 --luks-key-file /etc/keyhold/home.key',
    ],
  }).action(async (flags: AgentRunFlags) => {
    const { runAgentRun } = await import('../agent/run.js');
    await runAgentRun(flags);
  });

  withStateDir(
    agent.command('status').description(
      say({
        en: 'Show what the agent last did, from its state (no network)',
        nb: 'Vis hva agenten gjorde sist, ut fra tilstanden (uten nettverk)',
      }),
    ),
  )
    .option(
      '--json',
      say(
        commandLineMessages.printJson(
          '{"server","deviceName","escrowedKeys","pendingKeys","luksVolumes","lastRun",...}',
        ),
      ),
    )
    .action(async (flags: AgentStatusFlags) => {
      const { runAgentStatus } = await import('../agent/status.js');
      await runAgentStatus(flags);
    });
}
