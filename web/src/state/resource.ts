import { useCallback, useEffect, useState } from 'react';

/**
 * Loaded data, cached per account: every cache key starts with the account id, so switching
 * accounts can never show one account's keys under another's name, and signing out of one
 * account drops exactly its entries.
 */
const cache = new Map<string, unknown>();

export function cacheKey(account: string, path: string): string {
  return `${account}|${path}`;
}

export function forgetAccountData(account: string): void {
  for (const key of cache.keys()) if (key.startsWith(`${account}|`)) cache.delete(key);
}

export function invalidate(account: string, pathPrefix = ''): void {
  for (const key of cache.keys()) {
    if (key.startsWith(`${account}|${pathPrefix}`)) cache.delete(key);
  }
}

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads `load()` for `key` (null: nothing to load), showing a cached copy at once if there is one. */
export function useResource<T>(
  key: string | null,
  load: (signal: AbortSignal) => Promise<T>,
): Resource<T> {
  const [state, setState] = useState<{ key: string | null; data?: T; error?: unknown }>(() => ({
    key,
    ...(key !== null && cache.has(key) ? { data: cache.get(key) as T } : {}),
  }));
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (key === null) return;
    const controller = new AbortController();
    setState((previous) =>
      previous.key === key
        ? previous
        : { key, ...(cache.has(key) ? { data: cache.get(key) as T } : {}) },
    );
    load(controller.signal).then(
      (data) => {
        cache.set(key, data);
        if (!controller.signal.aborted) setState({ key, data });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ key, error });
      },
    );
    return () => {
      controller.abort();
    };
    // `load` is a fresh closure every render; the key alone says when the data must change.
  }, [key, generation]);

  const reload = useCallback(() => {
    setGeneration((value) => value + 1);
  }, []);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: key !== null && (!current || (state.data === undefined && state.error === undefined)),
    reload,
  };
}
