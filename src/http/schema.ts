import type { FastifyTypeProvider } from 'fastify';

/**
 * Route schemas give handlers their types: a fastify type provider that reads the JSON Schema a
 * route declares (inline literals are inferred `const` by fastify) and yields the type of what
 * passes it. The schemas stay plain JSON Schema, so the OpenAPI document and the Ajv compilers see
 * exactly what they saw before. It covers the keywords the ledger's schemas use: `type`, `enum`,
 * `const`, `properties`, `required`, `default` (Ajv fills defaults in, so such a member is always
 * present), `items`, `additionalProperties`, and a body given per media type (`content`).
 */
export type FromSchema<S> = S extends { readonly content: infer C }
  ? ContentTypes<C>
  : S extends { readonly enum: readonly (infer E)[] }
    ? E
    : S extends { readonly const: infer C }
      ? C
      : S extends { readonly type: infer T }
        ? OfType<S, T>
        : unknown;

type OfType<S, T> = T extends 'string'
  ? string
  : T extends 'integer' | 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'null'
        ? null
        : T extends 'array'
          ? S extends { readonly items: infer I }
            ? FromSchema<I>[]
            : unknown[]
          : T extends 'object'
            ? ObjectOf<S>
            : unknown;

type PropertiesOf<S> = S extends { readonly properties: infer P } ? P : {};
type RequiredOf<S> = S extends { readonly required: readonly (infer R)[] } ? R : never;
type DefaultedOf<P> = { [K in keyof P]: P[K] extends { readonly default: unknown } ? K : never }[keyof P];
type PresentOf<S> = (RequiredOf<S> | DefaultedOf<PropertiesOf<S>>) & keyof PropertiesOf<S>;
/** Members past the named ones, where the schema allows them. */
type RestOf<S> = S extends { readonly additionalProperties: true } ? Record<string, unknown> : {};

type Flat<T> = { [K in keyof T]: T[K] } & {};

/** An object schema that names no members is any object (a JWK, a readiness report). */
type ObjectOf<S, P = PropertiesOf<S>> = S extends { readonly properties: unknown }
  ? Flat<{ -readonly [K in PresentOf<S> & keyof P]: FromSchema<P[K]> } & { -readonly [K in Exclude<keyof P, PresentOf<S>>]?: FromSchema<P[K]> } & RestOf<S>>
  : object;

/** A body declared per media type is one of them. */
type ContentTypes<C> = { [M in keyof C]: C[M] extends { readonly schema: infer X } ? FromSchema<X> : unknown }[keyof C];

/** The type provider every route group is registered with (see RouteGroup in app.ts). */
export interface SchemaTypeProvider extends FastifyTypeProvider {
  readonly validator: FromSchema<this['schema']>;
  readonly serializer: FromSchema<this['schema']>;
}

/**
 * `{ type: 'string', enum: values }` for one of the domain's const arrays (events/act.ts), so a
 * schema never copies a list of values and the OpenAPI still shows `enum`.
 */
export function stringEnum<const V extends readonly [string, ...string[]]>(values: V): { readonly type: 'string'; readonly enum: V };
export function stringEnum<const V extends readonly [string, ...string[]], const X extends object>(values: V, extra: X): { readonly type: 'string'; readonly enum: V } & X;
export function stringEnum(values: readonly string[], extra: object = {}): object {
  return { type: 'string', enum: values, ...extra };
}
