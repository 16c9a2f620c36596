import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import * as auth from '../api/auth.js';
import { onAccountLost } from '../api/client.js';
import { forgetAccountData } from './resource.js';

/**
 * The accounts of this browser as the server lists them (signed in, or signed in before and
 * signed out now), and the one this tab acts as. The active account is kept per tab, so two
 * tabs can work as two accounts; a new tab starts with the server's default account.
 */
export type KnownAccount = auth.BrowserAccount;

interface SessionContextValue {
  accounts: KnownAccount[];
  active: KnownAccount | null;
  ready: boolean;
  switchTo: (accountId: string) => void;
  signedIn: (account: auth.Account) => Promise<void>;
  signOut: (accountId: string) => Promise<void>;
  forget: (accountId: string) => Promise<void>;
  refresh: () => Promise<void>;
}

const activeKey = 'keyhold.activeAccount';

function pickActive(accounts: KnownAccount[], wanted: string | null): string | null {
  const signedIn = accounts.filter((account) => account.signedIn);
  return (
    signedIn.find((account) => account.id === wanted)?.id ??
    signedIn.find((account) => account.isDefault)?.id ??
    signedIn[0]?.id ??
    null
  );
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [accounts, setAccounts] = useState<KnownAccount[]>([]);
  const [activeId, setActiveId] = useState<string | null>(() => sessionStorage.getItem(activeKey));
  const [ready, setReady] = useState(false);

  const show = useCallback((list: KnownAccount[], wanted?: string) => {
    setAccounts(list);
    setActiveId((current) => {
      const next = pickActive(list, wanted ?? current);
      if (next) sessionStorage.setItem(activeKey, next);
      else sessionStorage.removeItem(activeKey);
      return next;
    });
    setReady(true);
  }, []);

  const refresh = useCallback(
    async (wanted?: string) => {
      try {
        show((await auth.listAccounts()).accounts, wanted);
      } catch {
        // The server is unreachable: pages say so when they load their own data.
        setReady(true);
      }
    },
    [show],
  );

  useEffect(() => {
    void refresh();
  }, [refresh]);

  // A session that expired or was revoked elsewhere: drop its data and show the picker's view.
  useEffect(
    () =>
      onAccountLost((accountId) => {
        forgetAccountData(accountId);
        void refresh();
      }),
    [refresh],
  );

  const switchTo = useCallback((accountId: string) => {
    sessionStorage.setItem(activeKey, accountId);
    setActiveId(accountId);
  }, []);

  const signedIn = useCallback(
    async (account: auth.Account) => {
      await refresh(account.id);
    },
    [refresh],
  );

  const signOut = useCallback(
    async (accountId: string) => {
      forgetAccountData(accountId);
      show((await auth.signOut(accountId)).accounts);
    },
    [show],
  );

  const forget = useCallback(
    async (accountId: string) => {
      forgetAccountData(accountId);
      show((await auth.forgetAccount(accountId)).accounts);
    },
    [show],
  );

  const value = useMemo<SessionContextValue>(() => {
    const active = accounts.find((item) => item.signedIn && item.id === activeId) ?? null;
    return {
      accounts,
      active,
      ready,
      switchTo,
      signedIn,
      signOut,
      forget,
      refresh: () => refresh(),
    };
  }, [accounts, activeId, ready, switchTo, signedIn, signOut, forget, refresh]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession() needs a <SessionProvider> above it');
  return value;
}

/** For pages behind sign-in; the app shell only renders them with an active account. */
export function useActiveAccount(): KnownAccount {
  const { active } = useSession();
  if (!active) throw new Error('useActiveAccount() used on a page that does not need sign-in');
  return active;
}
