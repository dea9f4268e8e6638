/**
 * Name resolution of a query, on DuckDB's AST before it runs. Two jobs, done in one walk:
 *
 * - **Isolation.** A query reads only the tables of the database it was sent to: every table
 *   reference must be a table of that database or a CTE in scope — no schema or catalog
 *   qualifier (`db_1.t`, `memory.db_1.t`, `information_schema.tables`, `sluice.x`), no quoted
 *   file path (DuckDB's replacement scans), no `SHOW TABLES`; table functions only from a short
 *   allow list of pure ones. Anything the walk does not know is refused, never passed through.
 * - **Case.** Tables, tags, fields, aliases and CTEs are renamed to their SQL names
 *   (`src/engine/names.ts`), so `"Host"` reaches the `Host` column and `host` the `host` one.
 *   A name that matches nothing exactly but exactly one known name without regard to ASCII case
 *   reaches that one (`select USAGE from CPU` still reads `usage` of `cpu`); one that matches
 *   several is an error naming them.
 *
 * Known names are the tables of the database, the columns of the tables the query reads, and
 * every alias, CTE name and column alias the query defines. Names the walk cannot place (a
 * struct field, a lambda parameter, the column of `range()`) are left as written.
 */
import type { DatabaseSchema, TableSchema } from '../catalog/catalog.js';
import { foldCase, sqlName } from '../engine/names.js';
import type { AstNode } from './ast.js';
import { QueryError } from './errors.js';
import { CACHE_FUNCTIONS, resolveCacheCall } from './cache-tables.js';
import { systemTable, systemTableTempName, type SystemTableKey } from './system-tables.js';

/** Table functions a query may call: pure generators that read nothing. */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set(['range', 'generate_series', 'unnest']);

const QUERY_NODES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'RECURSIVE_CTE_NODE', 'CTE_NODE']);
// Every FROM item DuckDB serializes; any other is refused by `tableRef`.
const TABLE_REFS = new Set(['BASE_TABLE', 'JOIN', 'SUBQUERY', 'TABLE_FUNCTION', 'EXPRESSION_LIST', 'EMPTY', 'PIVOT', 'SHOW_REF', 'COLUMN_DATA', 'DELIM_GET']);

/** What resolving a statement's names gave. */
export interface ResolvedNames {
  /** Whether any name changed: if not, the user's SQL text can run as it is. */
  changed: boolean;
  /** SQL name → name, for every table, column and alias the statement can bring into its result. */
  names: ReadonlyMap<string, string>;
  /** The database's tables the statement reads (only their views need to be current). */
  tables: ReadonlySet<TableSchema>;
  /** The system tables it reads (`system.queries`, `information_schema.tables`…), filled before it runs. */
  systemTables: ReadonlySet<SystemTableKey>;
}

/**
 * Checks that `ast` (a `json_serialize_sql` result) reads only `database`, and rewrites its names
 * in place to SQL names. Throws a QueryError naming the first table it may not read.
 */
export function resolveNames(ast: unknown, database: DatabaseSchema): ResolvedNames {
  const resolver = new NameResolver(database);
  const statements = (ast as { statements?: unknown }).statements;
  if (!Array.isArray(statements)) throw new QueryError('INVALID_QUERY', 'the statement could not be read');
  resolver.collecting = true;
  resolver.visit(statements, []);
  resolver.collecting = false;
  resolver.visit(statements, []);
  const names = new Map<string, string>();
  for (const name of resolver.known) names.set(sqlName(name), name);
  return { changed: resolver.changed, names, tables: resolver.read, systemTables: resolver.system };
}

class NameResolver {
  /** First pass: learn the known names and check tables; second pass: rewrite. */
  collecting = true;
  changed = false;
  readonly known = new Set<string>();
  private readonly knownByFold = new Map<string, Set<string>>();
  private readonly tablesByFold = new Map<string, TableSchema[]>();
  readonly read = new Set<TableSchema>();
  readonly system = new Set<SystemTableKey>();

  constructor(private readonly database: DatabaseSchema) {
    for (const table of database.tables.values()) {
      const key = foldCase(table.name);
      const list = this.tablesByFold.get(key);
      if (list === undefined) this.tablesByFold.set(key, [table]);
      else list.push(table);
    }
  }

  /** Any part of the AST: dispatched by shape (query node, table reference, expression), else its children. */
  visit(value: unknown, scope: readonly string[]): void {
    if (Array.isArray(value)) {
      for (const item of value) this.visit(item, scope);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const node = value as AstNode;
    const type = node.type;
    if (typeof node.class === 'string') return this.expression(node, scope);
    if (typeof type === 'string' && type.endsWith('_NODE')) return this.queryNode(node, scope);
    if (typeof type === 'string' && (TABLE_REFS.has(type) || ('alias' in node && 'sample' in node))) return this.tableRef(node, scope);
    this.children(node, scope, []);
  }

  private children(node: AstNode, scope: readonly string[], skip: readonly string[]): void {
    for (const [key, child] of Object.entries(node)) if (!skip.includes(key)) this.visit(child, scope);
  }

  private queryNode(node: AstNode, scope: readonly string[]): void {
    const type = String(node.type);
    if (!QUERY_NODES.has(type)) throw new QueryError('NOT_READ_ONLY', `unsupported query form ${type}`);
    // CTEs: each sees the ones before it and itself (recursion), the query body sees them all.
    const inner = [...scope];
    const ctes = ((node.cte_map as { map?: unknown } | undefined)?.map ?? []) as Array<{ key: string; value: AstNode }>;
    for (const cte of ctes) {
      inner.push(cte.key);
      cte.key = this.define(cte.key);
      this.defineAll(cte.value, 'aliases');
      this.visit(cte.value, inner);
    }
    if (typeof node.cte_name === 'string') node.cte_name = this.define(node.cte_name);
    this.defineAll(node, 'aliases');
    if (Array.isArray(node.select_list)) {
      for (const item of node.select_list as AstNode[]) {
        if (typeof item.alias === 'string' && item.alias !== '') item.alias = this.define(item.alias);
      }
    }
    this.children(node, inner, ['cte_map']);
  }

  private tableRef(ref: AstNode, scope: readonly string[]): void {
    if (typeof ref.alias === 'string' && ref.alias !== '') ref.alias = this.define(ref.alias);
    this.defineAll(ref, 'column_name_alias');
    switch (ref.type) {
      case 'BASE_TABLE':
        this.baseTable(ref, scope);
        return this.children(ref, scope, []);
      case 'TABLE_FUNCTION': {
        const fn = ref.function as AstNode | undefined;
        const name = String(fn?.function_name ?? '');
        const qualified = [fn?.catalog, fn?.schema, name].filter((p) => typeof p === 'string' && p !== '').join('.');
        if (qualified === name && Object.hasOwn(CACHE_FUNCTIONS, name)) return this.cacheFunction(ref, fn!, name);
        if (qualified !== name || !ALLOWED_TABLE_FUNCTIONS.has(name.toLowerCase())) throw new QueryError('NOT_READ_ONLY', `table function ${qualified}() is not allowed`);
        return this.children(ref, scope, []);
      }
      case 'JOIN':
        this.refAll(ref, 'using_columns');
        return this.children(ref, scope, []);
      case 'SUBQUERY':
      case 'EXPRESSION_LIST':
      case 'EMPTY':
        return this.children(ref, scope, []);
      case 'PIVOT':
        return this.pivot(ref, scope);
      case 'SHOW_REF':
        // DESCRIBE / SUMMARIZE of a query are fine; SHOW TABLES and the like list the engine's catalog.
        if (typeof ref.table_name === 'string' && ref.table_name !== '') throw new QueryError('NOT_READ_ONLY', 'SHOW statements are not allowed (they list every database of the engine)');
        return this.children(ref, scope, []);
      default:
        throw new QueryError('NOT_READ_ONLY', `unsupported FROM item ${String(ref.type)}`);
    }
  }

  private baseTable(ref: AstNode, scope: readonly string[]): void {
    const name = String(ref.table_name ?? '');
    const catalog = typeof ref.catalog_name === 'string' ? ref.catalog_name : '';
    const schema = typeof ref.schema_name === 'string' ? ref.schema_name : '';
    if (catalog !== '' || schema !== '') {
      // As InfluxDB 3 names them: [public.]iox.<table>, [public.]system.<name>, [public.]information_schema.<name>.
      const qualified = [catalog, schema, name].filter((p) => p !== '').join('.');
      if ((catalog !== '' && catalog !== 'public') || schema === '') throw this.notFound(qualified);
      if (schema === 'system' || schema === 'information_schema') return this.systemTable(ref, schema, name, qualified);
      if (schema !== 'iox') throw this.notFound(qualified);
      ref.catalog_name = this.rewrite(catalog, '');
      ref.schema_name = this.rewrite(schema, '');
    }
    const resolved = this.resolveTable(name, scope);
    ref.table_name = this.rewrite(name, sqlName(resolved.name));
    if (resolved.table !== undefined && this.collecting && !this.read.has(resolved.table)) {
      this.read.add(resolved.table);
      this.learn(resolved.table.name);
      for (const column of resolved.table.columns.keys()) this.learn(column);
    }
  }

  /** A system table: read from the temporary table filled for this statement (see `./system-tables.ts`). */
  private systemTable(ref: AstNode, schema: string, name: string, qualified: string): void {
    const table = systemTable(schema, name);
    if (table === undefined) throw this.notFound(qualified);
    if (this.collecting) {
      this.system.add(table.key);
      this.learn(name);
      for (const column of table.columns) this.learn(column);
      return;
    }
    this.changed = true;
    // `queries.id` still names its columns: the temporary table goes by the name the user wrote.
    if (typeof ref.alias !== 'string' || ref.alias === '') ref.alias = name;
    ref.catalog_name = 'temp';
    ref.schema_name = 'main';
    ref.table_name = systemTableTempName(table.key);
  }

  /**
   * `last_cache('table' [, 'name'])` or `distinct_cache(…)`: read from the temporary table filled
   * from the cache for this statement (see `./cache-tables.ts`).
   */
  private cacheFunction(ref: AstNode, fn: AstNode, name: string): void {
    const args = (Array.isArray(fn.children) ? fn.children : []).map((child: unknown) => {
      const c = child as AstNode;
      const value = c.value as { type?: { id?: unknown }; is_null?: unknown; value?: unknown } | undefined;
      return c.class === 'CONSTANT' && value?.type?.id === 'VARCHAR' && value.is_null !== true && typeof value.value === 'string' ? value.value : undefined;
    });
    const read = resolveCacheCall(this.database, CACHE_FUNCTIONS[name]!, args);
    if (this.collecting) {
      this.system.add(read.key);
      for (const column of read.columns) this.learn(column);
      return;
    }
    this.changed = true;
    const alias = typeof ref.alias === 'string' && ref.alias !== '' ? ref.alias : name;
    const columnAliases = ref.column_name_alias ?? [];
    const location = ref.query_location ?? null;
    for (const k of Object.keys(ref)) delete ref[k];
    Object.assign(ref, { type: 'BASE_TABLE', alias, sample: null, query_location: location, schema_name: 'main', table_name: read.tempName, column_name_alias: columnAliases, catalog_name: 'temp', at_clause: null });
  }

  /** A table reference: a CTE in scope or a table of the database, exactly, else the one that matches regardless of case. */
  private resolveTable(name: string, scope: readonly string[]): { name: string; table?: TableSchema } {
    if (scope.includes(name)) return { name };
    const exact = this.database.tables.get(name);
    if (exact !== undefined) return { name, table: exact };
    const key = foldCase(name);
    const ctes = new Set(scope.filter((cte) => foldCase(cte) === key));
    const tables = this.tablesByFold.get(key) ?? [];
    const count = ctes.size + tables.length;
    if (count === 0) throw this.notFound(name);
    if (count > 1) throw ambiguous('table', name, [...ctes, ...tables.map((t) => t.name)]);
    return ctes.size === 1 ? { name: [...ctes][0]! } : { name: tables[0]!.name, table: tables[0]! };
  }

  private notFound(name: string): QueryError {
    return new QueryError('INVALID_QUERY', `table ${JSON.stringify(name)} not found in database ${JSON.stringify(this.database.name)}`);
  }

  private pivot(ref: AstNode, scope: readonly string[]): void {
    this.refAll(ref, 'groups');
    this.defineAll(ref, 'unpivot_names');
    for (const pivot of (ref.pivots ?? []) as AstNode[]) {
      const isUnpivot = Array.isArray(pivot.unpivot_names) && pivot.unpivot_names.length > 0;
      this.defineAll(pivot, 'unpivot_names');
      for (const entry of (pivot.entries ?? []) as AstNode[]) {
        if (!isUnpivot) {
          // PIVOT … IN ('x' AS name): the alias names an output column.
          if (typeof entry.alias === 'string' && entry.alias !== '') entry.alias = this.define(entry.alias);
          continue;
        }
        // UNPIVOT … IN (a, "B"): the columns arrive as string constants, and the name column
        // holds each entry's alias or, without one, its column's name: keep that the user's.
        const values = (entry.values ?? []) as Array<{ value?: unknown }>;
        for (const value of values) {
          if (typeof value.value !== 'string') continue;
          const original = value.value;
          value.value = this.ref(original);
          if (values.length === 1 && value.value !== original && (entry.alias ?? '') === '') entry.alias = original;
        }
      }
    }
    this.children(ref, scope, []);
  }

  private expression(e: AstNode, scope: readonly string[]): void {
    switch (e.class) {
      case 'COLUMN_REF':
        this.refAll(e, 'column_names');
        break;
      case 'STAR':
        if (typeof e.relation_name === 'string' && e.relation_name !== '') e.relation_name = this.ref(e.relation_name);
        this.refAll(e, 'exclude_list');
        for (const q of (e.qualified_exclude_list ?? []) as AstNode[]) this.refQualified(q);
        for (const r of (e.replace_list ?? []) as AstNode[]) if (typeof r.key === 'string') r.key = this.ref(r.key);
        for (const r of (e.rename_list ?? []) as AstNode[]) {
          if (typeof r.key === 'object' && r.key !== null) this.refQualified(r.key as AstNode);
          if (typeof r.value === 'string') r.value = this.define(r.value);
        }
        break;
    }
    this.children(e, scope, []);
  }

  private refQualified(q: AstNode): void {
    if (typeof q.catalog === 'string' && q.catalog !== '') throw this.notFound([q.catalog, q.schema, q.table].join('.'));
    if (typeof q.schema === 'string' && q.schema !== '') throw this.notFound([q.schema, q.table].join('.'));
    if (typeof q.table === 'string' && q.table !== '') q.table = this.ref(q.table);
    if (typeof q.column === 'string') q.column = this.ref(q.column);
  }

  private refAll(node: AstNode, key: string): void {
    const list = node[key];
    if (Array.isArray(list)) node[key] = list.map((name) => (typeof name === 'string' ? this.ref(name) : name));
  }

  private defineAll(node: AstNode, key: string): void {
    const list = node[key];
    if (Array.isArray(list)) node[key] = list.map((name) => (typeof name === 'string' ? this.define(name) : name));
  }

  private learn(name: string): void {
    if (this.known.has(name)) return;
    this.known.add(name);
    const key = foldCase(name);
    const set = this.knownByFold.get(key);
    if (set === undefined) this.knownByFold.set(key, new Set([name]));
    else set.add(name);
  }

  /** A name the query defines (an alias, a CTE): its SQL name. */
  private define(name: string): string {
    if (this.collecting) {
      this.learn(name);
      return name;
    }
    return this.rewrite(name, sqlName(name));
  }

  /** A name the query refers to (a column, a qualifier): the SQL name of the known name it means. */
  private ref(name: string): string {
    if (this.collecting) return name;
    if (this.known.has(name)) return this.rewrite(name, sqlName(name));
    const matches = this.knownByFold.get(foldCase(name));
    if (matches !== undefined && matches.size > 1) throw ambiguous('name', name, [...matches]);
    if (matches !== undefined) return this.rewrite(name, sqlName([...matches][0]!));
    // Unknown (a struct field, a lambda parameter, a table function's column): as written, but a
    // `^` is escaped so no spelling reaches a SQL name other than its own.
    return this.rewrite(name, name.includes('^') ? sqlName(name) : name);
  }

  private rewrite(from: string, to: string): string {
    if (this.collecting) return from;
    if (to !== from) this.changed = true;
    return to;
  }
}

function ambiguous(what: 'table' | 'name', name: string, matches: readonly string[]): QueryError {
  const list = [...new Set(matches)].map((m) => JSON.stringify(m)).join(', ');
  return new QueryError('INVALID_QUERY', `${what} ${JSON.stringify(name)} is ambiguous: names are case-sensitive and it matches ${list}; write one of them exactly`);
}
