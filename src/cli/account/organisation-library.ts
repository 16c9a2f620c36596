import type { MembershipRole, Organisation } from '../../api/orgs.js';
import type { Wording } from '../../text/wording.js';
import { say } from '../../text/terminal-language.js';
import { CliError, ExitCode, escapeForTerminal } from '../output.js';
import { ApiError, KeyholdApi, loginProblem } from './api-client.js';
import { credentialWording, type StoredCredential } from './credentials.js';

/**
 * The organisation library `keyhold backup --to account --org NAME` adds a key to: one the
 * logged-in person belongs to, found by its name. The server decides who may add keys; these
 * messages say what to do when it is not this person.
 */

export type OrganisationTarget = Pick<Organisation, 'id' | 'name' | 'role'>;

const roleNames: Record<MembershipRole, Wording> = {
  owner: { en: 'owner', nb: 'eier' },
  admin: { en: 'admin', nb: 'administrator' },
  helpdesk: { en: 'helpdesk', nb: 'brukerstøtte' },
  member: { en: 'member', nb: 'medlem' },
  auditor: { en: 'auditor', nb: 'revisor' },
};

export const organisationMessages = {
  unknown: (name: string, where: string, known: string[]): Wording => ({
    en:
      known.length === 0
        ? `--org ${name}: ${where} belongs to no organisation. Ask an organisation's admin to add you, or leave out --org to back up to your own account.`
        : `--org ${name}: ${where} belongs to no organisation of that name. Its organisations: ${known.join(', ')}.`,
    nb:
      known.length === 0
        ? `--org ${name}: ${where} er ikke med i noen organisasjon. Be en administrator i organisasjonen legge deg til, eller utelat --org for å sikkerhetskopiere til din egen konto.`
        : `--org ${name}: ${where} er ikke med i noen organisasjon med det navnet. Organisasjonene: ${known.join(', ')}.`,
  }),
  mayNotAdd: (organisation: OrganisationTarget): Wording => ({
    en: `Your role in ${organisation.name} is ${roleNames[organisation.role].en}: only owners, admins and helpdesk add keys to its library. Ask one of them to add the key, or leave out --org to back up to your own account.`,
    nb: `Rollen din i ${organisation.name} er ${roleNames[organisation.role].nb}: bare eiere, administratorer og brukerstøtte legger nøkler i biblioteket. Be en av dem legge til nøkkelen, eller utelat --org for å sikkerhetskopiere til din egen konto.`,
  }),
  needsAccount: {
    en: '--org NAME chooses the organisation library for --to account; add account to --to (e.g. --to account --org "Acme IT").',
    nb: '--org NAVN velger organisasjonsbiblioteket for --to account; legg account til i --to (f.eks. --to account --org "Acme IT").',
  } satisfies Wording,
};

function sameName(a: string, b: string): boolean {
  const normal = (text: string) => text.normalize('NFC').trim().toLocaleLowerCase();
  return normal(a) === normal(b);
}

/** The organisation of this name (any letter case) the login's person belongs to. */
export async function organisationNamed(
  credential: StoredCredential,
  name: string,
): Promise<OrganisationTarget> {
  let organisations: Organisation[];
  try {
    ({ organisations } = await KeyholdApi.forCredential(credential).request<{
      organisations: Organisation[];
    }>('GET', '/api/v1/orgs'));
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      throw loginProblem(credential, error);
    }
    throw error;
  }
  const found = organisations.find((organisation) => sameName(organisation.name, name));
  if (!found) {
    throw new CliError(
      say(
        organisationMessages.unknown(
          escapeForTerminal(name),
          say(credentialWording(credential)),
          organisations.map((organisation) => escapeForTerminal(organisation.name)),
        ),
      ),
      ExitCode.unusable,
    );
  }
  return { id: found.id, name: escapeForTerminal(found.name), role: found.role };
}

/** The server refused this person's role: said in words that name the role and the way out. */
export function mayNotAdd(organisation: OrganisationTarget): CliError {
  return new CliError(say(organisationMessages.mayNotAdd(organisation)), ExitCode.unusable);
}

export function orgNeedsAccount(): CliError {
  return new CliError(say(organisationMessages.needsAccount), ExitCode.unusable);
}
