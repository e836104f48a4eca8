import assert from "node:assert/strict";
import { test } from "node:test";
import { isSensitiveParam, redactUrl } from "./redact-url.ts";

test("redactUrl masks the password and credential query values, and nothing else", () => {
  const cases: [string, string][] = [
    ["http://user:hunter2@proxy:1/", "http://user:xxxxx@proxy:1/"],
    ["http://proxy:1/", "http://proxy:1/"],
    ["https://host/p?token=abc", "https://host/p?token=xxxxx"],
    ["https://host/p?a=1&api_key=abc&b=2#frag", "https://host/p?a=1&api_key=xxxxx&b=2#frag"],
    [
      "https://host/p?X-Amz-Signature=abc&X-Amz-Credential=def",
      "https://host/p?X-Amz-Signature=xxxxx&X-Amz-Credential=xxxxx",
    ],
    ["https://u:p@host/?access%5Ftoken=abc", "https://u:xxxxx@host/?access%5Ftoken=xxxxx"],
    // ingest queries keep every parameter: none of them carries a credential
    [
      "http://h/ingest?name=app.cpu%7Benv%3Dprod%7D&from=1&until=2&format=pprof&sampleRate=100&spyName=gospy&units=samples&aggregationType=sum",
      "http://h/ingest?name=app.cpu%7Benv%3Dprod%7D&from=1&until=2&format=pprof&sampleRate=100&spyName=gospy&units=samples&aggregationType=sum",
    ],
    ["https://host/p?token=", "https://host/p?token="],
    ["not a url //me:pw@x", "not a url //me:xxxxx@x"],
  ];
  for (const [input, want] of cases) assert.equal(redactUrl(input), want, input);
  // The same URL always gives the same text (metric label values stay stable).
  assert.equal(redactUrl("http://h/?token=a"), redactUrl("http://h/?token=a"));
  assert.ok(isSensitiveParam("Bearer-Token") && !isSensitiveParam("name") && !isSensitiveParam("from"));
});
