import { useEffect, useState } from 'react';

/** How long a revealed recovery key stays on screen. */
export const revealSeconds = 60;

/** Whole seconds left until `until` (ms since the epoch), ticking each second; 0 without one. */
export function useCountdown(until: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until === null) return;
    setNow(Date.now());
    const timer = setInterval(() => {
      setNow(Date.now());
    }, 1000);
    return () => {
      clearInterval(timer);
    };
  }, [until]);
  return until === null ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}
