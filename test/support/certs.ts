/**
 * Throw-away TLS material for tests, generated with the `openssl` CLI: a CA, a server certificate for
 * `127.0.0.1`/`localhost`, and a client certificate (for mutual TLS), all signed by that CA. Generated once per
 * process into a temporary directory, so tests can pass either the PEM text or the file paths
 * (`ca_file`, `cert_file`, `key_file`). The directory (private keys) is removed when the process exits, also
 * when a test failed.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM text and file paths of one key pair. */
export interface PemPair {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestCertificates {
  /** The directory holding every file. */
  readonly dir: string;
  /** The CA certificate (PEM) and its file. */
  readonly ca: string;
  readonly caFile: string;
  /** For 127.0.0.1 and localhost, `serverAuth`. */
  readonly server: PemPair;
  /** CN `test-client`, `clientAuth`. */
  readonly client: PemPair;
  /** A second, unrelated CA: a server or client it does not know must be refused. */
  readonly otherCa: string;
}

let cached: TestCertificates | undefined;

/** Generates (once per process) and returns the test certificates. */
export function testCertificates(): TestCertificates {
  cached ??= generate();
  return cached;
}

function generate(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "profile-relay-certs-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe", timeout: 20_000 });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

  const makeCa = (name: string, cn: string) =>
    openssl(
      "req",
      "-x509",
      ...ec,
      "-keyout",
      path(`${name}.key`),
      "-out",
      path(`${name}.crt`),
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
  makeCa("ca", "profile-relay test CA");
  makeCa("other-ca", "profile-relay other CA");

  const leaf = (name: string, cn: string, extensions: string): PemPair => {
    writeFileSync(path(`${name}.ext`), extensions);
    openssl("req", ...ec, "-keyout", path(`${name}.key`), "-out", path(`${name}.csr`), "-subj", `/CN=${cn}`);
    openssl(
      "x509",
      "-req",
      "-in",
      path(`${name}.csr`),
      "-CA",
      path("ca.crt"),
      "-CAkey",
      path("ca.key"),
      "-CAcreateserial",
      "-out",
      path(`${name}.crt`),
      "-days",
      "2",
      "-extfile",
      path(`${name}.ext`),
    );
    return {
      cert: readFileSync(path(`${name}.crt`), "utf8"),
      key: readFileSync(path(`${name}.key`), "utf8"),
      certFile: path(`${name}.crt`),
      keyFile: path(`${name}.key`),
    };
  };

  const server = leaf(
    "server",
    "localhost",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n",
  );
  const client = leaf(
    "client",
    "test-client",
    "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n",
  );
  return {
    dir,
    ca: readFileSync(path("ca.crt"), "utf8"),
    caFile: path("ca.crt"),
    server,
    client,
    otherCa: readFileSync(path("other-ca.crt"), "utf8"),
  };
}
