/**
 * The Parquet columns of each OCSF class authtrail writes to Amazon Security Lake:
 * a fixed column set per class, the attributes `toOcsf` (lib/siem/ocsf.ts) can
 * produce for that class, typed by the OCSF 1.3.0 dictionary (int_t -> INT32,
 * long_t / timestamp_t -> INT64, string_t and its subtypes -> UTF8, boolean_t ->
 * BOOLEAN, objects -> structs, arrays -> LISTs).
 *
 * Why fixed and not derived from the official class definition: a class's full
 * definition is recursive (user -> groups, org, account, ...) and has thousands of
 * leaves, and the schema files are test fixtures, not something the runtime ships.
 * A fixed set gives every object of a custom source the same schema, so the Glue
 * table Security Lake registers stays stable across objects, and a record with an
 * attribute outside it is refused by name (SecurityLakeSchemaError), never dropped
 * silently. test/security-lake/ checks every pipeline record fits and every
 * column's type against the vendored dictionary.
 *
 * `unmapped` (OCSF's free-form object) is a MAP<string, string> of dotted paths, as
 * Security Lake's own source tables keep it: its content varies per event source.
 */
import { OcsfClass } from '../siem/ocsf.ts';

export type Column =
  | { readonly kind: 'string' | 'int32' | 'int64' | 'boolean' | 'stringMap' }
  | { readonly kind: 'struct'; readonly fields: Readonly<Record<string, Column>> }
  | { readonly kind: 'list'; readonly of: Column };

const string = { kind: 'string' } as const;
const int32 = { kind: 'int32' } as const;
const int64 = { kind: 'int64' } as const;
const boolean = { kind: 'boolean' } as const;
const struct = (fields: Record<string, Column>): Column => ({ kind: 'struct', fields });
const list = (of: Column): Column => ({ kind: 'list', of });

const user = struct({
  uid: string,
  name: string,
  email_addr: string,
  type_id: int32,
  type: string,
  groups: list(struct({ name: string })),
});

/** Attributes every class carries (base event, metadata, cloud profile, user, actor). */
const BASE_COLUMNS: Readonly<Record<string, Column>> = {
  category_uid: int32,
  category_name: string,
  class_uid: int32,
  class_name: string,
  activity_id: int32,
  activity_name: string,
  type_uid: int64,
  type_name: string,
  time: int64,
  timezone_offset: int32,
  severity_id: int32,
  severity: string,
  status_id: int32,
  status: string,
  status_code: string,
  status_detail: string,
  message: string,
  metadata: struct({
    version: string,
    profiles: list(string),
    uid: string,
    product: struct({ name: string, vendor_name: string, version: string }),
    log_name: string,
    log_provider: string,
    original_time: string,
    processed_time: int64,
    tenant_uid: string,
    labels: list(string),
  }),
  cloud: struct({ provider: string, region: string }),
  user,
  actor: struct({ app_uid: string, app_name: string, idp: struct({ name: string }) }),
  src_endpoint: struct({ ip: string, location: struct({ city: string, country: string }) }),
  observables: list(struct({ name: string, type_id: int32, type: string, value: string })),
  unmapped: { kind: 'stringMap' },
};

export const CLASS_COLUMNS: Readonly<Record<OcsfClass, Readonly<Record<string, Column>>>> = {
  [OcsfClass.Authentication]: {
    ...BASE_COLUMNS,
    service: struct({ name: string, uid: string }),
    auth_protocol_id: int32,
    auth_protocol: string,
    logon_type_id: int32,
    logon_type: string,
    is_remote: boolean,
    is_mfa: boolean,
    session: struct({ issuer: string, is_remote: boolean }),
  },
  [OcsfClass.AccountChange]: { ...BASE_COLUMNS, user_result: user },
};
