import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';

/**
 * A real SMTP server in a process of its own (the `smtp-server` package), as a mail server
 * Keyhold sends to would be: it accepts every message and writes it, whole, into a folder, with
 * the envelope beside it. Tests read and parse what arrived with `mailparser`.
 */

const serverScript = `
import { SMTPServer } from 'smtp-server';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const [folder, port] = process.argv.slice(1);
let received = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, done) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      received += 1;
      const name = join(folder, String(Date.now()) + '-' + String(received));
      writeFileSync(name + '.json', JSON.stringify({
        from: session.envelope.mailFrom && session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((recipient) => recipient.address),
      }));
      writeFileSync(name + '.tmp', Buffer.concat(chunks));
      renameSync(name + '.tmp', name + '.eml');
      done();
    });
  },
});
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.server.address().port }) + '\\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** One delivered message: the envelope recipients, the raw text, and the parsed message. */
export interface DeliveredMail {
  envelopeTo: string[];
  raw: string;
  parsed: ParsedMail;
  subject: string;
  text: string;
  html: string;
}

/** A port nothing listens on right now (for a mail server that is not up yet). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

export class SmtpSink {
  private constructor(
    private readonly child: ChildProcess,
    readonly folder: string,
    readonly port: number,
  ) {}

  /** Starts the server on `port` (a free one when 0) and waits until it listens. */
  static async start(port = 0): Promise<SmtpSink> {
    const folder = await mkdtemp(join(tmpdir(), 'keyhold-smtp-'));
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', serverScript, folder, String(port)],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const listening = await new Promise<number>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n')[0];
        if (output.includes('\n') && line) {
          resolve((JSON.parse(line) as { port: number }).port);
        }
      });
      child.once('exit', (code) => {
        reject(new Error(`the SMTP server exited (${String(code)}): ${errors}`));
      });
    });
    return new SmtpSink(child, folder, listening);
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Every message delivered so far, oldest first. */
  async messages(): Promise<DeliveredMail[]> {
    const names = (await readdir(this.folder)).filter((name) => name.endsWith('.eml')).sort();
    return Promise.all(
      names.map(async (name) => {
        const raw = await readFile(join(this.folder, name), 'utf8');
        const envelope = JSON.parse(
          await readFile(join(this.folder, name.replace(/\.eml$/, '.json')), 'utf8'),
        ) as { to: string[] };
        const parsed = await simpleParser(raw);
        return {
          envelopeTo: envelope.to,
          raw,
          parsed,
          subject: parsed.subject ?? '',
          text: parsed.text ?? '',
          html: typeof parsed.html === 'string' ? parsed.html : '',
        };
      }),
    );
  }

  /** The messages to `address`, once at least `count` have arrived (waits up to 30 s). */
  async waitFor(address: string, count = 1, timeoutMs = 30_000): Promise<DeliveredMail[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.messages()).filter((m) =>
        m.envelopeTo.some((to) => to.toLowerCase() === address.toLowerCase()),
      );
      if (found.length >= count) return found;
      if (Date.now() > until) {
        throw new Error(
          `no ${String(count)} message(s) to ${address} arrived within ${timeoutMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The first message to `address` that `matches`, once it has arrived (waits up to 30 s). */
  async waitForOne(
    address: string,
    matches: (mail: DeliveredMail) => boolean,
    timeoutMs = 30_000,
  ): Promise<DeliveredMail> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.messages()).find(
        (m) => m.envelopeTo.some((to) => to.toLowerCase() === address.toLowerCase()) && matches(m),
      );
      if (found) return found;
      if (Date.now() > until) {
        throw new Error(`no such message to ${address} arrived within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.folder, { recursive: true, force: true });
  }
}
