import { Option, type Command } from 'commander';
import { say } from '../../text/terminal-language.js';
import { addHelpAfter } from '../help-text.js';
import { serverMessages } from '../server/messages.js';
import type { ServeFlags } from '../server/serve.js';

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description(
      say({ en: 'Run the Keyhold server and web app', nb: 'Kjør Keyhold-serveren og nettappen' }),
    )
    .option(
      '--host <address>',
      say({
        en: 'address to listen on (KEYHOLD_HOST)',
        nb: 'adressen det skal lyttes på (KEYHOLD_HOST)',
      }),
      undefined,
    )
    .option(
      '--port <number>',
      say({
        en: 'port to listen on (KEYHOLD_PORT)',
        nb: 'porten det skal lyttes på (KEYHOLD_PORT)',
      }),
      undefined,
    )
    .option(
      '--workers <n>',
      say({
        en: 'server processes sharing the port, up to one per CPU core; default 1 (KEYHOLD_WORKERS)',
        nb: 'serverprosesser som deler porten, opptil én per prosessorkjerne; standard 1 (KEYHOLD_WORKERS)',
      }),
    )
    .option(
      '--data-dir <dir>',
      say({
        en: 'where the database and master key live (KEYHOLD_DATA_DIR)',
        nb: 'hvor databasen og hovednøkkelen ligger (KEYHOLD_DATA_DIR)',
      }),
    )
    .option(
      '--public-url <url>',
      say({
        en: 'the address people use to reach Keyhold (KEYHOLD_PUBLIC_URL)',
        nb: 'adressen folk bruker for å nå Keyhold (KEYHOLD_PUBLIC_URL)',
      }),
    )
    .option(
      '--database-url <url>',
      say({
        en: 'postgres://... to use PostgreSQL (KEYHOLD_DATABASE_URL)',
        nb: 'postgres://... for å bruke PostgreSQL (KEYHOLD_DATABASE_URL)',
      }),
    )
    .option(
      '--master-key-file <file>',
      say({
        en: 'master key file (KEYHOLD_MASTER_KEY_FILE)',
        nb: 'hovednøkkelfil (KEYHOLD_MASTER_KEY_FILE)',
      }),
    )
    .option(
      '--tls-cert <file>',
      say({
        en: 'TLS certificate, PEM (KEYHOLD_TLS_CERT)',
        nb: 'TLS-sertifikat, PEM (KEYHOLD_TLS_CERT)',
      }),
    )
    .option(
      '--tls-key <file>',
      say({
        en: 'TLS private key, PEM (KEYHOLD_TLS_KEY)',
        nb: 'privat TLS-nøkkel, PEM (KEYHOLD_TLS_KEY)',
      }),
    )
    .option(
      '--behind-proxy',
      say({
        en: 'a TLS-terminating proxy forwards requests (KEYHOLD_BEHIND_PROXY)',
        nb: 'en proxy som avslutter TLS, videresender forespørslene (KEYHOLD_BEHIND_PROXY)',
      }),
    )
    .option(
      '--trusted-proxies <addresses>',
      say({
        en: 'behind a proxy, the proxy addresses or CIDR ranges whose X-Forwarded-For counts (KEYHOLD_TRUSTED_PROXIES)',
        nb: 'bak en proxy: proxyadressene eller CIDR-områdene som X-Forwarded-For godtas fra (KEYHOLD_TRUSTED_PROXIES)',
      }),
    )
    .option(
      '--proxy-hops <n>',
      say({
        en: 'behind a proxy without --trusted-proxies, proxies in a row; default 1 (KEYHOLD_PROXY_HOPS)',
        nb: 'bak en proxy uten --trusted-proxies: antall proxyer etter hverandre; standard 1 (KEYHOLD_PROXY_HOPS)',
      }),
    )
    .option(
      '--request-timeout-seconds <seconds>',
      say({
        en: 'a request and its body must arrive within this; default 30 (KEYHOLD_REQUEST_TIMEOUT_SECONDS)',
        nb: 'en forespørsel med innhold må komme fram innen så mange sekunder; standard 30 (KEYHOLD_REQUEST_TIMEOUT_SECONDS)',
      }),
    )
    .option(
      '--connections-per-address <n>',
      say({
        en: 'most open connections one client address may hold; default 64 (KEYHOLD_CONNECTIONS_PER_ADDRESS)',
        nb: 'flest åpne tilkoblinger én klientadresse kan ha; standard 64 (KEYHOLD_CONNECTIONS_PER_ADDRESS)',
      }),
    )
    .option(
      '--log-level <level>',
      say({
        en: 'fatal, error, warn, info, debug, trace or silent (KEYHOLD_LOG_LEVEL)',
        nb: 'fatal, error, warn, info, debug, trace eller silent (KEYHOLD_LOG_LEVEL)',
      }),
    )
    .option(
      '--log-format <format>',
      say({
        en: 'auto (readable on a terminal, else JSON), pretty or json (KEYHOLD_LOG_FORMAT)',
        nb: 'auto (lesbar i en terminal, ellers JSON), pretty eller json (KEYHOLD_LOG_FORMAT)',
      }),
    )
    .option(
      '--vault-idle-minutes <minutes>',
      say({
        en: 'lock the vault after this long unused; default 20 (KEYHOLD_VAULT_IDLE_MINUTES)',
        nb: 'lås hvelvet etter så mange minutter uten bruk; standard 20 (KEYHOLD_VAULT_IDLE_MINUTES)',
      }),
    )
    .option(
      '--step-up-minutes <minutes>',
      say({
        en: 'ask for presence again before revealing an organisation key this long after sign-in; default 15 (KEYHOLD_STEP_UP_MINUTES)',
        nb: 'be om ny bekreftelse på at brukeren er til stede før en organisasjonsnøkkel vises så lenge etter pålogging; standard 15 (KEYHOLD_STEP_UP_MINUTES)',
      }),
    )
    .option(
      '--deleted-key-retention-days <days>',
      say({
        en: 'purge deleted keys after this many days; default never (KEYHOLD_DELETED_KEY_RETENTION_DAYS)',
        nb: 'fjern slettede nøkler for godt etter så mange dager; standard aldri (KEYHOLD_DELETED_KEY_RETENTION_DAYS)',
      }),
    )
    .option(
      '--server-admins <emails>',
      say({
        en: 'comma-separated emails of server administrators (KEYHOLD_SERVER_ADMINS)',
        nb: 'e-postadressene til serveradministratorene, skilt med komma (KEYHOLD_SERVER_ADMINS)',
      }),
    )
    .option(
      '--argon2-memory-kib <kib>',
      say({
        en: 'password hashing memory; default 65536 (KEYHOLD_ARGON2_MEMORY_KIB)',
        nb: 'minne til passordhashing; standard 65536 (KEYHOLD_ARGON2_MEMORY_KIB)',
      }),
    )
    .option(
      '--argon2-iterations <n>',
      say({
        en: 'password hashing passes; default 3 (KEYHOLD_ARGON2_ITERATIONS)',
        nb: 'antall runder i passordhashingen; standard 3 (KEYHOLD_ARGON2_ITERATIONS)',
      }),
    )
    .option(
      '--argon2-parallelism <n>',
      say({
        en: 'password hashing lanes; default 1 (KEYHOLD_ARGON2_PARALLELISM)',
        nb: 'antall parallelle spor i passordhashingen; standard 1 (KEYHOLD_ARGON2_PARALLELISM)',
      }),
    )
    .option(
      '--metrics-listen <host:port>',
      say({
        en: 'answer GET /metrics (Prometheus) on this address; default off (KEYHOLD_METRICS_LISTEN)',
        nb: 'svar på GET /metrics (Prometheus) på denne adressen; standard av (KEYHOLD_METRICS_LISTEN)',
      }),
    )
    .option(
      '--smtp-url <url>',
      say({
        en: 'send email through this SMTP server, e.g. smtps://user:pass@mail.example.org; needs --mail-from and --public-url (KEYHOLD_SMTP_URL)',
        nb: 'send e-post gjennom denne SMTP-serveren, f.eks. smtps://bruker:passord@mail.example.org; krever --mail-from og --public-url (KEYHOLD_SMTP_URL)',
      }),
    )
    .option(
      '--mail-from <address>',
      say({
        en: 'the sender of Keyhold\'s email, e.g. "Keyhold <keyhold@example.org>" (KEYHOLD_MAIL_FROM)',
        nb: 'avsenderen av e-post fra Keyhold, f.eks. "Keyhold <keyhold@example.org>" (KEYHOLD_MAIL_FROM)',
      }),
    )
    .addOption(new Option('--backup-before-migrate').hideHelp())
    .option('--no-backup-before-migrate', say(serverMessages.skipBackupBeforeMigrate));
  addHelpAfter(serve, {
    examples: [
      'keyhold serve',
      'keyhold serve --host 0.0.0.0 --behind-proxy --public-url https://keys.example.org',
      'keyhold serve --workers 4',
    ],
  }).action(async (flags: ServeFlags) => {
    const { runServe } = await import('../server/serve.js');
    await runServe(flags);
  });
}
