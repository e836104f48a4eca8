import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { IngestQuery } from "./ingest-query.ts";

const NODE_SDK = new URL("../../test/fixtures/node-sdk/requests.json", import.meta.url);

test("reads the parameters Pyroscope knows, with Go's decoding", () => {
  const q = IngestQuery.parse(
    "?name=app.cpu%7Benv%3Dprod%2Cregion%3Dus+east%7D&from=1700000000&until=1700000010&format=pprof&sampleRate=100&spyName=gospy&units=samples&aggregationType=sum",
  );
  assert.deepEqual(q.params(), {
    name: "app.cpu{env=prod,region=us east}",
    from: "1700000000",
    until: "1700000010",
    format: "pprof",
    sampleRate: "100",
    spyName: "gospy",
    units: "samples",
    aggregationType: "sum",
  });
  assert.equal(IngestQuery.parse("").name, undefined);
  assert.equal(IngestQuery.parse("name=").name, "");
  assert.equal(IngestQuery.parse("name").name, "");
});

test("the first readable value wins; pairs Go skips are not read", () => {
  const q = IngestQuery.parse("name=%zz&name=a;b&name=first&name=second&x=%E2%82%AC");
  assert.equal(q.name, "first");
  assert.deepEqual(q.getAll("name"), ["first", "second"]);
  assert.equal(q.get("x"), "€");
  assert.equal(q.get("missing"), undefined);
});

test("withName replaces name in place and keeps every other pair byte for byte", () => {
  const raw =
    "format=jfr&name=test.app%7Benv%3Dprod%7D&from=1&until=2&odd=a%2fb&semi=1;2&bad=%zz&custom=param1";
  const q = IngestQuery.parse(raw).withName("test.app{cluster=c1,env=prod,service_name=test.app}");
  assert.equal(
    q.toString(),
    "format=jfr&name=test.app%7Bcluster%3Dc1%2Cenv%3Dprod%2Cservice_name%3Dtest.app%7D&from=1&until=2&odd=a%2fb&semi=1;2&bad=%zz&custom=param1",
  );
  assert.equal(q.name, "test.app{cluster=c1,env=prod,service_name=test.app}");
  assert.equal(IngestQuery.parse(raw).toString(), raw);
});

test("withName removes repeated and unreadable name pairs, and appends name when absent", () => {
  assert.equal(IngestQuery.parse("name=a&x=1&name=b&name=%zz").withName("c").toString(), "name=c&x=1");
  assert.equal(IngestQuery.parse("name=%zz&x=1").withName("c").toString(), "name=c&x=1");
  assert.equal(
    IngestQuery.parse("key=value").withName("app{a=b c}").toString(),
    "key=value&name=app%7Ba%3Db+c%7D",
  );
  assert.equal(IngestQuery.parse("").withName("a/b").toString(), "name=a%2Fb");
});

test("toCanonicalString is Go's url.Values.Encode (what Alloy sends)", () => {
  const q = IngestQuery.parse("name=test.app%7Benv%3Dprod%7D&from=1&until=2&format=jfr").withName(
    "test.app{cluster=c1,env=prod,service_name=test.app}",
  );
  // spec alloy-components.md §1.10 example 1
  assert.equal(
    q.toCanonicalString(),
    "format=jfr&from=1&name=test.app%7Bcluster%3Dc1%2Cenv%3Dprod%2Cservice_name%3Dtest.app%7D&until=2",
  );
  assert.equal(
    IngestQuery.parse("b=2&a=x+y~*&b=1&bad=%zz&s=1;2&=v&&Z=%ff").toCanonicalString(),
    "=v&Z=%FF&a=x+y~%2A&b=2&b=1",
  );
});

test("the real Node SDK query survives a name rewrite unchanged elsewhere", () => {
  const requests = JSON.parse(readFileSync(NODE_SDK, "utf8")) as unknown;
  const paths = JSON.stringify(requests).match(/\/ingest\?[^"]+/g) ?? [];
  assert.ok(paths.length > 0);
  for (const path of paths) {
    const raw = path.slice("/ingest?".length);
    const q = IngestQuery.parse(raw);
    assert.match(q.name ?? "", /^capture-test\{otel\.scope\.name=com\.grafana\.pyroscope\/nodejs,/);
    const rewritten = q.withName("capture-test{env=test}").toString();
    const strip = (s: string) => s.replace(/(^|&)name=[^&]*/, "$1name=");
    assert.equal(strip(rewritten), strip(raw));
  }
});

test("a query of plain pairs is sorted as Go's Encode sorts it (keys in byte order, values kept in order)", () => {
  const cases = [
    "name=app&from=1&until=2&format=pprof&spyName=gospy&sampleRate=100",
    "b=2&a=1&b=1&A=3&a~=4&a.=5&a-=6&a_=7",
    "z=&y=1&z=2",
  ];
  for (const raw of cases) {
    const byGo = new URLSearchParams(raw);
    byGo.sort();
    // URLSearchParams escapes `~`, which Go leaves as it is
    assert.equal(IngestQuery.parse(raw).toCanonicalString(), byGo.toString().replaceAll("%7E", "~"), raw);
  }
  // pairs that need escaping (or are escaped where Go would not) take the general path, with the same order
  assert.equal(IngestQuery.parse("b=1&a=x y").toCanonicalString(), "a=x+y&b=1");
  assert.equal(IngestQuery.parse("b=%41%20&a=%7b").toCanonicalString(), "a=%7B&b=A+");
  // canonical escapes and `+` stay on the fast path, with the bytes Go would write
  assert.equal(
    IngestQuery.parse("name=app%7Benv%3Dprod%7D&from=1&a=x+y").toCanonicalString(),
    "a=x+y&from=1&name=app%7Benv%3Dprod%7D",
  );
});

test("canonicalWithName is withName then toCanonicalString, on plain, escaped, unreadable and repeated pairs", () => {
  const queries = [
    "name=app&from=1&until=2&format=pprof&spyName=gospy&sampleRate=100",
    "from=1&until=2",
    "b=2&a=1&b=1&A=3&a~=4&a.=5&a-=6&a_=7&name=x&name=y",
    "z=&y=1&z=2&name=app%7Benv%3Dprod%7D",
    "name=app%zz{env=a}&from=1",
    "b=1&a=x y&name=q",
    "b=%41%20&a=%7b",
    "s=1;2&=v&&Z=%ff&name=n",
    "flag&name=a&x=1",
    "",
  ];
  const names = ["app.cpu{env=prod}", "plain", "spaces and ünïcode{a=b c}"];
  for (const raw of queries) {
    for (const name of names) {
      const q = IngestQuery.parse(raw);
      assert.equal(q.canonicalWithName(name), q.withName(name).toCanonicalString(), `${raw} / ${name}`);
    }
  }
  // the name goes where its key sorts, every other pair as it was
  assert.equal(
    IngestQuery.parse("until=2&name=old&from=1&spyName=nodespy").canonicalWithName("app{env=a}"),
    "from=1&name=app%7Benv%3Da%7D&spyName=nodespy&until=2",
  );
});
