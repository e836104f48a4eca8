/**
 * Turns a `tls_config` block into Node TLS connect options, reading the files and checking the PEM data when
 * the client is built, so a bad CA or key fails the component's configuration (as Alloy's client factory does)
 * rather than every request.
 */
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createSecureContext, type SecureVersion } from "node:tls";
import { TLS_VERSIONS, type TlsConfig } from "./schema.ts";

/** The subset of `tls.connect` options a `tls_config` sets; undici's `connect` option takes them as is. */
export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: boolean;
  minVersion?: SecureVersion;
}

function nonEmpty(s: string | undefined): s is string {
  return s !== undefined && s !== "";
}

/**
 * Loads the TLS settings. Throws with prometheus/common's wording when a file cannot be read or the PEM data is
 * unusable; the messages name files, never key material.
 */
export async function loadTlsOptions(cfg: TlsConfig | undefined): Promise<TlsOptions> {
  const out: TlsOptions = { rejectUnauthorized: !(cfg?.insecure_skip_verify ?? false) };
  if (cfg === undefined) return out;
  if (nonEmpty(cfg.server_name)) out.servername = cfg.server_name;
  if (nonEmpty(cfg.min_version)) {
    const v = TLS_VERSIONS[cfg.min_version];
    if (v === undefined) throw new Error(`unknown TLS version: ${cfg.min_version}`);
    out.minVersion = v;
  }

  let ca = cfg.ca_pem;
  if (nonEmpty(cfg.ca_file)) {
    ca = await readFile(cfg.ca_file, "utf8").catch((err: unknown) => {
      throw new Error(`unable to load specified CA cert ${cfg.ca_file}: ${errorText(err)}`);
    });
  }
  if (nonEmpty(ca)) {
    try {
      new X509Certificate(ca);
    } catch {
      throw new Error(`unable to use specified CA cert ${cfg.ca_file ?? "inline"}`);
    }
    out.ca = ca;
  }

  let cert = cfg.cert_pem;
  let key = cfg.key_pem?.reveal();
  const certName = cfg.cert_file ?? "inline";
  const keyName = cfg.key_file ?? "inline";
  try {
    if (nonEmpty(cfg.cert_file)) cert = await readFile(cfg.cert_file, "utf8");
    if (nonEmpty(cfg.key_file)) key = await readFile(cfg.key_file, "utf8");
  } catch (err) {
    throw new Error(
      `unable to read specified client cert (${certName}) & key (${keyName}): ${errorText(err)}`,
    );
  }
  if (nonEmpty(cert) && nonEmpty(key)) {
    try {
      createSecureContext({ cert, key });
    } catch {
      // The underlying message can quote PEM content; say only which files were at fault.
      throw new Error(`unable to use specified client cert (${certName}) & key (${keyName})`);
    }
    out.cert = cert;
    out.key = key;
  }
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
