/**
 * `profile-relay replay DIR --to URL [flags]`: sends the profiles a `pyroscope.capture` store holds to a
 * Pyroscope endpoint, oldest first, through `pyroscope.write`'s own endpoint client (same requests, auth, TLS,
 * proxy and retry policy): push captures to the push API, ingest captures to `/ingest`.
 *
 * Progress goes to stderr (a progress bar when stderr is a terminal), each failure as a line on stderr, and a
 * summary (sent, failed, skipped) to stdout. Exit 1 when any profile failed.
 */
import { pino } from "pino";
import {
  type CatalogEntry,
  codeOf,
  listCaptures,
  loadCapture,
} from "../components/pyroscope/capture/catalog.ts";
import { type ReplayCall, replayCall } from "../components/pyroscope/capture/replay-call.ts";
import { type EndpointArguments, endpointBody } from "../components/pyroscope/write/arguments.ts";
import { deliver } from "../components/pyroscope/write/deliver.ts";
import { Endpoint } from "../components/pyroscope/write/endpoint.ts";
import { validateHttpClient } from "../http/schema.ts";
import type { Outcome } from "../pyroscope/receiver.ts";
import { terminalCell, terminalText } from "../runtime/terminal-text.ts";
import { defaultsOf } from "../syntax/decode.ts";
import { parseDuration } from "../syntax/duration.ts";
import { Secret } from "../syntax/value.ts";
import {
  arityError,
  boolFlag,
  FlagError,
  type FlagSpec,
  flagsHelp,
  parseFlags,
  stringFlag,
} from "./flags.ts";
import type { CliIO, Command } from "./io.ts";

const FLAGS: readonly FlagSpec[] = [
  { name: "to", kind: "string", default: "", help: "base URL of the Pyroscope server to send to (required)" },
  {
    name: "since",
    kind: "string",
    default: "",
    help: "only profiles received at or after this time: RFC 3339 (2025-03-01T10:00:00Z) or a duration ago (2h)",
  },
  { name: "service", kind: "string", default: "", help: "only profiles of this service_name" },
  {
    name: "rewrite-time",
    kind: "bool",
    default: false,
    help: "move profile timestamps to now (Pyroscope rejects profiles older than 1h)",
  },
  { name: "header", kind: "string", default: "", help: 'extra request header "Name: value" (repeatable)' },
  { name: "basic-auth.username", kind: "string", default: "", help: "basic auth username" },
  { name: "basic-auth.password", kind: "string", default: "", help: "basic auth password" },
  {
    name: "basic-auth.password-file",
    kind: "string",
    default: "",
    help: "file containing the basic auth password",
  },
  { name: "bearer-token", kind: "string", default: "", help: "bearer token to authenticate with" },
  { name: "bearer-token-file", kind: "string", default: "", help: "file containing the bearer token" },
  { name: "tls.ca-file", kind: "string", default: "", help: "CA certificate to validate the server with" },
  { name: "tls.cert-file", kind: "string", default: "", help: "client certificate file" },
  { name: "tls.key-file", kind: "string", default: "", help: "client key file" },
  {
    name: "tls.server-name",
    kind: "string",
    default: "",
    help: "server name to verify the certificate against",
  },
  {
    name: "tls.insecure-skip-verify",
    kind: "bool",
    default: false,
    help: "do not verify the server certificate",
  },
  { name: "proxy-url", kind: "string", default: "", help: "HTTP proxy to send requests through" },
  { name: "remote-timeout", kind: "string", default: "10s", help: "timeout of each request" },
  { name: "min-backoff-period", kind: "string", default: "500ms", help: "initial wait before a retry" },
  { name: "max-backoff-period", kind: "string", default: "30s", help: "longest wait before a retry" },
  {
    name: "max-backoff-retries",
    kind: "string",
    default: "3",
    help: "attempts per profile, the first included (0 retries without limit)",
  },
  { name: "help", short: "h", kind: "bool", default: false, help: "help for replay" },
];

const HELP = `The replay subcommand sends the profiles a pyroscope.capture component stored in DIR to a
Pyroscope server, oldest first, the way pyroscope.write would have sent them: push API
profiles to /push.v1.PusherService/Push, /ingest uploads to /ingest with their query and
content type. Failed requests are retried like pyroscope.write retries them.

Usage:
  profile-relay replay [flags] DIR --to URL

Flags:
${flagsHelp(FLAGS)}
`;

/** The counts of a replay. */
export interface ReplaySummary {
  sent: number;
  failed: number;
  skipped: number;
}

class UsageError extends Error {}

export const replayCommand: Command = async (argv, io) => {
  let settings: Settings | "help";
  try {
    settings = parseSettings(argv);
  } catch (err) {
    if (err instanceof FlagError || err instanceof UsageError) {
      io.stderr(`Error: ${err.message}\nRun 'profile-relay replay --help' for usage.\n`);
      return 1;
    }
    throw err;
  }
  if (settings === "help") {
    io.stdout(HELP);
    return 0;
  }

  let endpoint: Endpoint;
  try {
    endpoint = await Endpoint.create(settings.endpoint, { logger: pino({ level: "silent" }) });
  } catch (err) {
    io.stderr(`Error: ${terminalText(errorText(err))}\n`);
    return 1;
  }
  try {
    const summary = await replay(settings, endpoint, io);
    io.stdout(
      `replay: ${summary.sent} sent, ${summary.failed} failed, ${summary.skipped} skipped (to ${endpoint.displayUrl})\n`,
    );
    return summary.failed > 0 ? 1 : 0;
  } catch (err) {
    io.stderr(`Error: ${terminalText(errorText(err))}\n`);
    return 1;
  } finally {
    await endpoint.close();
  }
};

interface Settings {
  readonly dir: string;
  readonly endpoint: EndpointArguments;
  readonly since: number | undefined;
  readonly service: string | undefined;
  readonly rewriteTime: boolean;
}

function parseSettings(argv: readonly string[]): Settings | "help" {
  const { rest, headers } = extractHeaders(argv);
  const flags = parseFlags(rest, FLAGS);
  if (boolFlag(flags, "help")) return "help";
  const bad = arityError(flags.positional, { exactly: 1 });
  if (bad !== undefined) throw new UsageError(bad);
  const to = stringFlag(flags, "to");
  if (to === "") throw new UsageError('required flag(s) "to" not set');
  const str = (name: string): string | undefined => {
    const v = stringFlag(flags, name);
    return v === "" ? undefined : v;
  };
  const duration = (name: string): number => {
    try {
      return parseDuration(stringFlag(flags, name));
    } catch (err) {
      throw new UsageError(
        `invalid argument "${stringFlag(flags, name)}" for "--${name}" flag: ${errorText(err)}`,
      );
    }
  };
  const retries = Number(stringFlag(flags, "max-backoff-retries"));
  if (!Number.isInteger(retries) || retries < 0) {
    throw new UsageError(
      `invalid argument "${stringFlag(flags, "max-backoff-retries")}" for "--max-backoff-retries" flag`,
    );
  }
  const username = str("basic-auth.username");
  const password = str("basic-auth.password");
  const passwordFile = str("basic-auth.password-file");
  const tlsGiven = ["tls.ca-file", "tls.cert-file", "tls.key-file", "tls.server-name"].some((n) => str(n));
  const endpoint: EndpointArguments = {
    ...(defaultsOf(endpointBody) as EndpointArguments),
    url: to,
    remote_timeout: duration("remote-timeout"),
    min_backoff_period: duration("min-backoff-period"),
    max_backoff_period: duration("max-backoff-period"),
    max_backoff_retries: retries,
    headers: Object.keys(headers).length === 0 ? undefined : headers,
    basic_auth:
      username !== undefined || password !== undefined || passwordFile !== undefined
        ? {
            username,
            password: password === undefined ? undefined : new Secret(password),
            password_file: passwordFile,
          }
        : undefined,
    bearer_token: str("bearer-token") === undefined ? undefined : new Secret(str("bearer-token")!),
    bearer_token_file: str("bearer-token-file"),
    tls_config:
      tlsGiven || boolFlag(flags, "tls.insecure-skip-verify")
        ? {
            ca_pem: undefined,
            ca_file: str("tls.ca-file"),
            cert_pem: undefined,
            cert_file: str("tls.cert-file"),
            key_pem: undefined,
            key_file: str("tls.key-file"),
            server_name: str("tls.server-name"),
            insecure_skip_verify: boolFlag(flags, "tls.insecure-skip-verify"),
            min_version: undefined,
          }
        : undefined,
    proxy_url: str("proxy-url"),
  };
  const issue = validateHttpClient(endpoint)[0];
  if (issue !== undefined) throw new UsageError(issue.message.replaceAll("_", "-"));
  return {
    dir: flags.positional[0]!,
    endpoint,
    since: parseSince(str("since")),
    service: str("service"),
    rewriteTime: boolFlag(flags, "rewrite-time"),
  };
}

/** Takes the repeatable `--header "Name: value"` flags out of `argv` (the flag parser keeps one value). */
function extractHeaders(argv: readonly string[]): { rest: string[]; headers: Record<string, string> } {
  const rest: string[] = [];
  const headers: Record<string, string> = {};
  const add = (value: string | undefined): void => {
    if (value === undefined) throw new FlagError("flag needs an argument: --header");
    const colon = value.indexOf(":");
    const name = colon < 0 ? "" : value.slice(0, colon).trim();
    if (name === "") throw new UsageError(`invalid header "${value}": want "Name: value"`);
    headers[name] = value.slice(colon + 1).trim();
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === "--header") add(argv[++i]);
    else if (arg.startsWith("--header=")) add(arg.slice("--header=".length));
    else rest.push(arg);
  }
  return { rest, headers };
}

/** `--since`: a Go duration before now, or an absolute time. */
function parseSince(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  try {
    return now - parseDuration(value);
  } catch {
    // not a duration
  }
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `invalid argument "${value}" for "--since" flag: want a duration like 2h or a time like 2025-03-01T10:00:00Z`,
    );
  }
  return ms;
}

async function replay(settings: Settings, endpoint: Endpoint, io: CliIO): Promise<ReplaySummary> {
  const catalog = await listCaptures(settings.dir).catch((err: unknown) => {
    throw new Error(
      `cannot read ${settings.dir}: ${codeOf(err) === "ENOENT" ? "no such directory" : errorText(err)}`,
    );
  });
  const summary: ReplaySummary = { sent: 0, failed: 0, skipped: 0 };
  const progress = new Progress(io, catalog.entries.length);
  for (const p of catalog.problems) {
    summary.failed++;
    progress.line(`failed: ${p.file}: ${p.message}`);
  }
  const signal = new AbortController().signal;
  for (const entry of catalog.entries) {
    if (
      (settings.since !== undefined && entry.time < settings.since) ||
      (settings.service !== undefined && entry.record.service_name !== settings.service)
    ) {
      summary.skipped++;
      progress.update(summary);
      continue;
    }
    const outcome = await replayOne(entry, settings, endpoint, signal);
    if (outcome === "sent") summary.sent++;
    else if (outcome === "gone") summary.skipped++;
    else {
      summary.failed++;
      progress.line(`failed: ${entry.record.service_name} ${entry.record.id}: ${outcome.error}`);
    }
    progress.update(summary);
  }
  progress.done();
  return summary;
}

async function replayOne(
  entry: CatalogEntry,
  settings: Settings,
  endpoint: Endpoint,
  signal: AbortSignal,
): Promise<"sent" | "gone" | { error: string }> {
  let call: ReplayCall;
  try {
    call = replayCall(entry, await loadCapture(entry), {
      rewriteTime: settings.rewriteTime,
      now: Date.now(),
    });
  } catch (err) {
    // Retention may remove a capture while replay runs.
    if (codeOf(err) === "ENOENT") return "gone";
    return { error: errorText(err) };
  }
  const attempt = (): Promise<Outcome> =>
    call.kind === "push" ? endpoint.push(call.call, signal) : endpoint.ingest(call.call, signal);
  const args = settings.endpoint;
  const result = await deliver(attempt, {
    backoff: endpoint.backoff,
    retryOnHttp429: args.retry_on_http_429,
    signal,
  });
  if (result.ok) return "sent";
  return { error: `${result.last.message} (${result.retries} retries)` };
}

/** The progress display: a redrawn bar on a terminal, nothing but failure lines otherwise. */
class Progress {
  readonly #io: CliIO;
  readonly #total: number;
  #drawn = false;

  constructor(io: CliIO, total: number) {
    this.#io = io;
    this.#total = total;
  }

  update(s: ReplaySummary): void {
    if (!this.#io.stderrIsTTY) return;
    const done = s.sent + s.failed + s.skipped;
    const width = 30;
    const filled = this.#total === 0 ? width : Math.round((done / this.#total) * width);
    const bar = `${"#".repeat(filled)}${".".repeat(width - filled)}`;
    this.#io.stderr(
      `\r\x1b[2K[${bar}] ${done}/${this.#total}  sent ${s.sent}  failed ${s.failed}  skipped ${s.skipped}`,
    );
    this.#drawn = true;
  }

  /** A line that stays (a failure), printed above the bar; control characters in it are shown escaped. */
  line(text: string): void {
    if (this.#drawn) this.#io.stderr("\r\x1b[2K");
    this.#io.stderr(`${terminalCell(text)}\n`);
    this.#drawn = false;
  }

  done(): void {
    if (this.#drawn) this.#io.stderr("\n");
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
