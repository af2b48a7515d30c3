/**
 * Validates CloudFormation resources against the registry schemas vendored in
 * ./cfn-schemas (README there says where they come from), with ajv, a JSON
 * Schema validator the field trusts (draft-07, the registry schemas' dialect).
 *
 * A template holds intrinsic functions (`{ "Ref": … }`, `{ "Fn::GetAtt": … }`)
 * where the schema expects the value they resolve to, which only CloudFormation
 * knows. So wherever a schema describes a value (a property, an array item, a
 * map value), a one-key intrinsic function object is accepted in its place, as
 * CloudFormation accepts it; everything else is the schema's: types, enums,
 * patterns, bounds, required and unknown properties. `format` is not checked:
 * registry formats (`AWS::SQS::Queue.Arn`) are cfn-lint's own semantic checks,
 * not JSON Schema formats. Properties the schema lists as read-only must not be
 * set at all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const SCHEMA_DIR = join(import.meta.dirname, 'cfn-schemas');

const INTRINSIC_FUNCTIONS = [
  'Ref', 'Condition', 'Fn::GetAtt', 'Fn::Sub', 'Fn::Join', 'Fn::If', 'Fn::Select', 'Fn::Split', 'Fn::ImportValue',
  'Fn::FindInMap', 'Fn::Base64', 'Fn::GetAZs', 'Fn::Cidr', 'Fn::ToJsonString', 'Fn::Length',
] as const;
const INTRINSIC = { type: 'object', minProperties: 1, maxProperties: 1, propertyNames: { enum: INTRINSIC_FUNCTIONS } } as const;
/** One shared definition per schema, referenced where needed: ajv compiles it once instead of inlining it everywhere. */
const INTRINSIC_DEFINITION = 'cfnIntrinsicFunction';
const INTRINSIC_REF = `#/definitions/${INTRINSIC_DEFINITION}`;

type Schema = Record<string, unknown>;

/** `schema`, also accepting an intrinsic function wherever it describes a value. */
const acceptingIntrinsics = (schema: unknown): unknown => {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const node = { ...(schema as Schema) };
  const valuePosition = (sub: unknown) => ({ anyOf: [acceptingIntrinsics(sub), { $ref: INTRINSIC_REF }] });
  for (const key of ['properties', 'patternProperties'] as const) {
    if (typeof node[key] === 'object' && node[key] !== null) {
      node[key] = Object.fromEntries(Object.entries(node[key] as Schema).map(([name, sub]) => [name, valuePosition(sub)]));
    }
  }
  if (typeof node.items === 'object' && node.items !== null && !Array.isArray(node.items)) node.items = valuePosition(node.items);
  if (typeof node.additionalProperties === 'object' && node.additionalProperties !== null) {
    node.additionalProperties = valuePosition(node.additionalProperties);
  }
  if (typeof node.definitions === 'object' && node.definitions !== null) {
    node.definitions = Object.fromEntries(Object.entries(node.definitions as Schema).map(([name, sub]) => [name, acceptingIntrinsics(sub)]));
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(node[key])) node[key] = (node[key] as unknown[]).map(acceptingIntrinsics);
  }
  for (const key of ['if', 'then', 'else', 'not'] as const) {
    if (node[key] !== undefined) node[key] = acceptingIntrinsics(node[key]);
  }
  return node;
};

export interface RegistryValidator {
  types: string[];
  /** Problems of one resource's Properties, each naming the path and the rule; [] when it conforms. */
  problemsOf(type: string, properties: unknown): string[];
}

export const loadRegistryValidator = (): RegistryValidator => {
  // unicodeRegExp off: registry patterns are written for Java-style engines (`\_` and the like), which a `u` RegExp refuses.
  // Python's `\Z` (end of input), as cfn-lint's patterns use it, is JavaScript's `$` (no multiline flag).
  const regExp = Object.assign((source: string, flags: string) => new RegExp(source.replaceAll('\\Z', '$'), flags), { code: 'cfnRegExp' });
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false, code: { regExp } });
  const validators = new Map<string, ValidateFunction>();
  const readOnly = new Map<string, string[]>();
  for (const file of readdirSync(SCHEMA_DIR).filter((name) => name.endsWith('.json'))) {
    const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as Schema & { typeName: string; readOnlyProperties?: string[] };
    // `$schema` names the registry's meta-schema (provider.definition.schema.v1), which only describes schemas.
    const { typeName, readOnlyProperties = [], $schema: _metaSchema, ...rest } = schema;
    const accepting = acceptingIntrinsics({ ...rest, type: 'object' }) as Schema;
    accepting.definitions = { ...(accepting.definitions as Schema | undefined), [INTRINSIC_DEFINITION]: INTRINSIC };
    validators.set(typeName, ajv.compile(accepting));
    readOnly.set(typeName, readOnlyProperties.map((pointer) => pointer.replace(/^\/properties\//, '')).filter((name) => !name.includes('/')));
  }
  const describe = (error: ErrorObject) => `${error.instancePath || '/'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`;
  return {
    types: [...validators.keys()].sort(),
    problemsOf: (type, properties) => {
      const validate = validators.get(type);
      if (validate === undefined) return [`no registry schema for ${type} in test/stack/cfn-schemas`];
      const problems = validate(properties ?? {}) ? [] : (validate.errors ?? []).filter((error) => error.keyword !== 'anyOf').map(describe);
      const set = Object.keys((properties ?? {}) as Schema);
      return [...problems, ...(readOnly.get(type) ?? []).filter((name) => set.includes(name)).map((name) => `/${name} is read-only`)];
    },
  };
};

type Conditions = Record<string, unknown>;

/**
 * Whether a resource's `Condition` holds, for the conditions this stack uses: Fn::Equals of two literals,
 * Fn::Not, Fn::And, Fn::Or and Condition references. Anything depending on a deploy-time value counts as true,
 * so such a resource is validated.
 */
export const conditionHolds = (conditions: Conditions, name: string): boolean => {
  const evaluate = (node: unknown): boolean | undefined => {
    if (typeof node !== 'object' || node === null) return undefined;
    const [[fn, args]] = Object.entries(node as Record<string, unknown>) as [[string, unknown]];
    const list = Array.isArray(args) ? args : [];
    switch (fn) {
      case 'Fn::Equals':
        return list.every((value) => typeof value !== 'object') ? list[0] === list[1] : undefined;
      case 'Fn::Not': {
        const inner = evaluate(list[0]);
        return inner === undefined ? undefined : !inner;
      }
      case 'Fn::And':
        return list.map(evaluate).every((value) => value !== false);
      case 'Fn::Or':
        return list.map(evaluate).some((value) => value !== false);
      case 'Condition':
        return evaluate(conditions[String(args)]);
      default:
        return undefined;
    }
  };
  return evaluate(conditions[name]) ?? true;
};
