export type { Dialect, DialectCapabilities, DialectConnection } from './dialects/dialect.js';
export { openSqlite, type SqliteTarget, sqliteDialect } from './dialects/sqlite/index.js';
export { connectTarget, type InspectResult, inspectTarget } from './inspect.js';
export { byName, schemaDigest, summarizeModel } from './schema/schema-digest.js';
export { parseTargetUrl, redactTargetUrl, type TargetUrl } from './target/target-url.js';
