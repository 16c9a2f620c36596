import { useId, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import * as api from '../api/org-sign-in.js';
import { ErrorMessage } from '../components/error-message.js';
import { Page } from '../components/page.js';
import { formatDateTime } from '../format.js';
import { cacheKey, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';

const ssoRoles = ['admin', 'helpdesk', 'member', 'auditor'] as const;
type SsoRole = (typeof ssoRoles)[number];
const secondFactorRoles = ['owner', 'admin', 'helpdesk'] as const;

/** "group = role" per line, as the mapping is typed; lines naming no known role are reported. */
function parseGroupRoles(text: string): { roles: Record<string, SsoRole>; bad: string[] } {
  const roles: Record<string, SsoRole> = {};
  const bad: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const at = line.lastIndexOf('=');
    const group = line.slice(0, at).trim();
    const role = line.slice(at + 1).trim();
    if (at < 1 || group === '' || !ssoRoles.includes(role as SsoRole)) bad.push(line.trim());
    else roles[group] = role as SsoRole;
  }
  return { roles, bad };
}

function formatGroupRoles(roles: Record<string, string>): string {
  return Object.entries(roles)
    .map(([group, role]) => `${group} = ${role}`)
    .join('\n');
}

/** Owners: the organisation's sign-in service, its email domains and its sign-in policies. */
export function OrgSignInSettingsPage({ orgId }: { orgId: string }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const organisation = useResource(cacheKey(account.id, `/orgs/${orgId}`), () =>
    api.getOrganisation(account.id, orgId),
  );
  const name = organisation.data?.organisation.name ?? '';
  return (
    <Page
      title={t('orgSignIn.title')}
      intro={name ? <p>{t('orgSignIn.intro', { organisation: name })}</p> : null}
    >
      <ErrorMessage error={organisation.error} />
      {organisation.data ? (
        <div className="stack">
          <ProviderSection orgId={orgId} />
          <PoliciesSection orgId={orgId} />
        </div>
      ) : null}
    </Page>
  );
}

function ProviderSection({ orgId }: { orgId: string }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const settings = useResource(cacheKey(account.id, `/orgs/${orgId}/sign-in`), () =>
    api.getSsoSettings(account.id, orgId),
  );
  if (settings.error) return <ErrorMessage error={settings.error} />;
  if (!settings.data) {
    return (
      <p className="loading" role="status">
        {t('common.loading')}
      </p>
    );
  }
  return (
    <>
      <ProviderForm
        key={JSON.stringify(settings.data.sso)}
        orgId={orgId}
        sso={settings.data.sso}
        onSaved={settings.reload}
      />
      <DomainsSection orgId={orgId} sso={settings.data.sso} onChanged={settings.reload} />
    </>
  );
}

function ProviderForm({
  orgId,
  sso,
  onSaved,
}: {
  orgId: string;
  sso: api.SsoSettings;
  onSaved: () => void;
}) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const ids = {
    issuer: useId(),
    clientId: useId(),
    secret: useId(),
    secretHint: useId(),
    enabled: useId(),
    requireSso: useId(),
    role: useId(),
    claim: useId(),
    mapping: useId(),
    mappingHint: useId(),
  };
  const [issuer, setIssuer] = useState(sso.issuer ?? '');
  const [clientId, setClientId] = useState(sso.clientId ?? '');
  const [clientSecret, setClientSecret] = useState('');
  const [enabled, setEnabled] = useState(sso.configured ? sso.enabled : true);
  const [requireSso, setRequireSso] = useState(sso.requireSso);
  const [defaultRole, setDefaultRole] = useState<SsoRole>(sso.defaultRole);
  const [groupsClaim, setGroupsClaim] = useState(sso.groupsClaim ?? '');
  const [mapping, setMapping] = useState(formatGroupRoles(sso.groupRoles));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [badLines, setBadLines] = useState<string[]>([]);

  const save = (event: SubmitEvent) => {
    event.preventDefault();
    const parsed = parseGroupRoles(mapping);
    setBadLines(parsed.bad);
    if (parsed.bad.length > 0) return;
    setBusy(true);
    setError(undefined);
    api
      .saveSsoSettings(account.id, orgId, {
        issuer: issuer.trim(),
        clientId: clientId.trim(),
        ...(clientSecret ? { clientSecret } : {}),
        enabled,
        requireSso,
        defaultRole,
        groupsClaim: groupsClaim.trim() || null,
        groupRoles: parsed.roles,
      })
      .then(onSaved, (caught: unknown) => {
        setError(caught);
        setBusy(false);
      });
  };

  return (
    <section className="card stack" aria-labelledby="provider-heading">
      <h2 id="provider-heading">{t('orgSignIn.provider.title')}</h2>
      <p>{t('orgSignIn.provider.intro')}</p>
      <p className="hint">
        {t('orgSignIn.provider.redirect', { url: `${window.location.origin}/sign-in/sso` })}
      </p>
      <form className="stack" onSubmit={save}>
        <div className="field">
          <label htmlFor={ids.issuer}>{t('orgSignIn.provider.issuer')}</label>
          <input
            id={ids.issuer}
            type="url"
            required
            placeholder="https://login.example.org"
            value={issuer}
            onChange={(event) => {
              setIssuer(event.target.value);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.clientId}>{t('orgSignIn.provider.clientId')}</label>
          <input
            id={ids.clientId}
            required
            autoComplete="off"
            value={clientId}
            onChange={(event) => {
              setClientId(event.target.value);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.secret}>{t('orgSignIn.provider.clientSecret')}</label>
          <input
            id={ids.secret}
            type="password"
            autoComplete="new-password"
            required={!sso.clientSecretSet}
            aria-describedby={ids.secretHint}
            value={clientSecret}
            onChange={(event) => {
              setClientSecret(event.target.value);
            }}
          />
          <p className="hint" id={ids.secretHint}>
            {sso.clientSecretSet
              ? t('orgSignIn.provider.secretStored')
              : t('orgSignIn.provider.secretNeeded')}
          </p>
        </div>
        <label className="check" htmlFor={ids.enabled}>
          <input
            id={ids.enabled}
            type="checkbox"
            checked={enabled}
            onChange={(event) => {
              setEnabled(event.target.checked);
            }}
          />
          {t('orgSignIn.provider.enabled')}
        </label>
        <label className="check" htmlFor={ids.requireSso}>
          <input
            id={ids.requireSso}
            type="checkbox"
            checked={requireSso}
            onChange={(event) => {
              setRequireSso(event.target.checked);
            }}
          />
          {t('orgSignIn.provider.requireSso')}
        </label>
        <div className="field">
          <label htmlFor={ids.role}>{t('orgSignIn.provider.defaultRole')}</label>
          <select
            id={ids.role}
            value={defaultRole}
            onChange={(event) => {
              setDefaultRole(event.target.value as SsoRole);
            }}
          >
            {ssoRoles.map((role) => (
              <option key={role} value={role}>
                {t(`orgSignIn.roles.${role}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.claim}>{t('orgSignIn.provider.groupsClaim')}</label>
          <input
            id={ids.claim}
            placeholder="groups"
            value={groupsClaim}
            onChange={(event) => {
              setGroupsClaim(event.target.value);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.mapping}>{t('orgSignIn.provider.mapping')}</label>
          <textarea
            id={ids.mapping}
            rows={4}
            aria-describedby={ids.mappingHint}
            value={mapping}
            onChange={(event) => {
              setMapping(event.target.value);
            }}
          />
          <p className="hint" id={ids.mappingHint}>
            {t('orgSignIn.provider.mappingHint')}
          </p>
        </div>
        {badLines.length > 0 ? (
          <p className="alert alert-error" role="alert">
            {t('orgSignIn.provider.badMapping', { lines: badLines.join('; ') })}
          </p>
        ) : null}
        <ErrorMessage error={error} />
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy}>
            {t('orgSignIn.save')}
          </button>
        </div>
      </form>
    </section>
  );
}

function DomainsSection({
  orgId,
  sso,
  onChanged,
}: {
  orgId: string;
  sso: api.SsoSettings;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const domainId = useId();
  const [domain, setDomain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  const run = (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    action()
      .then(onChanged, (caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy(false);
      });
  };

  const add = (event: SubmitEvent) => {
    event.preventDefault();
    run(async () => {
      await api.claimDomain(account.id, orgId, domain.trim());
      setDomain('');
    });
  };

  return (
    <section className="card stack" aria-labelledby="domains-heading">
      <h2 id="domains-heading">{t('orgSignIn.domains.title')}</h2>
      <p>{t('orgSignIn.domains.intro')}</p>
      {sso.domains.length === 0 ? <p className="hint">{t('orgSignIn.domains.none')}</p> : null}
      <ul className="plain-list sessions">
        {sso.domains.map((entry) => (
          <li key={entry.domain} className="session-row">
            <div>
              <p className="session-device">{entry.domain}</p>
              <p>
                {entry.verified ? (
                  <span className="badge badge-ok">
                    {t('orgSignIn.domains.verified', {
                      date: formatDateTime(entry.verifiedAt ?? ''),
                    })}
                  </span>
                ) : (
                  <span className="badge badge-warning">{t('orgSignIn.domains.unverified')}</span>
                )}
              </p>
            </div>
            <div className="form-actions">
              {entry.verified ? null : (
                <button
                  type="button"
                  className="button button-small"
                  disabled={busy}
                  onClick={() => {
                    run(() => api.verifyDomain(account.id, orgId, entry.domain));
                  }}
                >
                  {t('orgSignIn.domains.verify')}
                  <span className="visually-hidden"> {entry.domain}</span>
                </button>
              )}
              <button
                type="button"
                className="button button-small"
                disabled={busy}
                onClick={() => {
                  run(() => api.removeDomain(account.id, orgId, entry.domain));
                }}
              >
                {t('orgSignIn.domains.remove')}
                <span className="visually-hidden"> {entry.domain}</span>
              </button>
            </div>
          </li>
        ))}
      </ul>
      <p className="hint">{t('orgSignIn.domains.verifyHint')}</p>
      <form className="field-row" onSubmit={add}>
        <div className="field field-grow">
          <label htmlFor={domainId}>{t('orgSignIn.domains.add')}</label>
          <input
            id={domainId}
            required
            placeholder="example.org"
            value={domain}
            onChange={(event) => {
              setDomain(event.target.value);
            }}
          />
        </div>
        <button type="submit" className="button" disabled={busy}>
          {t('orgSignIn.domains.claim')}
        </button>
      </form>
      <ErrorMessage error={error} />
    </section>
  );
}

function PoliciesSection({ orgId }: { orgId: string }) {
  const account = useActiveAccount();
  const policies = useResource(cacheKey(account.id, `/orgs/${orgId}/policies`), () =>
    api.getSigninPolicies(account.id, orgId),
  );
  if (policies.error) return <ErrorMessage error={policies.error} />;
  if (!policies.data) return null;
  return (
    <PoliciesForm
      key={JSON.stringify(policies.data.policies)}
      orgId={orgId}
      policies={policies.data.policies}
      onSaved={policies.reload}
    />
  );
}

function PoliciesForm({
  orgId,
  policies,
  onSaved,
}: {
  orgId: string;
  policies: api.SigninPolicies;
  onSaved: () => void;
}) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const minutesId = useId();
  const minutesHint = useId();
  const [roles, setRoles] = useState(policies.requireSecondFactorFor);
  const [minutes, setMinutes] = useState(
    policies.stepUpMinutes === null ? '' : String(policies.stepUpMinutes),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  const save = (event: SubmitEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    api
      .changeSigninPolicies(account.id, orgId, {
        requireSecondFactorFor: roles,
        stepUpMinutes: minutes.trim() === '' ? null : Number(minutes),
      })
      .then(onSaved, (caught: unknown) => {
        setError(caught);
        setBusy(false);
      });
  };

  return (
    <section className="card stack" aria-labelledby="signin-policies-heading">
      <h2 id="signin-policies-heading">{t('orgSignIn.policies.title')}</h2>
      <form className="stack" onSubmit={save}>
        <fieldset className="stack">
          <legend>{t('orgSignIn.policies.secondFactor')}</legend>
          {secondFactorRoles.map((role) => (
            <label key={role} className="check">
              <input
                type="checkbox"
                checked={roles.includes(role)}
                onChange={(event) => {
                  setRoles((current) =>
                    event.target.checked
                      ? [...current, role]
                      : current.filter((item) => item !== role),
                  );
                }}
              />
              {t(`orgSignIn.roles.${role}`)}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={minutesId}>{t('orgSignIn.policies.stepUp')}</label>
          <input
            id={minutesId}
            type="number"
            min={1}
            max={1440}
            inputMode="numeric"
            aria-describedby={minutesHint}
            value={minutes}
            onChange={(event) => {
              setMinutes(event.target.value);
            }}
          />
          <p className="hint" id={minutesHint}>
            {t('orgSignIn.policies.stepUpHint')}
          </p>
        </div>
        <ErrorMessage error={error} />
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy}>
            {t('orgSignIn.save')}
          </button>
        </div>
      </form>
    </section>
  );
}
