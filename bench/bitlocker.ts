/**
 * Reading BitLocker volumes against the C tools, on the same images in the same run:
 *
 * - key check: `keyhold verify --recovery-password` against
 *   `cryptsetup open --type bitlk --test-passphrase` (target: at most 0.6x cryptsetup's time);
 * - unlock throughput on a volume of KEYHOLD_BENCH_VOLUME_MB (default 1 GiB), on every core:
 *   `keyhold unlock` against `dislocker-file` (target: at least 5x) and against
 *   `openssl speed -evp aes-128-xts` on one core as the ceiling (target: at least 25% of it);
 * - peak memory of `keyhold unlock` (target: at most 150 MB), on a corpus volume and on the
 *   larger volume, to show it does not grow with the volume.
 *
 * `dd` copying the same image to the same folder, which decrypts nothing, shows the floor the
 * kernel's reads and writes set: Keyhold can be no faster than it. It is measured as one `dd` and
 * as two at once, one half each (Keyhold copies on every core); when even the faster of the two
 * stays under 25% of the OpenSSL ceiling, the bench says that target is out of any copy's reach.
 * With NODE_EXTRA_CA_CERTS set (Node parses that bundle at every start), `verify` is also timed
 * without it, to show the environment's share. Every unlock figure is also
 * given per CPU-second (user + system time of the process), which other work on the machine
 * does not change as much as it changes wall-clock time.
 *
 * Every Keyhold figure is measured twice: with the native addon (when it is built) and with the
 * WebAssembly fallback (KEYHOLD_NATIVE=0); the targets apply to the native path.
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
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decryptAesCcm } from '../src/bitlocker/volume/aes-ccm.js';
import { crc32 } from '../src/bitlocker/volume/crc32.js';
import {
  nativeCrypto,
  portableCrypto,
  type NativeBinding,
} from '../src/bitlocker/volume/volume-crypto.js';
import { openVolume, readBitLockerVolume } from '../src/bitlocker/volume/volume.js';
import { openImageSource } from '../src/cli/volume/image-source.js';
import { addonPath, chooseVolumeCrypto } from '../src/cli/volume/native-crypto.js';
import { compileWebAssemblyOptimized } from '../src/cli/volume/secret-input.js';

const root = join(import.meta.dirname, '..');
const keyhold = join(root, 'bin/keyhold.js');
const runs = Math.max(1, Number(process.env.KEYHOLD_BENCH_RUNS ?? 5));
const largeVolumeBytes = Number(process.env.KEYHOLD_BENCH_VOLUME_MB ?? 1024) * 1024 * 1024;
const targets = { keyCheck: 0.6, throughput: 5.0, ceilingShare: 0.25, memoryMb: 150 };

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
// `keyhold verify` and `keyhold unlock` run from the bundle of that build, as after `npm run build`.
spawnSync(process.execPath, [join(root, 'scripts/bundle-cli.js')], { cwd: root, stdio: 'inherit' });

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

const nativeChoice = chooseVolumeCrypto();
/** The two implementations, by the environment that selects them in the CLI. */
const paths: { name: string; env: NodeJS.ProcessEnv }[] = [
  ...(nativeChoice.crypto.name === 'native' ? [{ name: 'native', env: {} }] : []),
  { name: 'webassembly', env: { KEYHOLD_NATIVE: '0' } },
];
if (nativeChoice.crypto.name !== 'native') {
  console.log(`  native addon not measured: ${nativeChoice.notice.en}`);
}

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
  /** User + system CPU time: the fair figure on a machine other work also loads. */
  cpuMs: number | undefined;
  peakRssMb: number | undefined;
}

/** GNU time reports a child's CPU time and peak memory exactly; without it, /proc is sampled. */
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
let timeReports = 0;

/** Runs a command to completion, timing it and sampling its peak resident memory (Linux). */
function run(
  command: string,
  args: string[],
  input?: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const started = performance.now();
    const report = join(work, `time-${String(timeReports++)}.txt`);
    const [program, programArgs] = gnuTime
      ? [gnuTime, ['-f', '%U %S %M', '-o', report, command, ...args]]
      : [command, args];
    const child = spawn(program, programArgs, {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
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
      const times = gnuTime ? readFileSync(report, 'utf8').trim().split('\n').at(-1) : undefined;
      const [user, system, maxKb] = (times ?? '').split(' ').map(Number);
      const measured = user !== undefined && system !== undefined && Number.isFinite(user + system);
      const peak = maxKb !== undefined && Number.isFinite(maxKb) ? maxKb : peakKb;
      resolveRun({
        ms,
        cpuMs: measured ? (user + system) * 1000 : undefined,
        peakRssMb: peak === undefined ? undefined : peak / 1024,
      });
    });
    child.stdin.end(input);
  });
}

/** Median wall-clock and CPU time of several runs. */
function medians(measured: Run[]): { ms: number; cpuMs: number | undefined } {
  const cpu = measured.map((r) => r.cpuMs).filter((ms) => ms !== undefined);
  return {
    ms: median(measured.map((r) => r.ms)),
    cpuMs: cpu.length === measured.length ? median(cpu) : undefined,
  };
}

function timeText(times: { ms: number; cpuMs: number | undefined }): string {
  const cpu = times.cpuMs === undefined ? '' : `, ${times.cpuMs.toFixed(0)} ms CPU`;
  return `${times.ms.toFixed(0)} ms${cpu}`;
}

/** Megabytes per CPU-second: what the work costs, whatever else the machine is running. */
function perCpu(mb: number, times: { cpuMs: number | undefined }): string {
  return times.cpuMs === undefined
    ? ''
    : ` (${(mb / (times.cpuMs / 1000)).toFixed(0)} MB per CPU-second)`;
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
  const loadText = () =>
    loadavg()
      .map((load) => load.toFixed(2))
      .join(' ');
  console.log(
    `bitlocker (${runs} runs per measurement, medians; ${availableParallelism()} cores, load average ${loadText()})`,
  );

  // Key check.
  console.log('\nkey check: recovery password on bitlk-aes-xts-128 (100 MB)');
  if (process.env.NODE_EXTRA_CA_CERTS) {
    // Node parses that certificate bundle at every start, before any of Keyhold's code runs;
    // on a few hundred certificates that is tens of milliseconds of each verify's time.
    console.log(
      `  note: NODE_EXTRA_CA_CERTS is set (${process.env.NODE_EXTRA_CA_CERTS}); every Node start parses it`,
    );
  }
  compileWebAssemblyOptimized();
  // The addon's stretch on the CPU's SHA instructions where it has them, and its OpenSSL loop.
  const binding =
    nativeChoice.crypto.name === 'native'
      ? (createRequire(import.meta.url)(addonPath) as NativeBinding)
      : undefined;
  const stretchers = [
    ...(binding?.shaInstructions
      ? [{ name: 'native, SHA instructions', crypto: nativeCrypto(binding, true) }]
      : []),
    ...(binding ? [{ name: 'native, OpenSSL', crypto: nativeCrypto(binding, false) }] : []),
    { name: 'webassembly', crypto: portableCrypto },
  ];
  for (const { name, crypto } of stretchers) {
    const stretchStart = performance.now();
    const cpuStart = process.cpuUsage();
    crypto.stretchKey(Buffer.alloc(32), Buffer.alloc(16));
    const cpu = process.cpuUsage(cpuStart);
    const times = { ms: performance.now() - stretchStart, cpuMs: (cpu.user + cpu.system) / 1000 };
    console.log(
      `  in-process key stretch, ${name.padEnd(24)} (1,048,576 SHA-256)  ${timeText(times)}`,
    );
  }
  const keyholdVerify = ['verify', keyImage, '--recovery-password', recoveryPassword];
  // With a certificate bundle in the environment, the native path is also timed without it (an
  // empty NODE_EXTRA_CA_CERTS is as if unset), to show what Node's start costs with it; verify
  // and unlock both.
  const timedPaths = [
    ...paths,
    ...(process.env.NODE_EXTRA_CA_CERTS && nativeChoice.crypto.name === 'native'
      ? [{ name: 'native, no NODE_EXTRA_CA_CERTS', env: { NODE_EXTRA_CA_CERTS: '' } }]
      : []),
  ];
  const cryptsetupArgs = ['open', '--type', 'bitlk', '--test-passphrase', '--key-file=-', keyImage];
  const hasCryptsetup = peerAvailable('cryptsetup');
  const verifyTimes = new Map(timedPaths.map((path) => [path.name, [] as Run[]]));
  const cryptsetupTimes: Run[] = [];
  for (let i = 0; i < runs; i++) {
    for (const path of timedPaths) {
      const measured = await run(
        process.execPath,
        [keyhold, ...keyholdVerify],
        undefined,
        path.env,
      );
      verifyTimes.get(path.name)?.push(measured);
    }
    if (hasCryptsetup) {
      cryptsetupTimes.push(await run('cryptsetup', cryptsetupArgs, recoveryPassword));
    }
  }
  const cryptsetup = hasCryptsetup ? medians(cryptsetupTimes) : undefined;
  if (cryptsetup) {
    console.log(`  cryptsetup open --type bitlk --test-passphrase       ${timeText(cryptsetup)}`);
  }
  for (const path of timedPaths) {
    const verify = medians(verifyTimes.get(path.name) ?? []);
    console.log(
      `  keyhold verify --recovery-password, ${path.name.padEnd(11)}      ${timeText(verify)}`,
    );
    if (cryptsetup) {
      const ratio = verify.ms / cryptsetup.ms;
      const ok = ratio <= targets.keyCheck;
      ratioLine(`keyhold (${path.name}) / cryptsetup`, ratio, `<= ${targets.keyCheck}x`, ok);
      if (verify.cpuMs !== undefined && cryptsetup.cpuMs !== undefined) {
        const cpuRatio = verify.cpuMs / cryptsetup.cpuMs;
        ratioLine(
          `  same, in CPU time`,
          cpuRatio,
          `<= ${targets.keyCheck}x`,
          cpuRatio <= targets.keyCheck,
        );
      }
    }
  }

  // Unlock throughput and memory.
  const large = join(work, 'large.img');
  await makeLargeVolume(large, largeVolumeBytes);
  const largeMb = largeVolumeBytes / 1e6;
  // Read once untimed, so that every tool finds the image in the page cache: the first read of
  // the sparse file costs the kernel a gigabyte of fresh pages, which would fall on whichever
  // tool came first.
  spawnSync('dd', [`if=${large}`, 'of=/dev/null', 'bs=4M', 'status=none']);
  // Both tools write the same bytes; a RAM-backed folder keeps the disk (and other writers on
  // the machine) out of a comparison of the decryption itself.
  const outputDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/keyhold-bench-') : work;
  console.log(
    `\nunlock: clear key, XTS-AES-128, ${largeMb.toFixed(0)} MB volume (sparse, in the page cache, in ${work}), ${availableParallelism()} threads, output to a file in ${outputDir}`,
  );
  const hasDislocker = peerAvailable('dislocker-file');
  const out = join(outputDir, 'out.img');
  const unlockRuns = new Map(timedPaths.map((path) => [path.name, [] as Run[]]));
  const dislockerTimes: Run[] = [];
  const copyTimes: Run[] = [];
  const parallelCopyTimes: Run[] = [];
  // The same copy as two dd processes at once, one half each: what a copy on every core of
  // this 2-core machine can reach (Keyhold reads and writes on two threads).
  const halfBlocks = String(Math.ceil(largeVolumeBytes / (4 * 1024 * 1024) / 2));
  const halves = [
    `dd if=${large} of=${out} bs=4M count=${halfBlocks} conv=notrunc status=none &`,
    `dd if=${large} of=${out} bs=4M skip=${halfBlocks} seek=${halfBlocks} conv=notrunc status=none;`,
    'wait',
  ].join(' ');
  for (let i = 0; i < runs; i++) {
    for (const path of timedPaths) {
      rmSync(out, { force: true });
      const args = [keyhold, 'unlock', large, '--clear-key', '--out', out];
      unlockRuns.get(path.name)?.push(await run(process.execPath, args, undefined, path.env));
    }
    rmSync(out, { force: true });
    if (hasDislocker) dislockerTimes.push(await run('dislocker-file', ['-V', large, '-c', out]));
    rmSync(out, { force: true });
    copyTimes.push(await run('dd', [`if=${large}`, `of=${out}`, 'bs=4M', 'status=none']));
    rmSync(out, { force: true });
    parallelCopyTimes.push(await run('sh', ['-c', halves]));
  }
  rmSync(out, { force: true });
  const dislocker = hasDislocker ? medians(dislockerTimes) : undefined;
  const dislockerRate = dislocker ? largeMb / (dislocker.ms / 1000) : undefined;
  if (dislocker && dislockerRate !== undefined) {
    console.log(
      `  dislocker-file                 ${dislockerRate.toFixed(0)} MB/s${perCpu(largeMb, dislocker)}`,
    );
  }
  const copy = medians(copyTimes);
  const copyRate = largeMb / (copy.ms / 1000);
  console.log(
    `  floor: dd bs=4M, the same bytes copied, not decrypted  ${copyRate.toFixed(0)} MB/s${perCpu(largeMb, copy)}`,
  );
  const parallelCopy = medians(parallelCopyTimes);
  const parallelCopyRate = largeMb / (parallelCopy.ms / 1000);
  console.log(
    `  floor: two dd bs=4M at once, one half each            ${parallelCopyRate.toFixed(0)} MB/s${perCpu(largeMb, parallelCopy)}`,
  );
  const bestCopyRate = Math.max(copyRate, parallelCopyRate);
  let ceilingRate: number | undefined;
  if (peerAvailable('openssl')) {
    const speed = spawnSync('openssl', ['speed', '-seconds', '1', '-evp', 'aes-128-xts'], {
      encoding: 'utf8',
    });
    const columns = /^AES-128-XTS\s+(.*)$/im.exec(speed.stdout)?.[1]?.trim().split(/\s+/) ?? [];
    const kilobytesPerSecond = Number.parseFloat(columns.at(-1) ?? '');
    if (Number.isFinite(kilobytesPerSecond)) {
      ceilingRate = kilobytesPerSecond / 1000;
      console.log(
        `  ceiling: openssl speed -evp aes-128-xts, one core (16 KiB blocks)  ${ceilingRate.toFixed(0)} MB/s`,
      );
      // Keyhold reads and writes every byte as dd does, and decrypts them besides: where the
      // copy alone stays under the target share, so does Keyhold, whatever its decryption costs.
      const copyShare = bestCopyRate / ceilingRate;
      console.log(
        `  the copy alone (faster dd floor) / openssl ceiling ${copyShare.toFixed(2)}x: ${
          copyShare < targets.ceilingShare
            ? `below the ${targets.ceilingShare}x target, which no tool that writes the file can reach here`
            : `the ${targets.ceilingShare}x target is within the copy's reach`
        }`,
      );
    }
  }
  for (const path of timedPaths) {
    const unlock = medians(unlockRuns.get(path.name) ?? []);
    const rate = largeMb / (unlock.ms / 1000);
    console.log(
      `  keyhold unlock, ${path.name.padEnd(11)}    ${rate.toFixed(0)} MB/s${perCpu(largeMb, unlock)}`,
    );
    if (dislockerRate !== undefined) {
      const ratio = rate / dislockerRate;
      const ok = ratio >= targets.throughput;
      ratioLine(`keyhold (${path.name}) / dislocker`, ratio, `>= ${targets.throughput}x`, ok);
    }
    if (ceilingRate !== undefined) {
      const ratio = rate / ceilingRate;
      const ok = ratio >= targets.ceilingShare;
      ratioLine(
        `keyhold (${path.name}) / openssl ceiling`,
        ratio,
        `>= ${targets.ceilingShare}x`,
        ok,
      );
      if (unlock.cpuMs !== undefined) {
        // openssl speed keeps one core busy: its rate is also its MB per CPU-second.
        const cpuRatio = largeMb / (unlock.cpuMs / 1000) / ceilingRate;
        console.log(
          `    same, per CPU-second ${cpuRatio.toFixed(2)}x (the target is on throughput)`,
        );
      }
    }
    console.log(
      `  keyhold (${path.name}) / dd copy floor ${(rate / copyRate).toFixed(2)}x, / two dd at once ${(rate / parallelCopyRate).toFixed(2)}x`,
    );
  }

  console.log('\nunlock peak memory (resident set, sampled from /proc)');
  const memoryRuns: [string, Run][] = [];
  for (const path of paths) {
    const small = await run(
      process.execPath,
      [keyhold, 'unlock', keyImage, '--recovery-password', recoveryPassword, '--out', out],
      undefined,
      path.env,
    );
    rmSync(out, { force: true });
    memoryRuns.push(
      [`bitlk-aes-xts-128 (100 MB), ${path.name}`, small],
      [
        `large volume (${largeMb.toFixed(0)} MB), ${path.name}`,
        unlockRuns.get(path.name)?.at(-1) ?? { ms: 0, cpuMs: undefined, peakRssMb: undefined },
      ],
    );
  }
  for (const [label, measured] of memoryRuns) {
    const mb = measured.peakRssMb;
    const verdict =
      mb === undefined ? 'not measured' : mb <= targets.memoryMb ? 'ok' : 'MISSES TARGET';
    console.log(
      `  ${label.padEnd(46)} ${mb === undefined ? '?' : mb.toFixed(0)} MB (target <= ${targets.memoryMb} MB): ${verdict}`,
    );
  }
  console.log(`\nload average at the end: ${loadText()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
  for (const dir of existsSync('/dev/shm') ? readdirSync('/dev/shm') : []) {
    if (dir.startsWith('keyhold-bench-'))
      rmSync(join('/dev/shm', dir), { recursive: true, force: true });
  }
}
