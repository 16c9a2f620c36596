import { useTranslation } from 'react-i18next';
import * as auth from '../api/auth.js';
import { Link } from '../router.js';
import { cacheKey, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';
import { ErrorMessage } from './error-message.js';

/** Security page: the organisations the account belongs to; owners reach their sign-in settings. */
export function OrganisationsSection() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const me = useResource(cacheKey(account.id, '/auth/me'), () => auth.getMe(account.id));
  const memberships = me.data?.memberships ?? [];
  return (
    <section className="card stack" aria-labelledby="organisations-heading">
      <h2 id="organisations-heading">{t('security.organisations.title')}</h2>
      <ErrorMessage error={me.error} />
      {me.data && memberships.length === 0 ? (
        <p className="hint">{t('security.organisations.none')}</p>
      ) : null}
      <ul className="plain-list sessions">
        {memberships.map((membership) => (
          <li key={membership.organisationId} className="session-row">
            <div>
              <p className="session-device">{membership.organisationName}</p>
              <p className="hint">{t(`orgSignIn.roles.${membership.role}`)}</p>
            </div>
            {membership.role === 'owner' ? (
              <Link
                className="button button-small"
                to={`/orgs/${membership.organisationId}/sign-in-settings`}
              >
                {t('security.organisations.signInSettings')}
                <span className="visually-hidden"> {membership.organisationName}</span>
              </Link>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
