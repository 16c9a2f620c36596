import { readFileSync } from 'node:fs';

/**
 * The processes `pid` started and that still run (Linux): a server's workers, for the tests and
 * the server bench. None once `pid` itself has exited.
 */
export function childProcessesOf(pid: number): number[] {
  let listing: string;
  try {
    listing = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch {
    return [];
  }
  return listing.trim().split(/\s+/).filter(Boolean).map(Number);
}
