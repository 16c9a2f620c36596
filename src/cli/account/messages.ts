import type { Wording } from '../../text/wording.js';

/** What keyhold login, logout, whoami and the account's key library tell a person (printed with `say`). */
export const accountMessages = {
  notAServerAddress: (input: string): Wording => ({
    en: `"${input}" is not a server address. Give it as https://keys.example.org.`,
    nb: `"${input}" er ikke en serveradresse. Oppgi den som https://keys.example.org.`,
  }),
  plainHttpRefused: (host: string): Wording => ({
    en: `Refusing to log in over plain HTTP to ${host}: the token would travel unencrypted. Use https://${host}.`,
    nb: `Logger ikke på over ukryptert HTTP til ${host}: tokenet ville blitt sendt ukryptert. Bruk https://${host}.`,
  }),
  noAnswerWithin: (seconds: number): Wording => ({
    en: `no answer within ${seconds} seconds`,
    nb: `ikke noe svar innen ${seconds} sekunder`,
  }),
  unreachable: (origin: string, reason: string): Wording => ({
    en: `Could not reach ${origin} (${reason}). Check the address and your network connection.`,
    nb: `Fikk ikke kontakt med ${origin} (${reason}). Sjekk adressen og nettverkstilkoblingen.`,
  }),
  unreachableOverHttps: (origin: string, reason: string, typed: string, host: string): Wording => ({
    en:
      `Could not reach ${origin} (${reason}): "${typed}" has no scheme, so https:// was tried. ` +
      `A Keyhold server on this computer without TLS answers over plain HTTP; use http://.\n` +
      `Run: keyhold login http://${host}`,
    nb:
      `Fikk ikke kontakt med ${origin} (${reason}): "${typed}" mangler skjema, så https:// ble prøvd. ` +
      `En Keyhold-server på denne datamaskinen uten TLS svarer over vanlig HTTP; bruk http://.\n` +
      `Kjør: keyhold login http://${host}`,
  }),
  serverAnswered: (status: number): Wording => ({
    en: `The server answered ${status}.`,
    nb: `Serveren svarte ${status}.`,
  }),
  notKeyhold: (origin: string, status: number): Wording => ({
    en: `${origin} did not answer like a Keyhold server (status ${status}, not JSON). Check the address.`,
    nb: `${origin} svarte ikke som en Keyhold-server (status ${status}, ikke JSON). Sjekk adressen.`,
  }),
  loginGone: (email: string, server: string): Wording => ({
    en: `The login for ${email} on ${server} no longer works (signed out, revoked or expired). Run: keyhold login ${server}`,
    nb: `Påloggingen for ${email} på ${server} virker ikke lenger (logget av, tilbakekalt eller utløpt). Kjør: keyhold login ${server}`,
  }),
  cannotReadCredentials: (path: string, reason: string): Wording => ({
    en: `Cannot read ${path}: ${reason}. Check its permissions.`,
    nb: `Kan ikke lese ${path}: ${reason}. Sjekk tilgangene til filen.`,
  }),
  credentialsMadePrivate: (path: string): Wording => ({
    en: `${path} was readable by other users; it is now private to you (mode 600).`,
    nb: `${path} kunne leses av andre brukere; nå kan bare du lese den (modus 600).`,
  }),
  credentialsNotJson: (path: string): Wording => ({
    en: `${path} is not valid JSON. Delete it and run keyhold login again.`,
    nb: `${path} er ikke gyldig JSON. Slett den og kjør keyhold login på nytt.`,
  }),
  credentialsNotLogins: (path: string): Wording => ({
    en: `${path} does not hold Keyhold logins. Delete it and run keyhold login again.`,
    nb: `${path} inneholder ikke Keyhold-pålogginger. Slett den og kjør keyhold login på nytt.`,
  }),
  notLoggedInAnywhere: {
    en: 'You are not logged in to any Keyhold server. Run: keyhold login <server-url>',
    nb: 'Du er ikke logget på noen Keyhold-server. Kjør: keyhold login <server-url>',
  } satisfies Wording,
  noLoginCalled: (account: string, known: string): Wording => ({
    en: `No login is called "${account}". Logged in:\n${known}`,
    nb: `Ingen pålogging heter "${account}". Logget på:\n${known}`,
  }),
  chooseOneLogin: (listed: string): Wording => ({
    en: `You are logged in to several accounts; choose one:\n${listed}`,
    nb: `Du er logget på flere kontoer; velg én:\n${listed}`,
  }),
  deniedInBrowser: {
    en: 'The request was denied in the browser. Nothing was saved.',
    nb: 'Forespørselen ble avvist i nettleseren. Ingenting ble lagret.',
  } satisfies Wording,
  codeExpired: {
    en: 'The code expired before it was approved. Run keyhold login again.',
    nb: 'Koden utløp før den ble godkjent. Kjør keyhold login på nytt.',
  } satisfies Wording,
  loginRefused: (message: string): Wording => ({
    en: `The server refused the login: ${message}`,
    nb: `Serveren avviste påloggingen: ${message}`,
  }),
  unsafeDeviceName: {
    en: '--device-name holds control characters or text-direction overrides; give a plain name such as "ola-laptop".',
    nb: '--device-name inneholder kontrolltegn eller overstyring av tekstretning; oppgi et vanlig navn, for eksempel "ola-laptop".',
  } satisfies Wording,
  noDeviceSignIn: (origin: string): Wording => ({
    en: `${origin} does not offer device sign-in. Check the address (is it a Keyhold server?).`,
    nb: `${origin} tilbyr ikke pålogging for enheter. Sjekk adressen (er det en Keyhold-server?).`,
  }),
  loginStartRefused: (origin: string, message: string): Wording => ({
    en: `${origin} refused to start the login: ${message}`,
    nb: `${origin} nektet å starte påloggingen: ${message}`,
  }),
  approveInBrowser: (
    address: string,
    code: string,
    complete: string,
    minutes: number,
  ): Wording => ({
    en:
      `To connect this computer, open this address in a browser where you are signed in:\n\n` +
      `  ${address}\n\n` +
      `and enter the code:\n\n  ${code}\n\n` +
      `(or open ${complete}). The code works for ${minutes} minutes.\n`,
    nb:
      `For å koble til denne datamaskinen, åpne denne adressen i en nettleser der du er pålogget:\n\n` +
      `  ${address}\n\n` +
      `og skriv inn koden:\n\n  ${code}\n\n` +
      `(eller åpne ${complete}). Koden virker i ${minutes} minutter.\n`,
  }),
  waitingForApproval: {
    en: 'Waiting for approval in the browser',
    nb: 'Venter på godkjenning i nettleseren',
  } satisfies Wording,
  loggedIn: (
    displayName: string,
    email: string,
    origin: string,
    name: string,
    path: string,
  ): Wording => ({
    en: `Logged in as ${displayName} <${email}> on ${origin} (saved as "${name}" in ${path}).`,
    nb: `Logget på som ${displayName} <${email}> på ${origin} (lagret som "${name}" i ${path}).`,
  }),
  revokeFailed: (login: string, problem: string): Wording => ({
    en: `${login}: could not revoke the token on the server (${problem}). Revoke it under Security in the web app.`,
    nb: `${login}: kunne ikke tilbakekalle tokenet på serveren (${problem}). Tilbakekall det under Sikkerhet i nettappen.`,
  }),
  loggedOut: (login: string): Wording => ({
    en: `Logged out of ${login}.`,
    nb: `Logget av ${login}.`,
  }),
  notLoggedIn: {
    en: 'Not logged in. Run: keyhold login <server-url>',
    nb: 'Ikke pålogget. Kjør: keyhold login <server-url>',
  } satisfies Wording,
  loginNoLongerWorks: (server: string): Wording => ({
    en: `no longer works (revoked or expired): run keyhold login ${server}`,
    nb: `virker ikke lenger (tilbakekalt eller utløpt): kjør keyhold login ${server}`,
  }),
  whoamiValid: (who: string, until: string): Wording => ({
    en: `${who}; token valid until ${until}`,
    nb: `${who}; tokenet gjelder til ${until}`,
  }),
  holderOn: (displayName: string, email: string, server: string): Wording => ({
    en: `${displayName} <${email}> on ${server}`,
    nb: `${displayName} <${email}> på ${server}`,
  }),
  differentPassword: (holder: string | undefined, keyId: string): Wording => ({
    en: `${holder ? `${holder}'s library` : 'Your account'} already holds a different recovery password for Key ID ${keyId}: one of the two is wrong or outdated. Check the key with keyhold key check and compare it with the stored one.`,
    nb: `${holder ? `Biblioteket til ${holder}` : 'Kontoen din'} har allerede et annet gjenopprettingspassord for nøkkel-ID ${keyId}: ett av dem er feil eller utdatert. Sjekk nøkkelen med keyhold key check og sammenlign den med den lagrede.`,
  }),
};
