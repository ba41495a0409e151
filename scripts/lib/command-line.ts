/**
 * The catalog CLIs' shared start: parse the arguments, answer --help, and refuse a call without positionals or
 * --out, each with the usage. Returns the parsed arguments (and `out`), or the exit code to end with.
 */
/** The options both catalog CLIs take: where to write, the catalog's name, how to partition, and --help. */
export const CATALOG_WRITE_OPTIONS = {
  out: { type: 'string', short: 'o' },
  name: { type: 'string' },
  'partition-size': { type: 'string' },
  partitioned: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function readCommandLine<T extends { values: { help?: boolean | undefined; out?: string | undefined }; positionals: string[] }>(
  argv: string[],
  parse: (argv: string[]) => T,
  usage: string,
  noPositionals: string,
): (T & { out: string }) | number {
  let parsed: T;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (parsed.positionals.length === 0 || !parsed.values.out) {
    process.stderr.write(`${parsed.positionals.length === 0 ? noPositionals : '--out is required'}\n${usage}\n`);
    return 2;
  }
  return Object.assign(parsed, { out: parsed.values.out });
}
