import { DomainError } from '../../errors.js';

/**
 * Why a sign-in through an organisation's provider was refused. Each names what went wrong and
 * what the person can do; none repeats what the provider sent (codes, tokens).
 */
export class SsoStateError extends DomainError {
  constructor() {
    super(400, 'sso_state_invalid', {
      en: 'This sign-in was not started in this browser, has expired or was already used. Start again with your email.',
      nb: 'Denne påloggingen ble ikke startet i denne nettleseren, er utløpt eller er allerede brukt. Begynn på nytt med e-postadressen din.',
    });
  }
}

export class SsoNonceError extends DomainError {
  constructor() {
    super(400, 'sso_nonce_mismatch', {
      en: "The sign-in service's answer belongs to another sign-in (its nonce does not match). Start again with your email.",
      nb: 'Svaret fra påloggingstjenesten hører til en annen pålogging (nonce stemmer ikke). Begynn på nytt med e-postadressen din.',
    });
  }
}

export class SsoAudienceError extends DomainError {
  constructor() {
    super(400, 'sso_audience_mismatch', {
      en: "The sign-in service issued its answer for another application (audience). Ask your organisation's owner to check the client ID in Keyhold.",
      nb: 'Påloggingstjenesten utstedte svaret til et annet program (audience). Be eieren av organisasjonen om å sjekke klient-ID-en i Keyhold.',
    });
  }
}

export class SsoCodeRejectedError extends DomainError {
  constructor() {
    super(400, 'sso_code_rejected', {
      en: 'The sign-in service refused the sign-in code: it has expired or was already used. Start again with your email.',
      nb: 'Påloggingstjenesten avviste påloggingskoden: den er utløpt eller allerede brukt. Begynn på nytt med e-postadressen din.',
    });
  }
}

export class SsoAnswerInvalidError extends DomainError {
  constructor() {
    super(502, 'sso_answer_invalid', {
      en: "The sign-in service's answer could not be checked, so you were not signed in. Try again; if it keeps failing, tell your organisation's owner.",
      nb: 'Svaret fra påloggingstjenesten kunne ikke kontrolleres, så du ble ikke logget på. Prøv igjen; hvis det fortsatt feiler, si fra til eieren av organisasjonen.',
    });
  }
}

export class SsoDeniedError extends DomainError {
  constructor() {
    super(403, 'sso_denied', {
      en: 'The sign-in service did not sign you in. Start again with your email, or ask your IT department.',
      nb: 'Påloggingstjenesten logget deg ikke på. Begynn på nytt med e-postadressen din, eller spør IT-avdelingen.',
    });
  }
}

export class SsoUnreachableError extends DomainError {
  constructor(organisationName: string) {
    super(502, 'sso_unreachable', {
      en: `The sign-in service of ${organisationName} did not answer. Try again in a moment; if it keeps failing, tell the organisation's owner.`,
      nb: `Påloggingstjenesten til ${organisationName} svarte ikke. Prøv igjen om litt; hvis det fortsatt feiler, si fra til eieren av organisasjonen.`,
    });
  }
}

export class SsoDomainNotVerifiedError extends DomainError {
  constructor(domain: string, organisationName: string) {
    super(403, 'sso_domain_not_verified', {
      en: `${domain} is not a verified email domain of ${organisationName}, so its sign-in service cannot sign in this address. An owner of the organisation can verify the domain under Sign-in settings.`,
      nb: `${domain} er ikke et bekreftet e-postdomene for ${organisationName}, så påloggingstjenesten kan ikke logge på denne adressen. En eier av organisasjonen kan bekrefte domenet under Påloggingsinnstillinger.`,
    });
  }
}

export class SsoDisabledError extends DomainError {
  constructor(organisationName: string) {
    super(403, 'sso_disabled', {
      en: `Sign-in through the sign-in service of ${organisationName} is turned off. Ask an owner of the organisation to turn it on.`,
      nb: `Pålogging gjennom påloggingstjenesten til ${organisationName} er slått av. Be en eier av organisasjonen om å slå den på.`,
    });
  }
}

export class SsoEmailMissingError extends DomainError {
  constructor() {
    super(403, 'sso_email_missing', {
      en: "The sign-in service did not give a verified email address, which Keyhold needs to find your account. Ask your organisation's owner to release the email claim to Keyhold.",
      nb: 'Påloggingstjenesten oppga ingen bekreftet e-postadresse, som Keyhold trenger for å finne kontoen din. Be eieren av organisasjonen om å frigi e-post-kravet til Keyhold.',
    });
  }
}

/** Password or passkey sign-in for an address whose organisation signs everyone in itself. */
export class SsoRequiredError extends DomainError {
  constructor(organisationName: string) {
    super(403, 'sso_required', {
      en: `${organisationName} signs in its people through its own sign-in service. Enter your email and choose Next to go there.`,
      nb: `${organisationName} logger på sine folk gjennom sin egen påloggingstjeneste. Skriv inn e-postadressen din og velg Neste for å gå dit.`,
    });
  }
}
