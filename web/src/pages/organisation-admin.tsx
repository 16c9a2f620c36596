import { useId, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import {
  addMember,
  changeMemberRole,
  changePolicies,
  createOrganisation,
  getPolicies,
  listInvitations,
  listMembers,
  organisationRoles,
  removeMember,
  resendInvitation,
  revokeInvitation,
  type Invitation,
  type LibraryPolicies,
  type Member,
  type MembershipRole,
  type Organisation,
} from '../api/orgs.js';
import { EmailText } from '../components/email-text.js';
import { DataTable } from '../components/data-table.js';
import { ErrorMessage } from '../components/error-message.js';
import {
  LibrarySwitcher,
  managingRoles,
  OrganisationPage,
  organisationHome,
  useOrganisations,
} from '../components/organisation-page.js';
import { Page } from '../components/page.js';
import { formatDate } from '../format.js';
import { Link, navigate } from '../router.js';
import { cacheKey, invalidate, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';

export function OrganisationsPage() {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const organisations = useOrganisations();
  const nameId = useId();
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const list = organisations.data?.organisations ?? [];

  const create = (event: SubmitEvent) => {
    event.preventDefault();
    setError(undefined);
    createOrganisation(account.id, name.trim())
      .then(({ organisation }) => {
        invalidate(account.id, '/orgs');
        navigate(organisationHome(organisation));
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  return (
    <Page title={t('orgs.list.title')} intro={<p>{t('orgs.list.intro')}</p>}>
      <LibrarySwitcher current="" />
      <ErrorMessage error={organisations.error} />
      {organisations.data && list.length === 0 ? <p>{t('orgs.list.none')}</p> : null}
      {list.length > 0 ? (
        <ul className="card-list">
          {list.map((organisation) => (
            <li key={organisation.id} className="card">
              <Link to={organisationHome(organisation)} className="card-title">
                {organisation.name}
              </Link>
              <p className="hint">{t(`orgs.roles.${organisation.role}.name`)}</p>
              {organisation.role === 'owner' ? (
                <Link to={`/orgs/${organisation.id}/sign-in-settings`}>
                  {t('orgSignIn.title')}
                  <span className="visually-hidden"> {organisation.name}</span>
                </Link>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      <form className="card stack" onSubmit={create}>
        <h2>{t('orgs.list.createTitle')}</h2>
        <div className="field">
          <label htmlFor={nameId}>{t('orgs.list.name')}</label>
          <input
            id={nameId}
            required
            maxLength={100}
            value={name}
            onChange={(event) => {
              setName(event.target.value);
            }}
          />
        </div>
        <p className="hint">{t('orgs.list.createHint')}</p>
        <ErrorMessage error={error} />
        <div>
          <button type="submit" className="button button-primary">
            {t('orgs.list.create')}
          </button>
        </div>
      </form>
    </Page>
  );
}

function RoleSelect({
  value,
  onChange,
  label,
  id,
}: {
  value: MembershipRole;
  onChange: (role: MembershipRole) => void;
  label?: string;
  id?: string;
}) {
  const { t } = useTranslation();
  return (
    <select
      id={id}
      aria-label={label}
      value={value}
      onChange={(event) => {
        const chosen = organisationRoles.find((role) => role === event.target.value);
        if (chosen) onChange(chosen);
      }}
    >
      {organisationRoles.map((role) => (
        <option key={role} value={role}>
          {t(`orgs.roles.${role}.name`)}
        </option>
      ))}
    </select>
  );
}

function AddMemberForm({ orgId, onAdded }: { orgId: string; onAdded: () => void }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const emailId = useId();
  const roleId = useId();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<MembershipRole>('member');
  const [error, setError] = useState<unknown>(undefined);
  const [message, setMessage] = useState('');

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    setError(undefined);
    setMessage('');
    addMember(account.id, orgId, email.trim(), role)
      .then((added) => {
        setEmail('');
        setMessage(
          'member' in added
            ? t('orgs.members.added', {
                name: added.member.displayName,
                role: t(`orgs.roles.${added.member.role}.name`),
              })
            : t('orgs.invitations.sent', {
                email: added.invitation.email,
                role: t(`orgs.roles.${added.invitation.role}.name`),
              }),
        );
        onAdded();
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  return (
    <form className="card stack" onSubmit={submit}>
      <h2>{t('orgs.members.addTitle')}</h2>
      <div className="field-row">
        <div className="field field-grow">
          <label htmlFor={emailId}>{t('orgs.members.email')}</label>
          <input
            id={emailId}
            type="email"
            required
            autoComplete="off"
            value={email}
            onChange={(event) => {
              setEmail(event.target.value);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={roleId}>{t('orgs.members.role')}</label>
          <RoleSelect id={roleId} value={role} onChange={setRole} />
        </div>
      </div>
      <p className="hint">{t('orgs.members.addHint')}</p>
      <p role="status" className="status-line">
        {message}
      </p>
      <ErrorMessage error={error} />
      <div>
        <button type="submit" className="button button-primary">
          {t('orgs.members.add')}
        </button>
      </div>
    </form>
  );
}

/**
 * Addresses invited by mail that have not joined yet, for owners and admins: the invitation can
 * be mailed again (with a new expiry) or revoked. Shown only while there are any.
 */
function InvitationList({ orgId }: { orgId: string }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const path = `/orgs/${orgId}/invitations`;
  const invitations = useResource(cacheKey(account.id, path), () =>
    listInvitations(account.id, orgId),
  );
  const [error, setError] = useState<unknown>(undefined);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState('');

  const act = (invitation: Invitation, work: Promise<unknown>, done: string) => {
    setError(undefined);
    setMessage('');
    setBusy(invitation.id);
    work
      .then(() => {
        setMessage(done);
        invalidate(account.id, path);
        invitations.reload();
      })
      .catch((caught: unknown) => {
        setError(caught);
      })
      .finally(() => {
        setBusy('');
      });
  };
  const resend = (invitation: Invitation) => {
    act(
      invitation,
      resendInvitation(account.id, orgId, invitation.id),
      t('orgs.invitations.resent', { email: invitation.email }),
    );
  };
  const revoke = (invitation: Invitation) => {
    act(
      invitation,
      revokeInvitation(account.id, orgId, invitation.id),
      t('orgs.invitations.revoked', { email: invitation.email }),
    );
  };

  const list = invitations.data?.invitations ?? [];
  return (
    <section className="stack" aria-labelledby="invitations-heading">
      <ErrorMessage error={invitations.error ?? error} />
      <p role="status" className="status-line">
        {message}
      </p>
      {list.length > 0 ? (
        <>
          <h2 id="invitations-heading">{t('orgs.invitations.title')}</h2>
          <p className="hint">{t('orgs.invitations.intro')}</p>
          <DataTable
            caption={t('orgs.invitations.title')}
            rows={list}
            rowKey={(invitation) => invitation.id}
            columns={[
              {
                header: t('orgs.invitations.email'),
                cell: (invitation) => <EmailText email={invitation.email} />,
              },
              {
                header: t('orgs.members.role'),
                cell: (invitation) => t(`orgs.roles.${invitation.role}.name`),
              },
              {
                header: t('orgs.invitations.invitedBy'),
                cell: (invitation) =>
                  invitation.invitedBy?.displayName ?? t('orgs.invitations.deletedAccount'),
              },
              {
                header: t('orgs.invitations.invitedAt'),
                cell: (invitation) => (
                  <time dateTime={invitation.invitedAt}>{formatDate(invitation.invitedAt)}</time>
                ),
              },
              {
                header: t('orgs.invitations.expiresAt'),
                cell: (invitation) => (
                  <time dateTime={invitation.expiresAt}>{formatDate(invitation.expiresAt)}</time>
                ),
              },
              {
                header: t('orgs.library.actions'),
                headerHidden: true,
                className: 'row-actions',
                cell: (invitation) => (
                  <>
                    <button
                      type="button"
                      className="button button-small"
                      disabled={busy === invitation.id}
                      onClick={() => {
                        resend(invitation);
                      }}
                    >
                      {t('orgs.invitations.resend')}
                      <span className="visually-hidden"> {invitation.email}</span>
                    </button>
                    <button
                      type="button"
                      className="button button-small button-quiet"
                      disabled={busy === invitation.id}
                      onClick={() => {
                        revoke(invitation);
                      }}
                    >
                      {t('orgs.invitations.revoke')}
                      <span className="visually-hidden"> {invitation.email}</span>
                    </button>
                  </>
                ),
              },
            ]}
          />
        </>
      ) : null}
    </section>
  );
}

function MemberList({ organisation }: { organisation: Organisation }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const orgId = organisation.id;
  const members = useResource(cacheKey(account.id, `/orgs/${orgId}/members`), () =>
    listMembers(account.id, orgId),
  );
  const [error, setError] = useState<unknown>(undefined);
  const [message, setMessage] = useState('');
  const [added, setAdded] = useState(0);
  const manages = managingRoles.includes(organisation.role);

  const changed = (text: string) => {
    setMessage(text);
    invalidate(account.id, `/orgs/${orgId}/members`);
    members.reload();
  };
  const fail = (caught: unknown) => {
    setError(caught);
  };

  const changeRole = (member: Member, role: MembershipRole) => {
    setError(undefined);
    changeMemberRole(account.id, orgId, member.accountId, role)
      .then(() => {
        changed(
          t('orgs.members.roleChanged', {
            name: member.displayName,
            role: t(`orgs.roles.${role}.name`),
          }),
        );
      })
      .catch(fail);
  };

  const remove = (member: Member) => {
    setError(undefined);
    removeMember(account.id, orgId, member.accountId)
      .then(() => {
        if (member.accountId === account.id) {
          invalidate(account.id, '/orgs');
          navigate('/orgs');
          return;
        }
        changed(t('orgs.members.removed', { name: member.displayName }));
      })
      .catch(fail);
  };

  return (
    <>
      {manages ? (
        <AddMemberForm
          orgId={orgId}
          onAdded={() => {
            changed('');
            // A new invitation may have been sent: the list is fetched afresh.
            invalidate(account.id, `/orgs/${orgId}/invitations`);
            setAdded((count) => count + 1);
          }}
        />
      ) : null}
      {manages ? <InvitationList key={added} orgId={orgId} /> : null}
      <ErrorMessage error={members.error ?? error} />
      <p role="status" className="status-line">
        {message}
      </p>
      {members.data ? (
        <DataTable
          caption={t('orgs.sections.members')}
          rows={members.data.members}
          rowKey={(member) => member.accountId}
          columns={[
            {
              header: t('orgs.members.name'),
              cell: (member) => (
                <>
                  <span className="account-name">{member.displayName}</span>
                  <br />
                  <span className="hint">
                    <EmailText email={member.email} />
                  </span>
                </>
              ),
            },
            {
              header: t('orgs.members.role'),
              cell: (member) =>
                manages && member.accountId !== account.id ? (
                  <RoleSelect
                    value={member.role}
                    label={t('orgs.members.roleOf', { name: member.displayName })}
                    onChange={(role) => {
                      changeRole(member, role);
                    }}
                  />
                ) : (
                  t(`orgs.roles.${member.role}.name`)
                ),
            },
            {
              header: t('orgs.members.since'),
              cell: (member) => <time dateTime={member.addedAt}>{formatDate(member.addedAt)}</time>,
            },
            {
              header: t('orgs.library.actions'),
              headerHidden: true,
              className: 'row-actions',
              cell: (member) =>
                manages || member.accountId === account.id ? (
                  <button
                    type="button"
                    className="button button-small button-quiet"
                    onClick={() => {
                      remove(member);
                    }}
                  >
                    {member.accountId === account.id
                      ? t('orgs.members.leave')
                      : t('orgs.members.remove')}
                    <span className="visually-hidden"> {member.displayName}</span>
                  </button>
                ) : null,
            },
          ]}
        />
      ) : members.error ? null : (
        <p role="status">{t('common.loading')}</p>
      )}
      <section className="card stack" aria-labelledby="roles-heading">
        <h2 id="roles-heading">{t('orgs.members.rolesTitle')}</h2>
        <dl className="role-list">
          {organisationRoles.map((role) => (
            <div key={role}>
              <dt>{t(`orgs.roles.${role}.name`)}</dt>
              <dd>{t(`orgs.roles.${role}.description`)}</dd>
            </div>
          ))}
        </dl>
      </section>
    </>
  );
}

export function OrganisationMembersPage({ orgId }: { orgId: string }) {
  return (
    <OrganisationPage orgId={orgId} section="members">
      {(organisation) => <MemberList organisation={organisation} />}
    </OrganisationPage>
  );
}

const policySwitches = [
  'selfServiceReveal',
  'requireApproval',
  'notifyAssignee',
  'notifyAdmins',
  'ensureRecoveryPassword',
] as const;

function PolicyForm({ organisation }: { organisation: Organisation }) {
  const { t } = useTranslation();
  const account = useActiveAccount();
  const orgId = organisation.id;
  const policies = useResource(cacheKey(account.id, `/orgs/${orgId}/policies`), () =>
    getPolicies(account.id, orgId),
  );
  const [edited, setEdited] = useState<Partial<LibraryPolicies>>({});
  const [error, setError] = useState<unknown>(undefined);
  const [message, setMessage] = useState('');
  const manages = managingRoles.includes(organisation.role);
  const lifetimeId = useId();
  const current = policies.data?.policies;

  if (!current) {
    return policies.error ? (
      <ErrorMessage error={policies.error} />
    ) : (
      <p role="status">{t('common.loading')}</p>
    );
  }
  const shown = { ...current, ...edited };

  const save = (event: SubmitEvent) => {
    event.preventDefault();
    setError(undefined);
    setMessage('');
    changePolicies(account.id, orgId, edited)
      .then(() => {
        setEdited({});
        setMessage(t('orgs.policies.saved'));
        invalidate(account.id, `/orgs/${orgId}/policies`);
        policies.reload();
      })
      .catch((caught: unknown) => {
        setError(caught);
      });
  };

  return (
    <form className="card stack" onSubmit={save}>
      {manages ? null : <p className="hint">{t('orgs.policies.readOnly')}</p>}
      <fieldset disabled={!manages}>
        <legend>{t('orgs.policies.legend')}</legend>
        {policySwitches.map((name) => (
          <div key={name} className="policy">
            <label className="check">
              <input
                type="checkbox"
                checked={shown[name]}
                onChange={(event) => {
                  setEdited((before) => ({ ...before, [name]: event.target.checked }));
                }}
              />
              {t(`orgs.policies.${name}.label`)}
            </label>
            <p className="hint">{t(`orgs.policies.${name}.hint`)}</p>
          </div>
        ))}
        <div className="field policy">
          <label htmlFor={lifetimeId}>{t('orgs.policies.approvalLifetimeHours.label')}</label>
          <input
            id={lifetimeId}
            className="short-input"
            type="number"
            min={1}
            max={720}
            required
            value={shown.approvalLifetimeHours}
            onChange={(event) => {
              setEdited((before) => ({
                ...before,
                approvalLifetimeHours: Number(event.target.value),
              }));
            }}
          />
          <p className="hint">{t('orgs.policies.approvalLifetimeHours.hint')}</p>
        </div>
      </fieldset>
      <p role="status" className="status-line">
        {message}
      </p>
      <ErrorMessage error={error} />
      {manages ? (
        <div>
          <button
            type="submit"
            className="button button-primary"
            disabled={Object.keys(edited).length === 0}
          >
            {t('orgs.policies.save')}
          </button>
        </div>
      ) : null}
    </form>
  );
}

export function OrganisationPoliciesPage({ orgId }: { orgId: string }) {
  return (
    <OrganisationPage orgId={orgId} section="policies">
      {(organisation) => <PolicyForm organisation={organisation} />}
    </OrganisationPage>
  );
}
