import type { Command } from 'commander';
import type { AgentEnrollFlags } from '../agent/enroll.js';
import type { AgentRunFlags } from '../agent/run.js';
import type { AgentStatusFlags } from '../agent/status.js';

export function registerAgent(program: Command): void {
  const agent = program
    .command('agent')
    .description("Let this computer escrow its own recovery keys in an organisation's library");

  agent
    .command('enroll')
    .description(
      'Enroll this computer with an enrollment token: makes its key pair and registers it',
    )
    .requiredOption('--server <url>', 'the Keyhold server, e.g. https://keyhold.example.org')
    .requiredOption('--token <token>', 'an enrollment token from the organisation (khe_...)')
    .option(
      '--state-dir <dir>',
      'where the device key and state live (default: the system location)',
    )
    .option('--hardware-id <id>', "this computer's hardware identifier (default: the OS's own)")
    .option('--replace', 'this computer was enrolled before (a reinstall): replace that enrollment')
    .option('--keep-both', 'this is a clone of an enrolled computer: keep both enrollments')
    .option('--json', 'print {"enrolledDeviceId","deviceName","organisation","stateDir"}')
    .addHelpText(
      'after',
      `
Examples:
  keyhold agent enroll --server https://keyhold.example.org --token khe_...
  keyhold agent enroll --server https://keyhold.example.org --token khe_... --replace`,
    )
    .action(async (flags: AgentEnrollFlags) => {
      const { runAgentEnroll } = await import('../agent/enroll.js');
      await runAgentEnroll(flags);
    });

  agent
    .command('run')
    .description("Escrow this computer's keys and rotate those the server asks for (one pass)")
    .option(
      '--state-dir <dir>',
      'where the device key and state live (default: the system location)',
    )
    .option('--every <duration>', 'keep running, one pass every 30m, 1h, 6h ...')
    .option(
      '--luks <device>',
      'a LUKS2 device or image to escrow (Linux; remembered for later runs)',
    )
    .option(
      '--luks-key-file <file>',
      'a file that opens the --luks volume: a key file, or the passphrase with no newline',
    )
    .option('--json', 'print {"outcome","escrowed","rotated","refused","message"?,"retryAfter"?}')
    .addHelpText(
      'after',
      `
Examples:
  keyhold agent run
  keyhold agent run --every 1h
  keyhold agent run --luks /dev/nvme0n1p3 --luks-key-file /etc/keyhold/home.key`,
    )
    .action(async (flags: AgentRunFlags) => {
      const { runAgentRun } = await import('../agent/run.js');
      await runAgentRun(flags);
    });

  agent
    .command('status')
    .description('Show what the agent last did, from its state (no network)')
    .option(
      '--state-dir <dir>',
      'where the device key and state live (default: the system location)',
    )
    .option(
      '--json',
      'print {"server","deviceName","escrowedKeys","pendingKeys","luksVolumes","lastRun",...}',
    )
    .action(async (flags: AgentStatusFlags) => {
      const { runAgentStatus } = await import('../agent/status.js');
      await runAgentStatus(flags);
    });
}
