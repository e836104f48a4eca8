import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NoProxy } from "./no-proxy.ts";
import { proxySelector } from "./proxy.ts";
import { redactUrl } from "./redact-url.ts";

describe("no_proxy matching (Go httpproxy)", () => {
  const cases: [string, string, boolean][] = [
    // no_proxy, request URL, uses the proxy
    ["", "http://example.com/", true],
    ["example.com", "http://example.com/", false],
    ["example.com", "http://sub.example.com/", false],
    ["example.com", "http://notexample.com/", true],
    [".example.com", "http://example.com/", true],
    [".example.com", "http://sub.example.com/", false],
    ["*.example.com", "http://example.com/", true],
    ["*.example.com", "http://a.example.com/", false],
    ["example.com:8080", "http://example.com:8080/", false],
    ["example.com:8080", "http://example.com/", true],
    ["example.com:443", "https://example.com/", false],
    ["10.0.0.0/8", "http://10.1.2.3/", false],
    ["10.0.0.0/8", "http://11.1.2.3/", true],
    ["192.168.1.1", "http://192.168.1.1:9000/", false],
    ["192.168.1.1:80", "http://192.168.1.1:9000/", true],
    ["192.168.1.1:80", "http://192.168.1.1/", false],
    ["[::2]:80", "http://[::2]/", false],
    ["fd00::/8", "http://[fd00::1]/", false],
    ["other.com, EXAMPLE.com ", "http://example.com/", false],
    ["*", "http://anything.net/", false],
    // loopback and localhost are never proxied under these rules
    ["other.com", "http://127.0.0.1:4040/", false],
    ["other.com", "http://localhost:4040/", false],
    ["other.com", "http://[::1]:4040/", false],
  ];
  for (const [list, url, want] of cases) {
    test(`${JSON.stringify(list)} ${url} → ${want ? "proxy" : "direct"}`, () => {
      assert.equal(new NoProxy(list).useProxy(new URL(url)), want);
    });
  }
});

describe("proxy selection", () => {
  const none = {
    proxy_url: undefined,
    no_proxy: undefined,
    proxy_from_environment: false,
    proxy_connect_header: undefined,
  };
  test("proxy_url alone proxies everything, loopback included (Go's http.ProxyURL)", () => {
    const pick = proxySelector({ ...none, proxy_url: "http://proxy:3128" });
    assert.equal(pick(new URL("http://127.0.0.1:1/"))?.href, "http://proxy:3128/");
    assert.equal(pick(new URL("https://example.com/"))?.href, "http://proxy:3128/");
  });
  test("proxy_url with no_proxy", () => {
    const pick = proxySelector({ ...none, proxy_url: "http://proxy:3128", no_proxy: "internal.net" });
    assert.equal(pick(new URL("http://a.internal.net/")), undefined);
    assert.equal(pick(new URL("http://example.com/"))?.host, "proxy:3128");
  });
  test("no proxy configured", () => {
    assert.equal(proxySelector(none)(new URL("http://example.com/")), undefined);
  });
  test("proxy_from_environment: per scheme, NO_PROXY, scheme-less values", () => {
    const pick = proxySelector(
      { ...none, proxy_from_environment: true },
      { HTTP_PROXY: "plain:3128", https_proxy: "http://secure:3129", NO_PROXY: "skip.me" },
    );
    assert.equal(pick(new URL("http://example.com/"))?.href, "http://plain:3128/");
    assert.equal(pick(new URL("https://example.com/"))?.href, "http://secure:3129/");
    assert.equal(pick(new URL("https://skip.me/")), undefined);
    assert.equal(
      proxySelector({ ...none, proxy_from_environment: true }, {})(new URL("http://x/")),
      undefined,
    );
  });
  test("an invalid proxy_url fails the build without showing its password", () => {
    assert.throws(() => proxySelector({ ...none, proxy_url: "::not a url" }), /invalid proxy_url/);
    assert.equal(redactUrl("http://user:hunter2@proxy:1/"), "http://user:xxxxx@proxy:1/");
    assert.equal(redactUrl("http://proxy:1/"), "http://proxy:1/");
  });
});
