/** One versioned schema change, applied once per database by `migrate`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The channel every directory trigger notifies on. */
export const DIRECTORY_CHANNEL = 'switchyard_directory';

// Each row carries a `version` from one sequence, stamped by a BEFORE trigger. Row locks order two
// writes of one row, so a row's versions grow in commit order: a listener compares a
// notification's version with the version of the row it has cached and ignores a late, older one.
const federation = `
CREATE SEQUENCE IF NOT EXISTS switchyard_directory_version;

CREATE OR REPLACE FUNCTION switchyard_directory_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := nextval('switchyard_directory_version');
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

-- TG_ARGV[0] is the cache key column; the other arguments name the columns of the row key within it.
CREATE OR REPLACE FUNCTION switchyard_directory_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  old_key text := '';
  new_key text := '';
  i integer;
BEGIN
  FOR i IN 1 .. TG_NARGS - 1 LOOP
    old_key := old_key || E'\\n' || coalesce(old_row ->> TG_ARGV[i], '');
    new_key := new_key || E'\\n' || coalesce(new_row ->> TG_ARGV[i], '');
  END LOOP;
  IF old_row IS NOT NULL AND (new_row IS NULL OR old_row ->> TG_ARGV[0] IS DISTINCT FROM new_row ->> TG_ARGV[0] OR old_key <> new_key) THEN
    PERFORM pg_notify('${DIRECTORY_CHANNEL}', json_build_object(
      't', TG_TABLE_NAME, 'op', 'DELETE', 'k', old_row ->> TG_ARGV[0], 'r', old_key, 'v', (old_row ->> 'version')::bigint)::text);
  END IF;
  IF new_row IS NOT NULL THEN
    PERFORM pg_notify('${DIRECTORY_CHANNEL}', json_build_object(
      't', TG_TABLE_NAME, 'op', TG_OP, 'k', new_row ->> TG_ARGV[0], 'r', new_key, 'v', (new_row ->> 'version')::bigint)::text);
  END IF;
  RETURN NULL;
END
$$;

CREATE TABLE IF NOT EXISTS federation_nodes (
  node_id      varchar(255) PRIMARY KEY,
  region       varchar(100) NOT NULL,
  url          text,
  database_url text,
  status       varchar(50)  NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'draining', 'down')),
  priority     integer      NOT NULL DEFAULT 0,
  metadata     jsonb,
  version      bigint       NOT NULL DEFAULT 0,
  created_at   timestamptz  NOT NULL DEFAULT now(),
  updated_at   timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS tenant_federation_map (
  tenant_id           varchar(255) PRIMARY KEY,
  primary_node_id     varchar(255) NOT NULL REFERENCES federation_nodes (node_id) ON UPDATE CASCADE,
  primary_region      varchar(100) NOT NULL,
  federation_metadata jsonb,
  version             bigint       NOT NULL DEFAULT 0,
  created_at          timestamptz  NOT NULL DEFAULT now(),
  updated_at          timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS federation_routing (
  tenant_id  varchar(255) NOT NULL REFERENCES tenant_federation_map (tenant_id) ON UPDATE CASCADE ON DELETE CASCADE,
  region     varchar(100) NOT NULL,
  node_id    varchar(255) NOT NULL REFERENCES federation_nodes (node_id) ON UPDATE CASCADE,
  is_primary boolean      NOT NULL DEFAULT false,
  weight     integer      NOT NULL DEFAULT 100 CHECK (weight >= 0),
  version    bigint       NOT NULL DEFAULT 0,
  created_at timestamptz  NOT NULL DEFAULT now(),
  updated_at timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, region, node_id)
);
CREATE INDEX IF NOT EXISTS federation_routing_node_idx ON federation_routing (node_id);
CREATE INDEX IF NOT EXISTS tenant_federation_map_node_idx ON tenant_federation_map (primary_node_id);

CREATE TRIGGER federation_nodes_stamp BEFORE INSERT OR UPDATE ON federation_nodes
  FOR EACH ROW EXECUTE FUNCTION switchyard_directory_stamp();
CREATE TRIGGER federation_nodes_notify AFTER INSERT OR UPDATE OR DELETE ON federation_nodes
  FOR EACH ROW EXECUTE FUNCTION switchyard_directory_notify('node_id');
CREATE TRIGGER tenant_federation_map_stamp BEFORE INSERT OR UPDATE ON tenant_federation_map
  FOR EACH ROW EXECUTE FUNCTION switchyard_directory_stamp();
CREATE TRIGGER tenant_federation_map_notify AFTER INSERT OR UPDATE OR DELETE ON tenant_federation_map
  FOR EACH ROW EXECUTE FUNCTION switchyard_directory_notify('tenant_id');
CREATE TRIGGER federation_routing_stamp BEFORE INSERT OR UPDATE ON federation_routing
  FOR EACH ROW EXECUTE FUNCTION switchyard_directory_stamp();
CREATE TRIGGER federation_routing_notify AFTER INSERT OR UPDATE OR DELETE ON federation_routing
  FOR EACH ROW EXECUTE FUNCTION switchyard_directory_notify('tenant_id', 'region', 'node_id');
`;

const userRealms = `
CREATE TABLE IF NOT EXISTS user_realms (
  user_id     varchar(255) NOT NULL,
  instance_id varchar(255) NOT NULL,
  version     bigint       NOT NULL DEFAULT 0,
  created_at  timestamptz  NOT NULL DEFAULT now(),
  updated_at  timestamptz  NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, instance_id)
);
CREATE TRIGGER user_realms_stamp BEFORE INSERT OR UPDATE ON user_realms
  FOR EACH ROW EXECUTE FUNCTION switchyard_directory_stamp();
CREATE TRIGGER user_realms_notify AFTER INSERT OR UPDATE OR DELETE ON user_realms
  FOR EACH ROW EXECUTE FUNCTION switchyard_directory_notify('user_id', 'instance_id');
`;

const routeTables = `
CREATE TABLE IF NOT EXISTS switchyard_route_tables (
  key        varchar(255) PRIMARY KEY,
  routes     jsonb        NOT NULL,
  version    bigint       NOT NULL DEFAULT 0,
  created_at timestamptz  NOT NULL DEFAULT now(),
  updated_at timestamptz  NOT NULL DEFAULT now()
);
CREATE TRIGGER switchyard_route_tables_stamp BEFORE INSERT OR UPDATE ON switchyard_route_tables
  FOR EACH ROW EXECUTE FUNCTION switchyard_directory_stamp();
CREATE TRIGGER switchyard_route_tables_notify AFTER INSERT OR UPDATE OR DELETE ON switchyard_route_tables
  FOR EACH ROW EXECUTE FUNCTION switchyard_directory_notify('key');
`;

/**
 * The schema of `switchyard/postgres`, in order. Shipped as strings so they bundle with the
 * package; `migrate` applies the ones a database has not seen yet.
 */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  { version: 1, name: 'federation directory: nodes, tenant map, routing rules, change notifications', sql: federation },
  { version: 2, name: 'user_realms: the instances of each user', sql: userRealms },
  { version: 3, name: 'switchyard_route_tables: route tables of the runtime router', sql: routeTables },
]);
