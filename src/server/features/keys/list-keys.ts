import { maximumPageSize } from '../../../api/keys.js';
import { normalizeKeyIdPrefix } from '../../../bitlocker/protector-id.js';
import { idPattern } from '../../../db/ids.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ValidationError } from '../../errors.js';
import { authorize, type Library } from '../../policies.js';
import { keyInReach, notFoundLibrary } from './key-access.js';
import type { KeySummaryRow } from './keys-repo.js';
import { normalizeName, prefixSuccessor } from './normalize.js';
import * as repo from './search-repo.js';
import { keySummary, type KeySummary } from './summary.js';
import { fieldReasons, refusals } from '../../messages.js';

/** A Key ID search needs this many hex digits; fewer would match too much to be useful. */
export const minimumKeyIdPrefix = 4;
export const defaultPageSize = 50;

export async function getKey(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
): Promise<KeySummary> {
  return keySummary((await keyInReach(ctx, caller, library, 'read', id)).row);
}

export interface ListQuery {
  q?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
  deleted?: boolean | undefined;
}

export interface KeyPage {
  items: KeySummary[];
  nextCursor: string | null;
}

export function encodeCursor(cursor: repo.PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): repo.PageCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      !Number.isNaN(Date.parse(value[0])) &&
      idPattern.test(value[1])
    ) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // Falls through to the one message for every malformed cursor.
  }
  throw new ValidationError(refusals.cursorFromFirstPage, [
    { field: 'cursor', reason: fieldReasons.cursorAsGiven },
  ]);
}

/** The hex digits of a Key ID prefix in `q`, when it is one long enough to search by. */
export function keyIdPrefixOf(q: string): string | undefined {
  try {
    const prefix = normalizeKeyIdPrefix(q);
    return prefix.length >= minimumKeyIdPrefix ? prefix : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One page of the caller's keys, newest first. With `q`: keys whose Key ID or LUKS UUID starts
 * with it (4 or more hex digits; case, dashes and braces ignored) and keys on devices with a name (or a word in
 * it) that starts with it. Each runs on its own index and returns at most a page after the
 * cursor; merging them keeps the order, so the cursor works across both.
 */
export async function listKeys(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  query: ListQuery,
): Promise<KeyPage> {
  const access = authorize(caller, 'read', library, notFoundLibrary(library));
  const owner = access.owner;
  const page: repo.KeyPageQuery = {
    assignee: access.assignee,
    deleted: query.deleted ?? false,
    after: query.cursor ? decodeCursor(query.cursor) : undefined,
    limit: Math.min(Math.max(query.limit ?? defaultPageSize, 1), maximumPageSize),
  };
  const q = query.q?.trim() ?? '';
  let rows: KeySummaryRow[];
  if (q === '') {
    rows = await repo.listKeys(ctx.db, owner, page);
  } else {
    const prefix = keyIdPrefixOf(q);
    const term = normalizeName(q);
    rows = await repo.searchKeys(
      ctx.db,
      owner,
      {
        keyIds: prefix === undefined ? undefined : { from: prefix, to: prefixSuccessor(prefix) },
        names: { from: term, to: prefixSuccessor(term) },
      },
      page,
    );
  }
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(keySummary),
    nextCursor:
      rows.length > page.limit && last
        ? encodeCursor({ createdAt: last.created_at, id: last.id })
        : null,
  };
}
