import type { Language } from '../messages.js';
import type { OutgoingMail } from './outbox.js';

/**
 * Every email Keyhold sends, in English and Bokmål, as plain text and simple HTML. Values come
 * in as plain facts (names, a Key ID, a reason code); none of these messages takes a recovery
 * password, and no link in them reveals one.
 */

type Paragraph = string | { href: string; label: string };

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A message from paragraphs: the text version as written, the HTML one escaped. */
function compose(
  to: string,
  language: Language,
  subject: string,
  paragraphs: readonly Paragraph[],
): OutgoingMail {
  const signature = '– Keyhold';
  const text = [
    ...paragraphs.map((p) => (typeof p === 'string' ? p : `${p.label}:\n${p.href}`)),
    signature,
  ].join('\n\n');
  const body = paragraphs
    .map((p) =>
      typeof p === 'string'
        ? `<p>${escapeHtml(p).replaceAll('\n', '<br>')}</p>`
        : `<p><a href="${escapeHtml(p.href)}">${escapeHtml(p.label)}</a></p>`,
    )
    .join('\n');
  const html =
    `<!doctype html>\n<html lang="${language}"><head><meta charset="utf-8">` +
    `<title>${escapeHtml(subject)}</title></head>\n` +
    `<body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">\n${body}\n` +
    `<p style="color: #555">${escapeHtml(signature)}</p>\n</body></html>\n`;
  return { to, subject, text: `${text}\n`, html };
}

/** A moment as people read it in a message: `2026-12-06 09:15 UTC`. */
export function mailTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

const reasonNames: Record<string, Record<Language, string>> = {
  'pin-forgotten': { en: 'startup PIN forgotten', nb: 'glemt oppstarts-PIN' },
  'startup-key-lost': { en: 'startup key lost', nb: 'mistet oppstartsnøkkel' },
  'tpm-or-firmware-change': {
    en: 'TPM or firmware change',
    nb: 'endring i TPM eller fastvare',
  },
  'boot-configuration-change': {
    en: 'boot configuration change',
    nb: 'endring i oppstartsoppsettet',
  },
  'hardware-repair': { en: 'hardware repair', nb: 'maskinvarereparasjon' },
  'data-recovery': { en: 'data recovery', nb: 'datagjenoppretting' },
  other: { en: 'other', nb: 'annet' },
};

const roleNames: Record<string, Record<Language, string>> = {
  owner: { en: 'owner', nb: 'eier' },
  admin: { en: 'admin', nb: 'administrator' },
  helpdesk: { en: 'helpdesk', nb: 'brukerstøtte' },
  member: { en: 'member', nb: 'medlem' },
  auditor: { en: 'auditor', nb: 'revisor' },
};

function reasonLine(
  language: Language,
  reason: { reason: string; reasonText: string | null; ticket: string | null },
): string {
  const name = reasonNames[reason.reason]?.[language] ?? reason.reason;
  const withText = reason.reasonText ? `${name} (${reason.reasonText})` : name;
  const ticket = reason.ticket
    ? language === 'nb'
      ? `\nSak: ${reason.ticket}`
      : `\nTicket: ${reason.ticket}`
    : '';
  return `${language === 'nb' ? 'Grunn' : 'Reason'}: ${withText}${ticket}`;
}

export interface Recipient {
  email: string;
  name: string;
  language: Language;
}

/** A key and where it is: what a person recognises at the recovery screen. */
export interface KeyFacts {
  organisationName: string;
  deviceName: string;
  /** The full Key ID (key protector ID). */
  keyId: string;
}

export interface ReasonFacts {
  reason: string;
  reasonText: string | null;
  ticket: string | null;
}

/** To the assigned person and the organisation's admins when an organisation key is revealed. */
export function revealNotice(
  to: Recipient,
  facts: KeyFacts &
    ReasonFacts & {
      revealerName: string;
      revealerEmail: string;
      at: string;
      approvedBy: string | null;
      /** The device is assigned to the recipient. */
      ownDevice: boolean;
      link: string;
    },
): OutgoingMail {
  const who = `${facts.revealerName} (${facts.revealerEmail})`;
  if (to.language === 'nb') {
    return compose(to.email, 'nb', `Gjenopprettingsnøkkelen til ${facts.deviceName} ble vist`, [
      `Hei ${to.name},`,
      `${who} viste BitLocker-gjenopprettingsnøkkelen til ${facts.ownDevice ? 'din enhet ' : 'enheten '}${facts.deviceName} i ${facts.organisationName} ${mailTime(facts.at)}.`,
      `Nøkkel-ID: ${facts.keyId}\n${reasonLine('nb', facts)}${facts.approvedBy ? `\nGodkjent av: ${facts.approvedBy}` : ''}`,
      facts.ownDevice
        ? 'Ventet du dette, for eksempel fordi du ringte brukerstøtte, trenger du ikke gjøre noe. Hvis ikke: si fra til IT-avdelingen i organisasjonen med én gang, og la ingen andre bruke datamaskinen din.'
        : 'Ventet du ikke dette, sjekk hvem som ba om nøkkelen og hvorfor, og ta kontakt med personen som har enheten.',
      'Denne e-posten inneholder aldri selve nøkkelen.',
      { href: facts.link, label: 'Se aktiviteten i Keyhold' },
    ]);
  }
  return compose(to.email, 'en', `The recovery key of ${facts.deviceName} was revealed`, [
    `Hello ${to.name},`,
    `${who} revealed the BitLocker recovery key of ${facts.ownDevice ? 'your device' : 'the device'} ${facts.deviceName} in ${facts.organisationName} at ${mailTime(facts.at)}.`,
    `Key ID: ${facts.keyId}\n${reasonLine('en', facts)}${facts.approvedBy ? `\nApproved by: ${facts.approvedBy}` : ''}`,
    facts.ownDevice
      ? 'If you expected this, for example because you called the helpdesk, there is nothing to do. If you did not, tell your organisation’s IT people at once, and do not let anyone else use your computer.'
      : 'If you did not expect this, check who asked for the key and why, and contact the person who uses the device.',
    'This email never contains the key itself.',
    { href: facts.link, label: 'See the activity in Keyhold' },
  ]);
}

/** To the approvers when a helpdesk person asks to reveal a key. */
export function approvalRequested(
  to: Recipient,
  facts: KeyFacts & ReasonFacts & { requesterName: string; requesterEmail: string; link: string },
): OutgoingMail {
  const who = `${facts.requesterName} (${facts.requesterEmail})`;
  if (to.language === 'nb') {
    return compose(
      to.email,
      'nb',
      `${facts.requesterName} ber om å få se gjenopprettingsnøkkelen til ${facts.deviceName}`,
      [
        `Hei ${to.name},`,
        `${who} ber om å få se BitLocker-gjenopprettingsnøkkelen til ${facts.deviceName} i ${facts.organisationName}. Organisasjonen krever at en annen person godkjenner dette.`,
        `Nøkkel-ID: ${facts.keyId}\n${reasonLine('nb', facts)}`,
        'Godkjenn bare hvis du vet at forespørselen er ekte, for eksempel at personen som har enheten har ringt brukerstøtte.',
        { href: facts.link, label: 'Godkjenn eller avslå i Keyhold' },
      ],
    );
  }
  return compose(
    to.email,
    'en',
    `${facts.requesterName} asks to reveal the recovery key of ${facts.deviceName}`,
    [
      `Hello ${to.name},`,
      `${who} asks to reveal the BitLocker recovery key of ${facts.deviceName} in ${facts.organisationName}. Your organisation requires a second person to approve this.`,
      `Key ID: ${facts.keyId}\n${reasonLine('en', facts)}`,
      'Approve only if you know the request is genuine, for example that the person who uses the device has called the helpdesk.',
      { href: facts.link, label: 'Approve or deny in Keyhold' },
    ],
  );
}

/** To the requester when their request is approved or denied. */
export function approvalDecided(
  to: Recipient,
  facts: KeyFacts & {
    approved: boolean;
    deciderName: string;
    note: string | null;
    expiresAt: string | null;
    link: string;
  },
): OutgoingMail {
  if (to.language === 'nb') {
    return compose(
      to.email,
      'nb',
      facts.approved
        ? `Godkjent: gjenopprettingsnøkkelen til ${facts.deviceName}`
        : `Avslått: gjenopprettingsnøkkelen til ${facts.deviceName}`,
      [
        `Hei ${to.name},`,
        facts.approved
          ? `${facts.deciderName} godkjente forespørselen din om å se gjenopprettingsnøkkelen til ${facts.deviceName} i ${facts.organisationName}. Du kan vise den én gang, innen ${mailTime(facts.expiresAt ?? '')}.`
          : `${facts.deciderName} avslo forespørselen din om å se gjenopprettingsnøkkelen til ${facts.deviceName} i ${facts.organisationName}.`,
        `Nøkkel-ID: ${facts.keyId}${facts.note ? `\nMerknad: ${facts.note}` : ''}`,
        { href: facts.link, label: 'Åpne i Keyhold' },
      ],
    );
  }
  return compose(
    to.email,
    'en',
    facts.approved
      ? `Approved: the recovery key of ${facts.deviceName}`
      : `Denied: the recovery key of ${facts.deviceName}`,
    [
      `Hello ${to.name},`,
      facts.approved
        ? `${facts.deciderName} approved your request to reveal the recovery key of ${facts.deviceName} in ${facts.organisationName}. You can reveal it once, until ${mailTime(facts.expiresAt ?? '')}.`
        : `${facts.deciderName} denied your request to reveal the recovery key of ${facts.deviceName} in ${facts.organisationName}.`,
      `Key ID: ${facts.keyId}${facts.note ? `\nNote: ${facts.note}` : ''}`,
      { href: facts.link, label: 'Open Keyhold' },
    ],
  );
}

/** The link that confirms a new account's address. */
export function confirmAddress(
  to: Recipient,
  facts: { link: string; validHours: number },
): OutgoingMail {
  if (to.language === 'nb') {
    return compose(to.email, 'nb', 'Bekreft e-postadressen din for Keyhold', [
      `Hei ${to.name},`,
      'Noen, forhåpentlig du, opprettet en Keyhold-konto med denne adressen. Bekreft adressen for å kunne lagre gjenopprettingsnøkler i kontoen.',
      { href: facts.link, label: 'Bekreft e-postadressen' },
      `Lenken virker én gang, i ${facts.validHours} timer. Opprettet du ikke kontoen, kan du se bort fra denne e-posten.`,
    ]);
  }
  return compose(to.email, 'en', 'Confirm your email address for Keyhold', [
    `Hello ${to.name},`,
    'Someone, hopefully you, created a Keyhold account with this address. Confirm the address to keep recovery keys in the account.',
    { href: facts.link, label: 'Confirm the email address' },
    `The link works once, for ${facts.validHours} hours. If you did not create the account, ignore this email.`,
  ]);
}

/** To the owner of an address someone tried to sign up with again. */
export function signupAttempt(
  to: Recipient,
  facts: { at: string; signinLink: string },
): OutgoingMail {
  if (to.language === 'nb') {
    return compose(to.email, 'nb', 'Noen prøvde å opprette en Keyhold-konto med adressen din', [
      `Hei ${to.name},`,
      `${mailTime(facts.at)} prøvde noen å opprette en ny Keyhold-konto med denne e-postadressen. Du har allerede en konto, så ingen ny ble opprettet og ingenting ble endret.`,
      'Var det deg, logg på med kontoen du har. Har du glemt passordet, ta kontakt med den som driver Keyhold-serveren.',
      'Var det ikke deg, trenger du ikke gjøre noe.',
      { href: facts.signinLink, label: 'Logg på' },
    ]);
  }
  return compose(to.email, 'en', 'Someone tried to create a Keyhold account with your address', [
    `Hello ${to.name},`,
    `At ${mailTime(facts.at)} someone tried to create a new Keyhold account with this email address. You already have an account, so no new one was created and nothing changed.`,
    'If it was you, sign in with the account you have. If you forgot its password, contact whoever runs the Keyhold server.',
    'If it was not you, there is nothing to do.',
    { href: facts.signinLink, label: 'Sign in' },
  ]);
}

/** An invitation to an organisation for an address without a confirmed account. */
export function invitation(
  to: { email: string; language: Language },
  facts: {
    organisationName: string;
    inviterName: string;
    role: string;
    signupLink: string;
    validDays: number;
  },
): OutgoingMail {
  const role = roleNames[facts.role]?.[to.language] ?? facts.role;
  if (to.language === 'nb') {
    return compose(to.email, 'nb', `Invitasjon til ${facts.organisationName} i Keyhold`, [
      'Hei,',
      `${facts.inviterName} har invitert deg til ${facts.organisationName} i Keyhold, som ${role}.`,
      `Opprett en konto med denne e-postadressen og bekreft den, så blir du medlem. Invitasjonen gjelder i ${facts.validDays} dager.`,
      { href: facts.signupLink, label: 'Opprett konto' },
      'Kjenner du ikke til dette, kan du se bort fra e-posten.',
    ]);
  }
  return compose(to.email, 'en', `Invitation to ${facts.organisationName} on Keyhold`, [
    'Hello,',
    `${facts.inviterName} invited you to ${facts.organisationName} on Keyhold, as ${role}.`,
    `Create an account with this email address and confirm it, and you are a member. The invitation is valid for ${facts.validDays} days.`,
    { href: facts.signupLink, label: 'Create an account' },
    'If you do not know about this, ignore this email.',
  ]);
}

/** To an account added to an organisation. */
export function addedToOrganisation(
  to: Recipient,
  facts: { organisationName: string; inviterName: string; role: string; link: string },
): OutgoingMail {
  const role = roleNames[facts.role]?.[to.language] ?? facts.role;
  if (to.language === 'nb') {
    return compose(to.email, 'nb', `Du er lagt til i ${facts.organisationName} i Keyhold`, [
      `Hei ${to.name},`,
      `${facts.inviterName} la deg til i ${facts.organisationName} i Keyhold, som ${role}.`,
      { href: facts.link, label: 'Åpne Keyhold' },
    ]);
  }
  return compose(to.email, 'en', `You were added to ${facts.organisationName} on Keyhold`, [
    `Hello ${to.name},`,
    `${facts.inviterName} added you to ${facts.organisationName} on Keyhold, as ${role}.`,
    { href: facts.link, label: 'Open Keyhold' },
  ]);
}

/** Whom a message to an account goes to, in the account's language (English unless Bokmål). */
export function recipientOf(user: {
  email: string;
  display_name: string;
  language: string | null;
}): Recipient {
  return { email: user.email, name: user.display_name, language: mailLanguage(user.language) };
}

export function mailLanguage(language: string | null | undefined): Language {
  return language === 'nb' ? 'nb' : 'en';
}
