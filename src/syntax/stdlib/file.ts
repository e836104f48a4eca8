/**
 * The `file` namespace: `file.path_join(elems...)`, Go's `filepath.Join`. Empty elements are skipped and the
 * result is cleaned (`"/a", "../b", "c/"` → `/b/c`, no trailing slash); no elements give `""`. The separator
 * is `/` (profile-relay follows Go on Unix; on Windows Go would use `\`).
 */
import type { Value } from "../value.ts";
import { stringArgument, variadicFunction } from "./args.ts";

/** `file.path_join(elems...)`. */
export const pathJoin = variadicFunction("file.path_join", 0, (args) => {
  const elems = args.map((_, i) => stringArgument(args, i)).filter((e) => e !== "");
  return elems.length === 0 ? "" : cleanPath(elems.join("/"));
});

/** The namespace object. */
export const fileNamespace: ReadonlyMap<string, Value> = new Map<string, Value>([["path_join", pathJoin]]);

/** Go `path.Clean`: the shortest equivalent path, by purely lexical processing. */
export function cleanPath(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  let dotdot = 0; // how many leading ".." a relative path keeps
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > dotdot) out.pop();
      else if (!rooted) {
        out.push("..");
        dotdot++;
      }
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}
