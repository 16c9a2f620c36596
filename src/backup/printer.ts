import { spawn } from 'node:child_process';
import { BackupError } from './errors.js';
import { asGiven, backupErrorMessages } from './messages.js';

export interface PrintOptions {
  /** The CUPS destination, as `lpstat -p` lists it. */
  printer: string;
  /** The job's name in the print queue, which others may see: never put the key in it. */
  title?: string;
}

export interface PrintJob {
  printer: string;
  /** CUPS's request id (`Office-42`), when lp reported one. */
  jobId?: string;
}

const lpTimeoutMs = 60_000;

/** CUPS refuses names with spaces, slashes and '#'; a leading '-' would read as an option. */
function checkPrinterName(printer: string): void {
  if (printer === '' || printer.startsWith('-') || /[\s/#\p{Cc}]/u.test(printer)) {
    throw new BackupError(
      'invalid-input',
      backupErrorMessages.notAPrinterName(JSON.stringify(printer)),
    );
  }
}

/**
 * Sends a PDF to a printer with CUPS's `lp`, the PDF on standard input so the sheet never lands
 * in a temporary file. Resolves once lp has queued the job.
 */
export async function printPdf(pdf: Buffer, options: PrintOptions): Promise<PrintJob> {
  checkPrinterName(options.printer);
  const title = options.title ?? 'BitLocker recovery key';
  return await new Promise((resolve, reject) => {
    const lp = spawn('lp', ['-d', options.printer, '-t', title], {
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    // Our own timer rather than spawn's `timeout`, which outlives a missing lp and would hold
    // the command open for the whole wait.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      lp.kill('SIGTERM');
    }, lpTimeoutMs);
    let stdout = '';
    let stderr = '';
    lp.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    lp.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // lp may exit before reading everything (an unknown printer); its exit status tells why.
    lp.stdin.on('error', () => undefined);
    lp.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new BackupError('lp-missing', backupErrorMessages.lpMissing, { cause: error })
          : new BackupError('print-failed', backupErrorMessages.lpNotRun(error.message), {
              cause: error,
            }),
      );
    });
    lp.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        const jobId = /request id is (\S+)/.exec(stdout)?.[1];
        resolve({ printer: options.printer, ...(jobId === undefined ? {} : { jobId }) });
        return;
      }
      const said = stderr.trim().split('\n')[0] ?? '';
      const reason = timedOut
        ? backupErrorMessages.lpTimedOut(lpTimeoutMs / 1000)
        : said === ''
          ? backupErrorMessages.lpExited(String(code ?? signal))
          : asGiven(said);
      reject(
        new BackupError(
          'print-failed',
          backupErrorMessages.printerRefused(options.printer, reason),
        ),
      );
    });
    lp.stdin.end(pdf);
  });
}
