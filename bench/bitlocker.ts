/**
 * Reading BitLocker volumes against the C tools, on the same images in the same run:
 *
 * - key check: `keyhold verify --recovery-password` against
 *   `cryptsetup open --type bitlk --test-passphrase` (target: at most 1.0x cryptsetup's time);
 * - unlock throughput: `keyhold unlock` against `dislocker-file` (target: at least 2x), with
 *   `openssl speed -evp aes-128-xts` printed as the ceiling;
 * - peak memory of `keyhold unlock` (target: at most 150 MB), on a corpus volume and on a
 *   larger volume made from one, to show it does not grow with the volume.
 *
 * Installs nothing: a missing peer is reported with the Debian package that provides it.
 * KEYHOLD_BENCH_RUNS sets the runs per measurement, KEYHOLD_BENCH_VOLUME_MB the large volume.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { open, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decryptAesCcm } from '../src/bitlocker/volume/aes-ccm.js';
import { crc32 } from '../src/bitlocker/volume/crc32.js';
import { stretchKey } from '../src/bitlocker/volume/key-stretch.js';
import { openVolume, readBitLockerVolume } from '../src/bitlocker/volume/volume.js';
import { openImageSource } from '../src/cli/volume/image-source.js';
import { compileWebAssemblyOptimized } from '../src/cli/volume/secret-input.js';

const root = join(import.meta.dirname, '..');
const keyhold = join(root, 'bin/keyhold.js');
const runs = Math.max(3, Number(process.env.KEYHOLD_BENCH_RUNS ?? 5));
const largeVolumeBytes = Number(process.env.KEYHOLD_BENCH_VOLUME_MB ?? 1024) * 1024 * 1024;
const targets = { keyCheck: 1.0, throughput: 2.0, memoryMb: 150 };

// The CLI runs from dist/; compile it first so the numbers are for the current source.
const build = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  { cwd: root, stdio: 'inherit' },
);
if (build.status !== 0 && !existsSync(join(root, 'dist/cli/main.js'))) {
  console.error('bitlocker: the build failed and there is no compiled CLI to measure');
  process.exit(1);
}

/** The extracted corpus: KEYHOLD_CORPUS_DIR, or extracted here the way the test runner does. */
function corpusDirectory(): string {
  if (process.env.KEYHOLD_CORPUS_DIR) return process.env.KEYHOLD_CORPUS_DIR;
  const archive = resolve(root, '../shared/corpus/bitlocker/windows-images.tar.xz');
  if (!existsSync(archive)) {
    console.error(`bitlocker: no corpus (set KEYHOLD_CORPUS_DIR or provide ${archive})`);
    process.exit(1);
  }
  const target = join(tmpdir(), `keyhold-corpus-${statSync(archive).mtimeMs.toFixed(0)}`);
  if (!existsSync(join(target, 'images.conf'))) {
    mkdirSync(target, { recursive: true });
    spawnSync('tar', ['-xJf', archive, '-C', target], { stdio: 'inherit' });
  }
  return target;
}

const corpus = corpusDirectory();
const keyImage = join(corpus, 'bitlk-aes-xts-128.img');
const clearKeyImage = join(corpus, 'bitlk-aes-xts-128-clearkey-only.img');
const recoveryPassword = /\[bitlk-aes-xts-128\][^[]*?RP=(\S+)/.exec(
  readFileSync(join(corpus, 'images.conf'), 'utf8'),
)?.[1];
if (!recoveryPassword)
  throw new Error('images.conf has no recovery password for bitlk-aes-xts-128');

const peers = {
  cryptsetup: 'cryptsetup-bin',
  'dislocker-file': 'dislocker',
  openssl: 'openssl',
} as const;
function peerAvailable(command: keyof typeof peers): boolean {
  if (spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined) return true;
  console.log(`  ${command} is not installed: apt-get install ${peers[command]} to compare`);
  return false;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

interface Run {
  ms: number;
  peakRssMb: number | undefined;
}

/** Runs a command to completion, timing it and sampling its peak resident memory (Linux). */
function run(command: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    let peakKb: number | undefined;
    const sample = () => {
      try {
        const status = readFileSync(`/proc/${String(child.pid)}/status`, 'utf8');
        const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
        if (Number.isFinite(hwm)) peakKb = Math.max(peakKb ?? 0, hwm);
      } catch {
        // The process has exited, or this is not Linux: keep what was sampled.
      }
    };
    const sampler = setInterval(sample, 5);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(sampler);
      const ms = performance.now() - started;
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(' ')} exited with ${String(code)}: ${stderr}`));
        return;
      }
      resolveRun({ ms, peakRssMb: peakKb === undefined ? undefined : peakKb / 1024 });
    });
    child.stdin.end(input);
  });
}

function ratioLine(label: string, ratio: number, target: string, ok: boolean): void {
  console.log(`  ${label} ${ratio.toFixed(2)}x (target ${target}): ${ok ? 'ok' : 'MISSES TARGET'}`);
}

/**
 * A larger volume made from the clear-key corpus image: the same metadata with a larger
 * encrypted size, its integrity hash and CRC recomputed with the volume master key. Sparse.
 */
async function makeLargeVolume(path: string, size: number): Promise<void> {
  spawnSync('cp', ['--sparse=always', clearKeyImage, path]);
  const source = await openImageSource(path);
  const volume = await readBitLockerVolume(source);
  await source.close();
  const opened = openVolume(volume, { kind: 'clear-key' });
  if (!opened.opened) throw new Error('the clear-key image did not open');
  const handle = await open(path, 'r+');
  for (const offset of volume.header.metadataOffsets) {
    const block = Buffer.alloc(0x10000);
    await handle.read(block, 0, block.length, offset);
    block.writeBigUInt64LE(BigInt(size), 16);
    const covered = block.readUInt16LE(8) * 16;
    const entry = covered + 8;
    const nonce = block.subarray(entry + 8, entry + 20);
    const stored = {
      nonce,
      tag: block.subarray(entry + 20, entry + 36),
      ciphertext: block.subarray(entry + 36, entry + 80),
    };
    const datum = decryptAesCcm(opened.keys.vmk, stored);
    if (!datum) throw new Error('the integrity hash did not decrypt');
    const hash = createHash('sha256').update(block.subarray(0, covered)).digest();
    const cipher = createCipheriv('aes-256-ccm', opened.keys.vmk, nonce, { authTagLength: 16 });
    const ciphertext = Buffer.concat([
      cipher.update(Buffer.concat([datum.subarray(0, 12), hash])),
      cipher.final(),
    ]);
    cipher.getAuthTag().copy(block, entry + 20);
    ciphertext.copy(block, entry + 36);
    block.writeUInt32LE(crc32(block.subarray(0, covered)), covered + 4);
    await handle.write(block, 0, block.length, offset);
  }
  await handle.close();
  await truncate(path, size);
}

const work = mkdtempSync(join(tmpdir(), 'keyhold-bench-'));
try {
  console.log(`bitlocker (${runs} runs per measurement, medians)`);

  // Key check.
  console.log('\nkey check: recovery password on bitlk-aes-xts-128 (100 MB)');
  compileWebAssemblyOptimized();
  const stretchStart = performance.now();
  stretchKey(Buffer.alloc(32), Buffer.alloc(16));
  console.log(
    `  in-process key stretch (1,048,576 SHA-256)  ${(performance.now() - stretchStart).toFixed(0)} ms`,
  );
  const keyholdVerify = ['verify', keyImage, '--recovery-password', recoveryPassword];
  const cryptsetupArgs = ['open', '--type', 'bitlk', '--test-passphrase', '--key-file=-', keyImage];
  const hasCryptsetup = peerAvailable('cryptsetup');
  const verifyTimes: number[] = [];
  const cryptsetupTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    verifyTimes.push((await run(process.execPath, [keyhold, ...keyholdVerify])).ms);
    if (hasCryptsetup) {
      cryptsetupTimes.push((await run('cryptsetup', cryptsetupArgs, recoveryPassword)).ms);
    }
  }
  const verifyMs = median(verifyTimes);
  console.log(`  keyhold verify --recovery-password              ${verifyMs.toFixed(0)} ms`);
  if (hasCryptsetup) {
    const cryptsetupMs = median(cryptsetupTimes);
    console.log(`  cryptsetup open --type bitlk --test-passphrase  ${cryptsetupMs.toFixed(0)} ms`);
    const ratio = verifyMs / cryptsetupMs;
    ratioLine('keyhold / cryptsetup', ratio, `<= ${targets.keyCheck}x`, ratio <= targets.keyCheck);
  }

  // Unlock throughput and memory.
  const large = join(work, 'large.img');
  await makeLargeVolume(large, largeVolumeBytes);
  const largeMb = largeVolumeBytes / 1e6;
  // Both tools write the same bytes; a RAM-backed folder keeps the disk (and other writers on
  // the machine) out of a comparison of the decryption itself.
  const outputDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/keyhold-bench-') : work;
  console.log(
    `\nunlock: clear key, XTS-AES-128, ${largeMb.toFixed(0)} MB volume, output to a file in ${outputDir}`,
  );
  const hasDislocker = peerAvailable('dislocker-file');
  const out = join(outputDir, 'out.img');
  const unlockRuns: Run[] = [];
  const dislockerTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    rmSync(out, { force: true });
    unlockRuns.push(
      await run(process.execPath, [keyhold, 'unlock', large, '--clear-key', '--out', out]),
    );
    rmSync(out, { force: true });
    if (hasDislocker)
      dislockerTimes.push((await run('dislocker-file', ['-V', large, '-c', out])).ms);
  }
  rmSync(out, { force: true });
  const keyholdRate = largeMb / (median(unlockRuns.map((r) => r.ms)) / 1000);
  console.log(`  keyhold unlock   ${keyholdRate.toFixed(0)} MB/s`);
  if (hasDislocker) {
    const dislockerRate = largeMb / (median(dislockerTimes) / 1000);
    console.log(`  dislocker-file   ${dislockerRate.toFixed(0)} MB/s`);
    const ratio = keyholdRate / dislockerRate;
    ratioLine(
      'keyhold / dislocker',
      ratio,
      `>= ${targets.throughput}x`,
      ratio >= targets.throughput,
    );
  }
  if (peerAvailable('openssl')) {
    const speed = spawnSync('openssl', ['speed', '-seconds', '1', '-evp', 'aes-128-xts'], {
      encoding: 'utf8',
    });
    const columns = /^AES-128-XTS\s+(.*)$/im.exec(speed.stdout)?.[1]?.trim().split(/\s+/) ?? [];
    const kilobytesPerSecond = Number.parseFloat(columns.at(-1) ?? '');
    if (Number.isFinite(kilobytesPerSecond)) {
      console.log(
        `  ceiling: openssl speed -evp aes-128-xts (16 KiB blocks)  ${(kilobytesPerSecond / 1000).toFixed(0)} MB/s`,
      );
    }
  }

  console.log('\nunlock peak memory (resident set, sampled from /proc)');
  const memoryRuns: [string, Run][] = [
    [
      'bitlk-aes-xts-128 (100 MB), recovery password',
      await run(process.execPath, [
        keyhold,
        'unlock',
        keyImage,
        '--recovery-password',
        recoveryPassword,
        '--out',
        out,
      ]),
    ],
    [
      `large volume (${largeMb.toFixed(0)} MB), clear key`,
      unlockRuns.at(-1) ?? { ms: 0, peakRssMb: undefined },
    ],
  ];
  rmSync(out, { force: true });
  for (const [label, measured] of memoryRuns) {
    const mb = measured.peakRssMb;
    const verdict =
      mb === undefined ? 'not measured' : mb <= targets.memoryMb ? 'ok' : 'MISSES TARGET';
    console.log(
      `  ${label.padEnd(46)} ${mb === undefined ? '?' : mb.toFixed(0)} MB (target <= ${targets.memoryMb} MB): ${verdict}`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  for (const dir of existsSync('/dev/shm') ? readdirSync('/dev/shm') : []) {
    if (dir.startsWith('keyhold-bench-'))
      rmSync(join('/dev/shm', dir), { recursive: true, force: true });
  }
}
