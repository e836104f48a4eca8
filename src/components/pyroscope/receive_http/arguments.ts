/**
 * The arguments of `pyroscope.receive_http`, declared once. Names and defaults are Alloy's
 * (`internal/component/common/net/config.go` plus `receive_http.go`, which raises `conn_limit` to 16384);
 * `max_request_body_size`, `max_inflight_body_size` and `forward_headers` are ours.
 */

import { checkCipherSuites } from "../../../http/server-tls.ts";
import type { Receiver } from "../../../pyroscope/receiver.ts";
import { RECEIVER_HOST_TYPE } from "../../../pyroscope/receiver.ts";
import { attr, block, body, type InferFields, t, type ValidationIssue } from "../../../syntax/schema.ts";
import type { Secret } from "../../../syntax/value.ts";

const MiB = 1024 * 1024;

/** Pyroscope's own `ingestion_body_limit_mb` default. */
export const DEFAULT_MAX_REQUEST_BODY_SIZE = 256 * MiB;
/** The default total of request bodies held at once. */
export const DEFAULT_MAX_INFLIGHT_BODY_SIZE = 1024 * MiB;

/** Go's `client_auth_type` names, as exporter-toolkit accepts them (`RequireClientCert` is an old alias). */
export const CLIENT_AUTH_TYPES = [
  "NoClientCert",
  "RequestClientCert",
  "RequireAnyClientCert",
  "RequireClientCert",
  "VerifyClientCertIfGiven",
  "RequireAndVerifyClientCert",
] as const;

/** Go's TLS version names. */
export const TLS_VERSIONS = ["TLS10", "TLS11", "TLS12", "TLS13"] as const;

const tlsFields = {
  cert_pem: attr(t.string(), { doc: "PEM-encoded certificate to serve. Conflicts with `cert_file`." }),
  cert_file: attr(t.string(), {
    doc: "Path to the PEM-encoded certificate to serve. Conflicts with `cert_pem`.",
  }),
  key_pem: attr(t.secret(), {
    doc: "PEM-encoded private key of the certificate. Conflicts with `key_file`.",
  }),
  key_file: attr(t.string(), { doc: "Path to the PEM-encoded private key. Conflicts with `key_pem`." }),
  client_auth_type: attr(t.enum(...CLIENT_AUTH_TYPES), {
    default: "NoClientCert",
    doc: "Client certificate policy, by Go's names (`NoClientCert`, `RequestClientCert`, `RequireAnyClientCert`, `VerifyClientCertIfGiven`, `RequireAndVerifyClientCert`).",
  }),
  client_ca_file: attr(t.string(), {
    doc: "Path to PEM-encoded CA certificates that verify client certificates. Conflicts with `client_ca`.",
  }),
  client_ca: attr(t.string(), {
    doc: "PEM-encoded CA certificates that verify client certificates. Conflicts with `client_ca_file`.",
  }),
  cipher_suites: attr(t.string(), {
    default: "",
    doc: "Comma-separated TLS 1.2 cipher suites by their Go/IANA names; empty means the defaults.",
  }),
  min_version: attr(t.enum(...TLS_VERSIONS), {
    default: "TLS12",
    doc: "Oldest TLS version accepted: `TLS10`, `TLS11`, `TLS12` or `TLS13`.",
  }),
};
/** `http { tls { } }`: Alloy's server TLS block (dskit + exporter-toolkit). */
export const tlsSchema = body(tlsFields, { validate: validateTls });

/** `http { http2 { } }`: cleartext HTTP/2 (h2c) and HTTP/2 over TLS. Mirrors Go's `http2.Server` knobs. */
export const http2Schema = body({
  enabled: attr(t.bool(), {
    default: false,
    doc: "Serve HTTP/2: h2c (prior knowledge) next to HTTP/1.1 on plain connections, and `h2` by ALPN over TLS.",
  }),
  max_handlers: attr(t.int(), { default: 0, doc: "Accepted for compatibility; not used." }),
  max_concurrent_streams: attr(t.int(), {
    default: 100,
    doc: "Concurrent streams a client may open on one connection.",
  }),
  max_decoder_header_table_size: attr(t.int(), {
    default: 4096,
    doc: "HPACK table size for decoding request headers.",
  }),
  max_encoder_header_table_size: attr(t.int(), {
    default: 4096,
    doc: "Accepted for compatibility; Node sizes the encoder table from the client's settings.",
  }),
  max_read_frame_size: attr(t.int(), {
    default: 0,
    doc: "Largest frame the server reads; 0 means the default.",
  }),
  permit_prohibited_ciphers: attr(t.bool(), { default: false, doc: "Accepted for compatibility; not used." }),
  idle_timeout: attr(t.duration(), {
    default: 0,
    doc: "Close an HTTP/2 connection idle this long; 0 means `server_idle_timeout`.",
  }),
  read_idle_timeout: attr(t.duration(), { default: 0, doc: "Accepted for compatibility; not used." }),
  ping_timeout: attr(t.duration(), { default: 15_000, doc: "Accepted for compatibility; not used." }),
  write_byte_timeout: attr(t.duration(), { default: 0, doc: "Accepted for compatibility; not used." }),
  max_upload_buffer_per_connection: attr(t.int(), {
    default: 0,
    doc: "Flow-control window of a connection in bytes; 0 means the default.",
  }),
  max_upload_buffer_per_stream: attr(t.int(), {
    default: 0,
    doc: "Flow-control window of a stream in bytes; 0 means the default.",
  }),
});

const httpFields = {
  listen_address: attr(t.string(), {
    default: "",
    doc: "Network address to listen on; empty means every interface.",
  }),
  listen_port: attr(t.int(), { default: 8080, doc: "Port to listen on; `0` picks a free port." }),
  conn_limit: attr(t.int(), {
    default: 16384,
    doc: "Most simultaneous TCP connections; `0` means no limit. Connections beyond it are refused at once.",
  }),
  server_read_timeout: attr(t.duration(), {
    default: 30_000,
    doc: "Longest time to read a whole request, headers and body; `0` means no limit.",
  }),
  server_write_timeout: attr(t.duration(), {
    default: 30_000,
    doc: "Longest time from the end of the request headers to the end of the response; `0` means no limit.",
  }),
  server_idle_timeout: attr(t.duration(), {
    default: 120_000,
    doc: "How long an idle keep-alive connection stays open.",
  }),
  tls: block(tlsSchema, { doc: "Serve HTTPS. Needs a certificate and its key." }),
  http2: block(http2Schema, { absent: "defaults", doc: "HTTP/2 settings." }),
};
/** `http { }`: the listener. Omitted attributes keep their defaults, as in Alloy. */
export const httpSchema = body(httpFields, { validate: validateHttp });

/** `grpc { }`: accepted so Alloy configs load; this component serves gRPC on the HTTP port instead. */
export const grpcSchema = body({
  listen_address: attr(t.string(), { default: "", doc: "Accepted for compatibility; not used." }),
  listen_port: attr(t.int(), { default: 0, doc: "Accepted for compatibility; not used." }),
  conn_limit: attr(t.int(), { default: 0, doc: "Accepted for compatibility; not used." }),
  max_connection_age: attr(t.duration(), { default: 0, doc: "Accepted for compatibility; not used." }),
  max_connection_age_grace: attr(t.duration(), { default: 0, doc: "Accepted for compatibility; not used." }),
  max_connection_idle: attr(t.duration(), { default: 0, doc: "Accepted for compatibility; not used." }),
  server_max_recv_msg_size: attr(t.int(), { default: 4 * MiB, doc: "Accepted for compatibility; not used." }),
  server_max_send_msg_size: attr(t.int(), { default: 4 * MiB, doc: "Accepted for compatibility; not used." }),
  server_max_concurrent_streams: attr(t.int(), {
    default: 100,
    doc: "Accepted for compatibility; not used.",
  }),
  tls: block(body(tlsFields), { doc: "Accepted for compatibility; not used." }),
});

const receiveHttpFields = {
  forward_to: attr(t.list(t.capsule<Receiver>(RECEIVER_HOST_TYPE)), {
    required: true,
    doc: "Receivers to send every profile to, all of them concurrently.",
  }),
  http: block(httpSchema, { absent: "defaults", doc: "The HTTP server that receives profiles." }),
  grpc: block(grpcSchema, { absent: "defaults", doc: "Accepted for compatibility with Alloy; not used." }),
  graceful_shutdown_timeout: attr(t.duration(), {
    default: 30_000,
    doc: "How long requests in flight may finish when the server stops or restarts.",
  }),
  debug_info_upload_timeout: attr(t.duration(), {
    default: 120_000,
    doc: "Accepted for compatibility; the debuginfo routes are not served.",
  }),
  max_request_body_size: attr(t.size(), {
    default: DEFAULT_MAX_REQUEST_BODY_SIZE,
    doc: "Largest request body accepted (before decompression, and for push also after it); larger ones get 413 (push: `resource_exhausted`). `0` means no limit.",
  }),
  max_inflight_body_size: attr(t.size(), {
    default: DEFAULT_MAX_INFLIGHT_BODY_SIZE,
    doc: "Total size of request bodies held at once, gzip push bodies as they inflate; a request that would exceed it gets 429 (push: `resource_exhausted`) with `Retry-After`. `0` means no limit.",
  }),
  forward_headers: attr(t.list(t.string()), {
    default: [],
    doc: "Request headers (e.g. `X-Scope-OrgID`) passed on to the receivers, which `pyroscope.write` sends unless its endpoint sets the same header.",
  }),
};
/** The whole argument body of `pyroscope.receive_http`. */
export const receiveHttpSchema = body(receiveHttpFields, { validate: validateArguments });

/** The decoded arguments. */
export type ReceiveHttpArguments = InferFields<typeof receiveHttpFields>;
/** The decoded `http` block: a change in it restarts the listener. */
export type HttpArguments = ReceiveHttpArguments["http"];
/** The decoded `tls` block. */
export type TlsArguments = NonNullable<HttpArguments["tls"]>;

function validateTls(v: InferFields<typeof tlsFields>): readonly ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const set = (x: string | Secret | undefined): boolean =>
    x !== undefined && (typeof x === "string" ? x : x.reveal()) !== "";
  if (set(v.cert_pem) && set(v.cert_file)) {
    issues.push({ message: "at most one of cert_pem and cert_file must be set", field: "cert_pem" });
  }
  if (set(v.key_pem) && set(v.key_file)) {
    issues.push({ message: "at most one of key_pem and key_file must be set", field: "key_pem" });
  }
  if (set(v.client_ca) && set(v.client_ca_file)) {
    issues.push({ message: "at most one of client_ca and client_ca_file must be set", field: "client_ca" });
  }
  if (!set(v.cert_pem) && !set(v.cert_file)) {
    issues.push({ message: "a certificate is required to serve TLS: set cert_pem or cert_file" });
  }
  if (!set(v.key_pem) && !set(v.key_file)) {
    issues.push({ message: "a private key is required to serve TLS: set key_pem or key_file" });
  }
  if ((set(v.client_ca) || set(v.client_ca_file)) && v.client_auth_type === "NoClientCert") {
    issues.push({
      message: "Client CA's have been configured without a Client Auth Policy",
      field: "client_auth_type",
    });
  }
  const cipherError = checkCipherSuites(v.cipher_suites);
  if (cipherError !== undefined) {
    issues.push({ message: cipherError, field: "cipher_suites" });
  }
  return issues;
}

function validateHttp(v: InferFields<typeof httpFields>): readonly ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (v.listen_port < 0 || v.listen_port > 65535) {
    issues.push({
      message: `listen_port must be between 0 and 65535, got ${v.listen_port}`,
      field: "listen_port",
    });
  }
  if (v.conn_limit < 0) {
    issues.push({ message: `conn_limit must not be negative, got ${v.conn_limit}`, field: "conn_limit" });
  }
  for (const name of ["server_read_timeout", "server_write_timeout", "server_idle_timeout"] as const) {
    if (v[name] < 0) {
      issues.push({ message: `${name} must not be negative`, field: name });
    }
  }
  return issues;
}

function validateArguments(v: ReceiveHttpArguments): readonly ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (v.max_request_body_size < 0) {
    issues.push({ message: "max_request_body_size must not be negative", field: "max_request_body_size" });
  }
  if (v.max_inflight_body_size < 0) {
    issues.push({ message: "max_inflight_body_size must not be negative", field: "max_inflight_body_size" });
  }
  const perRequest = v.max_request_body_size;
  const total = v.max_inflight_body_size;
  if (total > 0 && (perRequest === 0 || perRequest > total)) {
    issues.push({
      message: `max_inflight_body_size (${total} bytes) must be at least max_request_body_size (${perRequest === 0 ? "unlimited" : `${perRequest} bytes`}), or a single request could never fit`,
      field: "max_inflight_body_size",
    });
  }
  for (const h of v.forward_headers) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(h)) {
      issues.push({
        message: `forward_headers: ${JSON.stringify(h)} is not a valid header name`,
        field: "forward_headers",
      });
    }
  }
  return issues;
}
