import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, runKeyhold } from '../support/cli.js';
import { corpusSkip } from '../support/requirements.js';
import { corpusImage } from './volume-corpus.js';

/** A terminal set to Norwegian: the commands answer a person in Bokmål. */
const norsk = { env: { KEYHOLD_LANG: 'nb' } };
const password = '235818-357951-253979-013365-241120-245575-342914-591910';
const id = '64311DEA-4587-4029-924A-BA299647998E';
const fixtures = join(repoRoot, 'test/fixtures/windows-output');

describe('keyhold verify, unlock, key and read in Bokmål', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-bokmal-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('verify says in Bokmål which key to give, and that only one at a time', async () => {
    const image = join(dir, 'disk.img');
    await writeFile(image, Buffer.alloc(4096));
    const noKey = await runKeyhold(['verify', image], norsk);
    assert.equal(noKey.code, 2);
    assert.equal(
      noKey.stderr,
      'feil: Si hvilken nøkkel som skal brukes: --recovery-password, --password, --bek eller --clear-key.\n',
    );
    const twoKeys = await runKeyhold(['verify', image, '--clear-key', '--password', 'x'], norsk);
    assert.equal(twoKeys.code, 2);
    assert.match(twoKeys.stderr, /Oppgi én nøkkel om gangen, ikke --password og --clear-key\./);
    const verbose = await runKeyhold(['verify', image, '--clear-key', '--verbose'], {
      env: { ...norsk.env, KEYHOLD_NATIVE: '0' },
    });
    assert.match(
      verbose.stderr,
      /^kryptografi: WebAssembly-veien \(KEYHOLD_NATIVE=0 slår av det native tillegget\)\n/,
    );
    const english = await runKeyhold(['verify', image]);
    assert.match(english.stderr, /Say which key to use/);
  });

  it(
    'verify answers "nei" in Bokmål for a key that does not open the volume',
    {
      skip: corpusSkip(),
    },
    async () => {
      const xts = corpusImage('bitlk-aes-xts-128');
      const other = corpusImage('bitlk-aes-xts-256');
      const args = ['verify', xts.path, '--recovery-password', other.recoveryPassword ?? ''];
      const result = await runKeyhold(args, norsk);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /^nei: denne nøkkelen låser ikke opp dette volumet: den passer ikke med noen av volumets recovery-password-beskyttere\.\n$/,
      );
      // Machine output stays in English whatever the terminal's language.
      const json = await runKeyhold([...args, '--json'], norsk);
      assert.match(
        (JSON.parse(json.stdout) as { message: string }).message,
        /^this key does not open this volume/,
      );
      const opens = await runKeyhold(['verify', xts.path, '--password', 'anaconda'], norsk);
      assert.equal(opens.code, 0, opens.stderr);
      assert.match(
        opens.stdout,
        /^låser opp 3E55195C-8811-4D9B-97B4-2B9E5F8F5384 \(password\) på volum /,
      );
      const out = join(dir, 'decrypted.img');
      const unlocked = await runKeyhold(
        ['unlock', xts.path, '--password', 'anaconda', '--out', out],
        norsk,
      );
      assert.equal(unlocked.code, 0, unlocked.stderr);
      assert.match(
        unlocked.stdout,
        /^Skrev [\d\u00a0]+ byte dekryptert volum til .*decrypted\.img på \d+,\d s \(\d+ MB\/s\), låst opp med password-beskytter 3E55195C-8811-4D9B-97B4-2B9E5F8F5384\.\n$/,
      );
      await rm(out);
    },
  );

  it('unlock says in Bokmål that the --out folder does not exist, writing nothing', async () => {
    const image = join(dir, 'disk.img');
    await writeFile(image, Buffer.alloc(4096));
    const missing = join(dir, 'missing');
    const out = join(missing, 'x.img');
    const result = await runKeyhold(['unlock', image, '--clear-key', '--out', out], norsk);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `feil: --out ${out}: mappen ${missing} finnes ikke. Opprett den først, eller velg en annen --out.\n`,
    );
    const threads = await runKeyhold(
      ['unlock', image, '--clear-key', '--out', join(dir, 'y.img'), '--threads', 'many'],
      norsk,
    );
    assert.equal(threads.code, 2);
    assert.match(threads.stderr, /--threads many: oppgi et helt antall tråder fra 1 til 256\./);
    assert.deepEqual((await readdir(dir)).sort(), ['disk.img']);
  });

  it('key check and key file answer in Bokmål', async () => {
    const valid = await runKeyhold(['key', 'check', password], norsk);
    assert.equal(valid.stdout, `gyldig ${password}\n`);
    const invalid = await runKeyhold(['key', 'check', password.replace('591910', '591911')], norsk);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^ugyldig: /);

    const badLang = await runKeyhold(
      ['key', 'file', '--id', id, '--password', password, '--lang', 'xx', '--out', dir],
      norsk,
    );
    assert.equal(badLang.code, 2);
    assert.match(badLang.stderr, /--lang må være en av .*; fikk "xx"\./);
    const path = join(dir, 'mine.TXT');
    const args = ['key', 'file', '--id', id, '--password', password, '--out', path];
    const wrote = await runKeyhold(args, norsk);
    assert.equal(wrote.code, 0, wrote.stderr);
    assert.equal(wrote.stdout, `Skrev ${path}\n`);
    const again = await runKeyhold(args, norsk);
    assert.equal(
      again.stdout,
      `${path} inneholder allerede denne nøkkelen; lot den være som den er.\n`,
    );
    await writeFile(path, 'my notes');
    const refused = await runKeyhold(args, norsk);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /finnes allerede og inneholder noe som ikke er en gjenopprettingsnøkkelfil\. Velg en annen --out, eller legg til --force/,
    );
    await rm(path);
  });

  it('names the bad block of a recovery password in Bokmål; --json stays in English', async () => {
    const typo = password.replace('591910', '591911');
    const invalid = await runKeyhold(['key', 'check', typo], norsk);
    assert.equal(invalid.code, 1);
    assert.equal(
      invalid.stderr,
      'ugyldig: Blokk 8 (591911) er ikke en gyldig blokk (hver blokk går opp i 11-gangen): se etter et feilskrevet eller ombyttet siffer.\n',
    );
    const json = await runKeyhold(['key', 'check', typo, '--json'], norsk);
    assert.deepEqual((JSON.parse(json.stdout) as { errors: unknown[] }).errors, [
      {
        block: 8,
        value: '591911',
        reason:
          'is not a valid block (every block is a multiple of 11): check for a mistyped or swapped digit',
      },
    ]);
    const letter = await runKeyhold(['key', 'check', password.replace('013365', 'O13365')], norsk);
    assert.match(letter.stderr, / Bokstaven «O» skal være sifferet 0 \(null\)\.\n$/);
    const english = await runKeyhold(['key', 'check', typo]);
    assert.match(english.stderr, /^invalid: Block 8 \(591911\) is not a valid block \(every block/);
  });

  it('read, verify and --bek say in Bokmål what a file that holds no key is', async () => {
    const photo = join(dir, 'photo.png');
    await writeFile(photo, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const png = await runKeyhold(['read', photo], norsk);
    assert.equal(png.code, 1);
    assert.equal(
      png.stderr,
      `feil: ${photo}: ser ut som et PNG-bilde, ikke en BitLocker-nøkkelfil eller utdata fra et verktøy\n`,
    );
    const english = await runKeyhold(['read', photo]);
    assert.match(
      english.stderr,
      /: looks like a PNG image, not a BitLocker key file or tool output\n$/,
    );

    const typo = join(dir, 'typo.txt');
    await writeFile(
      typo,
      `Identifier: ${id}\nRecovery Key: ${password.replace('591910', '591911')}\n`,
    );
    const text = await runKeyhold(['read', typo], norsk);
    assert.equal(
      text.stderr,
      `feil: ${typo}: ser ut som tekst: Teksten har ingen gyldig gjenopprettingsnøkkel på 48 sifre. ` +
        'En gjenopprettingsnøkkel i den har en skrivefeil: blokk 8 (591911) er ikke en gyldig blokk (hver blokk går opp i 11-gangen): se etter et feilskrevet eller ombyttet siffer.\n',
    );
    const status = await runKeyhold(['read', join(fixtures, 'manage-bde-status-en.txt')], norsk);
    assert.match(
      status.stderr,
      /: ser ut som utdata fra manage-bde: Dette er utdata fra manage-bde -status \(C:, D:, E:\): .* Lagre utdata fra «manage-bde -protectors -get C:» i stedet\.\n$/,
    );

    const image = join(dir, 'disk.img');
    await writeFile(image, Buffer.alloc(4096));
    const notBitLocker = await runKeyhold(['verify', image, '--clear-key'], norsk);
    assert.equal(notBitLocker.code, 2);
    assert.equal(
      notBitLocker.stderr,
      `feil: ${image}: Dette er ikke et BitLocker-volum: den første sektoren har ingen BitLocker-signatur.\n`,
    );
    const notes = join(dir, 'notes.BEK');
    await writeFile(notes, 'not a key');
    const notBek = await runKeyhold(['verify', image, '--bek', notes], norsk);
    assert.equal(notBek.code, 2);
    assert.equal(
      notBek.stderr,
      `feil: ${notes}: Dette er ikke en oppstartsnøkkelfil: den har 9 byte, færre enn filhodet på 48 byte.\n`,
    );
    await Promise.all([photo, typo, image, notes].map((file) => rm(file)));
  });

  it('read lists keys and names an unopenable file in Bokmål', async () => {
    const list = await runKeyhold(['read', join(fixtures, 'recovery-key-win7-utf16be.txt')], norsk);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /, 1 nøkkelbeskytter\n/);
    const missing = join(dir, 'missing.txt');
    const result = await runKeyhold(['read', missing], norsk);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `feil: ${missing}: kan ikke åpnes: filen finnes ikke.\n`);
    const folder = await runKeyhold(['read', dir], norsk);
    assert.equal(
      folder.stderr,
      `feil: ${dir} er en mappe; Keyhold leser bare en vanlig fil (for å lese et rør, oppgi "-" og send det til standard inn).\n`,
    );
    const inspect = await runKeyhold(['inspect', missing], norsk);
    assert.equal(
      inspect.stderr,
      `feil: ${missing}: kan ikke åpnes: filen eller enheten finnes ikke.\n`,
    );
  });

  it('refuses an oversized standard input in Bokmål', async () => {
    const result = await runKeyhold(['key', 'check', '-'], {
      ...norsk,
      input: Buffer.alloc(65 * 1024, 0x31),
    });
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /Standard inn inneholder mer enn 64 KiB, langt mer enn en nøkkel eller et passord\./,
    );
  });
});
