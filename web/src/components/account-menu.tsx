import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { navigate } from '../router.js';
import { useSession } from '../state/session.js';
import { Avatar } from './avatar.js';
import { EmailText } from './email-text.js';

/** The signed-in person's menu: who is active, switch to another account, add one, sign out. */
export function AccountMenu() {
  const { t } = useTranslation();
  const { accounts, active, switchTo, signOut } = useSession();
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const container = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (!container.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  if (!active) return null;
  const others = accounts.filter((account) => account.id !== active.id);

  const go = (to: string) => {
    setOpen(false);
    navigate(to);
  };

  return (
    <div className="account-menu" ref={container}>
      <button
        ref={button}
        type="button"
        className="account-button"
        aria-expanded={open}
        aria-controls={menuId}
        onClick={() => {
          setOpen((value) => !value);
        }}
      >
        <Avatar account={active} />
        <span className="visually-hidden">
          {t('layout.accountMenu', { name: active.displayName })}
        </span>
      </button>
      <div id={menuId} className="account-panel" hidden={!open}>
        <div className="account-current">
          <Avatar account={active} size="large" />
          <div>
            <p className="account-name">{active.displayName}</p>
            <p className="account-email">
              <EmailText email={active.email} />
            </p>
          </div>
        </div>
        {others.length > 0 ? (
          <ul className="account-others" aria-label={t('layout.otherAccounts')}>
            {others.map((account) => (
              <li key={account.id}>
                <button
                  type="button"
                  className="account-row"
                  onClick={() => {
                    if (account.signedIn) {
                      switchTo(account.id);
                      go('/keys');
                    } else {
                      go(`/sign-in?email=${encodeURIComponent(account.email)}`);
                    }
                  }}
                >
                  <Avatar account={account} />
                  <span className="account-row-text">
                    <span className="account-name">{account.displayName}</span>
                    <span className="account-email">
                      <EmailText email={account.email} />
                    </span>
                    {account.signedIn ? null : (
                      <span className="badge">{t('accounts.signedOut')}</span>
                    )}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        ) : null}
        <div className="account-actions">
          <button
            type="button"
            className="button button-quiet"
            onClick={() => {
              go('/sign-in?new=1');
            }}
          >
            {t('layout.addAccount')}
          </button>
          <button
            type="button"
            className="button button-quiet"
            onClick={() => {
              setOpen(false);
              void signOut(active.id).then(() => {
                navigate('/sign-in');
              });
            }}
          >
            {t('layout.signOut')}
          </button>
        </div>
      </div>
    </div>
  );
}
