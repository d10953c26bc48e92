/** A database name as a quoted SQL identifier; anything that could escape it is refused. */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name: ${name}`);
  return `"${name}"`;
}
