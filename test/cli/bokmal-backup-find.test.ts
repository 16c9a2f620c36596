import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { runKeyhold } from '../support/cli.js';

const password = '235818-357951-253979-013365-241120-245575-342914-591910';
const id = '64311DEA-4587-4029-924A-BA299647998E';

describe('keyhold backup and find in Bokmål', () => {
  let dir = '';
  let norsk: { env: NodeJS.ProcessEnv } = { env: {} };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-bokmal-backup-'));
    // Logins live under XDG_CONFIG_HOME: an empty one is "not logged in anywhere".
    const config = join(dir, 'config');
    norsk = { env: { KEYHOLD_LANG: 'nb', XDG_CONFIG_HOME: config } };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('backup asks where to, and names a missing --from file, in Bokmål', async () => {
    const whereTo = await runKeyhold(
      ['backup', '--id', id, '--password', password, '--yes'],
      norsk,
    );
    assert.equal(whereTo.code, 2);
    assert.equal(
      whereTo.stderr,
      'feil: Hvor? Oppgi --to med en eller flere av account,usb,file,print (kjør i en terminal uten --yes for å bli spurt).\n',
    );
    const missing = join(dir, 'missing.txt');
    const result = await runKeyhold(
      ['backup', '--from', missing, '--to', 'file', '--file', dir, '--yes'],
      norsk,
    );
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `feil: --from ${missing}: kan ikke åpnes: filen finnes ikke.\n`);
  });

  it('backup reports each destination in Bokmål, and --json stays in English', async () => {
    const out = join(dir, 'out');
    const args = ['backup', '--id', id, '--password', password, '--to', 'file', '--file', out];
    const result = await runKeyhold([...args, '--yes'], norsk);
    assert.equal(result.code, 0, result.stderr);
    // A --file that does not exist yet is the name of the file to write.
    const path = out;
    assert.equal(
      result.stdout,
      `Sikkerhetskopierer gjenopprettingsnøkkelen ${id}:\n` +
        `  ok file: skrev ${path}. Oppbevar den et annet sted enn på denne datamaskinens stasjon, f.eks. i Keyhold-hvelvet ditt.\n`,
    );
    const again = await runKeyhold([...args, '--json'], norsk);
    assert.equal(again.code, 0, again.stderr);
    const report = JSON.parse(again.stdout) as { results: { message: string }[] };
    assert.equal(report.results[0]?.message, `${path} already holds this key; left as it was.`);
  });

  it('backup says in Bokmål why a file destination cannot take the key', async () => {
    const notes = join(dir, 'notes.txt');
    await writeFile(notes, 'my notes');
    const typed = ['backup', '--id', id, '--password', password, '--to', 'file'];
    const occupied = await runKeyhold([...typed, '--file', notes, '--yes'], norsk);
    assert.equal(occupied.code, 2);
    assert.match(
      occupied.stdout,
      new RegExp(
        `  MISLYKTES file: ${notes} finnes allerede og er ikke en gjenopprettingsnøkkelfil\\. Ingenting ble overskrevet; velg et annet filnavn\\.\n`,
      ),
    );
    const json = await runKeyhold([...typed, '--file', notes, '--json'], norsk);
    const report = JSON.parse(json.stdout) as { results: { error?: { message: string } }[] };
    assert.equal(
      report.results[0]?.error?.message,
      `${notes} already exists and is not a recovery key file. Nothing was overwritten; choose another file name.`,
    );

    const nowhere = join(dir, 'nowhere');
    const missing = await runKeyhold([...typed, '--file', `${nowhere}/`, '--yes'], norsk);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stdout,
      new RegExp(
        `  MISLYKTES file: Mappen ${nowhere} finnes ikke\\. Opprett den først, eller velg en annen mappe\\.\n`,
      ),
    );

    const photo = join(dir, 'photo.png');
    await writeFile(photo, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const notAKey = await runKeyhold(
      ['backup', '--from', photo, '--to', 'file', '--file', dir, '--yes'],
      norsk,
    );
    assert.equal(notAKey.code, 1);
    assert.equal(
      notAKey.stderr,
      `feil: --from ${photo}: ser ut som et PNG-bilde, ikke en BitLocker-nøkkelfil eller utdata fra et verktøy\n`,
    );
    await Promise.all([notes, photo].map((file) => rm(file)));
  });

  it('find lists matches and says what it searched in Bokmål', async () => {
    const { fileName, bytes } = writeRecoveryKeyFile({
      protectorId: id,
      recoveryPassword: password,
      language: 'en',
    });
    await writeFile(join(dir, fileName), bytes);
    const offline = ['--no-drives', '--no-accounts'];
    const found = await runKeyhold(['find', '64311DEA', '--in', dir, ...offline], norsk);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, /^1 treff for nøkkel-ID 64311DEA:\n {2}mappen /);
    const none = await runKeyhold(['find', 'ABCDEF12', '--in', dir, ...offline], norsk);
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      new RegExp(
        `^Fant ingen nøkkel med en ID som begynner med ABCDEF12\\. Søkte i: mappen ${dir}\\.\\n`,
      ),
    );
    const json = await runKeyhold(['find', '64311DEA', '--in', dir, ...offline, '--json'], norsk);
    const report = JSON.parse(json.stdout) as { searched: string[] };
    assert.deepEqual(report.searched, [`folder ${dir}`]);
    const gone = join(dir, 'gone');
    const missing = await runKeyhold(['find', '64311DEA', '--in', gone, ...offline], norsk);
    assert.equal(missing.code, 3);
    assert.match(
      missing.stderr,
      new RegExp(`^advarsel: mappen ${gone} kunne ikke gjennomsøkes: mappen finnes ikke\\.\\n`),
    );
    const short = await runKeyhold(['find', 'AB', ...offline], norsk);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /"AB" er for kort til å søke etter/);
    assert.ok((await readdir(dir)).includes(fileName));
  });
});
