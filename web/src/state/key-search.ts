import { useEffect, useState } from 'react';
import { navigate, useLocation } from '../router.js';

/**
 * Short: the helpdesk types while the caller reads the blue screen out, and waits for rows;
 * long enough that a fast typist's keystrokes make one request, not one each.
 */
const searchDelayMs = 150;

/**
 * The Key ID search of a library page: what is typed (starting from the address's `?q=`), and
 * the search it settles into once typing pauses, which is also written back to the address
 * (replacing the entry, so Back leaves the page instead of stepping through keystrokes).
 */
export function useKeySearch(pagePath: string): {
  typed: string;
  setTyped: (text: string) => void;
  search: string;
} {
  const { query } = useLocation();
  const [typed, setTyped] = useState(query.get('q') ?? '');
  const [search, setSearch] = useState(typed.trim());

  useEffect(() => {
    const timer = setTimeout(() => {
      setSearch(typed.trim());
    }, searchDelayMs);
    return () => {
      clearTimeout(timer);
    };
  }, [typed]);

  useEffect(() => {
    navigate(search ? `${pagePath}?q=${encodeURIComponent(search)}` : pagePath, { replace: true });
  }, [search, pagePath]);

  return { typed, setTyped, search };
}
