import { say } from '../../text/terminal-language.js';
import { volumeMessages } from './messages.js';

/** A one-line progress bar with throughput, redrawn in place; silent when not on a terminal. */
export interface Progress {
  update(done: number): void;
  finish(): void;
}

const redrawInterval = 100;
/** For --json runs and pipes: no output at all. */
export const silentProgress: Progress = { update: () => undefined, finish: () => undefined };

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function duration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

export function createProgressBar(
  total: number,
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = () => performance.now(),
): Progress {
  if (!stream.isTTY) return silentProgress;
  const started = now();
  let lastDraw = -Infinity;
  const draw = (done: number) => {
    const elapsed = (now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const left = rate > 0 ? duration((total - done) / rate) : '-:--';
    const text = `${megabytes(done)}/${megabytes(total)} MB  ${megabytes(rate)} MB/s  ${say(volumeMessages.timeLeft(left))}`;
    const width = Math.max(
      10,
      Math.min(40, (stream.columns || 80) - label.length - text.length - 12),
    );
    const filled = Math.round(fraction * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    stream.write(`\r${label} ${percent} ${bar} ${text}\u001b[K`);
  };
  return {
    update(done) {
      const time = now();
      if (time - lastDraw < redrawInterval) return;
      lastDraw = time;
      draw(done);
    },
    finish() {
      draw(total);
      stream.write('\n');
    },
  };
}
