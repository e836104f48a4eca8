import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { autoWorkerCount, cgroupCpuLimit } from "./cpu-count.ts";

/** A fake filesystem: the files given, nothing else. */
function files(map: Record<string, string>): (path: string) => string | undefined {
  return (path) => map[path];
}

const V2_MOUNTINFO =
  "30 22 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw\n";
const V1_MOUNTINFO = [
  "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
  "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
  "40 30 0:36 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
  "",
].join("\n");

describe("autoWorkerCount", () => {
  it("cgroup v2: a quota of 1.5 CPUs rounds up to 2 (Go's ceil), within the affinity mask", () => {
    const read = files({
      "/proc/self/cgroup": "0::/kubepods/pod1/c1\n",
      "/proc/self/mountinfo": V2_MOUNTINFO,
      "/sys/fs/cgroup/kubepods/pod1/c1/cpu.max": "150000 100000\n",
    });
    assert.equal(cgroupCpuLimit(read), 1.5);
    assert.equal(autoWorkerCount({ availableParallelism: 8, readFile: read }), 2);
    assert.equal(autoWorkerCount({ availableParallelism: 1, readFile: read }), 1, "the mask is lower");
  });

  it("cgroup v2 inside a cgroup namespace (`0::/`), and `max` (no limit)", () => {
    const limited = files({
      "/proc/self/cgroup": "0::/\n",
      "/proc/self/mountinfo": V2_MOUNTINFO,
      "/sys/fs/cgroup/cpu.max": "400000 100000\n",
    });
    assert.equal(autoWorkerCount({ availableParallelism: 16, readFile: limited }), 4);
    const unlimited = files({
      "/proc/self/cgroup": "0::/\n",
      "/proc/self/mountinfo": V2_MOUNTINFO,
      "/sys/fs/cgroup/cpu.max": "max 100000\n",
    });
    assert.equal(cgroupCpuLimit(unlimited), undefined);
    assert.equal(autoWorkerCount({ availableParallelism: 16, readFile: unlimited }), 16);
  });

  it("a bind-mounted cgroup root is stripped from the process's cgroup path", () => {
    const read = files({
      "/proc/self/cgroup": "0::/system.slice/relay.service\n",
      "/proc/self/mountinfo": "30 22 0:27 /system.slice /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
      "/sys/fs/cgroup/relay.service/cpu.max": "250000 100000",
    });
    assert.equal(autoWorkerCount({ availableParallelism: 8, readFile: read }), 3);
  });

  it("cgroup v1: cpu.cfs_quota_us / cpu.cfs_period_us; -1 means no limit", () => {
    const membership = "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n";
    const read = files({
      "/proc/self/cgroup": membership,
      "/proc/self/mountinfo": V1_MOUNTINFO,
      "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "50000\n",
      "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
    });
    assert.equal(cgroupCpuLimit(read), 0.5);
    assert.equal(
      autoWorkerCount({ availableParallelism: 8, readFile: read }),
      1,
      "no floor of 2 (unlike Go)",
    );
    const unlimited = files({
      "/proc/self/cgroup": membership,
      "/proc/self/mountinfo": V1_MOUNTINFO,
      "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "-1\n",
      "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
    });
    assert.equal(autoWorkerCount({ availableParallelism: 8, readFile: unlimited }), 8);
  });

  it("no cgroup files (not Linux, or /proc hidden): the affinity mask, at least 1", () => {
    assert.equal(autoWorkerCount({ availableParallelism: 6, readFile: files({}) }), 6);
    assert.equal(autoWorkerCount({ availableParallelism: 0, readFile: files({}) }), 1);
  });

  it("unreadable or malformed limit files mean no limit", () => {
    const read = files({
      "/proc/self/cgroup": "0::/a\n",
      "/proc/self/mountinfo": V2_MOUNTINFO,
      "/sys/fs/cgroup/a/cpu.max": "garbage\n",
    });
    assert.equal(autoWorkerCount({ availableParallelism: 4, readFile: read }), 4);
  });
});
