import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyholdBin } from '../support/cli.js';
import { corpusDir } from '../support/requirements.js';

/** One volume of the Windows-made corpus, as `images.conf` describes it. */
export interface CorpusImage {
  name: string;
  path: string;
  guid: string;
  password: string | undefined;
  passwordProtectorId: string | undefined;
  recoveryPassword: string | undefined;
  recoveryProtectorId: string | undefined;
  /** SHA-256 of the whole decrypted volume; undefined where there is no reference. */
  sha256: string | undefined;
  fields: Record<string, string>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Every image in the extracted corpus; empty when the corpus is not available. */
export function corpusImages(): CorpusImage[] {
  const dir = corpusDir();
  if (!dir) return [];
  const images: CorpusImage[] = [];
  let fields: Record<string, string> | undefined;
  let name = '';
  const flush = () => {
    if (!fields) return;
    images.push({
      name,
      path: join(dir, `${name}.img`),
      guid: fields.GUID ?? '',
      password: nonEmpty(fields.PW),
      passwordProtectorId: nonEmpty(fields.PW_VMK_GUID),
      recoveryPassword: nonEmpty(fields.RP),
      recoveryProtectorId: nonEmpty(fields.RP_VMK_GUID),
      sha256: nonEmpty(fields.SHA256SUM),
      fields,
    });
  };
  for (const line of readFileSync(join(dir, 'images.conf'), 'utf8').split('\n')) {
    const section = /^\[(.+)\]$/.exec(line.trim());
    if (section) {
      flush();
      name = section[1] ?? '';
      fields = {};
    } else if (fields && line.includes('=')) {
      const at = line.indexOf('=');
      fields[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
  }
  flush();
  return images;
}

export function corpusImage(name: string): CorpusImage {
  const image = corpusImages().find((candidate) => candidate.name === name);
  if (!image) throw new Error(`corpus image ${name} is not in images.conf`);
  return image;
}

/** The startup key file that opens `bitlk-aes-xts-128-startup-key`. */
export function corpusStartupKeyPath(): string {
  return join(corpusDir() ?? '', '4381F759-C4F8-4DE0-BB61-FC33A831BDA5.BEK');
}

/** Runs the CLI like `runKeyhold`, but hashes standard output instead of decoding it. */
export function runKeyholdHashingStdout(
  args: string[],
  input?: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdoutSha256: string; stdoutBytes: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [keyholdBin, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    const hash = createHash('sha256');
    let stdoutBytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      stdoutBytes += chunk.length;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdoutSha256: hash.digest('hex'), stdoutBytes, stderr });
    });
    child.stdin.end(input);
  });
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A sparse copy of a corpus image in a fresh temporary folder, safe to damage. */
export function sparseCopy(image: CorpusImage, dir: string): string {
  const copy = join(dir, `${image.name}.img`);
  execFileSync('cp', ['--sparse=always', image.path, copy]);
  return copy;
}
