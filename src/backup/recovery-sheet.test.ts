import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pdftotextSkip } from '../../test/support/requirements.js';
import QRCode from 'qrcode';
import { RecoveryPasswordError } from '../bitlocker/recovery-password.js';
import { readRecoveryKeyText } from '../bitlocker/recovery-file.js';
import { recoverySheetQrText, renderRecoverySheet } from './recovery-sheet.js';

const id = '64311DEA-4587-4029-924A-BA299647998E';
const password = '235818-357951-253979-013365-241120-245575-342914-591910';

const workDir = mkdtempSync(join(tmpdir(), 'keyhold-sheet-'));
after(() => {
  rmSync(workDir, { recursive: true, force: true });
});

function saved(pdf: Buffer, name: string): string {
  const path = join(workDir, `${name}.pdf`);
  writeFileSync(path, pdf);
  return path;
}

function pdfText(path: string): string {
  return execFileSync('pdftotext', [path, '-'], { encoding: 'utf8' });
}

/** The six-digit groups in reading order: the recovery key as a person would copy it. */
function sixDigitGroups(text: string): string[] {
  return text.match(/\b\d{6}\b/g) ?? [];
}

/** The page rendered as 8-bit grey pixels (a binary PGM from pdftoppm). */
function renderGrey(path: string, dpi: number): { width: number; height: number; pixels: Buffer } {
  const root = join(workDir, 'page');
  execFileSync('pdftoppm', ['-gray', '-r', String(dpi), '-singlefile', path, root]);
  const pgm = readFileSync(`${root}.pgm`);
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.toString('latin1', 0, 40));
  assert.ok(header, 'pdftoppm wrote a binary PGM');
  const [whole, width, height] = header;
  return {
    width: Number(width),
    height: Number(height),
    pixels: pgm.subarray(whole.length),
  };
}

/**
 * Reads the QR code printed in the sheet's top-right corner back into its module grid: the first
 * dark row there is the code's top edge, whose outer dark pixels are its left and right edges.
 */
function printedQrModules(path: string, size: number): boolean[][] {
  const { width, height, pixels } = renderGrey(path, 288);
  const dark = (x: number, y: number) => (pixels[y * width + x] ?? 255) < 128;
  const left = Math.floor(width * 0.69);
  const bottom = Math.floor(height * 0.22);
  for (let y = 0; y < bottom; y++) {
    const row: number[] = [];
    for (let x = left; x < width; x++) if (dark(x, y)) row.push(x);
    if (row.length === 0) continue;
    const first = row[0]!;
    const last = row.at(-1)!;
    const module = (last - first + 1) / size;
    return Array.from({ length: size }, (_, r) =>
      Array.from({ length: size }, (_, c) =>
        dark(Math.round(first + (c + 0.5) * module), Math.round(y + (r + 0.5) * module)),
      ),
    );
  }
  assert.fail('no QR code in the top-right corner of the sheet');
}

describe('recovery key sheet', { skip: pdftotextSkip() }, () => {
  for (const lang of ['en', 'nb'] as const) {
    it(`holds the Key ID and the recovery key as text (${lang})`, async () => {
      const pdf = await renderRecoverySheet({
        protectorId: `{${id.toLowerCase()}}`,
        recoveryPassword: password.replace(/-/g, ' '),
        deviceName: 'Åse-Laptop',
        volumeLabel: 'C:',
        volumeType: 'os',
        createdAt: new Date('2025-11-25T12:00:00Z'),
        lang,
        paper: 'a4',
      });
      const text = pdfText(saved(pdf, `text-${lang}`));
      assert.ok(text.includes(id), 'the full Key ID');
      assert.equal(sixDigitGroups(text).join('-'), password);
      assert.ok(text.includes('Åse-Laptop'));
      assert.ok(text.includes(lang === 'en' ? 'operating system drive' : 'operativsystemstasjon'));
      assert.ok(text.includes(lang === 'en' ? '25 November 2025' : '25. november 2025'));
      // The 8 characters the recovery screen shows are spelled out on their own.
      assert.match(text, /\b64311DEA\.\s/);
    });
  }

  it('renders Norwegian letters and the warning in Norwegian', async () => {
    const pdf = await renderRecoverySheet({
      protectorId: id,
      recoveryPassword: password,
      lang: 'nb',
      paper: 'a4',
    });
    const text = pdfText(saved(pdf, 'nb-letters'));
    assert.ok(text.includes('BitLocker-gjenopprettingsnøkkel'));
    assert.ok(text.includes('Oppbevar arket atskilt fra datamaskinen'));
    assert.ok(text.includes('På BitLocker-gjenopprettingsskjermen'));
  });

  it('warns to keep the sheet away from the computer and says what to do on the recovery screen', async () => {
    const pdf = await renderRecoverySheet({
      protectorId: id,
      recoveryPassword: password,
      lang: 'en',
      paper: 'letter',
    });
    const text = pdfText(saved(pdf, 'en-warning'));
    assert.ok(text.includes('Keep this sheet away from the computer'));
    assert.ok(text.includes('At the BitLocker recovery screen'));
    assert.match(text, /F10 is 0/);
  });

  for (const [paper, size] of [
    ['a4', '595.28 x 841.89'],
    ['letter', '612 x 792'],
  ] as const) {
    it(`fits on one ${paper} page, whatever the language`, async () => {
      for (const lang of ['en', 'nb'] as const) {
        const pdf = await renderRecoverySheet({
          protectorId: id,
          recoveryPassword: password,
          deviceName: 'A device name long enough to wrap onto a second line of the details column',
          volumeLabel: 'D: (Family photos and scanned documents)',
          volumeType: 'removable',
          createdAt: '2025-11-25',
          lang,
          paper,
        });
        const info = execFileSync('pdfinfo', [saved(pdf, `${paper}-${lang}`)], {
          encoding: 'utf8',
        });
        assert.match(info, /^Pages:\s+1$/m);
        assert.match(info, new RegExp(`^Page size:\\s+${size} pts`, 'm'));
      }
    });
  }

  it('prints a QR code that holds exactly the Key ID and the recovery key', async () => {
    const qrText = recoverySheetQrText({ protectorId: id, recoveryPassword: password, lang: 'en' });
    assert.deepEqual(readRecoveryKeyText(qrText), [
      { protectorId: id, recoveryPassword: password },
    ]);

    const pdf = await renderRecoverySheet({
      protectorId: id,
      recoveryPassword: password,
      lang: 'en',
      paper: 'a4',
    });
    const path = saved(pdf, 'qr');
    const candidates = (['L', 'M', 'Q', 'H'] as const).map((level) => {
      const { modules } = QRCode.create(qrText, { errorCorrectionLevel: level });
      return Array.from({ length: modules.size }, (_, r) =>
        Array.from({ length: modules.size }, (_, c) => modules.get(r, c) === 1),
      );
    });
    const matches = candidates.some(
      (expected) =>
        JSON.stringify(printedQrModules(path, expected.length)) === JSON.stringify(expected),
    );
    assert.ok(matches, 'the printed modules are the QR encoding of the Key ID and key');
  });

  /** The text as pdftotext gives it, without the direction marks it puts around Arabic. */
  function readableText(path: string): string {
    return pdfText(path)
      .replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
      .replace(/\s+/g, ' ');
  }

  for (const [script, name] of [
    ['Chinese', '中文笔记本电脑'],
    ['Japanese', '日本語のノートパソコン'],
    ['Korean', '한국어 노트북'],
    ['Arabic', 'حاسوب أحمد'],
    ['Cyrillic and Greek', 'Ноутбук Пётра Ελληνικά'],
    ['emoji', 'Ola 🚀💻'],
  ] as const) {
    it(`prints a ${script} device name and drive label as text a reader gets back`, async () => {
      const pdf = await renderRecoverySheet({
        protectorId: id,
        recoveryPassword: password,
        deviceName: name,
        volumeLabel: `D: ${name}`,
        lang: 'en',
        paper: 'a4',
      });
      const text = readableText(saved(pdf, `script-${script}`));
      assert.ok(text.includes(` ${name} `), `the device name: ${text.slice(0, 400)}`);
      assert.ok(text.includes(`D: ${name}`), 'the drive label');
      // The fonts are embedded as subsets holding only the glyphs used, not whole CJK faces.
      assert.ok(pdf.length < 100_000, `${pdf.length} bytes`);
    });
  }

  /** Every word pdftotext finds, with its box in points from the page's top-left corner. */
  function wordBoxes(path: string): {
    page: { width: number; height: number };
    words: { text: string; xMin: number; yMin: number; xMax: number; yMax: number }[];
  } {
    const html = execFileSync('pdftotext', ['-bbox', path, '-'], { encoding: 'utf8' });
    const page = /<page width="([\d.]+)" height="([\d.]+)">/.exec(html);
    assert.ok(page, 'pdftotext -bbox gives the page box');
    const words = Array.from(
      html.matchAll(
        /<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)<\/word>/g,
      ),
      ([, xMin, yMin, xMax, yMax, text]) => ({
        text: text ?? '',
        xMin: Number(xMin),
        yMin: Number(yMin),
        xMax: Number(xMax),
        yMax: Number(yMax),
      }),
    );
    return { page: { width: Number(page[1]), height: Number(page[2]) }, words };
  }

  for (const [kind, name] of [
    ['Latin', `${'Family-Laptop-'.repeat(10)}${'x'.repeat(29)} in the study upstairs END-7F3A`],
    ['Chinese', `办公室${'笔记本电脑'.repeat(39)}末尾`],
  ] as const) {
    it(`keeps a 200-character ${kind} device name inside its column, shortened in the middle`, async () => {
      assert.equal(Array.from(name).length, 200);
      for (const paper of ['a4', 'letter'] as const) {
        const pdf = await renderRecoverySheet({
          protectorId: id,
          recoveryPassword: password,
          deviceName: name,
          volumeLabel: name,
          volumeType: 'fixed',
          lang: 'nb',
          paper,
        });
        const path = saved(pdf, `long-${kind}-${paper}`);
        assert.match(execFileSync('pdfinfo', [path], { encoding: 'utf8' }), /^Pages:\s+1$/m);
        const { page, words } = wordBoxes(path);
        for (const word of words) {
          assert.ok(
            word.xMin >= 0 && word.xMax <= page.width && word.yMin >= 0 && word.yMax <= page.height,
            `"${word.text}" at ${word.xMin},${word.yMin}–${word.xMax},${word.yMax} is off the page`,
          );
        }
        // The name's lines: from the device row's first word to the drive row's label.
        const label = words.findIndex((word) => word.text === 'Enhet');
        const next = words.findIndex((word) => word.text === 'Stasjon');
        const nameWords = words.slice(label + 1, next);
        const qrLeft = page.width - 54 - 120;
        for (const word of nameWords) {
          assert.ok(word.xMax < qrLeft, `"${word.text}" runs into the QR code`);
        }
        assert.ok(new Set(nameWords.map((word) => Math.round(word.yMin))).size <= 3);
        const printed = nameWords.map((word) => word.text).join('');
        const start = Array.from(name).slice(0, 12).join('');
        const end = Array.from(name).slice(-8).join('').replace(/\s/g, '');
        assert.ok(printed.startsWith(start.replace(/\s/g, '')), `starts like the name: ${printed}`);
        assert.ok(printed.endsWith(end), `ends like the name: ${printed}`);
        assert.ok(printed.includes('…'), 'the middle is shortened with an ellipsis');
      }
    });
  }

  it('refuses a recovery key with a typo, naming the block', async () => {
    await assert.rejects(
      renderRecoverySheet({
        protectorId: id,
        recoveryPassword: password.replace('357951', '357952'),
        lang: 'en',
        paper: 'a4',
      }),
      (error: unknown) =>
        error instanceof RecoveryPasswordError && error.message.includes('Block 2 (357952)'),
    );
  });
});

describe('LUKS recovery passphrase sheet', { skip: pdftotextSkip() }, () => {
  const uuid = '35748a18-4be6-4ab8-aa5b-6178aeb76940';
  const passphrase = '03917-55120-00004-99999-12345-67890-24680-13579';

  for (const lang of ['en', 'nb'] as const) {
    it(`names the volume by its UUID and slot and prints the passphrase to type (${lang})`, async () => {
      const pdf = await renderRecoverySheet({
        protectorId: 'A1B2C3D4-0000-4000-8000-000000000001',
        recoveryPassword: passphrase,
        deviceName: 'build-server',
        volumeLabel: '/dev/nvme0n1p3',
        volumeType: 'fixed',
        lang,
        paper: 'a4',
        luks: { uuid, slot: 1 },
      });
      const text = pdfText(saved(pdf, `luks-${lang}`));
      assert.match(
        text,
        lang === 'en' ? /LUKS recovery passphrase/ : /LUKS-gjenopprettingspassfrase/,
      );
      assert.match(text, /35748a18-4be6-4ab8-aa5b-6178aeb76940/);
      assert.match(text, lang === 'en' ? /Key slot 1\./ : /Nøkkelplass 1\./);
      assert.doesNotMatch(text, /A1B2C3D4|BitLocker|Windows/);
      // Read as laid out, row by row, as a person copies the numbered boxes.
      const laidOut = execFileSync(
        'pdftotext',
        ['-layout', join(workDir, `luks-${lang}.pdf`), '-'],
        {
          encoding: 'utf8',
        },
      );
      assert.deepEqual(laidOut.match(/\b\d{5}\b/g), passphrase.split('-'));
    });
  }

  it('refuses what is not a recovery passphrase', async () => {
    await assert.rejects(
      renderRecoverySheet({
        protectorId: 'A1B2C3D4-0000-4000-8000-000000000001',
        recoveryPassword: password,
        lang: 'en',
        paper: 'a4',
        luks: { uuid, slot: 1 },
      }),
      /not a LUKS recovery passphrase/,
    );
  });
});
