/**
 * Every exit code each command can end with, and what it means there. The "Exit codes:" part
 * of each command's --help (in the terminal's language) and the table in README.md (in English)
 * are both made from this one list (a test holds the README to it), so the two cannot drift
 * apart.
 */
import type { Command } from 'commander';
import type { Wording } from '../text/wording.js';
import { say } from '../text/terminal-language.js';
import { commandLineMessages } from './command-line-messages.js';
import { ExitCode } from './output.js';

/** Ended by Ctrl-C (128 + SIGINT), as shells report it. */
export const interruptedExitCode = 130;

export interface ExitCodeMeaning {
  code: number;
  meaning: Wording;
}

/** Every command parses its flags first: a wrong or missing flag always ends with 2. */
const badFlags: Wording = {
  en: 'unusable input: a wrong or missing flag or argument',
  nb: 'ubrukelig inndata: et feil eller manglende valg eller argument',
};

/** The wrong-flag meaning, and what else ends that command with 2. */
function badFlagsOr(more: Wording): Wording {
  return { en: `${badFlags.en}, ${more.en}`, nb: `${badFlags.nb}, ${more.nb}` };
}

const unusableSetting = badFlagsOr({
  en: 'or a setting that cannot be used',
  nb: 'eller en innstilling som ikke kan brukes',
});
const serverDataFailed: Wording = {
  en: 'the data folder, database or master key failed',
  nb: 'datamappen, databasen eller hovednøkkelen sviktet',
};

export const commandExitCodes: Readonly<Record<string, readonly ExitCodeMeaning[]>> = {
  serve: [
    {
      code: ExitCode.ok,
      meaning: {
        en: 'stopped cleanly (Ctrl-C or SIGTERM)',
        nb: 'stoppet uten feil (Ctrl-C eller SIGTERM)',
      },
    },
    { code: ExitCode.unusable, meaning: unusableSetting },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'the data folder, database or master key could not be opened, the port is taken, or a worker failed',
        nb: 'datamappen, databasen eller hovednøkkelen kunne ikke åpnes, porten er opptatt, eller en arbeidsprosess sviktet',
      },
    },
  ],
  'admin migrate': [
    {
      code: ExitCode.ok,
      meaning: { en: 'the schema is up to date', nb: 'skjemaet er oppdatert' },
    },
    { code: ExitCode.unusable, meaning: unusableSetting },
    { code: ExitCode.environment, meaning: serverDataFailed },
  ],
  'admin backup': [
    {
      code: ExitCode.ok,
      meaning: { en: 'the backup was written', nb: 'sikkerhetskopien ble skrevet' },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'refused: pg_dump is missing or failed, or the passphrase is too short',
        nb: 'avvist: pg_dump mangler eller feilet, eller passfrasen er for kort',
      },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({ en: 'or the passphrases differ', nb: 'eller passfrasene er ulike' }),
    },
    { code: ExitCode.environment, meaning: serverDataFailed },
  ],
  'admin restore': [
    {
      code: ExitCode.ok,
      meaning: {
        en: 'the backup passed every check and was restored',
        nb: 'sikkerhetskopien besto alle kontroller og ble gjenopprettet',
      },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'refused: the backup is damaged or inconsistent, the key does not fit, or the folder is not empty',
        nb: 'avvist: sikkerhetskopien er skadet eller inkonsistent, nøkkelen passer ikke, eller mappen er ikke tom',
      },
    },
    { code: ExitCode.unusable, meaning: badFlags },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'the target folder or database could not be used',
        nb: 'målmappen eller databasen kunne ikke brukes',
      },
    },
  ],
  'admin verify-backup': [
    {
      code: ExitCode.ok,
      meaning: {
        en: 'the backup passed every check a restore makes',
        nb: 'sikkerhetskopien besto alle kontrollene en gjenoppretting gjør',
      },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'the backup is damaged or inconsistent, or the key does not fit (named)',
        nb: 'sikkerhetskopien er skadet eller inkonsistent, eller nøkkelen passer ikke (det som er galt, nevnes)',
      },
    },
    { code: ExitCode.unusable, meaning: badFlags },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'the master key file or the scratch database could not be used',
        nb: 'hovednøkkelfilen eller kladdedatabasen kunne ikke brukes',
      },
    },
  ],
  'admin rotate-master-key': [
    {
      code: ExitCode.ok,
      meaning: {
        en: 'every data key is wrapped with the new master key',
        nb: 'hver datanøkkel er pakket inn med den nye hovednøkkelen',
      },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'some secrets failed their integrity check (the old key versions were kept)',
        nb: 'noen hemmeligheter besto ikke integritetskontrollen (de gamle nøkkelversjonene ble beholdt)',
      },
    },
    { code: ExitCode.unusable, meaning: unusableSetting },
    { code: ExitCode.environment, meaning: serverDataFailed },
  ],
  'admin verify-audit': [
    {
      code: ExitCode.ok,
      meaning: { en: 'the audit log chain is intact', nb: 'kjeden i revisjonsloggen er hel' },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'the chain is broken (the first broken link is named)',
        nb: 'kjeden er brutt (det første brutte leddet nevnes)',
      },
    },
    { code: ExitCode.unusable, meaning: unusableSetting },
    { code: ExitCode.environment, meaning: serverDataFailed },
  ],
  'admin create-org': [
    {
      code: ExitCode.ok,
      meaning: { en: 'the organisation was created', nb: 'organisasjonen ble opprettet' },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({
        en: 'a bad name, or no account with that email',
        nb: 'et ugyldig navn, eller ingen konto med den e-postadressen',
      }),
    },
    { code: ExitCode.environment, meaning: serverDataFailed },
  ],
  'key generate': [
    {
      code: ExitCode.ok,
      meaning: {
        en: 'a recovery password was printed',
        nb: 'et gjenopprettingspassord ble skrevet ut',
      },
    },
    { code: ExitCode.unusable, meaning: badFlags },
  ],
  'key check': [
    {
      code: ExitCode.ok,
      meaning: {
        en: 'the recovery password is valid',
        nb: 'gjenopprettingspassordet er gyldig',
      },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'it is not valid (each wrong block is named)',
        nb: 'det er ikke gyldig (hver feil blokk nevnes)',
      },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({
        en: 'or standard input could not be read',
        nb: 'eller standard inn kunne ikke leses',
      }),
    },
  ],
  'key file': [
    {
      code: ExitCode.ok,
      meaning: {
        en: 'the file was written, or already held this key',
        nb: 'filen ble skrevet, eller inneholdt allerede denne nøkkelen',
      },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({
        en: 'an invalid ID or password, or a file holding another key',
        nb: 'en ugyldig ID eller et ugyldig passord, eller en fil som inneholder en annen nøkkel',
      }),
    },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'the file could not be written (disk, permissions)',
        nb: 'filen kunne ikke skrives (disk, tilganger)',
      },
    },
  ],
  read: [
    {
      code: ExitCode.ok,
      meaning: { en: 'every file held keys', nb: 'hver fil inneholdt nøkler' },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'a file holds no readable keys',
        nb: 'en fil inneholder ingen lesbare nøkler',
      },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({ en: 'or a file cannot be opened', nb: 'eller en fil kan ikke åpnes' }),
    },
  ],
  backup: [
    {
      code: ExitCode.ok,
      meaning: { en: 'every destination succeeded', nb: 'alle målene lyktes' },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'cancelled, or the key does not open --image, or --from holds no usable key',
        nb: 'avbrutt, eller nøkkelen låser ikke opp --image, eller --from inneholder ingen brukbar nøkkel',
      },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({
        en: 'no key, a file that holds another key, or the drive the key unlocks',
        nb: 'ingen nøkkel, en fil som inneholder en annen nøkkel, eller stasjonen nøkkelen låser opp',
      }),
    },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'a drive, printer or server failed (the message names what succeeded)',
        nb: 'en stasjon, skriver eller server sviktet (meldingen nevner det som lyktes)',
      },
    },
  ],
  find: [
    { code: ExitCode.ok, meaning: { en: 'found', nb: 'funnet' } },
    { code: ExitCode.negative, meaning: { en: 'nothing found', nb: 'ingenting funnet' } },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({
        en: 'or a Key ID that cannot be one',
        nb: 'eller en nøkkel-ID som ikke kan være en',
      }),
    },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'a place could not be searched (missing folder, server down) and nothing was found',
        nb: 'et sted kunne ikke gjennomsøkes (mappe mangler, server nede), og ingenting ble funnet',
      },
    },
  ],
  login: [
    { code: ExitCode.ok, meaning: { en: 'logged in', nb: 'logget på' } },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'the request was denied or expired',
        nb: 'forespørselen ble avvist eller utløp',
      },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({ en: 'or a bad address', nb: 'eller en ugyldig adresse' }),
    },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'the server could not be reached or refused',
        nb: 'serveren kunne ikke nås eller sa nei',
      },
    },
  ],
  logout: [
    {
      code: ExitCode.ok,
      meaning: {
        en: 'logged out and the token revoked',
        nb: 'logget av, og tokenet er tilbakekalt',
      },
    },
    { code: ExitCode.negative, meaning: { en: 'not logged in', nb: 'ikke pålogget' } },
    { code: ExitCode.unusable, meaning: badFlags },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'the server could not be reached (forgotten here: revoke the token in the web app)',
        nb: 'serveren kunne ikke nås (glemt her: tilbakekall tokenet i nettappen)',
      },
    },
  ],
  whoami: [
    {
      code: ExitCode.ok,
      meaning: { en: 'every login works', nb: 'alle påloggingene virker' },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'not logged in, or a login was revoked or expired',
        nb: 'ikke pålogget, eller en pålogging er tilbakekalt eller utløpt',
      },
    },
    { code: ExitCode.unusable, meaning: badFlags },
    {
      code: ExitCode.environment,
      meaning: { en: 'a server could not be reached', nb: 'en server kunne ikke nås' },
    },
  ],
  inspect: [
    {
      code: ExitCode.ok,
      meaning: { en: 'the volume was shown', nb: 'volumet ble vist' },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({
        en: 'or not a BitLocker volume (the message says what it is)',
        nb: 'eller ikke et BitLocker-volum (meldingen sier hva det er)',
      }),
    },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'reading the image or device failed',
        nb: 'lesing av bildet eller enheten mislyktes',
      },
    },
  ],
  verify: [
    {
      code: ExitCode.ok,
      meaning: { en: 'the key opens the volume', nb: 'nøkkelen låser opp volumet' },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'the key does not open it, or no logged-in account holds --from-account',
        nb: 'nøkkelen låser det ikke opp, eller ingen pålogget konto har --from-account',
      },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({
        en: 'or the key or volume cannot be used',
        nb: 'eller nøkkelen eller volumet kan ikke brukes',
      }),
    },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'reading failed, or the server could not be reached',
        nb: 'lesingen mislyktes, eller serveren kunne ikke nås',
      },
    },
  ],
  unlock: [
    {
      code: ExitCode.ok,
      meaning: {
        en: 'the whole decrypted volume was written',
        nb: 'hele det dekrypterte volumet ble skrevet',
      },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'the key does not open the volume (nothing is written)',
        nb: 'nøkkelen låser ikke opp volumet (ingenting skrives)',
      },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({
        en: 'the key or volume cannot be used, or the --out folder does not exist',
        nb: 'nøkkelen eller volumet kan ikke brukes, eller mappen til --out finnes ikke',
      }),
    },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'reading or writing failed (nothing is left behind)',
        nb: 'lesing eller skriving mislyktes (ingenting blir liggende igjen)',
      },
    },
    {
      code: interruptedExitCode,
      meaning: {
        en: 'interrupted with Ctrl-C (nothing is left behind)',
        nb: 'avbrutt med Ctrl-C (ingenting blir liggende igjen)',
      },
    },
  ],
  'agent enroll': [
    {
      code: ExitCode.ok,
      meaning: {
        en: 'enrolled; the device key and state are saved',
        nb: 'registrert; enhetsnøkkelen og tilstanden er lagret',
      },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'refused: the token is not valid, or the computer is already enrolled (choose --replace or --keep-both)',
        nb: 'avvist: tokenet er ikke gyldig, eller datamaskinen er allerede registrert (velg --replace eller --keep-both)',
      },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({
        en: 'or this state folder is already enrolled',
        nb: 'eller denne tilstandsmappen er allerede registrert',
      }),
    },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'the server cannot be reached, or the state folder cannot be written',
        nb: 'serveren kan ikke nås, eller det kan ikke skrives til tilstandsmappen',
      },
    },
  ],
  'agent run': [
    {
      code: ExitCode.ok,
      meaning: {
        en: 'every key is escrowed and every requested rotation done',
        nb: 'hver nøkkel er deponert, og hver forespurte rotasjon er gjort',
      },
    },
    {
      code: ExitCode.negative,
      meaning: {
        en: 'a rotation was refused (named): it would have left fewer ways in, or a LUKS volume cannot be read or waits for its key file',
        nb: 'en rotasjon ble avvist (den nevnes): den ville gitt færre måter å komme inn på, eller et LUKS-volum kan ikke leses eller venter på nøkkelfilen sin',
      },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({
        en: 'the computer is not enrolled, or the --luks volume or --luks-key-file cannot be used',
        nb: 'datamaskinen er ikke registrert, eller --luks-volumet eller --luks-key-file kan ikke brukes',
      }),
    },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'the server cannot be reached or refused, or the drives cannot be read; the state is kept and the next attempt waits (backoff)',
        nb: 'serveren kan ikke nås eller sa nei, eller stasjonene kan ikke leses; tilstanden beholdes, og neste forsøk venter (backoff)',
      },
    },
  ],
  'agent status': [
    {
      code: ExitCode.ok,
      meaning: { en: 'the state was shown', nb: 'tilstanden ble vist' },
    },
    {
      code: ExitCode.unusable,
      meaning: badFlagsOr({
        en: 'or the computer is not enrolled',
        nb: 'eller datamaskinen er ikke registrert',
      }),
    },
    {
      code: ExitCode.environment,
      meaning: {
        en: 'the state folder cannot be read',
        nb: 'tilstandsmappen kan ikke leses',
      },
    },
  ],
};

/** "key check" for the `check` command under `key`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at = command; at.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

export function exitCodesOf(path: string): readonly ExitCodeMeaning[] {
  const codes = commandExitCodes[path];
  if (!codes) throw new Error(`No exit codes listed for "keyhold ${path}"`);
  return codes;
}

/** The "Exit codes:" section of a command's --help. */
export function exitCodesHelp(path: string): string {
  const lines = exitCodesOf(path).map(
    ({ code, meaning }) => `  ${String(code).padEnd(3)} ${say(meaning)}`,
  );
  return `\n${say(commandLineMessages.exitCodesHeading)}\n${lines.join('\n')}`;
}

/** Adds the "Exit codes:" section to the --help of every command that does the work. */
export function addExitCodesToHelp(program: Command): void {
  for (const command of program.commands) {
    if (command.commands.length > 0) {
      addExitCodesToHelp(command);
    } else {
      command.addHelpText('after', exitCodesHelp(commandPath(command)));
    }
  }
}

/** The README's table: one row per command, its codes and their meanings. */
export function exitCodesMarkdown(): string {
  const rows = Object.entries(commandExitCodes).map(
    ([path, codes]) =>
      `| \`keyhold ${path}\` | ${codes.map(({ code, meaning }) => `${code} ${meaning.en}`).join('<br>')} |`,
  );
  return ['| Command | Exit codes |', '| --- | --- |', ...rows].join('\n');
}
