import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { listOrganisations, type MembershipRole, type Organisation } from '../api/orgs.js';
import { Link } from '../router.js';
import { cacheKey, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';
import { ErrorMessage } from './error-message.js';
import { Page } from './page.js';

export type OrganisationSection =
  'library' | 'devices' | 'approvals' | 'members' | 'policies' | 'audit' | 'report';

/**
 * What each role is shown, mirroring what the server lets it do (src/server/policies.ts):
 * auditors read the audit and the report and never a key; members see their own devices.
 */
const sectionsOf: Record<MembershipRole, OrganisationSection[]> = {
  owner: ['library', 'devices', 'approvals', 'members', 'policies', 'audit', 'report'],
  admin: ['library', 'devices', 'approvals', 'members', 'policies', 'audit', 'report'],
  helpdesk: ['library', 'devices', 'approvals', 'members', 'policies'],
  member: ['library', 'devices', 'members', 'policies'],
  auditor: ['audit', 'report', 'members', 'policies'],
};

export function sectionsFor(role: MembershipRole): OrganisationSection[] {
  return sectionsOf[role];
}

const sectionPath: Record<OrganisationSection, string> = {
  library: '',
  devices: '/devices',
  approvals: '/approvals',
  members: '/members',
  policies: '/policies',
  audit: '/audit',
  report: '/report',
};

export function organisationPath(orgId: string, section: OrganisationSection = 'library') {
  return `/orgs/${encodeURIComponent(orgId)}${sectionPath[section]}`;
}

/** Where an organisation opens: its library, or the audit for those who never see a key. */
export function organisationHome(organisation: Organisation): string {
  return organisationPath(organisation.id, sectionsFor(organisation.role)[0]);
}

export function useOrganisations() {
  const account = useActiveAccount();
  return useResource(cacheKey(account.id, '/orgs'), (signal) =>
    listOrganisations(account.id, signal),
  );
}

/**
 * Which library the pages show: the person's own keys or one of their organisations'. Links, so
 * each library has its own address and the browser's back button moves between them.
 */
/** `current`: an organisation's id, null for the person's own keys, '' for the list itself. */
export function LibrarySwitcher({ current }: { current: string | null }) {
  const { t } = useTranslation();
  const organisations = useOrganisations();
  return (
    <nav className="library-switcher" aria-label={t('orgs.switcher.label')}>
      <ul>
        <li>
          <Link to="/keys" aria-current={current === null ? 'page' : undefined}>
            {t('orgs.switcher.personal')}
          </Link>
        </li>
        {(organisations.data?.organisations ?? []).map((organisation) => (
          <li key={organisation.id}>
            <Link
              to={organisationHome(organisation)}
              aria-current={current === organisation.id ? 'page' : undefined}
            >
              {organisation.name}
            </Link>
          </li>
        ))}
        <li>
          <Link
            to="/orgs"
            className="library-switcher-manage"
            aria-current={current === '' ? 'page' : undefined}
          >
            {t('orgs.switcher.manage')}
          </Link>
        </li>
      </ul>
    </nav>
  );
}

/**
 * The frame of every organisation page: the library switcher, the organisation's name and the
 * sections the caller's role may open. A non-member sees the same "not found" as for an
 * organisation that does not exist.
 */
export function OrganisationPage({
  orgId,
  section,
  focusHeading = true,
  children,
}: {
  orgId: string;
  section: OrganisationSection;
  focusHeading?: boolean;
  children: (organisation: Organisation) => ReactNode;
}) {
  const { t } = useTranslation();
  const organisations = useOrganisations();
  const organisation = organisations.data?.organisations.find((item) => item.id === orgId);
  const sectionTitle = t(`orgs.sections.${section}`);

  if (!organisation) {
    return (
      <Page title={sectionTitle}>
        <LibrarySwitcher current={orgId} />
        {organisations.error ? (
          <ErrorMessage error={organisations.error} />
        ) : organisations.data ? (
          <p className="alert alert-error" role="alert">
            {t('orgs.notFound')}
          </p>
        ) : (
          <p role="status">{t('common.loading')}</p>
        )}
      </Page>
    );
  }

  const sections = sectionsFor(organisation.role);
  return (
    <Page
      title={`${sectionTitle} · ${organisation.name}`}
      focusHeading={focusHeading}
      intro={
        <p className="hint">
          {t('orgs.yourRole', { role: t(`orgs.roles.${organisation.role}.name`) })}
        </p>
      }
    >
      <LibrarySwitcher current={orgId} />
      <nav
        className="section-tabs"
        aria-label={t('orgs.sectionsLabel', { name: organisation.name })}
      >
        <ul>
          {sections.map((item) => {
            return (
              <li key={item}>
                <Link
                  to={organisationPath(orgId, item)}
                  aria-current={item === section ? 'page' : undefined}
                >
                  {t(`orgs.sections.${item}`)}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      {sections.includes(section) ? (
        children(organisation)
      ) : (
        <p className="alert alert-warning" role="alert">
          {t('orgs.notForRole')}
        </p>
      )}
    </Page>
  );
}
