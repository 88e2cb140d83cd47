import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RowbotError } from '../../shared/errors.ts';
import { AZURE_API_VERSION } from '../../shared/providers.ts';
import { EXIT, UsageError } from './exit.ts';

const USAGE = `Rowbot: run an LLM over every row of a spreadsheet.

Usage:
  rowbot run <file.csv> --template "Summarize: {{text}}" [options]
  rowbot inspect <file> [--json] [--sheet NAME] [--delimiter X] [--encoding E] [--no-header]
  rowbot serve [--port N] [--db FILE]
  rowbot help

Files: CSV, TSV and other delimited text, Excel .xlsx, JSON lists and JSON lines.

rowbot run options:
  --template TEXT        the prompt, with {{column}} placeholders (one AI column, "output")
  --template-file FILE   read the template from a file instead
  --column NAME=TEMPLATE
                         an AI column of its own (repeatable, in order): its answers go in
                         column NAME; its template may use the file's columns and the AI
                         columns before it (and their JSON fields, {{summary.tone}}), e.g.
                         --column "summary=Summarize {{text}}"
                         --column "label=Label this: {{summary}}". With --template, that
                         is the first column, "output", and these follow
  --column-model NAME=MODEL
                         the model of AI column NAME (repeatable; same provider; default
                         --model)
  --system TEXT          an optional system prompt (every AI column's)
  --provider NAME        demo (offline, the default), openai, anthropic, azure, ollama,
                         lmstudio, vllm, openrouter, groq, together, gemini, or custom
                         (any OpenAI-compatible API at --base-url)
  --base-url URL         the API address (default: the provider's own; azure: your
                         https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT)
  --model NAME           the model name (required for every provider but demo)
  --api-key-env VAR      environment variable holding the key (default: the provider's,
                         e.g. OPENAI_API_KEY, ANTHROPIC_API_KEY, GROQ_API_KEY)
  --allow-key-to SLOT=ADDRESS
                         also send that key slot's key to this address, e.g.
                         openai=https://gateway.example.com (repeatable; a key goes only to
                         its service's own address, the --base-url typed here, and these)
  --api-version V        azure: the api-version (default ${AZURE_API_VERSION})
  --http-header "N: V"   an extra request header for a gateway (repeatable)
  --concurrency N        requests at once, 1 to 1000 (default 4)
  --rpm N                at most N requests per minute
  --tpm N                at most N tokens per minute
  --max-attempts N       tries per row for errors that may pass (default 5)
  --max-tokens N         the output limit of each answer
  --temperature T        sampling temperature, 0 to 2 (default: the provider's)
  --top-p P              nucleus sampling, above 0 to 1 (default: the provider's)
  --stop TEXT            stop writing at this text (repeatable, up to four)
  --json-mode            ask for one JSON object per answer
  --json-schema FILE     ask for JSON with these fields, each its own column; FILE is a
                         JSON Schema or {"field": "string" | "number" | "boolean", …}
  --max-cost USD         pause before the job could spend more than this
  --no-cache             send every row, even when an identical request was answered before
  --batch                send the rows to the provider's Batch API: about half the price,
                         answers within 24 hours (openai, azure, groq, anthropic); waits
                         and collects, or with --detach sends and exits (collect later
                         with --resume JOB)
  --detach               with --batch: print the job id once the rows are sent, and exit
  --estimate             print the rows, tokens, cost and time of the run, and send nothing
  --timeout SECONDS      per request (default 60)
  --rate-limit-patience MINUTES
                         pause the job after this long with nothing but "too many
                         requests" answers (default 10)
  --db FILE              the database (default: $ROWBOT_DB, or the app's own)
  --out FILE             write the results: .csv, .xlsx or .jsonl (input order)
  --format F             csv, xlsx, json or jsonl (default: from the file)
  --sheet NAME           the worksheet of an .xlsx file (default: the first)
  --delimiter X          comma, semicolon, tab, pipe or any one character (default: detected)
  --encoding E           utf-8, utf-16le, windows-1252, … (default: detected)
  --header, --no-header  whether the first row names the columns (default: detected)
  --max-rows N           refuse files with more data rows (default 1,000,000)
  --keep-title-rows      keep a short row above the table that looks like a title
                         (default: left out, and said so)
  --keep-empty           send rows whose placeholders are all empty (default: skip them)
  --rows all|done|failed which rows --out writes (default all)
  --no-bom               CSV without the byte-order mark Excel uses to read accents
  --out-delimiter X      comma, semicolon or tab: the separator of a CSV --out
                         (default: the input file's, or a comma)
  --write-back           with --out FILE.xlsx: your own workbook with output, status and
                         error columns added to the imported sheet
  --resume JOB_ID        continue a job that was paused or interrupted (the same --template,
                         --column and --model flags may be given again)
  --retry-failed         with --resume: send the failed rows again too (live, or in a new
                         batch with --batch)
  --json                 print a JSON summary as the last line of stdout

With several AI columns the progress line counts cells (a row's answer in one column),
--out writes NAME, NAME.status, NAME.error and NAME.cost for each column, --rows done
the rows whose cells are all answered (cells skipped for having nothing to fill in aside)
and --rows failed the rows with any failed cell.

Exit codes: 0 every row done, 1 some rows failed or the job paused,
2 bad usage or bad input (nothing is sent), 130 interrupted with Ctrl+C.

rowbot serve starts the Rowbot UI for a browser on 127.0.0.1 and prints its link,
which carries the access token.`;

/**
 * Each command's modules are loaded when it runs: Node strips the types of every .ts file it
 * imports, so `rowbot help` loading the engine cost a CPU-second and a hundred MB.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return (await import('./run.ts')).runCommand(rest);
    case 'serve':
      return serveCommand(rest);
    case 'inspect':
      return (await import('./inspect.ts')).inspectCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`rowbot: unknown command "${command}".\n\n${USAGE}`);
      return EXIT.badUsage;
  }
}

async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string', default: '0' }, db: { type: 'string' } },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RowbotError('BAD_REQUEST', `--port must be a port number, not "${values.port}".`);
  const staticDir = fileURLToPath(new URL('../../out/renderer', import.meta.url));
  if (!existsSync(staticDir)) {
    throw new RowbotError(
      'NOT_FOUND',
      'The UI has not been built yet. Run `npm run build` (or use `npm run serve`, which builds first).',
    );
  }
  const [{ Engine }, { defaultDbFile }, { startServe }] = await Promise.all([
    import('../engine/engine.ts'),
    import('../engine/paths.ts'),
    import('./serve.ts'),
  ]);
  const engine = new Engine({ dbFile: values.db ?? defaultDbFile(), processName: 'rowbot serve', resumeBatches: true });
  const server = await startServe({ engine, staticDir, port });
  console.log(`Rowbot is ready. Open this link in your browser (it contains your access token):\n\n  ${server.url}\n`);
  console.log('Press Ctrl+C to stop.');
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await engine.close();
  return 0;
}

export async function cli(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    if (error instanceof UsageError || error instanceof RowbotError) {
      console.error(`rowbot: ${error.message}`);
      process.exitCode = EXIT.badUsage;
    } else if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`rowbot: ${error.message}. Run "rowbot help" for the options.`);
      process.exitCode = EXIT.badUsage;
    } else {
      const { storageErrorMessage } = await import('../engine/store/database.ts');
      const storage = storageErrorMessage(error);
      if (storage !== null) console.error(`rowbot: ${storage}`);
      else console.error('rowbot: unexpected error:', error);
      process.exitCode = 1;
    }
  }
}
