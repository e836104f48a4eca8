/**
 * From a profile in the live debugging buffer to a flamegraph: fetches its raw bytes, takes the `profile`
 * part of a multipart upload, inflates gzip, decodes pprof (with `pprof-format`) or folded text, and builds
 * the call tree of one sample type for d3-flame-graph. JFR is not shown.
 */
import type { FlameNode } from "d3-flame-graph";
import { Profile } from "pprof-format";
import { apiURL, type EventJSON } from "./api.ts";

/** A decoded profile: its sample types and the call tree of each. */
export interface Decoded {
  /** `cpu (nanoseconds)`, ... in the profile's order. */
  readonly sampleTypes: readonly string[];
  /** The call tree of sample type `index`. */
  tree(index: number): FlameNode;
}

/** Loads and decodes profile `index` of `event`; rejects with a message to show. */
export async function loadProfile(event: EventJSON, index: number): Promise<Decoded> {
  if (event.format === "jfr") throw new Error("JFR profiles are not shown (only pprof and folded text are).");
  const q = new URLSearchParams({
    component: event.componentID,
    seq: String(event.seq),
    index: String(index),
  });
  const res = await fetch(apiURL(`livedebugging/profile?${q}`));
  if (!res.ok) throw new Error((await res.text()).trim());
  let bytes: Uint8Array<ArrayBuffer> = new Uint8Array(await res.arrayBuffer());
  const contentType = res.headers.get("X-Profile-Content-Type") ?? "";
  if (contentType.startsWith("multipart/form-data")) {
    const form = await new Response(bytes, { headers: { "Content-Type": contentType } }).formData();
    const part = form.get("profile");
    if (!(part instanceof Blob)) throw new Error("the upload has no `profile` part");
    bytes = new Uint8Array(await part.arrayBuffer());
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes);
  if (event.format === "pprof") return decodePprof(bytes);
  if (event.format === "folded" || event.format === "lines" || event.format === "") {
    return decodeFolded(new TextDecoder().decode(bytes));
  }
  throw new Error(`profiles in the ${event.format} format are not shown (only pprof and folded text are).`);
}

async function gunzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Adds one stack (root first) with `value` to the tree. */
function add(root: FlameNode, stack: readonly string[], value: number): void {
  root.value += value;
  let node = root;
  for (const name of stack) {
    let child = node.children.find((c) => c.name === name);
    if (child === undefined) {
      child = { name, value: 0, children: [] };
      node.children.push(child);
    }
    child.value += value;
    node = child;
  }
}

function decodePprof(bytes: Uint8Array): Decoded {
  const p = Profile.decode(bytes);
  const strings = p.stringTable.strings;
  const functions = new Map(p.function.map((f) => [String(f.id), strings[Number(f.name)] ?? "?"]));
  // a location's lines go from the innermost inlined function out; root first is the reverse
  const locations = new Map(
    p.location.map((l) => [
      String(l.id),
      l.line.map((line) => functions.get(String(line.functionId)) ?? "?").reverse(),
    ]),
  );
  const sampleTypes = p.sampleType.map((t) => `${strings[Number(t.type)]} (${strings[Number(t.unit)]})`);
  return {
    sampleTypes,
    tree(index) {
      const root: FlameNode = { name: "total", value: 0, children: [] };
      for (const s of p.sample) {
        const value = Number(s.value[index] ?? 0);
        if (value === 0) continue;
        const stack = [...s.locationId].reverse().flatMap((id) => locations.get(String(id)) ?? ["?"]);
        add(root, stack, value);
      }
      return root;
    },
  };
}

function decodeFolded(text: string): Decoded {
  const root: FlameNode = { name: "total", value: 0, children: [] };
  for (const line of text.split("\n")) {
    const at = line.lastIndexOf(" ");
    const value = Number(line.slice(at + 1));
    if (at <= 0 || !Number.isFinite(value)) continue;
    add(root, line.slice(0, at).split(";"), value);
  }
  return { sampleTypes: ["samples"], tree: () => root };
}
