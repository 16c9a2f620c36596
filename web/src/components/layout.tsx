import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from '../router.js';
import { useSession } from '../state/session.js';
import { AccountMenu } from './account-menu.js';
import { LanguageSwitcher } from './language-switcher.js';

interface NavItem {
  to: string;
  label: string;
  /** Highlighted for these path prefixes too. */
  matches?: string[];
}

export function Layout({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const { active } = useSession();
  const { pathname } = useLocation();

  const items: NavItem[] = active
    ? [
        { to: '/keys', label: t('nav.keys'), matches: ['/keys', '/orgs'] },
        { to: '/find', label: t('nav.find') },
        { to: '/vault', label: t('nav.vault') },
        { to: '/security', label: t('nav.security'), matches: ['/security', '/activity'] },
        { to: '/help', label: t('nav.help') },
      ]
    : [
        { to: '/find', label: t('nav.find') },
        { to: '/help', label: t('nav.help') },
      ];
  const isCurrent = (item: NavItem) =>
    (item.matches ?? [item.to]).some(
      (prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`),
    );

  return (
    <>
      <a className="skip-link" href="#main">
        {t('layout.skipToContent')}
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to={active ? '/keys' : '/'} className="brand">
            <img src="/favicon.svg" alt="" width="28" height="28" />
            <span>Keyhold</span>
          </Link>
          <nav aria-label={t('nav.label')} className="mainnav">
            <ul>
              {items.map((item) => (
                <li key={item.to}>
                  <Link to={item.to} aria-current={isCurrent(item) ? 'page' : undefined}>
                    {item.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="topbar-tools">
            <LanguageSwitcher />
            {active ? (
              <AccountMenu />
            ) : pathname.startsWith('/sign-in') ? null : (
              <Link to="/sign-in" className="button button-small">
                {t('nav.signIn')}
              </Link>
            )}
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer className="footer">
        <p>{t('layout.footer')}</p>
      </footer>
    </>
  );
}
