/**
 * Server-side TLS from an Alloy server `tls` block (dskit + prometheus exporter-toolkit semantics): the
 * certificate and key from PEM text or files, client-certificate policy by Go's `client_auth_type` names,
 * client CAs, the oldest TLS version and TLS 1.2 cipher suites by their Go (IANA) names.
 *
 * Like exporter-toolkit, which loads the key pair on every handshake, certificate files are re-read when they
 * change, so a rotated certificate is served without a restart.
 */
import { readFile, stat } from "node:fs/promises";
import { createSecureContext, type SecureContextOptions, type TLSSocket, type TlsOptions } from "node:tls";
import type { Secret } from "../syntax/value.ts";

/** The decoded server `tls` block, as every `*.receive_http`-style component declares it. */
export interface ServerTlsSettings {
  readonly cert_pem?: string | undefined;
  readonly cert_file?: string | undefined;
  readonly key_pem?: Secret | undefined;
  readonly key_file?: string | undefined;
  readonly client_auth_type: string;
  readonly client_ca_file?: string | undefined;
  readonly client_ca?: string | undefined;
  readonly cipher_suites: string;
  readonly min_version: string;
}

const NODE_TLS_VERSIONS: Readonly<Record<string, "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3">> = {
  TLS10: "TLSv1",
  TLS11: "TLSv1.1",
  TLS12: "TLSv1.2",
  TLS13: "TLSv1.3",
};

/** Go's TLS 1.2 cipher suite names and OpenSSL's names for them. */
const CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_RC4_128_SHA: "RC4-SHA",
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: "DES-CBC3-SHA",
  TLS_RSA_WITH_AES_128_CBC_SHA: "AES128-SHA",
  TLS_RSA_WITH_AES_256_CBC_SHA: "AES256-SHA",
  TLS_RSA_WITH_AES_128_CBC_SHA256: "AES128-SHA256",
  TLS_RSA_WITH_AES_128_GCM_SHA256: "AES128-GCM-SHA256",
  TLS_RSA_WITH_AES_256_GCM_SHA384: "AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: "ECDHE-ECDSA-RC4-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: "ECDHE-ECDSA-AES128-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: "ECDHE-ECDSA-AES256-SHA",
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: "ECDHE-RSA-RC4-SHA",
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: "ECDHE-RSA-DES-CBC3-SHA",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: "ECDHE-RSA-AES128-SHA",
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: "ECDHE-RSA-AES256-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: "ECDHE-ECDSA-AES128-SHA256",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: "ECDHE-RSA-AES128-SHA256",
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: "ECDHE-RSA-AES128-GCM-SHA256",
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: "ECDHE-ECDSA-AES128-GCM-SHA256",
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: "ECDHE-RSA-AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: "ECDHE-ECDSA-AES256-GCM-SHA384",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-RSA-CHACHA20-POLY1305",
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: "ECDHE-RSA-CHACHA20-POLY1305",
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: "ECDHE-ECDSA-CHACHA20-POLY1305",
};

/** TLS 1.3 suites: Go accepts their names but does not let them be configured; neither do we. */
const TLS13_SUITES = new Set([
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
]);

function present(s: string | undefined): s is string {
  return s !== undefined && s !== "";
}

/** Whether the block asks for TLS at all (a certificate or a key is set). */
export function tlsRequested(tls: ServerTlsSettings | undefined): tls is ServerTlsSettings {
  return (
    tls !== undefined &&
    (present(tls.cert_pem) ||
      present(tls.cert_file) ||
      present(tls.key_file) ||
      present(tls.key_pem?.reveal()))
  );
}

/**
 * Checks a `cipher_suites` value; returns an error message, or undefined when every name is known.
 * The value is a comma-separated list, as dskit reads it.
 */
export function checkCipherSuites(value: string): string | undefined {
  for (const name of splitList(value)) {
    if (!(name in CIPHER_SUITES) && !TLS13_SUITES.has(name)) {
      return `cipher suite ${name} is unknown or not supported`;
    }
  }
  return undefined;
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Node's server TLS options plus the client-certificate checks Node cannot express as options. */
export interface ServerTls {
  /** Options for `https.createServer` / `http2.createSecureServer` (certificate, key, CA, policy). */
  readonly options: TlsOptions;
  /** Call on every `secureConnection`: closes connections the policy refuses. Returns false if it did. */
  readonly checkPeer: (socket: TLSSocket) => boolean;
  /**
   * Re-reads the certificate files if they changed since the last call (at most once a second) and returns
   * the new secure-context options, or undefined when nothing changed. Feed the result to `setSecureContext`.
   */
  readonly reload: () => Promise<SecureContextOptions | undefined>;
}

/** Builds the server TLS settings, reading the files. Rejects with a readable message on a bad file. */
export async function createServerTls(tls: ServerTlsSettings): Promise<ServerTls> {
  const files = [tls.cert_file, tls.key_file, tls.client_ca_file].filter(present);
  let context = await loadContext(tls);
  let stamps = await fileStamps(files);
  let lastCheck = Date.now();

  const policy = tls.client_auth_type;
  const requestCert = policy !== "NoClientCert" && policy !== "";
  const ciphers = splitList(tls.cipher_suites)
    .map((n) => CIPHER_SUITES[n])
    .filter((c): c is string => c !== undefined);

  const options: TlsOptions = {
    ...context,
    requestCert,
    rejectUnauthorized: policy === "RequireAndVerifyClientCert",
    minVersion: NODE_TLS_VERSIONS[tls.min_version] ?? "TLSv1.2",
    ...(ciphers.length > 0 ? { ciphers: ciphers.join(":") } : {}),
  };

  const checkPeer = (socket: TLSSocket): boolean => {
    if (
      policy !== "RequireAnyClientCert" &&
      policy !== "RequireClientCert" &&
      policy !== "VerifyClientCertIfGiven"
    ) {
      return true;
    }
    const cert = socket.getPeerCertificate();
    const hasCert = cert !== null && Object.keys(cert).length > 0;
    const refuse = policy === "VerifyClientCertIfGiven" ? hasCert && !socket.authorized : !hasCert;
    if (refuse) {
      socket.destroy();
    }
    return !refuse;
  };

  const reload = async (): Promise<SecureContextOptions | undefined> => {
    if (files.length === 0 || Date.now() - lastCheck < 1000) return undefined;
    lastCheck = Date.now();
    const next = await fileStamps(files).catch(() => stamps);
    if (next === stamps) return undefined;
    try {
      const loaded = await loadContext(tls);
      const options = { ...loaded, ...(ciphers.length > 0 ? { ciphers: ciphers.join(":") } : {}) };
      // Throws on a certificate that does not parse or does not match its key, as happens between the
      // writes of a rotation (the new certificate is there, its key not yet).
      createSecureContext(options);
      context = loaded;
      stamps = next;
      return options;
    } catch {
      return undefined; // a half-written or mismatched pair: keep serving the previous one, try again later
    }
  };

  return { options, checkPeer, reload };
}

async function loadContext(tls: ServerTlsSettings): Promise<SecureContextOptions> {
  const cert = present(tls.cert_file) ? await readPem(tls.cert_file, "cert_file") : tls.cert_pem;
  const key = present(tls.key_file) ? await readPem(tls.key_file, "key_file") : tls.key_pem?.reveal();
  const ca = present(tls.client_ca_file)
    ? await readPem(tls.client_ca_file, "client_ca_file")
    : tls.client_ca;
  if (!present(cert)) throw new Error("missing certificate: set cert_pem or cert_file");
  if (!present(key)) throw new Error("missing key: set key_pem or key_file");
  return present(ca) ? { cert, key, ca } : { cert, key };
}

async function readPem(path: string, attribute: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new Error(`failed to read ${attribute} ${path}: ${(err as Error).message}`);
  }
}

async function fileStamps(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    files.map(async (f) => {
      const s = await stat(f);
      return `${f}:${s.mtimeMs}:${s.size}`;
    }),
  );
  return parts.join("|");
}
