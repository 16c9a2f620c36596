import { Fragment, lazy, Suspense, useEffect, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Layout } from './components/layout.js';
import { HelpArticlePage, HelpIndexPage } from './pages/help.js';
import { NotFoundPage } from './pages/not-found.js';
import { matchPath, navigate, useLocation } from './router.js';
import { SessionProvider, useSession } from './state/session.js';

// Sign-in and help are in the first download; everything behind sign-in loads on demand.
const SignInPage = lazy(() =>
  import('./pages/sign-in.js').then((m) => ({ default: m.SignInPage })),
);
const SsoReturnPage = lazy(() =>
  import('./pages/sign-in-sso.js').then((m) => ({ default: m.SsoReturnPage })),
);
const OrgSignInSettingsPage = lazy(() =>
  import('./pages/org-sign-in-settings.js').then((m) => ({ default: m.OrgSignInSettingsPage })),
);
const ConfirmEmailPage = lazy(() =>
  import('./pages/confirm-email.js').then((m) => ({ default: m.ConfirmEmailPage })),
);
const SignUpPage = lazy(() =>
  import('./pages/sign-up.js').then((m) => ({ default: m.SignUpPage })),
);
const FindPage = lazy(() => import('./pages/find.js').then((m) => ({ default: m.FindPage })));
const LibraryPage = lazy(() =>
  import('./pages/library.js').then((m) => ({ default: m.LibraryPage })),
);
const DeletedKeysPage = lazy(() =>
  import('./pages/library.js').then((m) => ({ default: m.DeletedKeysPage })),
);
const KeyDetailPage = lazy(() =>
  import('./pages/key-detail.js').then((m) => ({ default: m.KeyDetailPage })),
);
const AddKeyPage = lazy(() =>
  import('./pages/add-key.js').then((m) => ({ default: m.AddKeyPage })),
);
const VaultPage = lazy(() => import('./pages/vault.js').then((m) => ({ default: m.VaultPage })));
const SecurityPage = lazy(() =>
  import('./pages/security.js').then((m) => ({ default: m.SecurityPage })),
);
const ActivityPage = lazy(() =>
  import('./pages/activity.js').then((m) => ({ default: m.ActivityPage })),
);
const ConnectDevicePage = lazy(() =>
  import('./pages/connect-device.js').then((m) => ({ default: m.ConnectDevicePage })),
);
const OrganisationsPage = lazy(() =>
  import('./pages/organisation-admin.js').then((m) => ({ default: m.OrganisationsPage })),
);
const OrganisationMembersPage = lazy(() =>
  import('./pages/organisation-admin.js').then((m) => ({ default: m.OrganisationMembersPage })),
);
const OrganisationPoliciesPage = lazy(() =>
  import('./pages/organisation-admin.js').then((m) => ({ default: m.OrganisationPoliciesPage })),
);
const OrganisationLibraryPage = lazy(() =>
  import('./pages/organisation-library.js').then((m) => ({
    default: m.OrganisationLibraryPage,
  })),
);
const OrganisationDevicesPage = lazy(() =>
  import('./pages/organisation-library.js').then((m) => ({
    default: m.OrganisationDevicesPage,
  })),
);
const OrganisationDevicePage = lazy(() =>
  import('./pages/organisation-library.js').then((m) => ({ default: m.OrganisationDevicePage })),
);
const OrganisationApprovalsPage = lazy(() =>
  import('./pages/organisation-oversight.js').then((m) => ({
    default: m.OrganisationApprovalsPage,
  })),
);
const OrganisationAuditPage = lazy(() =>
  import('./pages/organisation-oversight.js').then((m) => ({ default: m.OrganisationAuditPage })),
);
const OrganisationReportPage = lazy(() =>
  import('./pages/organisation-oversight.js').then((m) => ({ default: m.OrganisationReportPage })),
);
const OrgEnrollmentPage = lazy(() =>
  import('./pages/org-enrollment.js').then((m) => ({ default: m.OrgEnrollmentPage })),
);
const AdminFeedbackPage = lazy(() =>
  import('./pages/admin-feedback.js').then((m) => ({ default: m.AdminFeedbackPage })),
);

function Loading() {
  const { t } = useTranslation();
  return (
    <p className="loading" role="status">
      {t('common.loading')}
    </p>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => {
    navigate(to, { replace: true });
  }, [to]);
  return null;
}

/**
 * Pages behind sign-in. Keyed by the account, so switching accounts rebuilds the page from
 * scratch and no state of the previous account survives in it.
 */
function SignedIn({ children }: { children: ReactNode }) {
  const { active, ready } = useSession();
  const { pathname, query } = useLocation();
  if (!ready) return <Loading />;
  if (!active) {
    const here = pathname + (query.size > 0 ? `?${query.toString()}` : '');
    return <Redirect to={`/sign-in?next=${encodeURIComponent(here)}`} />;
  }
  return <Fragment key={active.id}>{children}</Fragment>;
}

function Routes() {
  const { pathname, query } = useLocation();
  const { active, ready } = useSession();

  if (pathname === '/') {
    if (!ready) return <Loading />;
    return <Redirect to={active ? '/keys' : '/sign-in'} />;
  }
  if (pathname === '/sign-in') {
    // The picker needs the account list; a new query (another account) starts afresh.
    return ready ? <SignInPage key={query.toString()} /> : <Loading />;
  }
  if (pathname === '/sign-in/sso') return ready ? <SsoReturnPage /> : <Loading />;
  if (pathname === '/sign-up') return <SignUpPage />;
  if (pathname === '/confirm-email') return <ConfirmEmailPage />;
  if (pathname === '/find') return <FindPage />;
  if (pathname === '/help') return <HelpIndexPage />;
  const article = matchPath('/help/:slug', pathname);
  if (article?.slug) return <HelpArticlePage key={article.slug} slug={article.slug} />;

  const signedInPages: [string, (params: Record<string, string>) => ReactNode][] = [
    ['/keys', () => <LibraryPage />],
    ['/keys/new', () => <AddKeyPage />],
    ['/keys/deleted', () => <DeletedKeysPage />],
    ['/keys/:id', (params) => <KeyDetailPage key={params.id} id={params.id ?? ''} />],
    ['/vault', () => <VaultPage />],
    ['/security', () => <SecurityPage />],
    ['/connect-device', () => <ConnectDevicePage />],
    ['/activity', () => <ActivityPage />],
    ['/admin/feedback', () => <AdminFeedbackPage />],
    ['/orgs', () => <OrganisationsPage />],
    // Keyed by the organisation, so switching libraries starts each page afresh.
    ['/orgs/:orgId', (p) => <OrganisationLibraryPage key={p.orgId} orgId={p.orgId ?? ''} />],
    [
      '/orgs/:orgId/devices',
      (p) => <OrganisationDevicesPage key={p.orgId} orgId={p.orgId ?? ''} />,
    ],
    [
      '/orgs/:orgId/devices/:id',
      (p) => (
        <OrganisationDevicePage
          key={`${p.orgId}/${p.id}`}
          orgId={p.orgId ?? ''}
          deviceId={p.id ?? ''}
        />
      ),
    ],
    [
      '/orgs/:orgId/members',
      (p) => <OrganisationMembersPage key={p.orgId} orgId={p.orgId ?? ''} />,
    ],
    [
      '/orgs/:orgId/approvals',
      (p) => <OrganisationApprovalsPage key={p.orgId} orgId={p.orgId ?? ''} />,
    ],
    ['/orgs/:orgId/audit', (p) => <OrganisationAuditPage key={p.orgId} orgId={p.orgId ?? ''} />],
    ['/orgs/:orgId/report', (p) => <OrganisationReportPage key={p.orgId} orgId={p.orgId ?? ''} />],
    [
      '/orgs/:orgId/policies',
      (p) => <OrganisationPoliciesPage key={p.orgId} orgId={p.orgId ?? ''} />,
    ],
    [
      '/orgs/:orgId/sign-in-settings',
      (p) => <OrgSignInSettingsPage key={p.orgId} orgId={p.orgId ?? ''} />,
    ],
    [
      '/orgs/:orgId/enrollment',
      (params) => <OrgEnrollmentPage key={params.orgId} orgId={params.orgId ?? ''} />,
    ],
  ];
  for (const [pattern, render] of signedInPages) {
    const params = matchPath(pattern, pathname);
    if (params) return <SignedIn>{render(params)}</SignedIn>;
  }
  return <NotFoundPage />;
}

export function App() {
  return (
    <SessionProvider>
      <Layout>
        <Suspense fallback={<Loading />}>
          <Routes />
        </Suspense>
      </Layout>
    </SessionProvider>
  );
}
