/**
 * The `User-Agent` of every outbound request: `profile-relay/<version>`, where Alloy sends `Alloy/<version>`.
 */
import { readFileSync } from "node:fs";

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "dev";
  } catch {
    return "dev";
  }
}

/** `profile-relay/<package version>`. */
export const USER_AGENT = `profile-relay/${packageVersion()}`;
