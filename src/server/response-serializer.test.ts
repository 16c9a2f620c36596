import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { responseSerializerCompiler } from './response-serializer.js';

function serializerFor(schema: z.ZodType): (data: unknown) => string {
  return responseSerializerCompiler({
    schema,
    method: 'GET',
    url: '/api/v1/things',
    httpStatus: '200',
  });
}

describe('response serialization', () => {
  const key = z.object({
    id: z.string(),
    lastBackup: z.object({ destination: z.string(), at: z.iso.datetime() }).nullable(),
  });
  const page = z.object({ items: z.array(key), nextCursor: z.string().nullable() });

  it('writes only what the schema declares, at any depth', () => {
    const written = serializerFor(page)({
      items: [
        {
          id: 'k1',
          recoveryPassword: '123456-...',
          lastBackup: { destination: 'usb', at: '2026-11-26T10:00:00.000Z', note: 'x' },
        },
        { id: 'k2', lastBackup: null, wrapped_key: 'secret' },
      ],
      nextCursor: null,
      ownerUserId: 'someone',
    });
    assert.deepEqual(JSON.parse(written), {
      items: [
        { id: 'k1', lastBackup: { destination: 'usb', at: '2026-11-26T10:00:00.000Z' } },
        { id: 'k2', lastBackup: null },
      ],
      nextCursor: null,
    });
  });

  it('refuses a response that lacks a field the schema requires', () => {
    assert.throws(() => serializerFor(page)({ items: [{ lastBackup: null }], nextCursor: null }));
  });

  it('keeps zod for a schema JSON Schema cannot express', () => {
    const at = new Date('2026-11-26T10:00:00.000Z');
    const written = serializerFor(z.object({ at: z.date() }))({ at, extra: true });
    assert.deepEqual(JSON.parse(written), { at: '2026-11-26T10:00:00.000Z' });
  });
});
