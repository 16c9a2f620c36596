import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** Settings come from flags or KEYHOLD_* variables; flags win. */
export const configSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    /** Server processes sharing the port: one per CPU core uses them all. */
    workers: z.coerce.number().int().min(1).max(64).default(1),
    dataDir: z.string().min(1),
    publicUrl: z.url().optional(),
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
    masterKeyFile: z.string().min(1).optional(),
    /** The master key itself (only as KEYHOLD_MASTER_KEY, never a flag: flags show in `ps`). */
    masterKey: z.string().min(1).optional(),
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    behindProxy: z.boolean().default(false),
    /**
     * Behind a proxy, the addresses (or CIDR ranges) of the proxies whose X-Forwarded-For is
     * believed; anyone else connecting is the client, whatever it claims.
     */
    trustedProxies: z
      .string()
      .transform((list, ctx) => {
        const entries = list
          .split(',')
          .map((entry) => entry.trim())
          .filter((entry) => entry !== '');
        for (const entry of entries) {
          if (!isAddressOrRange(entry)) {
            ctx.addIssue({
              code: 'custom',
              message: `"${entry}" is not an IP address or a range such as 10.0.0.0/8`,
            });
          }
        }
        return entries;
      })
      .optional(),
    /** Behind a proxy without a trusted list: how many proxies in a row add X-Forwarded-For. */
    proxyHops: z.coerce.number().int().min(1).max(10).optional(),
    /** A request (headers and body) must arrive within this; slow senders are cut off. */
    requestTimeoutSeconds: z.coerce.number().int().min(1).max(3600).default(30),
    /** Open connections one client address may hold at once (per server process). */
    connectionsPerAddress: z.coerce.number().int().min(1).max(100_000).default(64),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    /** `auto`: readable lines on a terminal, one JSON object per line otherwise. */
    logFormat: z.enum(['auto', 'pretty', 'json']).default('auto'),
    // Argon2id cost for password hashes. The defaults follow RFC 9106's second recommendation;
    // tests lower them to keep two cores free, never below what argon2id itself accepts.
    argon2MemoryKib: z.coerce.number().int().min(1024).max(4_194_304).default(65_536),
    argon2Iterations: z.coerce.number().int().min(1).max(20).default(3),
    argon2Parallelism: z.coerce.number().int().min(1).max(16).default(1),
    /** The vault locks itself after this long without vault activity. */
    vaultIdleMinutes: z.coerce.number().int().min(1).max(1440).default(20),
    /** Revealing an organisation key this long after the last sign-in asks for presence again. */
    stepUpMinutes: z.coerce.number().int().min(1).max(1440).default(15),
    /** Deleted keys are purged this many days after deletion; unset keeps them forever. */
    deletedKeyRetentionDays: z.coerce.number().int().min(1).max(36_500).optional(),
    /**
     * `host:port` to answer `GET /metrics` (Prometheus) on, apart from the public port; unset
     * serves no metrics.
     */
    metricsListen: z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):\d{1,5}$/, 'must be host:port, such as 127.0.0.1:9464')
      .optional(),
    /**
     * The SMTP server Keyhold sends its email through (`smtp://` or `smtps://`, credentials in
     * the URL); unset, Keyhold sends no email.
     */
    smtpUrl: z
      .string()
      .regex(/^smtps?:\/\/[^\s]+$/, 'must start with smtp:// or smtps://')
      .optional(),
    /** The sender of Keyhold's email: an address, or a name and an address in <>. */
    mailFrom: z
      .string()
      .trim()
      .regex(
        /^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/,
        'must be an address such as keyhold@example.org or "Keyhold <keyhold@example.org>"',
      )
      .optional(),
    /** SQLite: take a backup into <data-dir>/backups before applying migrations. */
    backupBeforeMigrate: z.boolean().default(true),
    /** Emails of the accounts that administer this server (e.g. read help-article feedback). */
    serverAdmins: z
      .string()
      .transform((list) =>
        list
          .split(',')
          .map((email) => email.trim().toLowerCase())
          .filter((email) => email !== ''),
      )
      .default([]),
  })
  .superRefine((config, ctx) => {
    if (Boolean(config.tlsCert) !== Boolean(config.tlsKey)) {
      ctx.addIssue({
        code: 'custom',
        path: [config.tlsCert ? 'tlsKey' : 'tlsCert'],
        message: 'set both --tls-cert and --tls-key, or neither',
      });
    }
    for (const key of ['trustedProxies', 'proxyHops'] as const) {
      if (config[key] !== undefined && !config.behindProxy) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'only applies behind a proxy: add --behind-proxy (KEYHOLD_BEHIND_PROXY)',
        });
      }
    }
    if (config.trustedProxies && config.proxyHops !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['proxyHops'],
        message: 'give either --trusted-proxies or --proxy-hops, not both',
      });
    }
    if (config.smtpUrl && !config.mailFrom) {
      ctx.addIssue({
        code: 'custom',
        path: ['mailFrom'],
        message: 'email needs a sender: give --mail-from with --smtp-url',
      });
    }
    if (config.mailFrom && !config.smtpUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['smtpUrl'],
        message: 'email needs an SMTP server: give --smtp-url with --mail-from',
      });
    }
    if (config.smtpUrl && !config.publicUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['publicUrl'],
        message:
          'email links need the address people reach Keyhold at: give --public-url with --smtp-url',
      });
    }
    if (config.masterKey && config.masterKeyFile) {
      ctx.addIssue({
        code: 'custom',
        path: ['masterKey'],
        message: 'give the master key either in KEYHOLD_MASTER_KEY or as a file, not both',
      });
    }
    if (!isLoopback(config.host) && !config.tlsCert && !config.behindProxy) {
      ctx.addIssue({
        code: 'custom',
        path: ['host'],
        message:
          `refusing to serve recovery keys over plain HTTP on ${config.host}. ` +
          'Give --tls-cert and --tls-key, or --behind-proxy when a TLS-terminating proxy ' +
          'sits in front, or listen on 127.0.0.1',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/** An IPv4 or IPv6 address, or a CIDR range of either (`10.0.0.0/8`, `fd00::/8`). */
export function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** Each setting's flag name; its variable is KEYHOLD_ + the flag name in capitals. */
const settingNames: Record<keyof ConfigInput, string> = {
  host: 'host',
  port: 'port',
  workers: 'workers',
  dataDir: 'data-dir',
  publicUrl: 'public-url',
  databaseUrl: 'database-url',
  masterKeyFile: 'master-key-file',
  masterKey: 'master-key',
  tlsCert: 'tls-cert',
  tlsKey: 'tls-key',
  behindProxy: 'behind-proxy',
  trustedProxies: 'trusted-proxies',
  proxyHops: 'proxy-hops',
  requestTimeoutSeconds: 'request-timeout-seconds',
  connectionsPerAddress: 'connections-per-address',
  logLevel: 'log-level',
  logFormat: 'log-format',
  argon2MemoryKib: 'argon2-memory-kib',
  argon2Iterations: 'argon2-iterations',
  argon2Parallelism: 'argon2-parallelism',
  vaultIdleMinutes: 'vault-idle-minutes',
  stepUpMinutes: 'step-up-minutes',
  deletedKeyRetentionDays: 'deleted-key-retention-days',
  serverAdmins: 'server-admins',
  metricsListen: 'metrics-listen',
  smtpUrl: 'smtp-url',
  mailFrom: 'mail-from',
  backupBeforeMigrate: 'backup-before-migrate',
};

/** Settings that are on or off; their variables take 1, true or yes for on. */
const booleanSettings = new Set<string>(['behindProxy', 'backupBeforeMigrate']);

/** Settings that only come from the environment. */
const environmentOnly = new Set<keyof ConfigInput>(['masterKey']);

function variableName(flagName: string): string {
  return `KEYHOLD_${flagName.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * `$XDG_DATA_HOME/keyhold`, else `~/.local/share/keyhold`: one place per user however Keyhold is
 * started (`npm start` in a checkout, an installed `keyhold serve`, root or not), so starting from
 * another directory never quietly creates a second, empty database with a second master key.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  const xdgDataHome = env.XDG_DATA_HOME;
  if (xdgDataHome?.startsWith('/')) return join(xdgDataHome, 'keyhold');
  return join(homedir(), '.local', 'share', 'keyhold');
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads KEYHOLD_* variables for every setting not given as a flag, then validates. */
export function loadConfig(
  flags: Partial<Record<keyof ConfigInput, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const merged: Record<string, unknown> = {};
  for (const [key, flagName] of Object.entries(settingNames)) {
    const envName = variableName(flagName);
    const fromFlag = environmentOnly.has(key as keyof ConfigInput)
      ? undefined
      : flags[key as keyof ConfigInput];
    const fromEnv = env[envName];
    if (fromFlag !== undefined) merged[key] = fromFlag;
    else if (fromEnv !== undefined && fromEnv !== '') {
      merged[key] = booleanSettings.has(key) ? /^(1|true|yes)$/i.test(fromEnv) : fromEnv;
    }
  }
  merged.dataDir ??= defaultDataDir(env);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as keyof ConfigInput | undefined;
      if (!key) return `settings: ${issue.message}`;
      const name = settingNames[key];
      // Never echo a setting's value: KEYHOLD_MASTER_KEY is a secret.
      if (environmentOnly.has(key)) return `${variableName(name)}: ${issue.message}`;
      return `--${name} (${variableName(name)}): ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
