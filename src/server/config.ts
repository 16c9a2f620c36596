import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { $ZodIssue } from 'zod/v4/core';
import type { Wording } from '../text/wording.js';
import { configMessages } from './config-messages.js';

/**
 * A rule of the configuration broken, said in both languages: at the setting `path` names, or
 * at the one being read when there is no path.
 */
function breaks(ctx: z.RefinementCtx, wording: Wording, path?: string): void {
  ctx.addIssue({
    code: 'custom',
    ...(path === undefined ? {} : { path: [path] }),
    message: wording.en,
    params: { wording },
  });
}

/** Settings come from flags or KEYHOLD_* variables; flags win. */
export const configSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    /** Server processes sharing the port: one per CPU core uses them all. */
    workers: z.coerce.number().int().min(1).max(64).default(1),
    dataDir: z.string().min(1),
    publicUrl: z.url({ protocol: /^https?$/ }).optional(),
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//)
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
          if (!isAddressOrRange(entry)) breaks(ctx, configMessages.notAnAddress(entry));
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
      .regex(/^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):\d{1,5}$/)
      .optional(),
    /**
     * The SMTP server Keyhold sends its email through (`smtp://` or `smtps://`, credentials in
     * the URL); unset, Keyhold sends no email.
     */
    smtpUrl: z
      .string()
      .regex(/^smtps?:\/\/[^\s]+$/)
      .optional(),
    /** The sender of Keyhold's email: an address, or a name and an address in <>. */
    mailFrom: z
      .string()
      .trim()
      .regex(/^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/)
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
      breaks(ctx, configMessages.tlsPair, config.tlsCert ? 'tlsKey' : 'tlsCert');
    }
    for (const key of ['trustedProxies', 'proxyHops'] as const) {
      if (config[key] !== undefined && !config.behindProxy) {
        breaks(ctx, configMessages.onlyBehindProxy, key);
      }
    }
    if (config.trustedProxies && config.proxyHops !== undefined) {
      breaks(ctx, configMessages.proxiesOrHops, 'proxyHops');
    }
    if (config.smtpUrl && !config.mailFrom) breaks(ctx, configMessages.mailNeedsSender, 'mailFrom');
    if (config.mailFrom && !config.smtpUrl) breaks(ctx, configMessages.mailNeedsServer, 'smtpUrl');
    if (config.smtpUrl && !config.publicUrl) {
      breaks(ctx, configMessages.mailNeedsPublicUrl, 'publicUrl');
    }
    if (config.masterKey && config.masterKeyFile) {
      breaks(ctx, configMessages.masterKeyTwice, 'masterKey');
    }
    // An empty host is refused above already.
    if (config.host && !isLoopback(config.host) && !config.tlsCert && !config.behindProxy) {
      breaks(ctx, configMessages.plainHttp(config.host), 'host');
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

/** Settings that cannot be used; `wording` says which and why, in both languages. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly wording: Wording) {
    super(wording.en);
  }
}

/** The settings whose text must have a certain form, and the form in words. */
const formats: Partial<Record<keyof ConfigInput, Wording>> = {
  publicUrl: configMessages.publicUrl,
  databaseUrl: configMessages.databaseUrl,
  metricsListen: configMessages.metricsListen,
  smtpUrl: configMessages.smtpUrl,
  mailFrom: configMessages.mailFrom,
};

/** What is wrong with a setting, in the operator's words rather than zod's. */
function problemWith(key: keyof ConfigInput | undefined, issue: $ZodIssue): Wording {
  switch (issue.code) {
    case 'custom': {
      const wording = (issue.params as { wording?: Wording } | undefined)?.wording;
      return wording ?? configMessages.unusable;
    }
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'int'
        ? configMessages.wholeNumber
        : configMessages.unusable;
    case 'too_small':
      return issue.origin === 'string'
        ? configMessages.notEmpty
        : configMessages.atLeast(String(issue.minimum));
    case 'too_big':
      return configMessages.atMost(String(issue.maximum));
    case 'invalid_value':
      return configMessages.oneOf(issue.values.map(String).join(', '));
    case 'invalid_format':
      return (key && formats[key]) ?? configMessages.unusable;
    default:
      return configMessages.unusable;
  }
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
    // No line echoes a setting's value: KEYHOLD_MASTER_KEY is a secret.
    const lines = parsed.error.issues.map((issue): Wording => {
      const key = issue.path[0] as keyof ConfigInput | undefined;
      const problem = problemWith(key, issue);
      if (!key) return problem;
      const name = settingNames[key];
      const setting = environmentOnly.has(key)
        ? variableName(name)
        : `--${name} (${variableName(name)})`;
      return { en: `${setting}: ${problem.en}`, nb: `${setting}: ${problem.nb}` };
    });
    throw new ConfigError(configMessages.invalidConfiguration(lines));
  }
  return parsed.data;
}
