import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProgressBar } from './progress-bar.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = {
    isTTY,
    columns: 100,
    write: (text: string) => writes.push(text) > 0,
  } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe('progress bar', () => {
  it('shows percent, amounts and throughput on a terminal, redrawing in place', () => {
    const { stream, writes } = fakeStream(true);
    let now = 0;
    const progress = createProgressBar(200e6, 'Decrypting', stream, () => now);
    now = 1000;
    progress.update(50e6);
    now = 1050;
    progress.update(60e6);
    now = 2000;
    progress.update(100e6);
    progress.finish();
    assert.equal(writes.length, 4, 'the update 50 ms after the last redraw is skipped');
    assert.match(
      writes[0] ?? '',
      /^\rDecrypting {2}25% █+░+ 50\.0\/200\.0 MB {2}50\.0 MB\/s {2}0:03 left/,
    );
    assert.match(writes[1] ?? '', / 50% .* 100\.0\/200\.0 MB {2}50\.0 MB\/s {2}0:02 left/);
    assert.match(writes[2] ?? '', /100% █+ 200\.0\/200\.0 MB/);
    assert.equal(writes[3], '\n');
  });

  it('writes nothing when the stream is not a terminal', () => {
    const { stream, writes } = fakeStream(false);
    const progress = createProgressBar(100, 'Decrypting', stream);
    progress.update(50);
    progress.finish();
    assert.deepEqual(writes, []);
  });
});
