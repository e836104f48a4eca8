import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startLoadedAgent } from "../../../../test/support/agent.ts";
import { runCommandMerged } from "../../../../test/support/cli-io.ts";
import { startFakePyroscope } from "../../../../test/support/fake-pyroscope.ts";
import { freePort } from "../../../../test/support/free-port.ts";
import { pushRequestBody } from "../../../../test/support/push-request.ts";
import { main } from "../../../cli/main.ts";

const PASSWORD = "pAss-Wd7Q";
const TOKEN = "t0ken-Zk3";

/** Every file under `dir`, read as text. */
function allFiles(dir: string): string {
  let out = "";
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out += `${e.name}\n${readFileSync(join(e.parentPath, e.name), "latin1")}\n`;
  }
  return out;
}

test("a password or a token in an endpoint URL reaches no log, metric, API, diagnostic or queue file", async () => {
  const fake = await startFakePyroscope({
    // Every profile is refused for good, so it is logged and dead-lettered.
    respond: () => ({ status: 400, connectCode: "invalid_argument", message: "no" }),
  });
  after(() => fake.close());
  const dir = mkdtempSync(join(tmpdir(), "profile-relay-url-secrets-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const withPassword = fake.url.replace("http://", `http://user:${PASSWORD}@`);
  const withToken = `${fake.url}/?token=${TOKEN}&tenant=a`;
  const config = `logging {
  level = "debug"
}

pyroscope.receive_http "r" {
  http {
    listen_address = "127.0.0.1"
    listen_port    = ${port}
  }
  forward_to = [pyroscope.write.w.receiver]
}

pyroscope.write "w" {
  endpoint {
    url                 = "${withPassword}"
    max_backoff_retries = 1
  }
  endpoint {
    url                 = "${withToken}"
    max_backoff_retries = 1
  }
  queue {
    path = "${join(dir, "queue")}"
  }
}
`;
  const { agent, path, logs } = await startLoadedAgent({ dir, config });
  after(() => agent.shutdown());

  const push = pushRequestBody({ __name__: "process_cpu", service_name: "svc" }, new Uint8Array([1, 2, 3]));
  const relay = `http://127.0.0.1:${port}`;
  const answers = [
    await fetch(`${relay}/push.v1.PusherService/Push`, {
      method: "POST",
      headers: { "Content-Type": "application/proto" },
      body: push,
    }),
    await fetch(`${relay}/ingest?name=svc`, { method: "POST", body: new Uint8Array([4, 5, 6]) }),
  ];
  assert.deepEqual(
    answers.map((a) => a.status),
    [200, 200],
  );
  // Wait until the endpoints refused the profiles (dead letters written) and the cursors were saved.
  const deadline = Date.now() + 10_000;
  const deadLetters = join(dir, "queue", "dead-letter");
  for (;;) {
    const names = (() => {
      try {
        return readdirSync(deadLetters).filter((n) => n.endsWith(".json"));
      } catch {
        return [];
      }
    })();
    const cursors = (() => {
      try {
        return readFileSync(join(dir, "queue", "cursors.json"), "utf8");
      } catch {
        return "";
      }
    })();
    // (The push to the endpoint with a query is sent to `...?token=...&tenant=a/push.v1...`, as Alloy's
    // connect client would; the fake may not refuse that one for good.)
    if (names.length >= 3 && cursors.includes("token=xxxxx") && cursors.includes("user:xxxxx")) break;
    assert.ok(Date.now() < deadline, `dead letters: ${names.length}, cursors: ${cursors}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // The credentials were really used.
  assert.ok(fake.requests.some((r) => r.headers["authorization"]?.startsWith("Basic ")));
  assert.ok(fake.requests.some((r) => r.url.includes(TOKEN)));

  const base = `http://127.0.0.1:${agent.address.port}`;
  const get = async (p: string) => (await fetch(`${base}${p}`)).text();
  const surfaces: Record<string, string> = {
    metrics: await get("/metrics"),
    componentList: await get("/api/v0/web/components"),
    writeDetail: await get("/api/v0/web/components/pyroscope.write.w"),
  };
  // A config error next to the URLs: the source excerpt shows them, masked.
  writeFileSync(
    path,
    config
      .replace(`"${withPassword}"`, `"${withPassword}"\n    bogus = 1`)
      .replace(`"${withToken}"`, `"${withToken}"\n    bogus = 2`),
  );
  surfaces["reloadAnswer"] = await get("/-/reload");
  assert.match(surfaces["reloadAnswer"]!, /unrecognized attribute name "bogus"/);
  surfaces["validate"] = (await runCommandMerged(main, ["validate", path])).output;
  await agent.shutdown();
  surfaces["logs"] = logs.join("");
  surfaces["queueFiles"] = allFiles(join(dir, "queue"));

  assert.match(surfaces["validate"]!, /url += "http:\/\/user:\*+@127\.0\.0\.1:\d+"/);
  assert.match(surfaces["validate"]!, /\?token=\*+&tenant=a"/);
  assert.match(surfaces["metrics"]!, /endpoint="http:\/\/user:xxxxx@127\.0\.0\.1:\d+\/"/);
  assert.match(surfaces["metrics"]!, /endpoint="http:\/\/127\.0\.0\.1:\d+\/\?token=xxxxx&tenant=a"/);
  assert.match(surfaces["writeDetail"]!, /token=xxxxx/);
  assert.match(surfaces["queueFiles"]!, /token=xxxxx/);
  for (const [surface, text] of Object.entries(surfaces)) {
    assert.ok(text.length > 0, `${surface} is empty`);
    assert.ok(!text.includes(PASSWORD), `${surface} contains the password`);
    assert.ok(!text.includes(TOKEN), `${surface} contains the token`);
  }
});
