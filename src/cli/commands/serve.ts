import { Option, type Command } from 'commander';
import type { ServeFlags } from '../server/serve.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the Keyhold server and web app')
    .option('--host <address>', 'address to listen on (KEYHOLD_HOST)', undefined)
    .option('--port <number>', 'port to listen on (KEYHOLD_PORT)', undefined)
    .option(
      '--workers <n>',
      'server processes sharing the port, up to one per CPU core; default 1 (KEYHOLD_WORKERS)',
    )
    .option('--data-dir <dir>', 'where the database and master key live (KEYHOLD_DATA_DIR)')
    .option('--public-url <url>', 'the address people use to reach Keyhold (KEYHOLD_PUBLIC_URL)')
    .option('--database-url <url>', 'postgres://... to use PostgreSQL (KEYHOLD_DATABASE_URL)')
    .option('--master-key-file <file>', 'master key file (KEYHOLD_MASTER_KEY_FILE)')
    .option('--tls-cert <file>', 'TLS certificate, PEM (KEYHOLD_TLS_CERT)')
    .option('--tls-key <file>', 'TLS private key, PEM (KEYHOLD_TLS_KEY)')
    .option('--behind-proxy', 'a TLS-terminating proxy forwards requests (KEYHOLD_BEHIND_PROXY)')
    .option(
      '--trusted-proxies <addresses>',
      'behind a proxy, the proxy addresses or CIDR ranges whose X-Forwarded-For counts (KEYHOLD_TRUSTED_PROXIES)',
    )
    .option(
      '--proxy-hops <n>',
      'behind a proxy without --trusted-proxies, proxies in a row; default 1 (KEYHOLD_PROXY_HOPS)',
    )
    .option(
      '--request-timeout-seconds <seconds>',
      'a request and its body must arrive within this; default 30 (KEYHOLD_REQUEST_TIMEOUT_SECONDS)',
    )
    .option(
      '--connections-per-address <n>',
      'most open connections one client address may hold; default 64 (KEYHOLD_CONNECTIONS_PER_ADDRESS)',
    )
    .option(
      '--log-level <level>',
      'fatal, error, warn, info, debug, trace or silent (KEYHOLD_LOG_LEVEL)',
    )
    .option(
      '--log-format <format>',
      'auto (readable on a terminal, else JSON), pretty or json (KEYHOLD_LOG_FORMAT)',
    )
    .option(
      '--vault-idle-minutes <minutes>',
      'lock the vault after this long unused; default 20 (KEYHOLD_VAULT_IDLE_MINUTES)',
    )
    .option(
      '--step-up-minutes <minutes>',
      'ask for presence again before revealing an organisation key this long after sign-in; default 15 (KEYHOLD_STEP_UP_MINUTES)',
    )
    .option(
      '--deleted-key-retention-days <days>',
      'purge deleted keys after this many days; default never (KEYHOLD_DELETED_KEY_RETENTION_DAYS)',
    )
    .option(
      '--server-admins <emails>',
      'comma-separated emails of server administrators (KEYHOLD_SERVER_ADMINS)',
    )
    .option(
      '--argon2-memory-kib <kib>',
      'password hashing memory; default 65536 (KEYHOLD_ARGON2_MEMORY_KIB)',
    )
    .option(
      '--argon2-iterations <n>',
      'password hashing passes; default 3 (KEYHOLD_ARGON2_ITERATIONS)',
    )
    .option(
      '--argon2-parallelism <n>',
      'password hashing lanes; default 1 (KEYHOLD_ARGON2_PARALLELISM)',
    )
    .option(
      '--metrics-listen <host:port>',
      'answer GET /metrics (Prometheus) on this address; default off (KEYHOLD_METRICS_LISTEN)',
    )
    .option(
      '--smtp-url <url>',
      'send email through this SMTP server, e.g. smtps://user:pass@mail.example.org; needs --mail-from and --public-url (KEYHOLD_SMTP_URL)',
    )
    .option(
      '--mail-from <address>',
      'the sender of Keyhold\'s email, e.g. "Keyhold <keyhold@example.org>" (KEYHOLD_MAIL_FROM)',
    )
    .addOption(new Option('--backup-before-migrate').hideHelp())
    .option(
      '--no-backup-before-migrate',
      'SQLite: skip the backup into <data-dir>/backups before migrating (KEYHOLD_BACKUP_BEFORE_MIGRATE=false)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  keyhold serve\n  keyhold serve --host 0.0.0.0 --behind-proxy --public-url https://keys.example.org\n  keyhold serve --workers 4',
    )
    .action(async (flags: ServeFlags) => {
      const { runServe } = await import('../server/serve.js');
      await runServe(flags);
    });
}
