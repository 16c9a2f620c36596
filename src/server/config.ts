import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** Settings come from flags or KEYHOLD_* variables; flags win. */
export const configSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    dataDir: z
      .string()
      .min(1)
      .default(join(homedir(), '.local', 'share', 'keyhold')),
    publicUrl: z.url().optional(),
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
    masterKeyFile: z.string().min(1).optional(),
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    behindProxy: z.boolean().default(false),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
  })
  .superRefine((config, ctx) => {
    if (Boolean(config.tlsCert) !== Boolean(config.tlsKey)) {
      ctx.addIssue({
        code: 'custom',
        path: [config.tlsCert ? 'tlsKey' : 'tlsCert'],
        message: 'set both --tls-cert and --tls-key, or neither',
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

const settingNames: Record<keyof ConfigInput, string> = {
  host: 'host',
  port: 'port',
  dataDir: 'data-dir',
  publicUrl: 'public-url',
  databaseUrl: 'database-url',
  masterKeyFile: 'master-key-file',
  tlsCert: 'tls-cert',
  tlsKey: 'tls-key',
  behindProxy: 'behind-proxy',
  logLevel: 'log-level',
};

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
    const envName = `KEYHOLD_${flagName.toUpperCase().replaceAll('-', '_')}`;
    const fromFlag = flags[key as keyof ConfigInput];
    const fromEnv = env[envName];
    if (fromFlag !== undefined) merged[key] = fromFlag;
    else if (fromEnv !== undefined && fromEnv !== '') {
      merged[key] = key === 'behindProxy' ? /^(1|true|yes)$/i.test(fromEnv) : fromEnv;
    }
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as keyof ConfigInput | undefined;
      const name = key ? settingNames[key] : 'settings';
      return `--${name} (KEYHOLD_${name.toUpperCase().replaceAll('-', '_')}): ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
