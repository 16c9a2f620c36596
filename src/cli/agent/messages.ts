import type { Wording } from '../../text/wording.js';

/** Everything keyhold agent tells a person, in English and Bokmål (printed with `say`). */
export const agentMessages = {
  stateDirUnusable: (dir: string, reason: string): Wording => ({
    en: `The agent's state folder ${dir} cannot be used (${reason}). Run as the service's account (root or SYSTEM), or give another folder with --state-dir.`,
    nb: `Agentens tilstandsmappe ${dir} kan ikke brukes (${reason}). Kjør som tjenestens konto (root eller SYSTEM), eller oppgi en annen mappe med --state-dir.`,
  }),
  notEnrolled: (dir: string): Wording => ({
    en: `This computer is not enrolled (nothing in ${dir}). Run keyhold agent enroll --server URL --token TOKEN first.`,
    nb: `Denne datamaskinen er ikke innrullert (ingenting i ${dir}). Kjør keyhold agent enroll --server URL --token TOKEN først.`,
  }),
  alreadyEnrolledHere: (dir: string, server: string): Wording => ({
    en: `This computer is already enrolled with ${server} (state in ${dir}). To enroll it again, give --replace.`,
    nb: `Denne datamaskinen er allerede innrullert hos ${server} (tilstand i ${dir}). For å rulle den inn på nytt, oppgi --replace.`,
  }),
  stateDamaged: (path: string): Wording => ({
    en: `${path} is damaged. Enroll the computer again (keyhold agent enroll --replace).`,
    nb: `${path} er skadet. Rull inn datamaskinen på nytt (keyhold agent enroll --replace).`,
  }),
  keyTooOpen: (path: string): Wording => ({
    en: `${path} can be read by other accounts: the device key must be mode 600. Run chmod 600 ${path}, or enroll again.`,
    nb: `${path} kan leses av andre kontoer: enhetsnøkkelen må ha modus 600. Kjør chmod 600 ${path}, eller rull inn på nytt.`,
  }),
  badServer: (url: string): Wording => ({
    en: `--server ${url} is not an http(s) address. Give the Keyhold server's address, e.g. https://keyhold.example.org.`,
    nb: `--server ${url} er ikke en http(s)-adresse. Oppgi adressen til Keyhold-serveren, f.eks. https://keyhold.example.org.`,
  }),
  badEvery: (value: string): Wording => ({
    en: `--every ${value} is not a duration. Give minutes or hours, e.g. 30m, 1h or 6h (at least 1m).`,
    nb: `--every ${value} er ikke en varighet. Oppgi minutter eller timer, f.eks. 30m, 1h eller 6h (minst 1m).`,
  }),
  unreachable: (server: string, reason: string): Wording => ({
    en: `The server ${server} cannot be reached (${reason}). Nothing was lost: the agent keeps its state and tries again.`,
    nb: `Serveren ${server} kan ikke nås (${reason}). Ingenting gikk tapt: agenten beholder tilstanden og prøver igjen.`,
  }),
  serverRefused: (status: number, message: string): Wording => ({
    en: `The server refused (${status}): ${message}`,
    nb: `Serveren avviste (${status}): ${message}`,
  }),
  enrolled: (deviceName: string, organisation: string, dir: string): Wording => ({
    en: `Enrolled as ${deviceName} in ${organisation}. The device key is in ${dir} (mode 600); run keyhold agent run to escrow this computer's keys.`,
    nb: `Innrullert som ${deviceName} i ${organisation}. Enhetsnøkkelen ligger i ${dir} (modus 600); kjør keyhold agent run for å deponere nøklene til denne datamaskinen.`,
  }),
  duplicate: (message: string): Wording => ({
    en: `${message} Give --replace (a reinstall of this computer) or --keep-both (a clone that stays in use).`,
    nb: `${message} Oppgi --replace (ny installasjon av denne datamaskinen) eller --keep-both (en klone som fortsatt brukes).`,
  }),
  escrowed: (count: number): Wording => ({
    en:
      count === 0
        ? 'Nothing changed since the last escrow.'
        : `Escrowed ${count} key${count === 1 ? '' : 's'}.`,
    nb:
      count === 0
        ? 'Ingenting er endret siden forrige deponering.'
        : `Deponerte ${count} ${count === 1 ? 'nøkkel' : 'nøkler'}.`,
  }),
  rotated: (drive: string, oldKey: string, newKey: string): Wording => ({
    en: `Rotated ${drive}: the new recovery password ${newKey} is stored on the server; ${oldKey} was removed.`,
    nb: `Roterte ${drive}: det nye gjenopprettingspassordet ${newKey} er lagret på serveren; ${oldKey} ble fjernet.`,
  }),
  rotationRefused: (drive: string, reason: string): Wording => ({
    en: `Rotation of ${drive} refused: ${reason}. Nothing was removed.`,
    nb: `Rotasjon av ${drive} avvist: ${reason}. Ingenting ble fjernet.`,
  }),
  fewerWaysIn: (before: number, after: number): Wording => ({
    en: `the drive would have ${after} ways in instead of ${before}`,
    nb: `stasjonen ville hatt ${after} måter å låses opp på i stedet for ${before}`,
  }),
  notARecoveryPassword: (keyId: string, type: string): Wording => ({
    en: `${keyId} is a ${type} protector, and the agent only ever removes recovery passwords`,
    nb: `${keyId} er en beskytter av typen ${type}, og agenten fjerner bare gjenopprettingspassord`,
  }),
  newProtectorMissing: {
    en: "the new recovery password does not show among the drive's protectors",
    nb: 'det nye gjenopprettingspassordet vises ikke blant stasjonens beskyttere',
  } satisfies Wording,
  nextAttempt: (at: string): Wording => ({
    en: `Next attempt after ${at}.`,
    nb: `Neste forsøk etter ${at}.`,
  }),
  volumesUnreadable: (reason: string): Wording => ({
    en: `The drives of this computer could not be read (${reason}). Run the agent as an administrator (root, SYSTEM).`,
    nb: `Stasjonene på denne datamaskinen kunne ikke leses (${reason}). Kjør agenten som administrator (root, SYSTEM).`,
  }),
  luksNotOnWindows: {
    en: '--luks escrows LUKS volumes, which only Linux has: leave out --luks and --luks-key-file on Windows.',
    nb: '--luks deponerer LUKS-volumer, som bare Linux har: utelat --luks og --luks-key-file på Windows.',
  } satisfies Wording,
  luksNeedsBoth: {
    en: '--luks and --luks-key-file go together: give the LUKS device or image and a key file that opens it.',
    nb: '--luks og --luks-key-file hører sammen: oppgi LUKS-enheten eller -avbildningen og en nøkkelfil som åpner den.',
  } satisfies Wording,
  luksKeyFileUnreadable: (path: string): Wording => ({
    en: `The key file ${path} cannot be read. Give a file holding your passphrase exactly (no newline at the end: printf '%s' ...) or a key file, readable by the agent's account.`,
    nb: `Nøkkelfilen ${path} kan ikke leses. Oppgi en fil som inneholder passfrasen nøyaktig (uten linjeskift til slutt: printf '%s' ...) eller en nøkkelfil, lesbar for agentens konto.`,
  }),
  luksKeyFileDoesNotOpen: (device: string, path: string): Wording => ({
    en: `The key file ${path} does not open ${device}. Check that it holds the passphrase exactly, with no newline at the end (printf '%s' ...).`,
    nb: `Nøkkelfilen ${path} åpner ikke ${device}. Kontroller at den inneholder passfrasen nøyaktig, uten linjeskift til slutt (printf '%s' ...).`,
  }),
  luksUnusable: (reason: string): Wording => ({
    en: `The LUKS volume cannot be used (${reason}). Run the agent as root, and check the device or image with cryptsetup luksDump.`,
    nb: `LUKS-volumet kan ikke brukes (${reason}). Kjør agenten som root, og kontroller enheten eller avbildningen med cryptsetup luksDump.`,
  }),
  luksNotVersion2: {
    en: 'it is LUKS1; the agent escrows LUKS2 volumes only (cryptsetup convert --type luks2 converts one)',
    nb: 'det er LUKS1; agenten deponerer bare LUKS2-volumer (cryptsetup convert --type luks2 konverterer et)',
  } satisfies Wording,
  luksOtherVolume: (was: string, now: string): Wording => ({
    en: `the device now holds another LUKS volume (UUID ${now}, not ${was}); name it again with --luks to look after the new one`,
    nb: `enheten inneholder nå et annet LUKS-volum (UUID ${now}, ikke ${was}); oppgi det på nytt med --luks for å ta vare på det nye`,
  }),
  luksWaitsForKeyFile: (device: string, keyFile: string): Wording => ({
    en: `the key file ${keyFile} is gone, so no key slot can be added or removed; run keyhold agent run --luks ${device} --luks-key-file FILE`,
    nb: `nøkkelfilen ${keyFile} finnes ikke lenger, så ingen nøkkelplass kan legges til eller fjernes; kjør keyhold agent run --luks ${device} --luks-key-file FIL`,
  }),
  luksNoFreeSlot: {
    en: 'all 32 key slots are in use; remove one you no longer need with cryptsetup luksKillSlot',
    nb: 'alle 32 nøkkelplassene er i bruk; fjern en du ikke lenger trenger med cryptsetup luksKillSlot',
  } satisfies Wording,
  luksNewSlotMissing: (slot: number): Wording => ({
    en: `the new recovery key slot ${slot} is not on the volume`,
    nb: `den nye gjenopprettingsnøkkelplassen ${slot} finnes ikke på volumet`,
  }),
  luksSlotIsPersons: (slot: number): Wording => ({
    en: `key slot ${slot} opens with your own key file, and the agent never removes your own slot`,
    nb: `nøkkelplass ${slot} åpnes med din egen nøkkelfil, og agenten fjerner aldri din egen nøkkelplass`,
  }),
  toolNotFound: (command: string): Wording => ({
    en: `${command} was not found`,
    nb: `${command} ble ikke funnet`,
  }),
  cryptsetupMissing: {
    en: 'cryptsetup is not installed (Debian: cryptsetup-bin)',
    nb: 'cryptsetup er ikke installert (Debian: cryptsetup-bin)',
  } satisfies Wording,
  toolFailed: (what: string, code: number, said: string): Wording => ({
    en: `${what} failed (exit ${code}${said ? `: ${said}` : ''})`,
    nb: `${what} mislyktes (avslutningskode ${code}${said ? `: ${said}` : ''})`,
  }),
  noAccessToken: {
    en: 'the check-in gave no access token',
    nb: 'innsjekkingen ga ingen tilgangstoken',
  } satisfies Wording,
  addedRecoveryPassword: (drive: string): Wording => ({
    en: `${drive} had no recovery password: the organisation's policy asks for one, so one was added.`,
    nb: `${drive} hadde ikke noe gjenopprettingspassord: organisasjonens retningslinjer krever et, så et ble lagt til.`,
  }),
  driveUncovered: (drive: string): Wording => ({
    en: `${drive} has no recovery password, and the organisation's policy does not ask the agent to add one: the server lists it as a drive without a key. Add one by hand (manage-bde -protectors -add ${drive} -RecoveryPassword), or ask an admin to turn on the policy.`,
    nb: `${drive} har ikke noe gjenopprettingspassord, og organisasjonens retningslinjer ber ikke agenten legge til et: serveren viser den som en stasjon uten nøkkel. Legg til et for hånd (manage-bde -protectors -add ${drive} -RecoveryPassword), eller be en administrator slå på retningslinjen.`,
  }),
};
