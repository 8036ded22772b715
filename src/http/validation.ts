import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifySchemaCompiler, FastifyServerOptions } from 'fastify';

type ValidatorFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;
/** What fastify hands a validator factory and its compiler at run time (its published types name other shapes). */
type RouteCompiler = FastifySchemaCompiler<unknown>;
type PoolFactory = (externalSchemas: unknown, options: { customOptions?: Record<string, unknown> } & Record<string, unknown>) => RouteCompiler;

/** Ajv options of every part of a request; `allErrors` stays off (collecting every error is a DoS lever). */
export const AJV_OPTIONS = { allErrors: false, removeAdditional: false, useDefaults: true } as const;

/**
 * Bodies are checked exactly against the schema the OpenAPI publishes: `123` is not a string and
 * `["high"]` is not `"high"`. Query strings, params and headers arrive as text, so only they are
 * coerced to the types their schemas name.
 */
export function strictBodyValidator(): ValidatorFactory {
  const fromPool = AjvCompiler() as unknown as PoolFactory;
  const factory: PoolFactory = (externalSchemas, serverOptions) => {
    const custom = { ...serverOptions.customOptions, ...AJV_OPTIONS };
    const strict = fromPool(externalSchemas, { ...serverOptions, customOptions: { ...custom, coerceTypes: false } });
    const coercing = fromPool(externalSchemas, { ...serverOptions, customOptions: { ...custom, coerceTypes: 'array' } });
    return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route));
  };
  return factory as unknown as ValidatorFactory;
}
