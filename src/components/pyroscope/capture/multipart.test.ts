import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nodeSdkRequests, readFixture } from "../../../../test/support/fixtures.ts";
import { joinMultipart, multipartBoundary, splitMultipart } from "./multipart.ts";

function form(
  boundary: string,
  parts: { headers: string; body: Buffer }[],
  preamble = "",
  epilogue = "",
): Buffer {
  const pieces: Buffer[] = [Buffer.from(preamble)];
  for (const p of parts)
    pieces.push(
      Buffer.from(`--${boundary}\r\n${p.headers === "" ? "" : `${p.headers}\r\n`}\r\n`),
      p.body,
      Buffer.from("\r\n"),
    );
  pieces.push(Buffer.from(`--${boundary}--\r\n${epilogue}`));
  return Buffer.concat(pieces);
}

describe("multipart split and join", () => {
  test("boundary from a content type", () => {
    assert.equal(multipartBoundary("multipart/form-data; boundary=----abc"), "----abc");
    assert.equal(multipartBoundary('Multipart/Form-Data; charset=x; boundary="q r"'), "q r");
    assert.equal(multipartBoundary("application/octet-stream"), undefined);
    assert.equal(multipartBoundary("multipart/form-data"), undefined);
  });

  test("the Node SDK bodies split into their profile part and join back byte for byte", () => {
    for (const r of nodeSdkRequests().filter((x) => x.bodyFile.endsWith(".multipart.body"))) {
      const split = splitMultipart(r.body, multipartBoundary(r.headers["content-type"]!)!);
      assert.ok(split);
      assert.equal(split.parts.length, 1);
      assert.equal(split.parts[0]!.name, "profile");
      assert.equal(split.parts[0]!.filename, "profile");
      assert.equal(split.parts[0]!.contentType, "application/octet-stream");
      assert.deepEqual(Buffer.from(joinMultipart([split.parts[0]!.body], split.glue)), r.body);
    }
  });

  test("a JFR form with a preamble, an epilogue and a labels part round-trips", () => {
    const jfr = readFixture("jfr/recording.jfr.gz");
    const labels = readFixture("jfr/recording.labels.pb.gz");
    const body = form(
      "XyZ",
      [
        { headers: 'Content-Disposition: form-data; name="jfr"; filename="jfr"', body: jfr },
        { headers: 'Content-Disposition: form-data; name="labels"; filename="labels"', body: labels },
        { headers: "", body: Buffer.from("no headers") },
      ],
      "preamble\r\n",
      "epilogue",
    );
    const split = splitMultipart(body, "XyZ");
    assert.ok(split);
    assert.deepEqual(
      split.parts.map((p) => p.name),
      ["jfr", "labels", undefined],
    );
    assert.deepEqual(Buffer.from(split.parts[0]!.body), jfr);
    assert.deepEqual(Buffer.from(split.parts[2]!.body), Buffer.from("no headers"));
    assert.deepEqual(
      Buffer.from(
        joinMultipart(
          split.parts.map((p) => p.body),
          split.glue,
        ),
      ),
      body,
    );
  });

  test("malformed bodies are not split", () => {
    assert.equal(splitMultipart(Buffer.from("no boundary here"), "b"), undefined);
    assert.equal(splitMultipart(Buffer.from("--b\r\nX: y\r\n\r\nbody without end"), "b"), undefined);
    assert.equal(splitMultipart(Buffer.from("--b\nX: y\n\nbody\n--b--\n"), "b"), undefined);
    assert.throws(() => joinMultipart([new Uint8Array(1)], [new Uint8Array(1)]), /need 2 glue pieces/);
  });
});
