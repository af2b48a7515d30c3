/**
 * An OCSF event validator over the official schema files vendored in
 * test/fixtures/ocsf/<version>/ (see the README there), applying the rules the
 * OCSF server (github.com/ocsf/ocsf-server, Schema.Validator2) applies:
 *
 * - the class is compiled: base_event <- category class (iam) <- the class, via
 *   `extends`; `$include` files merged under the including item's own
 *   attributes; attributes included from a profile file carry that profile,
 *   unless the including item overrides `profile` (null clears it);
 * - each attribute's type, `is_array`, `enum` and `sibling` come from
 *   dictionary.json, merged with the class or object definition (enums merge);
 * - attributes of a profile count only when the event declares the profile in
 *   `metadata.profiles` (otherwise they are unknown attributes), everywhere in
 *   the event, nested objects included;
 * - errors: required attribute missing (null counts as missing), unknown
 *   attribute (except in an object with no attributes, e.g. `unmapped`), wrong
 *   type (dictionary types, their `max_len`, `regex`, `range`, `values`; arrays;
 *   objects drilled into), unknown enum value, `type_uid` != class_uid * 100 +
 *   activity_id, constraints `at_least_one` / `just_one` on the class and on
 *   every object, observables naming no attribute of the class, unknown
 *   profile, and `metadata.version` other than the schema's;
 * - warnings: an enum sibling that does not hold the caption of its id (for 99
 *   Other, one that does), a missing recommended attribute.
 *
 * Written here because the server is an Elixir web service and no kept npm
 * library validates OCSF events; the schema data is the official one.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface AttributeDef {
  type: string;
  isArray: boolean;
  requirement?: string;
  enum?: Record<string, { caption?: string }>;
  sibling?: string;
  profile?: string | null;
  /** Object name when `type` is an object. */
  objectType?: string;
}

interface CompiledItem {
  name: string;
  uid?: number;
  attributes: Map<string, AttributeDef>;
  constraints: Record<string, string[]>;
}

export interface OcsfIssue {
  code: string;
  path: string;
  message: string;
}

export interface OcsfValidation {
  errors: OcsfIssue[];
  warnings: OcsfIssue[];
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Merges b over a, recursing into plain objects (enum maps merge; a scalar or null in b wins). */
const deepMerge = (a: JsonObject, b: JsonObject): JsonObject => {
  const out: JsonObject = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = out[key];
    out[key] = isObject(existing) && isObject(value) ? deepMerge(existing, value) : value;
  }
  return out;
};

export const loadOcsfSchema = (directory: string) => {
  const read = (path: string): JsonObject => JSON.parse(readFileSync(join(directory, path), 'utf8')) as JsonObject;
  const version = String(read('version.json').version);
  const dictionary = read('dictionary.json');
  const dictionaryAttributes = dictionary.attributes as JsonObject;
  const types = (dictionary.types as JsonObject).attributes as JsonObject;
  const categories = read('categories.json').attributes as JsonObject;

  /** An item's own attributes with its `$include`s merged under them (profile files tag theirs). */
  const attributesOf = (item: JsonObject): JsonObject => {
    const own = { ...((item.attributes as JsonObject | undefined) ?? {}) };
    const includes = own.$include;
    delete own.$include;
    let merged: JsonObject = {};
    for (const path of (Array.isArray(includes) ? includes : includes === undefined ? [] : [includes]) as string[]) {
      const included = read(path);
      const isProfile = included.meta === 'profile';
      const attributes = attributesOf(included);
      const tagged = Object.fromEntries(
        Object.entries(attributes).map(([name, def]) => [name, isProfile ? { ...(def as JsonObject), profile: String(included.name) } : def]),
      );
      merged = deepMerge(merged, tagged);
    }
    return deepMerge(merged, own);
  };

  const compileAttributes = (raw: JsonObject): Map<string, AttributeDef> => {
    const attributes = new Map<string, AttributeDef>();
    for (const [name, value] of Object.entries(raw)) {
      const def = deepMerge((dictionaryAttributes[name] as JsonObject | undefined) ?? {}, value as JsonObject);
      const type = String(def.type ?? 'undefined_t');
      attributes.set(name, {
        type,
        isArray: def.is_array === true,
        ...(typeof def.requirement === 'string' ? { requirement: def.requirement } : {}),
        ...(isObject(def.enum) ? { enum: def.enum as AttributeDef['enum'] } : {}),
        ...(typeof def.sibling === 'string' ? { sibling: def.sibling } : {}),
        ...(def.profile === undefined ? {} : { profile: def.profile as string | null }),
        ...(type.endsWith('_t') ? {} : { objectType: type }),
      });
    }
    return attributes;
  };

  /** Follows `extends` (objects/<name>.json, or events/ paths for classes), merging parent first. */
  const compiledObjects = new Map<string, CompiledItem>();
  const objectFile = (name: string): JsonObject => read(`objects/${name}.json`);
  const rawObject = (name: string): { attributes: JsonObject; constraints: JsonObject } => {
    const item = objectFile(name);
    const parent = typeof item.extends === 'string' ? rawObject(item.extends) : { attributes: {}, constraints: {} };
    return {
      attributes: deepMerge(parent.attributes, attributesOf(item)),
      constraints: isObject(item.constraints) ? item.constraints : parent.constraints,
    };
  };
  const object = (name: string): CompiledItem => {
    let compiled = compiledObjects.get(name);
    if (compiled === undefined) {
      const raw = rawObject(name);
      compiled = { name, attributes: compileAttributes(raw.attributes), constraints: raw.constraints as Record<string, string[]> };
      if (name === 'observable') {
        const typeId = compiled.attributes.get('type_id') as AttributeDef;
        compiled.attributes.set('type_id', { ...typeId, enum: { ...typeId.enum, ...observableTypes() } });
      }
      compiledObjects.set(name, compiled);
    }
    return compiled;
  };

  /**
   * observable.type_id as the server builds it: its own 0 and 99, plus every
   * dictionary type, dictionary attribute and object that declares an
   * `observable` number, captioned with its caption.
   */
  const observableTypes = (): Record<string, { caption: string }> => {
    const entries: [string, { caption: string }][] = [];
    const collect = (items: Iterable<Json>) => {
      for (const item of items) {
        if (isObject(item) && typeof item.observable === 'number') entries.push([String(item.observable), { caption: String(item.caption) }]);
      }
    };
    collect(Object.values(types));
    collect(Object.values(dictionaryAttributes));
    collect(readdirSync(join(directory, 'objects')).map((file) => read(`objects/${file}`)));
    return Object.fromEntries(entries);
  };

  const CLASS_FILES: Record<string, string> = {
    base_event: 'events/base_event.json',
    iam: 'events/iam/iam.json',
    authentication: 'events/iam/authentication.json',
    account_change: 'events/iam/account_change.json',
  };
  const rawClass = (name: string): { item: JsonObject; attributes: JsonObject; constraints: JsonObject } => {
    const path = CLASS_FILES[name];
    if (path === undefined) throw new Error(`class ${name} is not vendored`);
    const item = read(path);
    const parent = typeof item.extends === 'string' ? rawClass(item.extends) : { attributes: {}, constraints: {} };
    return {
      item,
      attributes: deepMerge(parent.attributes, attributesOf(item)),
      constraints: isObject(item.constraints) ? item.constraints : parent.constraints,
    };
  };

  const classes = new Map<number, CompiledItem & { category: string; caption: string }>();
  for (const name of ['authentication', 'account_change']) {
    const { item, attributes, constraints } = rawClass(name);
    const categoryName = String(rawClass(String(item.extends)).item.category);
    const category = categories[categoryName] as JsonObject;
    const uid = Number(category.uid) * 1000 + Number(item.uid);
    const compiled = compileAttributes(attributes);
    // As the server does: the class fixes class_uid and category_uid to its own, type_uid to its activities.
    const classUid = compiled.get('class_uid') as AttributeDef;
    compiled.set('class_uid', { ...classUid, enum: { [uid]: { caption: String(item.caption) } } });
    const categoryUid = compiled.get('category_uid') as AttributeDef;
    compiled.set('category_uid', { ...categoryUid, enum: { [String(category.uid)]: { caption: String(category.caption) } } });
    classes.set(uid, { name, uid, attributes: compiled, constraints: constraints as Record<string, string[]>, category: categoryName, caption: String(item.caption) });
  }
  const profiles = new Set(['cloud', 'container', 'data_classification', 'datetime', 'host', 'osint']);

  const validate = (event: unknown): OcsfValidation => {
    const errors: OcsfIssue[] = [];
    const warnings: OcsfIssue[] = [];
    const error = (code: string, path: string, message: string): void => void errors.push({ code, path, message });
    const warn = (code: string, path: string, message: string): void => void warnings.push({ code, path, message });
    if (!isObject(event)) {
      error('event_not_object', '', 'an event is a JSON object');
      return { errors, warnings };
    }
    const cls = typeof event.class_uid === 'number' ? classes.get(event.class_uid) : undefined;
    if (cls === undefined) {
      error('class_uid_unknown', 'class_uid', `no vendored class for class_uid ${JSON.stringify(event.class_uid)}`);
      return { errors, warnings };
    }
    const metadata = isObject(event.metadata) ? event.metadata : {};
    const declared = Array.isArray(metadata.profiles) ? metadata.profiles.filter((p): p is string => typeof p === 'string') : [];
    declared.forEach((profile, index) => {
      if (!profiles.has(profile)) error('profile_unknown', `metadata.profiles[${index}]`, `no profile "${profile}"`);
    });
    const inProfile = (def: AttributeDef) => def.profile === undefined || def.profile === null || declared.includes(def.profile);
    const at = (parent: string, name: string) => (parent === '' ? name : `${parent}.${name}`);

    const checkPrimitive = (value: Json, path: string, typeName: string): void => {
      const type = types[typeName] as JsonObject | undefined;
      if (type === undefined) return error('schema_type_missing', path, `type ${typeName} not in the dictionary`);
      const base = typeof type.type === 'string' ? type.type : typeName;
      const baseType = types[base] as JsonObject;
      const wrong = () => error('attribute_wrong_type', path, `expected ${typeName}, got ${Array.isArray(value) ? 'array' : typeof value}`);
      const within = (t: JsonObject, number: number) => {
        const range = t.range as number[] | undefined;
        if (range !== undefined && (number < (range[0] as number) || number > (range[1] as number))) {
          error('attribute_value_exceeds_range', path, `outside ${typeName} range ${range.join('..')}`);
        }
      };
      const allowed = (t: JsonObject) => {
        const values = t.values as Json[] | undefined;
        if (values !== undefined && !values.includes(value)) error('attribute_value_not_in_type_values', path, `not a ${typeName} value`);
      };
      switch (base) {
        case 'boolean_t':
          if (typeof value !== 'boolean') return wrong();
          return allowed(baseType);
        case 'integer_t':
          if (!Number.isInteger(value) || Math.abs(value as number) > 2 ** 31) return wrong();
          within(type, value as number);
          return within(baseType, value as number);
        case 'long_t':
          if (!Number.isSafeInteger(value)) return wrong();
          return within(type, value as number);
        case 'float_t':
          return typeof value === 'number' ? undefined : wrong();
        case 'json_t':
          return undefined;
        case 'string_t': {
          if (typeof value !== 'string') return wrong();
          const maxLength = Number(type.max_len ?? baseType.max_len ?? Number.POSITIVE_INFINITY);
          if (value.length > maxLength) error('attribute_string_too_long', path, `longer than ${maxLength} (${typeName})`);
          if (typeof type.regex === 'string' && !new RegExp(type.regex).test(value)) {
            error('attribute_string_regex_mismatch', path, `does not match the ${typeName} pattern`);
          }
          return allowed(type);
        }
        default:
          return error('schema_primitive_unknown', path, `unknown primitive ${base}`);
      }
    };

    const checkValue = (value: Json, path: string, def: AttributeDef): void => {
      if (def.objectType === undefined) return checkPrimitive(value, path, def.type);
      if (!isObject(value)) return error('attribute_wrong_type', path, `expected object ${def.objectType}`);
      checkItem(value, path, object(def.objectType));
    };

    const checkItem = (item: JsonObject, path: string, schema: CompiledItem): void => {
      const visible = [...schema.attributes].filter(([, def]) => inProfile(def));
      const names = new Set(visible.map(([name]) => name));
      for (const [name, def] of visible) {
        const value = item[name];
        const attributePath = at(path, name);
        if (value === undefined || value === null) {
          if (def.requirement === 'required') error('attribute_required_missing', attributePath, 'required attribute missing');
          if (def.requirement === 'recommended') warn('attribute_recommended_missing', attributePath, 'recommended attribute missing');
          continue;
        }
        if (def.isArray) {
          if (!Array.isArray(value)) {
            error('attribute_wrong_type', attributePath, `expected an array of ${def.type}`);
            continue;
          }
          value.forEach((element, index) => checkValue(element, `${attributePath}[${index}]`, def));
        } else {
          checkValue(value, attributePath, def);
        }
        if (def.enum !== undefined) {
          const values = def.isArray && Array.isArray(value) ? value : [value];
          for (const element of values) {
            const entry = def.enum[String(element)];
            if (entry === undefined) {
              error('attribute_enum_value_unknown', attributePath, `${JSON.stringify(element)} is not defined for enum ${name}`);
            } else if (!def.isArray && def.sibling !== undefined && item[def.sibling] !== undefined) {
              const sibling = item[def.sibling];
              if (element === 99 ? sibling === entry.caption : sibling !== entry.caption) {
                warn('attribute_enum_sibling_incorrect', at(path, def.sibling), `expected the caption of ${name} ${String(element)} ("${entry.caption}")`);
              }
            }
          }
        }
      }
      // An object defining no attributes (`object`, used by `unmapped`) takes any.
      if (schema.attributes.size > 0) {
        for (const key of Object.keys(item)) {
          if (!names.has(key)) {
            const why = schema.attributes.has(key) ? ` (profile "${String(schema.attributes.get(key)?.profile)}" not in metadata.profiles)` : '';
            error('attribute_unknown', at(path, key), `not defined in ${schema.uid === undefined ? 'object' : 'class'} ${schema.name}${why}`);
          }
        }
      }
      for (const [kind, keys] of Object.entries(schema.constraints)) {
        const present = keys.filter((key) => item[key] !== undefined).length;
        if (kind === 'at_least_one' && present === 0) {
          error('constraint_failed', path, `${schema.name}: at least one of ${keys.join(', ')}`);
        } else if (kind === 'just_one' && present !== 1) {
          error('constraint_failed', path, `${schema.name}: exactly one of ${keys.join(', ')}, got ${present}`);
        } else if (kind !== 'at_least_one' && kind !== 'just_one') {
          error('constraint_unknown', path, `unknown constraint ${kind}`);
        }
      }
    };

    checkItem(event, '', cls);
    if (typeof event.type_uid === 'number' && typeof event.activity_id === 'number' && event.type_uid !== cls.uid! * 100 + event.activity_id) {
      error('type_uid_incorrect', 'type_uid', `expected ${cls.uid! * 100 + event.activity_id}`);
    }
    if (metadata.version !== version) error('version_incorrect', 'metadata.version', `the schema is ${version}`);
    if (Array.isArray(event.observables)) {
      event.observables.forEach((observable, index) => {
        if (!isObject(observable) || typeof observable.name !== 'string') return;
        let schema: CompiledItem | undefined = cls;
        for (const part of observable.name.split('.')) {
          const def: AttributeDef | undefined = schema?.attributes.get(part);
          schema = def !== undefined && inProfile(def) ? (def.objectType === undefined ? { name: part, attributes: new Map(), constraints: {} } : object(def.objectType)) : undefined;
          if (schema === undefined) break;
        }
        if (schema === undefined) error('observable_name_invalid_reference', `observables[${index}].name`, `${observable.name} is no attribute of ${cls.name}`);
      });
    }
    return { errors, warnings };
  };

  /**
   * Whether a dotted path names an attribute of the class (through objects and
   * arrays of objects, with the given profiles); below an open object such as
   * `unmapped` any path counts.
   */
  const hasAttributePath = (classUid: number, path: string, declared: readonly string[] = []): boolean => {
    let schema: CompiledItem | undefined = classes.get(classUid);
    for (const part of path.split('.')) {
      if (schema === undefined) return false;
      if (schema.attributes.size === 0 && schema.name === 'object') return true;
      const def = schema.attributes.get(part);
      if (def === undefined || !(def.profile === undefined || def.profile === null || declared.includes(def.profile))) return false;
      schema = def.objectType === undefined ? { name: part, attributes: new Map(), constraints: {} } : object(def.objectType);
    }
    return true;
  };

  return { version, validate, hasAttributePath, classUids: [...classes.keys()] };
};

export const OCSF_SCHEMA_DIR = join(import.meta.dirname, '..', 'fixtures', 'ocsf', '1.3.0');
