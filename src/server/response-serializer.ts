import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * Writes each response with fast-json-stringify, compiled once per route from its zod response
 * schema turned into JSON Schema. Like parsing with zod and then stringifying, it writes only the
 * properties the schema declares, so a column a service forgot to leave out never reaches a
 * client; unlike it, it builds no parsed copy of every response first, which for a page of keys
 * cost more than the query behind it. A schema that JSON Schema cannot express keeps zod.
 */
export const responseSerializerCompiler: FastifySerializerCompiler<z.ZodType> = (route) => {
  if (route.schema instanceof z.ZodType) {
    try {
      const jsonSchema = z.toJSONSchema(route.schema, { io: 'output', target: 'draft-7' });
      return fastJson(allowingUndeclared(jsonSchema) as Parameters<typeof fastJson>[0]);
    } catch {
      // Falls through to zod.
    }
  }
  return zodSerializerCompiler(route);
};

/**
 * Drops `additionalProperties: false` everywhere. fast-json-stringify leaves undeclared
 * properties out either way; but to pick the branch of a union (a nullable object, say) it
 * validates the value, and there `false` would refuse an object that merely carries more than
 * the response shows, where zod would have dropped the extra.
 */
function allowingUndeclared(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(allowingUndeclared);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(schema)) {
    if (name === 'additionalProperties' && value === false) continue;
    copy[name] = allowingUndeclared(value);
  }
  return copy;
}
