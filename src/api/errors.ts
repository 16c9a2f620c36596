import { z } from 'zod';

/**
 * Every error the API answers has this body (the server's `handleError`); `code` is stable and
 * listed in docs/api.md, `message` is for people, in the language the request asked for.
 */
export const errorBody = z.object({
  error: z.object({
    code: z.string().describe('stable, machine-readable: invalid_request, unauthenticated, ...'),
    message: z.string().describe('for people; may be shown as is'),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.output<typeof errorBody>;

/** Text that would act on a screen (control characters, bidi overrides): see plain-text.ts. */
export const invalidCharactersCode = 'invalid_characters';
