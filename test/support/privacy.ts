import type { TestBridge } from './bridge';

/** Every value of every text-like column of every table, for privacy scans. */
export async function allTextInDatabase(bridge: TestBridge): Promise<string> {
  const columns = await bridge.db.sql<{ table_name: string; column_name: string }[]>`
    SELECT c.table_name, c.column_name FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
      AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')`;
  const values: string[] = [];
  for (const { table_name, column_name } of columns) {
    for (const r of await bridge.db.sql.unsafe(`SELECT "${column_name}"::text AS v FROM "${table_name}"`))
      if (r.v !== null) values.push(String(r.v));
  }
  return values.join('\n');
}
